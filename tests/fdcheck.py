"""Central finite differences for the language-coverage tests (any nesting of dicts/lists/tuples).

Integer, bool and string leaves are not perturbed: their place in the reference
holds `NOT_PERTURBED`, and `assert_close` skips exactly those leaves (after
checking the structure).  Complex leaves are refused.  Each reference is
checked at two step sizes (``eps`` and ``eps / 2``); when they disagree
`check` raises `fd.UnreliableFD` instead of comparing with a meaningless number.
"""
import numpy as np
from fd import UnreliableFD

from tangentish.runtime import untree


def _leaves(x, path=()):
    if isinstance(x, dict):
        for k in x:
            yield from _leaves(x[k], path + (k,))
    elif isinstance(x, (list, tuple)):
        for i, v in enumerate(x):
            yield from _leaves(v, path + (i,))
    else:
        yield path, x


def _get(x, path):
    for p in path:
        x = x[p]
    return x


def _replace(x, path, value):
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(x, dict):
        out = dict(x)
        out[head] = _replace(x[head], rest, value)
        return out
    items = list(x)
    items[head] = _replace(x[head], rest, value)
    return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)


class _NotPerturbed:
    def __repr__(self):
        return "NOT_PERTURBED"


NOT_PERTURBED = _NotPerturbed()   # an integer/bool/str leaf: no finite-difference reference


def numeric_grad(f, args, i, eps=1e-6):
    """d f(*args) / d args[i] by central differences, shaped like args[i]."""
    x = args[i]
    grad = x
    for path, leaf in _leaves(x):
        if np.iscomplexobj(leaf):
            raise TypeError(f"finite differences: complex leaf at {path} is not supported "
                            "(pass real and imaginary parts as separate real leaves)")
        if isinstance(leaf, (bool, int, str, np.integer, np.bool_)) or (
                hasattr(leaf, "dtype") and not np.issubdtype(leaf.dtype, np.floating)):
            grad = _replace(grad, path, NOT_PERTURBED)
            continue
        arr = np.array(leaf, dtype=float)
        g = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            for sign in (1, -1):
                xp = arr.copy()
                xp[idx] += sign * eps
                value = xp if arr.ndim else float(xp)
                a = list(args)
                a[i] = _replace(x, path, value)
                y = f(*a)
                if np.iscomplexobj(y) or np.ndim(y) != 0:
                    raise TypeError(f"finite differences need a real scalar value, got {y!r}")
                g[idx] += sign * float(y) / (2 * eps)
        grad = _replace(grad, path, g if arr.ndim else float(g))
    return grad


def assert_close(got, want, rtol=1e-5, atol=1e-6):
    got = untree(got)
    assert type(got) is type(want) or np.ndim(want) == 0 or isinstance(got, np.ndarray), \
        f"gradient is a {type(got).__name__}, expected {type(want).__name__}"
    gl, wl = list(_leaves(got)), list(_leaves(want))
    assert [p for p, _ in gl] == [p for p, _ in wl], f"structure {gl} != {wl}"
    for (p, g), (_, w) in zip(gl, wl):
        if w is NOT_PERTURBED:
            continue
        assert np.shape(g) == np.shape(w), f"at {p}: shape {np.shape(g)} != {np.shape(w)}"
        assert np.allclose(g, w, rtol=rtol, atol=atol), f"at {p}: {g} != {w}"


def check(f, *args, wrt=0, **tol):
    """tg.grad(f) agrees with finite differences at ``args``; returns the derivative object."""
    import tangentish as tg
    wrts = wrt if isinstance(wrt, tuple) else (wrt,)
    g = tg.grad(f, wrt=wrt)
    got = g(*args)
    got = got if isinstance(wrt, tuple) else (got,)
    for k, w in enumerate(wrts):
        want = numeric_grad(f, args, w)
        half = numeric_grad(f, args, w, eps=0.5e-6)
        try:
            assert_close(half, want, **tol)
        except AssertionError as e:
            raise UnreliableFD(f"finite differences at steps 1e-6 and 5e-7 disagree for argument {w}: "
                               f"{e}; move the point away from kinks and branch edges") from None
        assert_close(got[k], want, **tol)
    return g
