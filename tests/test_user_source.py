"""How tangentish finds, reads and reports on user functions, as users really define them.

Every gradient is compared with central finite differences (tests/fd.py) or a
derivative worked by hand; every refusal must be a TransformError naming the
user's file and line, with a hint.
"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from fd import assert_grad_close, numerical_grad

import tangentish as tg

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_script(tmp_path, text, name="user_script.py"):
    """Run ``text`` as ``python name`` in a fresh interpreter; its stdout."""
    script = tmp_path / name
    script.write_text(textwrap.dedent(text))
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env,
                          cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr
    return done.stdout


# ---- defaults: the values the def captured, not its source re-evaluated ------------

def test_functions_defined_in_a_loop_keep_their_own_default():
    fs = []
    for k in range(3):
        def f(x, k=k):
            return x ** (k + 1)
        fs.append(f)
    k = 10  # noqa: F841 -- a later value of the name the default was spelled with
    for f in fs:
        assert tg.grad(f)(2.0) == pytest.approx(numerical_grad(f, [2.0]))


def test_lambdas_made_in_a_comprehension_keep_their_own_default():
    fs = [lambda x, k=k: x ** (k + 1) for k in range(3)]
    assert [tg.grad(f)(2.0) for f in fs] == pytest.approx([1.0, 4.0, 12.0])


def make_powered(n, weights):
    def powered(x, p=n, w=weights):      # n and weights are no closure cells of powered
        return np.sum(w * x ** p)
    return powered


def test_default_naming_an_enclosing_local_and_an_array():
    f = make_powered(3, np.array([1.0, 2.0]))
    x = np.array([1.0, 2.0])
    assert_grad_close(f, [x])
    source = tg.grad(f).source
    assert "p=3" in source and "w=w_default" in source
    np.testing.assert_allclose(tg.jvp(f)(x, np.ones(2))[1], np.sum(3 * np.array([1.0, 2.0]) * x ** 2))
    assert tg.grad(tg.grad(lambda x, k=3: x ** k))(2.0) == pytest.approx(12.0)
