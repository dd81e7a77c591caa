"""Planted bugs for tests/test_mutations.py, loaded into a pytest subprocess with ``-p mutants``.

``TANGENTISH_MUTATION`` names one mutation; the plugin applies it before any
test is collected (so before any derivative is built: the fresh process has an
empty derivative cache) and prints ``MUTATION APPLIED: <name>`` so the caller
knows the planted bug was really in place.  Each goes through what users reach:
the rule registry, the runtime helpers generated code imports, the function
that gives gradients their input's dtype.
"""
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

# the sin and tanh adjoints with their sign flipped, loaded as a built-in template file
_WRONG_SIGN = '''
import numpy as np

from tangentish.registry import adjoint, d


@adjoint(np.sin)
def sin(y, x):
    d[x] -= d[y] * np.cos(x)


@adjoint(np.tanh)
def tanh(y, x):
    d[x] -= d[y] * (1 - y * y)
'''


def _wrong_sign():
    from tangentish.templates import load_builtin
    load_builtin()
    path = Path(tempfile.mkdtemp(prefix="tangentish_mutant_")) / "mutant_sign.py"
    path.write_text(_WRONG_SIGN)
    name = "tangentish._templates.mutant_sign"     # read as one of tangentish's own templates
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    from tangentish import registry
    assert registry.REVERSE[np.sin] is module.sin and registry.REVERSE[np.tanh] is module.tanh


def _no_unbroadcast():
    from tangentish import runtime

    def unbroadcast(g, like):     # the reduction back to the operand's shape, dropped
        return g
    runtime.unbroadcast = unbroadcast


def _float32(change):
    from tangentish import api, api_more
    original = api.match_input

    def match_input(g, x):
        out = original(g, x)
        if np.asarray(x).dtype == np.float32 and not isinstance(out, (dict, list, tuple)):
            out = change(out)
        return out
    api.match_input = api_more.match_input = match_input


def _scaled(g):
    """``g`` times 1.001, of the same kind: a 0-d array stays an array, a scalar a scalar."""
    if isinstance(g, np.ndarray):
        return np.array(g * np.float32(1.001), dtype=g.dtype)
    return type(g)(g * np.float32(1.001))


def _check_grads_blind():
    from tangentish import checks
    checks._Checker.compare = lambda self, *args: None      # check_grads checks nothing


def _zero_directions():
    from tangentish import checks

    def zeros(tree, rng):     # every random direction and cotangent is zero: 0 == 0 everywhere
        return checks._map(lambda x: 0.0 if np.ndim(x) == 0 and not isinstance(x, np.ndarray)
                           else np.zeros(np.shape(x)), tree)
    checks._random_like = zeros


MUTATIONS = {
    "check_grads_blind": _check_grads_blind,
    "zero_directions": _zero_directions,
    "wrong_sign": _wrong_sign,
    "no_unbroadcast": _no_unbroadcast,
    "float32_scaled": lambda: _float32(_scaled),
    "float32_upcast": lambda: _float32(lambda g: np.asarray(g, np.float64)),
}


def pytest_configure(config):
    name = os.environ.get("TANGENTISH_MUTATION", "")
    if name:
        MUTATIONS[name]()
        print(f"MUTATION APPLIED: {name}")
