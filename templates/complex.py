"""Complex parts: ``real imag conjugate angle``.

Convention (the one autograd uses): for a real loss L of a complex z = a + ib,
the adjoint is dL/da + i dL/db, the direction of steepest ascent in the
plane.  A holomorphic f then has adjoint ``d[z] = d[y] * conj(f'(z))``, and a
complex linear map F has adjoint ``F^H``.  A real input fed into a complex
computation gets the real part of its complex adjoint (``real_like``).
"""
import numpy as np

from tangentish.registry import adjoint, d, linear, t, tangent
from tangentish.runtime import real_like


@linear(np.real)
@adjoint(np.real)
def real(y, val):
    d[val] += d[y]


@linear(np.imag)
@adjoint(np.imag)
def imag(y, val):
    d[val] += real_like(1j * d[y], val)


@linear(np.conjugate)
@adjoint(np.conjugate)
def conjugate(y, x):
    d[x] += np.conj(d[y])


@adjoint(np.angle)
def angle(y, z):
    """angle(a + ib) = atan2(b, a): its gradient (-b, a) / |z|^2 is i z / |z|^2."""
    d[z] += real_like(d[y] * 1j * z / (np.abs(z) ** 2), z)


@tangent(np.angle)
def angle(y, z):
    t[y] += np.imag(np.conj(z) * t[z]) / (np.abs(z) ** 2)
