"""Differences, polynomials and convolutions: functions of a whole sequence of values.

``np.diff`` is linear; ``np.polyval`` is linear in the coefficients and a
polynomial in ``x``; ``np.convolve`` is bilinear, and its adjoints correlate.
"""
import numpy as np

from tangentish.registry import adjoint, d, linear, t, tangent
from tangentish.runtime import cast_like, unbroadcast, unconvolve, undiff, unpolyval


@linear(np.diff)   # prepend=/append= have no rule: the call is refused rather than guessed
@adjoint(np.diff)
def diff(y, a, n=1, axis=-1):
    d[a] += undiff(d[y], a, n=n, axis=axis)


@adjoint(np.polyval)
def polyval(y, p, x):
    d[p] += unpolyval(d[y], p, x)
    d[x] += cast_like(unbroadcast(d[y] * np.polyval(np.polyder(p), x), x), x)   # polyder's integers promote


@tangent(np.polyval)
def polyval_tangent(y, p, x):
    t[y] += np.polyval(t[p], x)
    t[y] += cast_like(t[x] * np.polyval(np.polyder(p), x), y)


@adjoint(np.convolve)
def convolve(y, a, v, mode="full"):
    d[a] += unconvolve(d[y], a, v, mode=mode)
    d[v] += unconvolve(d[y], v, a, mode=mode)


@tangent(np.convolve)
def convolve_tangent(y, a, v, mode="full"):
    t[y] += np.convolve(t[a], v, mode=mode)
    t[y] += np.convolve(a, t[v], mode=mode)
