"""Binary and unary arithmetic: the operators ``+ - * / ** @`` and their NumPy names.

Every binary rule unbroadcasts: an operand broadcast up to the result's shape
gets its adjoint summed back down to its own shape.  Forgetting that is the
most common silent bug in this field.
"""
import operator

import numpy as np

from tangentish.registry import adjoint, d, nondifferentiable, t, tangent
from tangentish.runtime import dot_da, dot_db, matmul_da, matmul_db, power_exponent, replace_zero, unbroadcast


@adjoint(np.add, operator.add)
def add(z, x, y):
    d[x] += unbroadcast(d[z], x)
    d[y] += unbroadcast(d[z], y)


@tangent(np.add, operator.add)
def add(z, x, y):
    t[z] += t[x]
    t[z] += t[y]


@adjoint(np.subtract, operator.sub)
def subtract(z, x, y):
    d[x] += unbroadcast(d[z], x)
    d[y] += -unbroadcast(d[z], y)     # negate after summing: cheaper when y was broadcast


@tangent(np.subtract, operator.sub)
def subtract(z, x, y):
    t[z] += t[x]
    t[z] += -t[y]


@adjoint(np.multiply, operator.mul)
def multiply(z, x, y):
    d[x] += unbroadcast(d[z] * y, x)
    d[y] += unbroadcast(d[z] * x, y)


@tangent(np.multiply, operator.mul)
def multiply(z, x, y):
    t[z] += t[x] * y
    t[z] += x * t[y]


@adjoint(np.true_divide, operator.truediv)
def divide(z, x, y):
    d[x] += unbroadcast(d[z] / y, x)
    d[y] += -unbroadcast(d[z] * z, y) / y     # y is constant along the summed axes


@tangent(np.true_divide, operator.truediv)
def divide(z, x, y):
    t[z] += t[x] / y
    t[z] += -t[y] * z / y


@adjoint(np.power, operator.pow)
def power(z, x, y):
    d[x] += unbroadcast(d[z] * y * x ** power_exponent(y), x)
    d[y] += unbroadcast(d[z] * z * np.log(replace_zero(x, 1.0)), y)


@tangent(np.power, operator.pow)
def power(z, x, y):
    t[z] += t[x] * y * x ** power_exponent(y)
    t[z] += t[y] * z * np.log(replace_zero(x, 1.0))


@adjoint(np.negative, operator.neg)
def negative(y, x):
    d[x] += -d[y]


@tangent(np.negative, operator.neg)
def negative(y, x):
    t[y] += -t[x]


@adjoint(np.positive, operator.pos)
def positive(y, x):
    d[x] += d[y]


@tangent(np.positive, operator.pos)
def positive(y, x):
    t[y] += t[x]


@adjoint(np.matmul, operator.matmul)
def matmul(z, a, b):
    d[a] += matmul_da(d[z], a, b)
    d[b] += matmul_db(d[z], a, b)


@tangent(np.matmul, operator.matmul)
def matmul(z, a, b):
    t[z] += t[a] @ b
    t[z] += a @ t[b]


@adjoint(np.dot)
def dot(z, a, b):
    """Like matmul while b has at most 2 axes; an N-D b pairs every slice of a with every stack of b."""
    d[a] += dot_da(d[z], a, b)
    d[b] += dot_db(d[z], a, b)


@tangent(np.dot)
def dot(z, a, b):
    t[z] += np.dot(t[a], b)
    t[z] += np.dot(a, t[b])


nondifferentiable(
    operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
    operator.not_, operator.and_, operator.or_, operator.invert,
    np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
    operator.floordiv, np.floor_divide,
)
