"""The templates are found from an installed wheel and from an editable checkout.

Templates are data files (``templates/*.py`` at the top of the repository,
shipped as ``tangentish/_templates`` in the wheel), so a broken package layout
would pass every other test run from the checkout.  These tests build the
package, install it into a fresh virtual environment (linked to this
interpreter's numpy and gast, so only the build needs the package index),
and take a gradient there from a directory where the checkout is not
importable.
"""
import os
import shutil
import subprocess
import sys
import textwrap

import gast
import numpy
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = textwrap.dedent("""
    import numpy as np
    import tangentish as tg
    from tangentish import templates

    def loss(w, X):
        return np.sum(np.tanh(X @ w) ** 2)

    X = np.arange(6.0).reshape(3, 2) / 6
    w = np.array([0.3, -0.2])
    h = np.tanh(X @ w)
    expected = X.T @ (2 * h * (1 - h ** 2))
    assert np.allclose(tg.grad(loss)(w, X), expected)
    print(tg.__file__)
    print(templates.template_dir())
""")


def _venv(tmp_path):
    """A fresh venv that sees this interpreter's numpy and gast, and nothing else of it."""
    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    python = str(env_dir / ("Scripts" if os.name == "nt" else "bin") / "python")
    deps = tmp_path / "deps"
    deps.mkdir()
    for module in (numpy, gast):
        package = os.path.dirname(module.__file__)
        site, name = os.path.split(package)
        for entry in os.listdir(site):   # the package and any vendored libraries (numpy.libs)
            if entry == name or entry.startswith(name + ".libs"):
                os.symlink(os.path.join(site, entry), deps / entry)
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    with open(os.path.join(purelib, "deps.pth"), "w") as f:
        f.write(str(deps) + "\n")
    return python


def _clean_env():
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


def _pip(python, *args):
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps",
                    "--disable-pip-version-check", *args], check=True, env=_clean_env())


def _run_gradient(python, cwd):
    script = cwd / "check_gradient.py"
    script.write_text(SCRIPT)
    proc = subprocess.run([python, str(script)], capture_output=True, text=True, cwd=str(cwd),
                          env=_clean_env())
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.split("\n")
    return out[0], out[1]


def _copy_checkout(dest):
    """A copy of the repository without build leftovers, so builds do not race the checkout."""
    ignore = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", ".venv",
                                    "venv", ".pytest_cache", ".hypothesis")
    shutil.copytree(REPO, dest, ignore=ignore)
    return dest


@pytest.mark.slow
def test_installed_wheel_finds_its_templates(tmp_path):
    src = _copy_checkout(tmp_path / "src")
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--disable-pip-version-check", str(src), "-w", str(wheels)], check=True, env=_clean_env())
    wheel = next(wheels.glob("tangentish-*.whl"))
    python = _venv(tmp_path)
    _pip(python, str(wheel))
    shutil.rmtree(src)  # nothing may be read from the source tree any more
    package, template_dir = _run_gradient(python, tmp_path)
    assert "site-packages" in package
    assert template_dir.endswith(os.path.join("tangentish", "_templates"))


@pytest.mark.slow
def test_editable_install_finds_the_checkout_templates(tmp_path):
    src = _copy_checkout(tmp_path / "src")
    python = _venv(tmp_path)
    _pip(python, "-e", str(src))
    package, template_dir = _run_gradient(python, tmp_path)
    assert package.startswith(str(src))
    assert template_dir == str(src / "templates")



def _ci_inherited_settings(script):
    """The PIP_*/PYTEST_*/PYTHONPATH/VIRTUAL_ENV settings the stages of CI script ``script`` see,
    from its dry run, with such settings planted in the environment that runs it."""
    env = dict(os.environ, TANGENTISH_CI_DRY_RUN="1", PYTEST_ADDOPTS="-k nothing_at_all",
               PYTEST_PLUGINS="nonexistent_plugin", PIP_INDEX_URL="http://127.0.0.1:9/simple",
               PIP_CONFIG_FILE=os.path.join(REPO, "pyproject.toml"), PIP_NO_BUILD_ISOLATION="0",
               PYTHONPATH=REPO, VIRTUAL_ENV="/nonexistent")
    proc = subprocess.run(["bash", script], capture_output=True, text=True, env=env, cwd=REPO)
    if proc.returncode != 0:    # not an AssertionError: a broken script must not pass as "caught"
        raise RuntimeError(proc.stderr)
    return sorted(line[len("env: "):] for line in proc.stdout.splitlines() if line.startswith("env: "))


def _check_ci_clears_settings(script):
    inherited = _ci_inherited_settings(script)
    assert inherited == ["PIP_CONFIG_FILE=/dev/null", "PIP_DISABLE_PIP_VERSION_CHECK=1"], inherited


def test_ci_clears_pip_and_pytest_settings_it_inherits():
    """.ci/run's stages see no PIP_* variable, pip config file, PYTEST_ADDOPTS or PYTHONPATH of
    the machine that runs it: only the two pip settings it sets itself."""
    _check_ci_clears_settings(os.path.join(REPO, ".ci", "run"))


@pytest.mark.parametrize("edit", [
    lambda s: s.replace("grep -E '^(PIP_|PYTEST_)'", "grep -E '^(PYTEST_)'"),
    lambda s: s.replace("grep -E '^(PIP_|PYTEST_)'", "grep -E '^(PIP_)'"),
    lambda s: s.replace("unset PYTHONPATH ", "unset "),
    lambda s: s.replace("export PIP_CONFIG_FILE=/dev/null", "true"),
], ids=["pip-kept", "pytest-kept", "pythonpath-kept", "pip-config-kept"])
def test_the_ci_settings_check_fails_on_a_leaky_ci(tmp_path, edit):
    """A test of the test: each leaky copy of .ci/run is caught."""
    original = open(os.path.join(REPO, ".ci", "run")).read()
    leaky = edit(original)
    assert leaky != original
    (tmp_path / ".ci").mkdir()
    (tmp_path / ".ci" / "run").write_text(leaky)
    os.symlink(os.path.join(REPO, "README.md"), str(tmp_path / "README.md"))
    with pytest.raises(AssertionError):
        _check_ci_clears_settings(str(tmp_path / ".ci" / "run"))
