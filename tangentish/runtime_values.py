"""Runtime helpers of casts, ``.item()`` and writes into arrays (re-exported by ``tangentish.runtime``).

``astype`` and ``item`` are the function forms of the array methods users
call (``w.astype(float)``, ``loss.item()``), so the methods have rules to key
on; the rest are their adjoints.  ``written`` is the part of an adjoint that
the values of ``z[index] = v`` receive: with an integer-array index naming a
place twice, only the write NumPy keeps gets it.
"""
import numpy as np

from .runtime import _tree_like, cast_like

__all__ = ["astype", "uncast", "recast", "item", "unitem", "written", "unwritten", "unlist"]


def _is_inexact(dtype) -> bool:
    return np.issubdtype(np.dtype(dtype), np.inexact)


def astype(x, dtype, order="K", casting="unsafe", subok=True, copy=True):
    """``x.astype(dtype)`` as a function, for Python numbers too."""
    return np.asarray(x).astype(dtype, order=order, casting=casting, subok=subok, copy=copy)


def uncast(g, x, dtype=None):
    """Adjoint of ``x.astype(dtype)``: ``g`` in ``x``'s dtype, zero for a cast to integers or bools.

    A cast between float types is the identity on values; a cast to integers
    is a step function, whose derivative is zero wherever it exists.
    """
    if dtype is not None and not _is_inexact(dtype):
        return np.zeros(np.shape(x), dtype=np.result_type(getattr(x, "dtype", float), 0.0))
    return cast_like(g, x)


def recast(tx, dtype):
    """Tangent of ``x.astype(dtype)``: ``tx`` cast alike, zero for a cast to integers or bools."""
    if not _is_inexact(dtype):
        return np.zeros(np.shape(tx))
    return np.asarray(tx).astype(dtype)


def item(x, index=None):
    """``x.item()`` / ``x.item(k)`` / ``x.item((i, j))`` as a function: one element, as a Python number."""
    x = np.asarray(x)
    return x.item() if index is None else x.item(index)


def unitem(g, x, index=None):
    """Adjoint of ``item(x, index)``: zeros shaped like ``x``, with ``g`` at the element read."""
    out = np.zeros(np.shape(x), dtype=np.result_type(g, getattr(x, "dtype", float), 0.0))
    if index is None or isinstance(index, (int, np.integer)):
        out.flat[0 if index is None else index] = g
    else:
        out[tuple(index)] = g
    return cast_like(out, x)


def _kept(shape, index):
    """Which elements of ``z[index] = v`` NumPy keeps: False for a place written again later."""
    order = np.arange(int(np.prod(shape))).reshape(shape)
    picked = order[index]
    stamp = np.full(shape, -1)
    stamp[index] = np.arange(np.size(picked)).reshape(np.shape(picked))
    return stamp[index] == np.arange(np.size(picked)).reshape(np.shape(picked))


def _fancy(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, (list, np.ndarray)) and np.asarray(p).dtype != bool for p in parts)


def written(g, index):
    """``g[index]``, the adjoint of the values ``z[index] = v`` wrote, less the writes overwritten.

    ``z[[0, 0]] = v`` keeps only ``v[1]``, so ``v[0]`` gets nothing back.
    """
    part = g[index]
    if not _fancy(index):
        return part
    return np.where(_kept(np.shape(g), index), part, 0)


def unwritten(g, like, index):
    """Adjoint of ``written(like, index)``: ``g`` put back at the kept places of zeros shaped like ``like``."""
    out = np.zeros(np.shape(like), dtype=np.result_type(g, 0.0))
    if _fancy(index):
        np.add.at(out, index, np.where(_kept(np.shape(like), index), g, 0))
    else:
        out[index] += g
    return out


def unlist(g, x):
    """Adjoint of ``list(x)`` / ``tuple(x)``: the list's adjoint in ``x``'s own kind.

    A list or tuple gets a container of the same kind back; an array, whose
    list holds its rows, gets the rows stacked again.
    """
    if isinstance(x, (list, tuple)):
        return _tree_like(x, list(g))
    return np.reshape(np.array([np.asarray(part) for part in g]), np.shape(x))
