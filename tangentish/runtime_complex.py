"""Runtime helpers for complex values and ``np.unstack`` (re-exported by ``tangentish.runtime``).

``phase(x) = x / |x|`` is the derivative of ``|x|``; for complex ``x`` it is a
smooth function whose own derivative second-order code needs.
"""
import numpy as np

from .runtime import no_derivative

__all__ = ["unstack", "phase", "phase_project", "real_only", "real_product"]


def unstack(x, axis=0):
    """The slices of ``x`` along ``axis``, as a tuple (``np.unstack``, also on NumPy < 2.1)."""
    return tuple(np.moveaxis(np.asarray(x), axis, 0))


def phase(x):
    """``x / |x|`` (0 at 0): ``np.sign`` for real ``x``, the unit phase for complex ``x``."""
    if not np.iscomplexobj(x):
        return np.sign(x)
    r = np.abs(x)
    return np.where(r == 0, 0, x / np.where(r == 0, 1, r))


def real_product(p, q):
    """``Re(p * conj(q))``: the tangent ``p`` of a real function whose gradient is ``q`` (``p * q`` for real values).

    With the complex convention (dL/da + i dL/db), dL = Re(conj(grad) dx).
    """
    if np.iscomplexobj(p) or np.iscomplexobj(q):
        return np.real(p * np.conj(q))
    return p * q


def phase_project(g, u, x):
    """Adjoint and tangent of ``u = phase(x)``: zero for real ``x``, (g - u Re(conj(u) g)) / |x| for complex.

    The map is self-adjoint (a projection scaled by 1/|x|), so one helper serves both modes.
    """
    if not np.iscomplexobj(x) and not np.iscomplexobj(g):
        return np.zeros_like(g) if hasattr(g, "shape") else 0.0 * g
    r = np.abs(x)
    return np.where(r == 0, 0, (g - u * np.real(np.conj(u) * g)) / np.where(r == 0, 1, r))


def real_only(g, x):
    """Zero for real ``x``; for complex ``x`` this derivative (third order through |x|) is not known."""
    if np.iscomplexobj(x):
        no_derivative("phase(x) = x / |x| beyond second order for complex x", g)
    return np.zeros_like(g) if hasattr(g, "shape") else 0.0 * g
