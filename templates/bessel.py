"""scipy.special Bessel functions, derivatives from the recurrences.

I'_v = (I_{v-1} + I_{v+1}) / 2, J'_v = (J_{v-1} - J_{v+1}) / 2 (Y the same),
K'_v = -(K_{v-1} + K_{v+1}) / 2; the exponentially scaled ones (``ive``,
``kve``, ``i0e``...) add the derivative of their scale factor.  Orders are
constants: differentiating with respect to one raises.
"""
import numpy as np
import scipy.special as sp

from tangentish.registry import adjoint, d, t, tangent
from tangentish.runtime import no_derivative, unbroadcast


@adjoint(sp.i0)
def i0(y, x):
    d[x] += d[y] * sp.i1(x)


@tangent(sp.i0)
def i0(y, x):
    t[y] += t[x] * sp.i1(x)


@adjoint(sp.i1)
def i1(y, x):
    d[x] += d[y] * 0.5 * (sp.i0(x) + sp.iv(2, x))


@tangent(sp.i1)
def i1(y, x):
    t[y] += t[x] * 0.5 * (sp.i0(x) + sp.iv(2, x))


@adjoint(sp.i0e)
def i0e(y, x):
    d[x] += d[y] * (sp.i1e(x) - np.sign(x) * y)


@tangent(sp.i0e)
def i0e(y, x):
    t[y] += t[x] * (sp.i1e(x) - np.sign(x) * y)


@adjoint(sp.i1e)
def i1e(y, x):
    d[x] += d[y] * (0.5 * (sp.i0e(x) + sp.ive(2, x)) - np.sign(x) * y)


@tangent(sp.i1e)
def i1e(y, x):
    t[y] += t[x] * (0.5 * (sp.i0e(x) + sp.ive(2, x)) - np.sign(x) * y)


@adjoint(sp.iv)
def iv(y, v, z):
    d[z] += unbroadcast(d[y] * 0.5 * (sp.iv(v - 1, z) + sp.iv(v + 1, z)), z)
    d[v] += no_derivative("scipy.special.iv with respect to its order", d[y])


@tangent(sp.iv)
def iv(y, v, z):
    t[y] += t[z] * 0.5 * (sp.iv(v - 1, z) + sp.iv(v + 1, z))
    t[y] += no_derivative("scipy.special.iv with respect to its order", t[v])


@adjoint(sp.ive)
def ive(y, v, z):
    d[z] += unbroadcast(d[y] * (0.5 * (sp.ive(v - 1, z) + sp.ive(v + 1, z)) - np.sign(z) * y), z)
    d[v] += no_derivative("scipy.special.ive with respect to its order", d[y])


@tangent(sp.ive)
def ive(y, v, z):
    t[y] += t[z] * (0.5 * (sp.ive(v - 1, z) + sp.ive(v + 1, z)) - np.sign(z) * y)
    t[y] += no_derivative("scipy.special.ive with respect to its order", t[v])


@adjoint(sp.jv)
def jv(y, v, z):
    d[z] += unbroadcast(d[y] * 0.5 * (sp.jv(v - 1, z) - sp.jv(v + 1, z)), z)
    d[v] += no_derivative("scipy.special.jv with respect to its order", d[y])


@tangent(sp.jv)
def jv(y, v, z):
    t[y] += t[z] * 0.5 * (sp.jv(v - 1, z) - sp.jv(v + 1, z))
    t[y] += no_derivative("scipy.special.jv with respect to its order", t[v])


@adjoint(sp.yv, sp.yn)
def yv(y, v, z):
    d[z] += unbroadcast(d[y] * 0.5 * (sp.yv(v - 1, z) - sp.yv(v + 1, z)), z)
    d[v] += no_derivative("scipy.special.yv with respect to its order", d[y])


@tangent(sp.yv, sp.yn)
def yv(y, v, z):
    t[y] += t[z] * 0.5 * (sp.yv(v - 1, z) - sp.yv(v + 1, z))
    t[y] += no_derivative("scipy.special.yv with respect to its order", t[v])


@adjoint(sp.kv)
def kv(y, v, z):
    d[z] += unbroadcast(-d[y] * 0.5 * (sp.kv(v - 1, z) + sp.kv(v + 1, z)), z)
    d[v] += no_derivative("scipy.special.kv with respect to its order", d[y])


@tangent(sp.kv)
def kv(y, v, z):
    t[y] += -t[z] * 0.5 * (sp.kv(v - 1, z) + sp.kv(v + 1, z))
    t[y] += no_derivative("scipy.special.kv with respect to its order", t[v])


@adjoint(sp.kve)
def kve(y, v, z):
    d[z] += unbroadcast(d[y] * (y - 0.5 * (sp.kve(v - 1, z) + sp.kve(v + 1, z))), z)
    d[v] += no_derivative("scipy.special.kve with respect to its order", d[y])


@tangent(sp.kve)
def kve(y, v, z):
    t[y] += t[z] * (y - 0.5 * (sp.kve(v - 1, z) + sp.kve(v + 1, z)))
    t[y] += no_derivative("scipy.special.kve with respect to its order", t[v])


@adjoint(sp.j0)
def j0(y, x):
    d[x] += -d[y] * sp.j1(x)


@tangent(sp.j0)
def j0(y, x):
    t[y] += -t[x] * sp.j1(x)


@adjoint(sp.j1)
def j1(y, x):
    d[x] += d[y] * 0.5 * (sp.j0(x) - sp.jv(2, x))


@tangent(sp.j1)
def j1(y, x):
    t[y] += t[x] * 0.5 * (sp.j0(x) - sp.jv(2, x))


@adjoint(sp.y0)
def y0(y, x):
    d[x] += -d[y] * sp.y1(x)


@tangent(sp.y0)
def y0(y, x):
    t[y] += -t[x] * sp.y1(x)


@adjoint(sp.y1)
def y1(y, x):
    d[x] += d[y] * 0.5 * (sp.y0(x) - sp.yv(2, x))


@tangent(sp.y1)
def y1(y, x):
    t[y] += t[x] * 0.5 * (sp.y0(x) - sp.yv(2, x))


@adjoint(sp.k0)
def k0(y, x):
    d[x] += -d[y] * sp.k1(x)


@tangent(sp.k0)
def k0(y, x):
    t[y] += -t[x] * sp.k1(x)


@adjoint(sp.k1)
def k1(y, x):
    d[x] += -d[y] * 0.5 * (sp.k0(x) + sp.kv(2, x))


@tangent(sp.k1)
def k1(y, x):
    t[y] += -t[x] * 0.5 * (sp.k0(x) + sp.kv(2, x))


@adjoint(sp.k0e)
def k0e(y, x):
    d[x] += d[y] * (y - sp.k1e(x))


@tangent(sp.k0e)
def k0e(y, x):
    t[y] += t[x] * (y - sp.k1e(x))


@adjoint(sp.k1e)
def k1e(y, x):
    d[x] += d[y] * (y - 0.5 * (sp.k0e(x) + sp.kve(2, x)))


@tangent(sp.k1e)
def k1e(y, x):
    t[y] += t[x] * (y - 0.5 * (sp.k0e(x) + sp.kve(2, x)))
