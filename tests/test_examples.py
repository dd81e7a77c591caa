"""The examples run and check their own answers; the README's commands are the ones CI runs."""
import os
import re
import runpy

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("name", ["demo", "linear_regression", "gaussian_mle", "tanh_mlp"])
def test_example_runs(name, capsys):
    if name == "gaussian_mle":
        pytest.importorskip("scipy")
    runpy.run_path(os.path.join(REPO, "examples", name + ".py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "def d" in out  # every example prints generated source


def test_readme_has_the_two_setup_commands_and_ci_runs_the_test_one():
    readme = open(os.path.join(REPO, "README.md")).read()
    commands = re.findall(r"```bash\n(.+?)\n```", readme)
    assert 'pip install . && python examples/demo.py' in commands
    assert 'pip install ".[test]" && python -m pytest -q' in commands
    ci = open(os.path.join(REPO, ".ci", "run")).read()
    assert 'pip install ".[test]" && python -m pytest -q' in ci


def test_readme_generated_gradient_is_a_correct_gradient():
    """The derivative printed in the README's quickstart runs and agrees with finite differences."""
    import numpy as np
    from fd import numerical_grad
    readme = open(os.path.join(REPO, "README.md")).read()
    block = next(b for b in re.findall(r"```python\n(.+?)```", readme, re.S) if "def dloss_dw" in b)
    ns = {}
    exec(compile(block, "README.md", "exec"), ns)

    def loss(w, X, y):
        return np.mean((X @ w - y) ** 2)
    rng = np.random.RandomState(0)
    w, X, y = rng.randn(3), rng.randn(6, 3), rng.randn(6)
    np.testing.assert_allclose(ns["dloss_dw"](w, X, y), numerical_grad(loss, [w, X, y], 0), rtol=1e-6)


def test_notebook_runs_in_ipython():
    """examples/backprop.ipynb, cell by cell in a real IPython shell (cells are found through linecache)."""
    import json
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    with open(os.path.join(REPO, "examples", "backprop.ipynb"), encoding="utf-8") as f:
        notebook = json.load(f)
    shell = interactiveshell.InteractiveShell.instance()
    try:
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                result = shell.run_cell("".join(cell["source"]), store_history=True)
                assert result.success, result.error_in_exec or result.error_before_exec
        grad = shell.user_ns["grad"]
        html = shell.display_formatter.format(grad)[0]["text/html"]
        assert "dloss_dw" in html and "<" in html     # Jupyter shows the highlighted source
        ns = shell.user_ns
        accuracy = np.mean((ns["X"] @ ns["w"] > 0) == (ns["t"] == 1))
        assert accuracy > 0.9
    finally:
        interactiveshell.InteractiveShell.clear_instance()
