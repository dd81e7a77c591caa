"""Forward and reverse mode agree, <u, J v> = <J^T u, v>, on every case of the other test corpora.

The corpora (control flow, calls, containers, indexing) live in their own test
modules; a module not present on this branch is skipped.  No finite
differences: the two modes are independent transforms checked against each other.
"""
import importlib

import numpy as np
import pytest

import tangentish as tg
from tangentish.checks import _flat, _random_like

CORPORA = {"test_control_flow": ("BRANCHES", "LOOPS"), "test_calls": ("CASES",),
           "test_containers": ("CASES",), "test_indexing": ("CASES",)}


def _cases():
    for module_name, lists in CORPORA.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for list_name in lists:
            for entry in getattr(module, list_name, []):
                f, args = entry[0], entry[1]
                wrt = entry[2] if len(entry) > 2 else 0
                for w in (wrt if isinstance(wrt, tuple) else (wrt,)):
                    yield pytest.param(f, args, w, id=f"{module_name}.{f.__name__}-{w}")


CASES = list(_cases())


@pytest.mark.skipif(not CASES, reason="no other test corpus on this branch yet")
@pytest.mark.parametrize("f, args, w", CASES or [(None, (), 0)])
def test_forward_and_reverse_agree(f, args, w):
    rng = np.random.default_rng(0)
    v = _random_like(args[w], rng)
    jvalue, tangent = tg.jvp(f, wrt=w)(*args, v)
    value, pullback = tg.vjp(f, wrt=w)(*args)
    want = f(*args)
    assert np.allclose(_flat(value), _flat(want), rtol=1e-12)
    assert np.allclose(_flat(jvalue), _flat(want), rtol=1e-12)
    u = _random_like(value, rng)
    forward = np.dot(_flat(u), _flat(tangent))
    reverse = np.dot(_flat(pullback(u)), _flat(v))
    assert np.isclose(forward, reverse, rtol=1e-8, atol=1e-10), (forward, reverse)
