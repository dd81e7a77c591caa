"""Forward and reverse mode on every case of the other test corpora, against finite differences.

The corpora (control flow, calls, containers, indexing) live in their own test
modules; each must import and hold its lists, else collection fails (a broken
corpus must not silently drop its cases).  For a case ``f(args)`` and argument
``w``, with a seeded, nonzero random direction ``v`` and cotangent ``u`` drawn
here (not by tangentish), this checks

* the jvp tangent ``J v`` against central differences of ``f`` along ``v``,
  themselves checked at two step sizes;
* the vjp ``<J^T u, v>`` against ``<u, J v>`` of those same differences;
* both values against ``f(*args)``.

Flattening and random draws are done by the helpers in this file, so a bug in
``tangentish.checks`` cannot make both sides agree.
"""
import importlib
import zlib

import numpy as np
import pytest

import tangentish as tg

CORPORA = {"test_control_flow": ("BRANCHES", "LOOPS"), "test_calls": ("CASES",),
           "test_containers": ("CASES",), "test_indexing": ("CASES",)}


def _keys(d):
    return sorted(d, key=repr)


def flat(tree):
    """Every float leaf of ``tree`` in a fixed order (dict keys sorted), as one float64 vector."""
    if isinstance(tree, dict):
        parts = [flat(tree[k]) for k in _keys(tree)]
    elif isinstance(tree, (list, tuple)):
        parts = [flat(v) for v in tree]
    else:
        a = np.asarray(tree)
        assert not np.iscomplexobj(a), "complex leaf in a real corpus"
        return np.ravel(a.astype(np.float64))
    return np.concatenate(parts) if parts else np.zeros(0)


def nonzero_like(tree, rng):
    """A random tree shaped like ``tree``: each entry has magnitude in [0.5, 1.5] and a random sign."""
    if isinstance(tree, dict):
        return {k: nonzero_like(v, rng) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        items = [nonzero_like(v, rng) for v in tree]
        return type(tree)(*items) if hasattr(tree, "_fields") else type(tree)(items)
    shape = np.shape(tree)
    draw = rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    return float(draw) if np.ndim(tree) == 0 and not isinstance(tree, np.ndarray) else draw


def moved(tree, a, v):
    """``tree + a v`` leaf by leaf."""
    if isinstance(tree, dict):
        return {k: moved(tree[k], a, v[k]) for k in tree}
    if isinstance(tree, (list, tuple)):
        items = [moved(p, a, q) for p, q in zip(tree, v)]
        return type(tree)(*items) if hasattr(tree, "_fields") else type(tree)(items)
    return tree + a * v


def directional_fd(f, args, w, v, eps):
    def at(a):
        shifted = list(args)
        shifted[w] = moved(args[w], a, v)
        return flat(f(*shifted))
    return (at(eps) - at(-eps)) / (2 * eps)


def _cases():
    for module_name, lists in CORPORA.items():
        module = importlib.import_module(module_name)     # an ImportError fails collection: loud
        for list_name in lists:
            entries = getattr(module, list_name)           # a renamed list fails loudly too
            assert entries, f"{module_name}.{list_name} is empty"
            for entry in entries:
                f, args = entry[0], entry[1]
                wrt = entry[2] if len(entry) > 2 else 0
                for w in (wrt if isinstance(wrt, tuple) else (wrt,)):
                    yield pytest.param(f, args, w, id=f"{module_name}.{f.__name__}-{w}")


CASES = list(_cases())


def test_every_corpus_contributes_cases():
    for module_name in CORPORA:
        assert any(p.id.startswith(module_name + ".") for p in CASES), module_name
    assert len(CASES) >= 100, len(CASES)


def test_own_helpers_are_nonzero_and_flatten_in_a_fixed_order():
    rng = np.random.default_rng(1)
    tree = {"b": np.zeros(3), "a": [0.0, np.zeros((2, 2))]}
    r = nonzero_like(tree, rng)
    assert np.all(np.abs(flat(r)) >= 0.5) and flat(r).size == 8
    assert type(r["a"][0]) is float
    np.testing.assert_array_equal(flat({"b": 2.0, "a": 1.0}), [1.0, 2.0])


@pytest.mark.parametrize("f, args, w", CASES)
def test_forward_and_reverse_agree_with_finite_differences(f, args, w, request):
    rng = np.random.default_rng(zlib.crc32(request.node.callspec.id.encode()))
    want = f(*args)
    v = nonzero_like(args[w], rng)
    jvalue, tangent = tg.jvp(f, wrt=w)(*args, v)
    value, pullback = tg.vjp(f, wrt=w)(*args)
    np.testing.assert_allclose(flat(value), flat(want), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(flat(jvalue), flat(want), rtol=1e-12, atol=1e-14)

    fd = directional_fd(f, args, w, v, 1e-6)
    fd_half = directional_fd(f, args, w, v, 5e-7)
    scale = 1.0 + float(np.max(np.abs(fd), initial=0.0))
    assert np.allclose(fd, fd_half, rtol=1e-5, atol=1e-6 * scale), \
        f"finite differences are unreliable at this corpus point: {fd} vs {fd_half}"
    np.testing.assert_allclose(flat(tangent), fd, rtol=1e-5, atol=1e-6 * scale)

    u = nonzero_like(value, rng)
    g = pullback(u)
    assert flat(g).shape == flat(v).shape
    reverse = float(np.dot(flat(g), flat(v)))
    forward_fd = float(np.dot(flat(u), fd))
    assert np.isclose(reverse, forward_fd, rtol=1e-5, atol=1e-6 * scale * max(1.0, fd.size)), \
        (reverse, forward_fd)
    forward = float(np.dot(flat(u), flat(tangent)))
    assert np.isclose(forward, reverse, rtol=1e-8, atol=1e-10), (forward, reverse)
