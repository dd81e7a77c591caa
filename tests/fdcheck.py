"""Central finite differences for the language-coverage tests (any nesting of dicts/lists/tuples)."""
import numpy as np

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


def numeric_grad(f, args, i, eps=1e-6):
    """d f(*args) / d args[i] by central differences, shaped like args[i]."""
    x = args[i]
    grad = x
    for path, leaf in _leaves(x):
        if isinstance(leaf, (bool, int, str, np.integer)) or (
                hasattr(leaf, "dtype") and not np.issubdtype(leaf.dtype, np.floating)):
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
                g[idx] += sign * f(*a) / (2 * eps)
        grad = _replace(grad, path, g if arr.ndim else float(g))
    return grad


def assert_close(got, want, rtol=1e-5, atol=1e-6):
    got = untree(got)
    assert type(got) is type(want) or np.ndim(want) == 0 or isinstance(got, np.ndarray), \
        f"gradient is a {type(got).__name__}, expected {type(want).__name__}"
    gl, wl = list(_leaves(got)), list(_leaves(want))
    assert [p for p, _ in gl] == [p for p, _ in wl], f"structure {gl} != {wl}"
    for (p, g), (_, w) in zip(gl, wl):
        if isinstance(w, (str, bool)):
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
        assert_close(got[k], numeric_grad(f, args, w), **tol)
    return g
