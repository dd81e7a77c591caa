"""Reductions: ``sum mean prod max min`` with ``axis`` and ``keepdims``.

``unreduce`` spreads the result's adjoint back over the reduced axes; keyword
arguments the user left at their defaults are dropped from the generated call.
"""
import numpy as np

from tangentish.registry import adjoint, d, linear, t, tangent
from tangentish.runtime import count, extremum_mask, unreduce


@linear(np.sum)
@adjoint(np.sum)
def sum(y, a, axis=None, dtype=None, keepdims=False):
    d[a] += unreduce(d[y], a, axis=axis, keepdims=keepdims)


@linear(np.mean)
@adjoint(np.mean)
def mean(y, a, axis=None, dtype=None, keepdims=False):
    d[a] += unreduce(d[y], a, axis=axis, keepdims=keepdims) / count(a, axis=axis)


@adjoint(np.prod)
def prod(y, a, axis=None, dtype=None, keepdims=False):
    d[a] += unreduce(d[y] * y, a, axis=axis, keepdims=keepdims) / a


@tangent(np.prod)
def prod(y, a, axis=None, dtype=None, keepdims=False):
    t[y] += np.sum(t[a] / a, axis=axis, keepdims=keepdims) * y


@adjoint(np.max, np.amax, np.min, np.amin)
def max(y, a, axis=None, keepdims=False):
    d[a] += unreduce(d[y], a, axis=axis, keepdims=keepdims) * extremum_mask(a, y, axis=axis, keepdims=keepdims)


@tangent(np.max, np.amax, np.min, np.amin)
def max(y, a, axis=None, keepdims=False):
    t[y] += np.sum(t[a] * extremum_mask(a, y, axis=axis, keepdims=keepdims), axis=axis, keepdims=keepdims)
