"""The examples run and check their own answers; the README's commands are the ones CI runs."""
import os
import re
import runpy

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("name", ["demo", "linear_regression", "gaussian_mle"])
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
