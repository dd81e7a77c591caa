"""scipy.special: gamma and beta functions, error functions, logistic and information functions.

scipy is optional: without it this file is skipped (templates.load_builtin).
Constants are Python floats (2/sqrt(pi) = 1.1283791670955126) so float32
stays float32.  Integer orders and other arguments without a derivative
formula raise when they would need one (``no_derivative``).
"""
import numpy as np
import scipy.special as sp

from tangentish.registry import adjoint, d, real_only, t, tangent
from tangentish.runtime import cast_like, no_derivative, unbroadcast

# ---- gamma family -------------------------------------------------------------


@adjoint(sp.gammaln, sp.loggamma)
def gammaln(y, x):
    d[x] += d[y] * sp.digamma(x)


@tangent(sp.gammaln, sp.loggamma)
def gammaln(y, x):
    t[y] += t[x] * sp.digamma(x)


@adjoint(sp.digamma)
def digamma(y, x):
    """polygamma computes in float64: cast back to x's dtype."""
    d[x] += cast_like(d[y] * sp.polygamma(1, x), x)


@tangent(sp.digamma)
def digamma(y, x):
    t[y] += t[x] * sp.polygamma(1, x)


@adjoint(sp.polygamma)
def polygamma(y, n, x):
    d[x] += unbroadcast(d[y] * sp.polygamma(n + 1, x), x)
    d[n] += no_derivative("scipy.special.polygamma with respect to its order n", d[y])


@tangent(sp.polygamma)
def polygamma(y, n, x):
    t[y] += t[x] * sp.polygamma(n + 1, x)
    t[y] += no_derivative("scipy.special.polygamma with respect to its order n", t[n])


@adjoint(sp.gamma)
def gamma(y, x):
    d[x] += d[y] * y * sp.digamma(x)


@tangent(sp.gamma)
def gamma(y, x):
    t[y] += t[x] * y * sp.digamma(x)


@adjoint(sp.rgamma)
def rgamma(y, x):
    d[x] += -d[y] * y * sp.digamma(x)


@tangent(sp.rgamma)
def rgamma(y, x):
    t[y] += -t[x] * y * sp.digamma(x)


@adjoint(sp.multigammaln)
def multigammaln(y, a, dims):
    """log Gamma_d(a) = const + sum_j gammaln(a - j/2), j < d (``d`` is positional here)."""
    d[a] += cast_like(d[y] * np.sum(sp.digamma(np.expand_dims(a, -1) - 0.5 * np.arange(dims)), axis=-1), a)


@tangent(sp.multigammaln)
def multigammaln(y, a, dims):
    t[y] += t[a] * np.sum(sp.digamma(np.expand_dims(a, -1) - 0.5 * np.arange(dims)), axis=-1)


@adjoint(sp.beta)
def beta(z, a, b):
    d[a] += unbroadcast(d[z] * z * (sp.digamma(a) - sp.digamma(a + b)), a)
    d[b] += unbroadcast(d[z] * z * (sp.digamma(b) - sp.digamma(a + b)), b)


@tangent(sp.beta)
def beta(z, a, b):
    t[z] += t[a] * z * (sp.digamma(a) - sp.digamma(a + b))
    t[z] += t[b] * z * (sp.digamma(b) - sp.digamma(a + b))


@adjoint(sp.betaln)
def betaln(z, a, b):
    d[a] += unbroadcast(d[z] * (sp.digamma(a) - sp.digamma(a + b)), a)
    d[b] += unbroadcast(d[z] * (sp.digamma(b) - sp.digamma(a + b)), b)


@tangent(sp.betaln)
def betaln(z, a, b):
    t[z] += t[a] * (sp.digamma(a) - sp.digamma(a + b))
    t[z] += t[b] * (sp.digamma(b) - sp.digamma(a + b))


@adjoint(sp.gammainc)
def gammainc(y, a, x):
    """d/dx P(a, x) = x^(a-1) e^-x / Gamma(a); no closed form in a."""
    d[x] += unbroadcast(d[y] * np.exp((a - 1) * np.log(x) - x - sp.gammaln(a)), x)
    d[a] += no_derivative("scipy.special.gammainc with respect to a", d[y])


@tangent(sp.gammainc)
def gammainc(y, a, x):
    t[y] += t[x] * np.exp((a - 1) * np.log(x) - x - sp.gammaln(a))
    t[y] += no_derivative("scipy.special.gammainc with respect to a", t[a])


@adjoint(sp.gammaincc)
def gammaincc(y, a, x):
    d[x] += unbroadcast(-d[y] * np.exp((a - 1) * np.log(x) - x - sp.gammaln(a)), x)
    d[a] += no_derivative("scipy.special.gammaincc with respect to a", d[y])


@tangent(sp.gammaincc)
def gammaincc(y, a, x):
    t[y] += -t[x] * np.exp((a - 1) * np.log(x) - x - sp.gammaln(a))
    t[y] += no_derivative("scipy.special.gammaincc with respect to a", t[a])


@adjoint(sp.betainc)
def betainc(y, a, b, x):
    """d/dx I_x(a, b) = x^(a-1) (1-x)^(b-1) / B(a, b); no closed form in a, b."""
    d[x] += unbroadcast(d[y] * np.exp((a - 1) * np.log(x) + (b - 1) * np.log1p(-x) - sp.betaln(a, b)), x)
    d[a] += no_derivative("scipy.special.betainc with respect to a", d[y])
    d[b] += no_derivative("scipy.special.betainc with respect to b", d[y])


@tangent(sp.betainc)
def betainc(y, a, b, x):
    t[y] += t[x] * np.exp((a - 1) * np.log(x) + (b - 1) * np.log1p(-x) - sp.betaln(a, b))
    t[y] += no_derivative("scipy.special.betainc with respect to a", t[a])
    t[y] += no_derivative("scipy.special.betainc with respect to b", t[b])

# ---- error functions and the normal distribution function -----------------------


@adjoint(sp.erf)
def erf(y, z):
    d[z] += d[y] * 1.1283791670955126 * np.exp(-z * z)


@tangent(sp.erf)
def erf(y, z):
    t[y] += t[z] * 1.1283791670955126 * np.exp(-z * z)


@adjoint(sp.erfc)
def erfc(y, x):
    d[x] += -d[y] * 1.1283791670955126 * np.exp(-x * x)


@tangent(sp.erfc)
def erfc(y, x):
    t[y] += -t[x] * 1.1283791670955126 * np.exp(-x * x)


@adjoint(sp.erfi)
def erfi(y, z):
    d[z] += d[y] * 1.1283791670955126 * np.exp(z * z)


@tangent(sp.erfi)
def erfi(y, z):
    t[y] += t[z] * 1.1283791670955126 * np.exp(z * z)


@adjoint(sp.erfcx)
def erfcx(y, x):
    """erfcx = exp(x^2) erfc(x): derivative 2 x erfcx(x) - 2 / sqrt(pi)."""
    d[x] += d[y] * (2 * x * y - 1.1283791670955126)


@tangent(sp.erfcx)
def erfcx(y, x):
    t[y] += t[x] * (2 * x * y - 1.1283791670955126)


@adjoint(sp.erfinv)
def erfinv(y, y0):
    d[y0] += d[y] * 0.886226925452758 * np.exp(y * y)


@tangent(sp.erfinv)
def erfinv(y, y0):
    t[y] += t[y0] * 0.886226925452758 * np.exp(y * y)


@adjoint(sp.erfcinv)
def erfcinv(y, y0):
    d[y0] += -d[y] * 0.886226925452758 * np.exp(y * y)


@tangent(sp.erfcinv)
def erfcinv(y, y0):
    t[y] += -t[y0] * 0.886226925452758 * np.exp(y * y)


@adjoint(sp.dawsn)
def dawsn(y, x):
    d[x] += d[y] * (1 - 2 * x * y)


@tangent(sp.dawsn)
def dawsn(y, x):
    t[y] += t[x] * (1 - 2 * x * y)


@adjoint(sp.ndtr)
def ndtr(y, x):
    d[x] += d[y] * 0.3989422804014327 * np.exp(-0.5 * x * x)


@tangent(sp.ndtr)
def ndtr(y, x):
    t[y] += t[x] * 0.3989422804014327 * np.exp(-0.5 * x * x)


@adjoint(sp.log_ndtr)
def log_ndtr(y, x):
    d[x] += d[y] * 0.3989422804014327 * np.exp(-0.5 * x * x - y)


@tangent(sp.log_ndtr)
def log_ndtr(y, x):
    t[y] += t[x] * 0.3989422804014327 * np.exp(-0.5 * x * x - y)


@adjoint(sp.ndtri)
def ndtri(y, y0):
    d[y0] += d[y] * 2.5066282746310002 * np.exp(0.5 * y * y)


@tangent(sp.ndtri)
def ndtri(y, y0):
    t[y] += t[y0] * 2.5066282746310002 * np.exp(0.5 * y * y)

# ---- exponential integrals and friends ------------------------------------------


@adjoint(sp.exp1)
def exp1(y, z):
    d[z] += -d[y] * np.exp(-z) / z


@tangent(sp.exp1)
def exp1(y, z):
    t[y] += -t[z] * np.exp(-z) / z


@adjoint(sp.expi)
def expi(y, x):
    d[x] += d[y] * np.exp(x) / x


@tangent(sp.expi)
def expi(y, x):
    t[y] += t[x] * np.exp(x) / x


@adjoint(sp.exp10)
def exp10(y, x):
    d[x] += d[y] * y * 2.302585092994046


@tangent(sp.exp10)
def exp10(y, x):
    t[y] += t[x] * y * 2.302585092994046


@adjoint(sp.exp2)
def exp2(y, x):
    d[x] += d[y] * y * 0.6931471805599453


@tangent(sp.exp2)
def exp2(y, x):
    t[y] += t[x] * y * 0.6931471805599453


@adjoint(sp.expm1)
def expm1(y, x):
    d[x] += d[y] * (y + 1)


@tangent(sp.expm1)
def expm1(y, x):
    t[y] += t[x] * (y + 1)


@adjoint(sp.log1p)
def log1p(y, x):
    d[x] += d[y] / (1 + x)


@tangent(sp.log1p)
def log1p(y, x):
    t[y] += t[x] / (1 + x)


@adjoint(sp.wrightomega)
def wrightomega(y, z):
    d[z] += d[y] * y / (1 + y)


@tangent(sp.wrightomega)
def wrightomega(y, z):
    t[y] += t[z] * y / (1 + y)


# their derivatives call functions SciPy defines for real arguments only (polygamma)
real_only(sp.digamma, sp.psi)
