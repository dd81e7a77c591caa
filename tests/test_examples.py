"""The examples run and check their own answers; the README's commands are the ones CI runs."""
import importlib
import os
import re
import runpy
import subprocess

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


README_DEMO = 'pip install . && python examples/demo.py'
README_TEST = 'pip install ".[test]" && python -m pytest -q'


def _readme_commands():
    readme = open(os.path.join(REPO, "README.md")).read()
    return re.findall(r"```bash\n(.+?)\n```", readme)


def _ci_stages(script):
    """The (python, command) of each stage the CI script ``script`` executes, from its dry run.

    The dry run goes through the script's own code (its README parsing and its stage calls),
    so a comment or an unused string cannot stand in for the command it runs.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTEST_"))}
    env["TANGENTISH_CI_DRY_RUN"] = "1"
    proc = subprocess.run(["bash", script], capture_output=True, text=True, env=env, cwd=REPO)
    if proc.returncode != 0:    # not an AssertionError: a broken script must not pass as "caught"
        raise RuntimeError(f"{script} --dry-run failed: {proc.stderr}")
    lines = proc.stdout.splitlines()
    stages = {}
    for i, line in enumerate(lines):
        if line.startswith("stage: "):
            python = lines[i + 1][len("python: "):]
            command = lines[i + 2][len("run: "):]
            stages[line[len("stage: "):]] = (python, command)
    return stages


def _check_ci_runs_the_readme(script):
    """Raise AssertionError unless ``script`` runs the README's two commands exactly and the
    whole suite under Python 3.9, 3.13 and the default python3."""
    stages = _ci_stages(script)
    commands = [command for _, command in stages.values()]
    assert commands.count(README_DEMO) == 1, commands
    assert commands.count(README_TEST) == 1, commands
    suites = [(python, command) for python, command in stages.values()
              if "python -m pytest" in command and command != README_TEST]
    versions = sorted(os.path.basename(os.path.dirname(os.path.dirname(p))) for p, _ in suites)
    assert versions == ["3.13.0", "3.9.18"], suites
    for _, command in suites:   # the whole suite: no file, -k, -m or --deselect narrowing it
        pytest_args = command.split("python -m pytest", 1)[1].split()
        assert pytest_args == ["-q", "-rs", "-n", "2"], command


def test_readme_has_the_two_setup_commands():
    commands = _readme_commands()
    assert README_DEMO in commands
    assert README_TEST in commands


def test_ci_runs_the_readme_commands_it_executes():
    _check_ci_runs_the_readme(os.path.join(REPO, ".ci", "run"))


@pytest.mark.parametrize("edit", [
    # the real test command narrowed to one file, its old form left in a comment
    lambda s: s.replace('stage readme-test "$python_default" "$test_command"',
                        '# stage readme-test "$python_default" "$test_command"  pip install \".[test]\" '
                        '&& python -m pytest -q\n'
                        'stage readme-test "$python_default" "$test_command tests/test_examples.py"'),
    # the demo stage dropped
    lambda s: s.replace('stage readme-demo "$python_default" "$demo_command"\n', ""),
    # a supported-range suite narrowed with -k
    lambda s: s.replace("python -m pytest -q -rs -n 2'", "python -m pytest -q -rs -n 2 -k examples'"),
    # one end of the range dropped
    lambda s: s.replace('stage suite-py3.9 "$python39" "$suite_command"\n', ""),
], ids=["test-command-narrowed", "demo-dropped", "suite-narrowed", "py39-dropped"])
def test_the_ci_check_fails_on_a_narrowed_ci(tmp_path, edit):
    """A test of the test: each weakened copy of .ci/run is caught."""
    original = open(os.path.join(REPO, ".ci", "run")).read()
    weakened = edit(original)
    assert weakened != original          # the edit applied
    ci = tmp_path / ".ci"
    ci.mkdir()
    (ci / "run").write_text(weakened)
    os.symlink(os.path.join(REPO, "README.md"), str(tmp_path / "README.md"))
    with pytest.raises(AssertionError):
        _check_ci_runs_the_readme(str(ci / "run"))


def test_test_extras_are_installed_under_ci():
    """Under .ci/run (TANGENTISH_CI=1) every test extra imports, so no peer reference test
    (autograd) or scipy/IPython/hypothesis test skips for a missing package, on any Python."""
    text = open(os.path.join(REPO, "pyproject.toml")).read()
    extras = re.search(r"^test = \[(.*?)\]", text, re.M).group(1)
    names = [re.match(r'\s*"([A-Za-z0-9_.-]+)', item).group(1) for item in extras.split(",")]
    assert "autograd" in names
    if os.environ.get("TANGENTISH_CI") != "1":
        pytest.skip("only under .ci/run, whose fresh environments install the test extras")
    modules = {"ipython": "IPython"}
    for name in names:
        importlib.import_module(modules.get(name.lower(), name))


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
