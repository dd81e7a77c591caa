"""Finite-difference references for the forward/higher-order tests (independent of tangentish)."""
import numpy as np


def fd_jacobian(f, x, eps=1e-6):
    """Central-difference Jacobian of ``f`` at ``x``, shaped ``f(x).shape + x.shape``."""
    if np.iscomplexobj(x):
        raise TypeError("fd_jacobian: complex input is not supported (a real central difference)")
    x = np.asarray(x, float)
    y0 = np.asarray(f(x))
    J = np.zeros(y0.shape + x.shape)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        J[(Ellipsis,) + idx] = (np.asarray(f(xp)) - np.asarray(f(xm))) / (2 * eps)
    return J


def fd_directional(f, x, v, eps=1e-6):
    """``(f(x + eps v) - f(x - eps v)) / 2 eps``."""
    if np.iscomplexobj(x) or np.iscomplexobj(v):
        raise TypeError("fd_directional: complex input is not supported (a real central difference)")
    return (np.asarray(f(x + eps * v)) - np.asarray(f(x - eps * v))) / (2 * eps)
