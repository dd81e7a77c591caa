"""The suite's power, measured: plant a bug through the public surface, the relevant tests must fail.

Each mutation (tests/mutants.py) runs a few test files in a fresh pytest
subprocess (an empty derivative cache, so the planted bug is what every
derivative is built with):

* ``wrong_sign``: the sin and tanh adjoints with their sign flipped;
* ``no_unbroadcast``: ``tangentish.runtime.unbroadcast`` returns its input;
* ``float32_scaled`` / ``float32_upcast``: float32 gradients come back scaled
  by 1.001 / as float64;
* ``check_grads_blind`` / ``zero_directions``: check_grads compares nothing /
  draws all-zero directions (its tests must notice).

The same files pass without a mutation (checked first), and the subprocess must
report test failures (exit 1) with the mutation confirmed applied: a crash of
the harness or a usage error does not count as caught.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

MUTANTS = {
    "wrong_sign": ["test_forward_vs_reverse_corpus.py", "test_check_grads.py"],
    "check_grads_blind": ["test_check_grads.py", "test_user_ml.py::test_check_grads_on_a_model"],
    "zero_directions": ["test_check_grads.py", "test_user_ml.py::test_check_grads_on_a_model"],
    "no_unbroadcast": ["test_broadcast.py"],
    "float32_scaled": ["test_random_programs.py::test_random_flow_programs[0]"],
    "float32_upcast": ["test_random_programs.py::test_random_flow_programs[0]"],
}


def _run(mutation, files, first_failure=True):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "PYTEST_")) and k != "TANGENTISH_MUTATION"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(TESTS)] + (
        [env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    if mutation:
        env["TANGENTISH_MUTATION"] = mutation
    command = [sys.executable, "-m", "pytest", "-q", "-p", "mutants", "-p", "no:cacheprovider",
               "-p", "no:xdist", "-W", "ignore"] + (["-x"] if first_failure else []) + \
              [str(TESTS / f) for f in files]
    done = subprocess.run(command, cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=600)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.slow
def test_unmutated_selection_passes():
    files = sorted({f for fs in MUTANTS.values() for f in fs})
    rc, out = _run(None, files)
    assert rc == 0, out[-3000:]
    assert "MUTATION APPLIED" not in out


@pytest.mark.slow
@pytest.mark.parametrize("mutation", sorted(MUTANTS))
def test_planted_bug_is_caught(mutation):
    rc, out = _run(mutation, MUTANTS[mutation])
    assert f"MUTATION APPLIED: {mutation}" in out, out[-3000:]
    assert rc == 1 and " failed" in out, f"mutation {mutation} not caught (exit {rc}):\n{out[-3000:]}"
