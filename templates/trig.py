"""Trigonometric and hyperbolic functions, their inverses, and angle conversions.

Derivatives are the textbook ones; where the result is cheaper to reuse than
the input (``tan``, ``tanh``) the rule uses the result.
"""
import numpy as np

from tangentish.registry import adjoint, d, linear, t, tangent
from tangentish.runtime import replace_zero, unbroadcast


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


@adjoint(np.arcsinh)
def arcsinh(y, x):
    d[x] += d[y] / np.sqrt(x * x + 1)


@tangent(np.arcsinh)
def arcsinh(y, x):
    t[y] += t[x] / np.sqrt(x * x + 1)


@adjoint(np.arccosh)
def arccosh(y, x):
    d[x] += d[y] / np.sqrt(x * x - 1)


@tangent(np.arccosh)
def arccosh(y, x):
    t[y] += t[x] / np.sqrt(x * x - 1)


@adjoint(np.arctanh)
def arctanh(y, x):
    d[x] += d[y] / (1 - x * x)


@tangent(np.arctanh)
def arctanh(y, x):
    t[y] += t[x] / (1 - x * x)


@adjoint(np.arctan2)
def arctan2(z, x1, x2):
    d[x1] += unbroadcast(d[z] * x2 / (x1 * x1 + x2 * x2), x1)
    d[x2] += unbroadcast(-d[z] * x1 / (x1 * x1 + x2 * x2), x2)


@tangent(np.arctan2)
def arctan2(z, x1, x2):
    t[z] += t[x1] * x2 / (x1 * x1 + x2 * x2)
    t[z] += -t[x2] * x1 / (x1 * x1 + x2 * x2)


@adjoint(np.hypot)
def hypot(z, x1, x2):
    d[x1] += unbroadcast(d[z] * x1 / z, x1)
    d[x2] += unbroadcast(d[z] * x2 / z, x2)


@tangent(np.hypot)
def hypot(z, x1, x2):
    t[z] += t[x1] * x1 / z
    t[z] += t[x2] * x2 / z


@adjoint(np.sinc)
def sinc(y, x):
    """d/dx sin(pi x)/(pi x) = (cos(pi x) - sinc(x)) / x, and 0 at x = 0."""
    d[x] += d[y] * np.where(x == 0, 0.0, (np.cos(np.pi * x) - y) / replace_zero(x, 1.0))


@tangent(np.sinc)
def sinc(y, x):
    t[y] += t[x] * np.where(x == 0, 0.0, (np.cos(np.pi * x) - y) / replace_zero(x, 1.0))


@linear(np.deg2rad, np.radians)
@adjoint(np.deg2rad, np.radians)
def deg2rad(y, x):
    d[x] += d[y] * 0.017453292519943295


@linear(np.rad2deg, np.degrees)
@adjoint(np.rad2deg, np.degrees)
def rad2deg(y, x):
    d[x] += d[y] * 57.29577951308232
