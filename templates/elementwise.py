"""Elementwise functions of one or two arrays.

Rules reuse the result where it is cheaper (``exp``, ``tanh``, ``sqrt``), as a
person differentiating by hand would.
"""
import numpy as np

from tangentish.registry import adjoint, d, nondifferentiable, t, tangent
from tangentish.runtime import balanced_eq, cast_like, phase, power_exponent, replace_zero, unbroadcast

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

@adjoint(np.exp2)
def exp2(y, x):
    d[x] += d[y] * y * 0.6931471805599453


@tangent(np.exp2)
def exp2(y, x):
    t[y] += t[x] * y * 0.6931471805599453


@adjoint(np.log2)
def log2(y, x):
    d[x] += d[y] / (x * 0.6931471805599453)


@tangent(np.log2)
def log2(y, x):
    t[y] += t[x] / (x * 0.6931471805599453)


@adjoint(np.log10)
def log10(y, x):
    d[x] += d[y] / (x * 2.302585092994046)


@tangent(np.log10)
def log10(y, x):
    t[y] += t[x] / (x * 2.302585092994046)


@adjoint(np.logaddexp2)
def logaddexp2(z, x, y):
    d[x] += unbroadcast(d[z] * np.exp2(x - z), x)
    d[y] += unbroadcast(d[z] * np.exp2(y - z), y)


@tangent(np.logaddexp2)
def logaddexp2(z, x, y):
    t[z] += t[x] * np.exp2(x - z)
    t[z] += t[y] * np.exp2(y - z)


@adjoint(np.cbrt)
def cbrt(y, x):
    d[x] += d[y] / (3 * y * y)


@tangent(np.cbrt)
def cbrt(y, x):
    t[y] += t[x] / (3 * y * y)


@adjoint(np.float_power)
def float_power(z, x, y):
    d[x] += cast_like(unbroadcast(d[z] * y * np.float_power(x, power_exponent(y)), x), x)
    d[y] += cast_like(unbroadcast(d[z] * z * np.log(replace_zero(x, 1.0)), y), y)


@tangent(np.float_power)
def float_power(z, x, y):
    t[z] += t[x] * y * np.float_power(x, power_exponent(y))
    t[z] += t[y] * z * np.log(replace_zero(x, 1.0))


# ---- piecewise ---------------------------------------------------------------


@adjoint(np.absolute, np.fabs)
def absolute(y, x):
    d[x] += d[y] * phase(x)


@tangent(np.absolute, np.fabs)
def absolute(y, x):
    """d|x| = Re(conj(sign x) dx): sign(x) = x / |x| also for complex x."""
    t[y] += np.real(t[x] * np.conj(phase(x)))


@adjoint(np.copysign)
def copysign(z, x1, x2):
    d[x1] += unbroadcast(d[z] * np.sign(x1) * np.sign(z), x1)


@tangent(np.copysign)
def copysign(z, x1, x2):
    t[z] += t[x1] * np.sign(x1) * np.sign(z)


@adjoint(np.mod, np.remainder)
def mod(z, x1, x2):
    """x1 mod x2 = x1 - floor(x1 / x2) * x2, with the floor piecewise constant."""
    d[x1] += unbroadcast(d[z], x1)
    d[x2] += unbroadcast(-d[z] * np.floor_divide(x1, x2), x2)


@tangent(np.mod, np.remainder)
def mod(z, x1, x2):
    t[z] += t[x1]
    t[z] += -t[x2] * np.floor_divide(x1, x2)


@adjoint(np.fmod)
def fmod(z, x1, x2):
    """fmod(x1, x2) = x1 - trunc(x1 / x2) * x2."""
    d[x1] += unbroadcast(d[z], x1)
    d[x2] += unbroadcast(-d[z] * np.trunc(x1 / x2), x2)


@tangent(np.fmod)
def fmod(z, x1, x2):
    t[z] += t[x1]
    t[z] += -t[x2] * np.trunc(x1 / x2)


@adjoint(np.maximum, np.minimum, np.fmax, np.fmin)
def maximum(z, x, y):
    d[x] += unbroadcast(d[z] * balanced_eq(x, z, y), x)
    d[y] += unbroadcast(d[z] * balanced_eq(y, z, x), y)


@tangent(np.maximum, np.minimum, np.fmax, np.fmin)
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
    """The adjoint goes to whichever of a, a_min, a_max the result is."""
    d[a] += unbroadcast(d[y] * (y == a), a)
    d[a_min] += unbroadcast(d[y] * (a < a_min), a_min)
    d[a_max] += unbroadcast(d[y] * (a > a_max), a_max)


@tangent(np.clip)
def clip(y, a, a_min=None, a_max=None):
    t[y] += t[a] * (y == a)
    t[y] += t[a_min] * (a < a_min)
    t[y] += t[a_max] * (a > a_max)


@adjoint(np.arange)   # arange(start, stop[, step]): y = start + i * step (one argument is stop: nondiff)
def arange(y, start, stop, step=1, dtype=None):
    d[start] += np.sum(d[y])
    d[step] += np.sum(d[y] * np.arange(np.size(y)))


@tangent(np.arange)
def arange(y, start, stop, step=1, dtype=None):
    t[y] += t[start] * np.ones(np.shape(y))
    t[y] += t[step] * np.arange(np.size(y))


nondifferentiable(
    np.sign, np.floor, np.ceil, np.round, np.around, np.rint, np.trunc, np.fix,
    np.isnan, np.isinf, np.isfinite, np.zeros_like, np.ones_like, np.empty_like,
    np.zeros, np.ones, np.empty, np.eye, np.identity,
    np.shape, np.ndim, np.size, np.argmax, np.argmin, np.argsort, np.nonzero,
    np.heaviside, np.signbit, np.isclose, np.allclose, np.array_equal, np.isreal, np.iscomplex,
    np.zeros_like, np.ones_like, np.tri, np.isneginf, np.indices,
    np.isposinf, np.searchsorted, np.digitize, 
    np.count_nonzero, np.flatnonzero, np.argwhere, np.argpartition, np.lexsort, np.floor_divide,
    np.any, np.all, np.result_type, np.iscomplexobj, np.isrealobj, np.ceil, np.spacing,
)
