"""Elementwise functions of one or two arrays.

Rules reuse the result where it is cheaper (``exp``, ``tanh``, ``sqrt``), as a
person differentiating by hand would.
"""
import numpy as np

from tangentish.registry import adjoint, d, nondifferentiable, t, tangent
from tangentish.runtime import balanced_eq, unbroadcast

# ---- exponentials and logarithms -------------------------------------------


@adjoint(np.exp)
def exp(y, x):
    d[x] += d[y] * y


@tangent(np.exp)
def exp(y, x):
    t[y] += t[x] * y


@adjoint(np.expm1)
def expm1(y, x):
    d[x] += d[y] * (y + 1)


@tangent(np.expm1)
def expm1(y, x):
    t[y] += t[x] * (y + 1)


@adjoint(np.log)
def log(y, x):
    d[x] += d[y] / x


@tangent(np.log)
def log(y, x):
    t[y] += t[x] / x


@adjoint(np.log1p)
def log1p(y, x):
    d[x] += d[y] / (1 + x)


@tangent(np.log1p)
def log1p(y, x):
    t[y] += t[x] / (1 + x)


@adjoint(np.sqrt)
def sqrt(y, x):
    d[x] += d[y] / (2 * y)


@tangent(np.sqrt)
def sqrt(y, x):
    t[y] += t[x] / (2 * y)


@adjoint(np.square)
def square(y, x):
    d[x] += d[y] * 2 * x


@tangent(np.square)
def square(y, x):
    t[y] += t[x] * 2 * x


@adjoint(np.reciprocal)
def reciprocal(y, x):
    d[x] += -d[y] * y * y


@tangent(np.reciprocal)
def reciprocal(y, x):
    t[y] += -t[x] * y * y


@adjoint(np.logaddexp)
def logaddexp(z, x, y):
    d[x] += unbroadcast(d[z] * np.exp(x - z), x)
    d[y] += unbroadcast(d[z] * np.exp(y - z), y)


@tangent(np.logaddexp)
def logaddexp(z, x, y):
    t[z] += t[x] * np.exp(x - z)
    t[z] += t[y] * np.exp(y - z)

# ---- trigonometric and hyperbolic ------------------------------------------


@adjoint(np.sin)
def sin(y, x):
    d[x] += d[y] * np.cos(x)


@tangent(np.sin)
def sin(y, x):
    t[y] += t[x] * np.cos(x)


@adjoint(np.cos)
def cos(y, x):
    d[x] += -d[y] * np.sin(x)


@tangent(np.cos)
def cos(y, x):
    t[y] += -t[x] * np.sin(x)


@adjoint(np.tan)
def tan(y, x):
    d[x] += d[y] * (1 + y * y)


@tangent(np.tan)
def tan(y, x):
    t[y] += t[x] * (1 + y * y)


@adjoint(np.tanh)
def tanh(y, x):
    d[x] += d[y] * (1 - y * y)


@tangent(np.tanh)
def tanh(y, x):
    t[y] += t[x] * (1 - y * y)


@adjoint(np.sinh)
def sinh(y, x):
    d[x] += d[y] * np.cosh(x)


@tangent(np.sinh)
def sinh(y, x):
    t[y] += t[x] * np.cosh(x)


@adjoint(np.cosh)
def cosh(y, x):
    d[x] += d[y] * np.sinh(x)


@tangent(np.cosh)
def cosh(y, x):
    t[y] += t[x] * np.sinh(x)


@adjoint(np.arcsin)
def arcsin(y, x):
    d[x] += d[y] / np.sqrt(1 - x * x)


@tangent(np.arcsin)
def arcsin(y, x):
    t[y] += t[x] / np.sqrt(1 - x * x)


@adjoint(np.arccos)
def arccos(y, x):
    d[x] += -d[y] / np.sqrt(1 - x * x)


@tangent(np.arccos)
def arccos(y, x):
    t[y] += -t[x] / np.sqrt(1 - x * x)


@adjoint(np.arctan)
def arctan(y, x):
    d[x] += d[y] / (1 + x * x)


@tangent(np.arctan)
def arctan(y, x):
    t[y] += t[x] / (1 + x * x)

# ---- piecewise ---------------------------------------------------------------


@adjoint(np.absolute)
def absolute(y, x):
    d[x] += d[y] * np.sign(x)


@tangent(np.absolute)
def absolute(y, x):
    t[y] += t[x] * np.sign(x)


@adjoint(np.maximum, np.minimum)
def maximum(z, x, y):
    d[x] += unbroadcast(d[z] * balanced_eq(x, z, y), x)
    d[y] += unbroadcast(d[z] * balanced_eq(y, z, x), y)


@tangent(np.maximum, np.minimum)
def maximum(z, x, y):
    t[z] += t[x] * balanced_eq(x, z, y)
    t[z] += t[y] * balanced_eq(y, z, x)


@adjoint(np.where)
def where(z, condition, x, y):
    d[x] += unbroadcast(np.where(condition, d[z], 0.0), x)
    d[y] += unbroadcast(np.where(condition, 0.0, d[z]), y)


@tangent(np.where)
def where(z, condition, x, y):
    t[z] += np.where(condition, t[x], 0.0)
    t[z] += np.where(condition, 0.0, t[y])


@adjoint(np.clip)
def clip(y, a, a_min=None, a_max=None):
    d[a] += d[y] * (y == a)


@tangent(np.clip)
def clip(y, a, a_min=None, a_max=None):
    t[y] += t[a] * (y == a)


nondifferentiable(
    np.sign, np.floor, np.ceil, np.round, np.around, np.rint, np.trunc, np.fix,
    np.isnan, np.isinf, np.isfinite, np.zeros_like, np.ones_like, np.empty_like,
    np.zeros, np.ones, np.empty, np.full, np.arange, np.eye, np.identity,
    np.shape, np.ndim, np.size, np.argmax, np.argmin, np.argsort, np.nonzero,
)
