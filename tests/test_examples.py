"""The examples run and check their own answers; the README's commands are the ones CI runs."""
import os
import re
import runpy

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
