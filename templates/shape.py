"""Shape functions: reshaping, transposing and indexing move values without changing them.

Their adjoints move the adjoint back; reshape-like ones all undo with
``np.reshape(d[y], np.shape(x))``.
"""
import operator

import numpy as np

from tangentish.registry import adjoint, d, linear, nondifferentiable, t, tangent
from tangentish.runtime import (
    astype,
    broadcast_like,
    inverse_perm,
    item,
    linspace_weights,
    mT,
    recast,
    repeat_index,
    unbroadcast,
    uncast,
    undiag,
    undiagonal,
    unindex,
    unitem,
    unpad,
    untake,
    untake_along_axis,
    untile,
)


@linear(np.reshape)
@adjoint(np.reshape)
def reshape(y, a, shape=None, order="C"):
    d[a] += np.reshape(d[y], np.shape(a))


@linear(np.ravel)
@adjoint(np.ravel)
def ravel(y, a, order="C"):
    d[a] += np.reshape(d[y], np.shape(a))


@linear(np.expand_dims)
@adjoint(np.expand_dims)
def expand_dims(y, a, axis):
    d[a] += np.reshape(d[y], np.shape(a))


@linear(np.squeeze)
@adjoint(np.squeeze)
def squeeze(y, a, axis=None):
    d[a] += np.reshape(d[y], np.shape(a))


@linear(np.transpose)
@adjoint(np.transpose)
def transpose(y, a, axes=None):
    d[a] += np.transpose(d[y], axes=inverse_perm(axes))


@linear(np.copy, np.array, np.asarray, np.asanyarray)
@adjoint(np.copy, np.array, np.asarray, np.asanyarray)
def copy(y, a):
    d[a] += d[y]


@adjoint(astype)   # x.astype(dtype), and np.asarray(x, dtype) (resolve.py)
def astype_adjoint(y, x, dtype, order="K", casting="unsafe", subok=True, copy=True):
    d[x] += uncast(d[y], x, dtype)


@tangent(astype)
def astype_tangent(y, x, dtype, order="K", casting="unsafe", subok=True, copy=True):
    t[y] += recast(t[x], dtype)


@adjoint(np.full)   # the fill value is spread over the array; the shape carries no derivative
def full(y, shape, fill_value, dtype=None, order="C"):
    d[fill_value] += uncast(unbroadcast(d[y], fill_value), fill_value, dtype=y.dtype)


@tangent(np.full)
def full_tangent(y, shape, fill_value, dtype=None, order="C"):
    t[y] += recast(np.broadcast_to(t[fill_value], np.shape(y)), y.dtype)


@adjoint(np.full_like)   # only the fill value: `a` gives the shape and dtype
def full_like(y, a, fill_value, dtype=None, order="K", subok=True, shape=None):
    d[fill_value] += uncast(unbroadcast(d[y], fill_value), fill_value, dtype=y.dtype)


@tangent(np.full_like)
def full_like_tangent(y, a, fill_value, dtype=None, order="K", subok=True, shape=None):
    t[y] += recast(np.broadcast_to(t[fill_value], np.shape(y)), y.dtype)


@linear(item)   # x.item(), x.item(k)
@adjoint(item)
def item_adjoint(y, x, index=None):
    d[x] += unitem(d[y], x, index=index)


@linear(np.ascontiguousarray)
@adjoint(np.ascontiguousarray)
def ascontiguousarray(y, a):
    d[a] += np.reshape(d[y], np.shape(a))


@linear(np.atleast_1d, np.atleast_2d, np.atleast_3d)
@adjoint(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def atleast_1d(y, a):
    """One array only: with several, these return a list (split the call)."""
    d[a] += np.reshape(d[y], np.shape(a))


@linear(np.moveaxis)
@adjoint(np.moveaxis)
def moveaxis(y, a, source, destination):
    d[a] += np.moveaxis(d[y], destination, source)


@linear(np.swapaxes)
@adjoint(np.swapaxes)
def swapaxes(y, a, axis1, axis2):
    d[a] += np.swapaxes(d[y], axis1, axis2)


@linear(np.matrix_transpose, np.linalg.matrix_transpose)
@adjoint(np.matrix_transpose, np.linalg.matrix_transpose)
def matrix_transpose(y, x):
    d[x] += mT(d[y])


@linear(np.flip)
@adjoint(np.flip)
def flip(y, m, axis=None):
    d[m] += np.flip(d[y], axis=axis)


@linear(np.fliplr)
@adjoint(np.fliplr)
def fliplr(y, m):
    d[m] += np.fliplr(d[y])


@linear(np.flipud)
@adjoint(np.flipud)
def flipud(y, m):
    d[m] += np.flipud(d[y])


@linear(np.rot90)
@adjoint(np.rot90)
def rot90(y, m, k=1, axes=(0, 1)):
    d[m] += np.rot90(d[y], -k, axes=axes)


@linear(np.roll)
@adjoint(np.roll)
def roll(y, a, shift, axis=None):
    """One shift per call (a tuple ``shift`` raises: roll one axis at a time)."""
    d[a] += np.roll(d[y], -shift, axis=axis)


@linear(np.tile)
@adjoint(np.tile)
def tile(y, A, reps):
    d[A] += untile(d[y], A)


@linear(np.repeat)
@adjoint(np.repeat)
def repeat(y, a, repeats, axis=None):
    """repeat is a take with repeated indices; its adjoint adds the copies up."""
    d[a] += untake(d[y], a, repeat_index(a, repeats, axis=axis), axis=axis)


@linear(np.pad)
@adjoint(np.pad)
def pad(y, array, pad_width, mode="constant"):
    """Zero padding only (no ``constant_values=``); other modes raise when differentiated."""
    d[array] += unpad(d[y], array, pad_width, mode=mode)


@linear(np.diag)
@adjoint(np.diag)
def diag(y, v, k=0):
    d[v] += undiag(d[y], v, k)


@linear(np.diagonal)
@adjoint(np.diagonal)
def diagonal(y, a, offset=0, axis1=0, axis2=1):
    d[a] += undiagonal(d[y], a, offset=offset, axis1=axis1, axis2=axis2)


@linear(np.linalg.diagonal)
@adjoint(np.linalg.diagonal)
def linalg_diagonal(y, x, offset=0):
    d[x] += undiagonal(d[y], x, offset=offset, axis1=-2, axis2=-1)


@linear(np.diagflat)
@adjoint(np.diagflat)
def diagflat(y, v, k=0):
    d[v] += np.reshape(np.diagonal(d[y], k), np.shape(v))


@linear(np.triu)
@adjoint(np.triu)
def triu(y, m, k=0):
    d[m] += np.triu(d[y], k)


@linear(np.tril)
@adjoint(np.tril)
def tril(y, m, k=0):
    d[m] += np.tril(d[y], k)


@linear(np.trace)
@adjoint(np.trace)
def trace(y, a, offset=0, axis1=0, axis2=1, dtype=None):
    d[a] += undiagonal(np.expand_dims(d[y], -1), a, offset=offset, axis1=axis1, axis2=axis2)


@linear(np.linalg.trace)
@adjoint(np.linalg.trace)
def linalg_trace(y, x, offset=0, dtype=None):
    d[x] += undiagonal(np.expand_dims(d[y], -1), x, offset=offset, axis1=-2, axis2=-1)


@linear(np.take)
@adjoint(np.take)
def take(y, a, indices, axis=None):
    d[a] += untake(d[y], a, indices, axis=axis)


@linear(np.take_along_axis)
@adjoint(np.take_along_axis)
def take_along_axis(y, arr, indices, axis=-1):
    d[arr] += untake_along_axis(d[y], arr, indices, axis)


@adjoint(np.sort)
def sort(y, a, axis=-1, kind=None):
    """Sorting permutes: the adjoint goes back through the same permutation (argsort)."""
    d[a] += untake_along_axis(d[y], a, np.argsort(a, axis), axis)


@tangent(np.sort)
def sort(y, a, axis=-1, kind=None):
    t[y] += np.take_along_axis(t[a], np.argsort(a, axis), axis)


@adjoint(np.partition)
def partition(y, a, kth, axis=-1):
    d[a] += untake_along_axis(d[y], a, np.argpartition(a, kth, axis), axis)


@tangent(np.partition)
def partition(y, a, kth, axis=-1):
    t[y] += np.take_along_axis(t[a], np.argpartition(a, kth, axis), axis)


@adjoint(np.linspace)
def linspace(y, start, stop, num=50, endpoint=True):
    """y_i = start + w_i (stop - start) with w_i = i / (num - 1), or i / num without the endpoint."""
    w = linspace_weights(start, stop, num, endpoint)
    d[start] += unbroadcast(np.sum(d[y] * (1 - w), axis=0), start)
    d[stop] += unbroadcast(np.sum(d[y] * w, axis=0), stop)


@tangent(np.linspace)
def linspace(y, start, stop, num=50, endpoint=True):
    w = linspace_weights(start, stop, num, endpoint)
    t[y] += broadcast_like((1 - w) * t[start], y)
    t[y] += broadcast_like(w * t[stop], y)


@linear(operator.getitem)
@adjoint(operator.getitem)
def getitem(y, a, index):
    d[a] += unindex(d[y], a, index)


nondifferentiable(len)
