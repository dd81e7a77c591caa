"""Shape functions: reshaping, transposing and indexing move values without changing them.

Their adjoints move the adjoint back; reshape-like ones all undo with
``np.reshape(d[y], np.shape(x))``.
"""
import operator

import numpy as np

from tangentish.registry import adjoint, d, linear, nondifferentiable, t, tangent
from tangentish.runtime import inverse_perm, unindex


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


@linear(np.copy, np.array, np.asarray)
@adjoint(np.copy, np.array, np.asarray)
def copy(y, a):
    d[a] += d[y]


@adjoint(np.outer)
def outer(y, a, b):
    d[a] += np.reshape(d[y] @ np.ravel(b), np.shape(a))
    d[b] += np.reshape(np.ravel(a) @ d[y], np.shape(b))


@tangent(np.outer)
def outer(y, a, b):
    t[y] += np.outer(t[a], b)
    t[y] += np.outer(a, t[b])


@linear(operator.getitem)
@adjoint(operator.getitem)
def getitem(y, a, index):
    d[a] += unindex(d[y], a, index)


nondifferentiable(len)
