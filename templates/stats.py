"""scipy.stats distributions: log-densities, densities and distribution functions.

Each rule writes z = (x - loc) / scale and the textbook partial derivatives
in x, loc and scale (and in shape parameters where a closed form exists; a
distribution function's derivative in a shape parameter raises).  Keywords
a rule does not name (``allow_singular=``) make the call refuse to
transform rather than guess.  scipy is optional: without it this file is
skipped.
"""
import numpy as np
import scipy.special as sp
import scipy.stats as st

from tangentish.registry import adjoint, d, t, tangent
from tangentish.runtime import no_derivative, unbroadcast

# ---- normal: d/dz log pdf = -z ----------------------------------------------------


@adjoint(st.norm.logpdf)
def norm_logpdf(y, x, loc=0, scale=1):
    z = (x - loc) / scale
    d[x] += unbroadcast(-d[y] * z / scale, x)
    d[loc] += unbroadcast(d[y] * z / scale, loc)
    d[scale] += unbroadcast(d[y] * (z * z - 1) / scale, scale)


@tangent(st.norm.logpdf)
def norm_logpdf(y, x, loc=0, scale=1):
    z = (x - loc) / scale
    t[y] += -t[x] * z / scale
    t[y] += t[loc] * z / scale
    t[y] += t[scale] * (z * z - 1) / scale


@adjoint(st.norm.pdf)
def norm_pdf(y, x, loc=0, scale=1):
    z = (x - loc) / scale
    d[x] += unbroadcast(-d[y] * y * z / scale, x)
    d[loc] += unbroadcast(d[y] * y * z / scale, loc)
    d[scale] += unbroadcast(d[y] * y * (z * z - 1) / scale, scale)


@tangent(st.norm.pdf)
def norm_pdf(y, x, loc=0, scale=1):
    z = (x - loc) / scale
    t[y] += -t[x] * y * z / scale
    t[y] += t[loc] * y * z / scale
    t[y] += t[scale] * y * (z * z - 1) / scale


@adjoint(st.norm.cdf)
def norm_cdf(y, x, loc=0, scale=1):
    """d cdf / dx = pdf (which carries the 1 / scale)."""
    p = st.norm.pdf(x, loc, scale)
    d[x] += unbroadcast(d[y] * p, x)
    d[loc] += unbroadcast(-d[y] * p, loc)
    d[scale] += unbroadcast(-d[y] * p * (x - loc) / scale, scale)


@tangent(st.norm.cdf)
def norm_cdf(y, x, loc=0, scale=1):
    p = st.norm.pdf(x, loc, scale)
    t[y] += t[x] * p
    t[y] += -t[loc] * p
    t[y] += -t[scale] * p * (x - loc) / scale


@adjoint(st.norm.sf)
def norm_sf(y, x, loc=0, scale=1):
    p = st.norm.pdf(x, loc, scale)
    d[x] += unbroadcast(-d[y] * p, x)
    d[loc] += unbroadcast(d[y] * p, loc)
    d[scale] += unbroadcast(d[y] * p * (x - loc) / scale, scale)


@tangent(st.norm.sf)
def norm_sf(y, x, loc=0, scale=1):
    p = st.norm.pdf(x, loc, scale)
    t[y] += -t[x] * p
    t[y] += t[loc] * p
    t[y] += t[scale] * p * (x - loc) / scale


@adjoint(st.norm.logcdf)
def norm_logcdf(y, x, loc=0, scale=1):
    """d log cdf = pdf / cdf = exp(logpdf - logcdf): stable far in the tail."""
    q = np.exp(st.norm.logpdf(x, loc, scale) - y)
    d[x] += unbroadcast(d[y] * q, x)
    d[loc] += unbroadcast(-d[y] * q, loc)
    d[scale] += unbroadcast(-d[y] * q * (x - loc) / scale, scale)


@tangent(st.norm.logcdf)
def norm_logcdf(y, x, loc=0, scale=1):
    q = np.exp(st.norm.logpdf(x, loc, scale) - y)
    t[y] += t[x] * q
    t[y] += -t[loc] * q
    t[y] += -t[scale] * q * (x - loc) / scale


@adjoint(st.norm.logsf)
def norm_logsf(y, x, loc=0, scale=1):
    q = np.exp(st.norm.logpdf(x, loc, scale) - y)
    d[x] += unbroadcast(-d[y] * q, x)
    d[loc] += unbroadcast(d[y] * q, loc)
    d[scale] += unbroadcast(d[y] * q * (x - loc) / scale, scale)


@tangent(st.norm.logsf)
def norm_logsf(y, x, loc=0, scale=1):
    q = np.exp(st.norm.logpdf(x, loc, scale) - y)
    t[y] += -t[x] * q
    t[y] += t[loc] * q
    t[y] += t[scale] * q * (x - loc) / scale


@adjoint(st.norm.ppf)
def norm_ppf(y, q, loc=0, scale=1):
    """x = loc + scale * ndtri(q): dx/dq = 1 / pdf(x)."""
    d[q] += unbroadcast(d[y] / st.norm.pdf(y, loc, scale), q)
    d[loc] += unbroadcast(d[y], loc)
    d[scale] += unbroadcast(d[y] * (y - loc) / scale, scale)


@tangent(st.norm.ppf)
def norm_ppf(y, q, loc=0, scale=1):
    t[y] += t[q] / st.norm.pdf(y, loc, scale)
    t[y] += t[loc]
    t[y] += t[scale] * (y - loc) / scale

# ---- Student t --------------------------------------------------------------------


@adjoint(st.t.logpdf)
def t_logpdf(y, x, df, loc=0, scale=1):
    z = (x - loc) / scale
    w = df + z * z
    d[x] += unbroadcast(-d[y] * (df + 1) * z / (scale * w), x)
    d[loc] += unbroadcast(d[y] * (df + 1) * z / (scale * w), loc)
    d[scale] += unbroadcast(d[y] * ((df + 1) * z * z / w - 1) / scale, scale)
    d[df] += unbroadcast(d[y] * 0.5 * (sp.digamma((df + 1) / 2) - sp.digamma(df / 2) - 1 / df
                                       - np.log1p(z * z / df) + (df + 1) * z * z / (df * w)), df)


@tangent(st.t.logpdf)
def t_logpdf(y, x, df, loc=0, scale=1):
    z = (x - loc) / scale
    w = df + z * z
    t[y] += -t[x] * (df + 1) * z / (scale * w)
    t[y] += t[loc] * (df + 1) * z / (scale * w)
    t[y] += t[scale] * ((df + 1) * z * z / w - 1) / scale
    t[y] += t[df] * 0.5 * (sp.digamma((df + 1) / 2) - sp.digamma(df / 2) - 1 / df
                           - np.log1p(z * z / df) + (df + 1) * z * z / (df * w))


@adjoint(st.t.pdf)
def t_pdf(y, x, df, loc=0, scale=1):
    z = (x - loc) / scale
    w = df + z * z
    d[x] += unbroadcast(-d[y] * y * (df + 1) * z / (scale * w), x)
    d[loc] += unbroadcast(d[y] * y * (df + 1) * z / (scale * w), loc)
    d[scale] += unbroadcast(d[y] * y * ((df + 1) * z * z / w - 1) / scale, scale)
    d[df] += unbroadcast(d[y] * y * 0.5 * (sp.digamma((df + 1) / 2) - sp.digamma(df / 2) - 1 / df
                                           - np.log1p(z * z / df) + (df + 1) * z * z / (df * w)), df)


@tangent(st.t.pdf)
def t_pdf(y, x, df, loc=0, scale=1):
    z = (x - loc) / scale
    w = df + z * z
    t[y] += -t[x] * y * (df + 1) * z / (scale * w)
    t[y] += t[loc] * y * (df + 1) * z / (scale * w)
    t[y] += t[scale] * y * ((df + 1) * z * z / w - 1) / scale
    t[y] += t[df] * y * 0.5 * (sp.digamma((df + 1) / 2) - sp.digamma(df / 2) - 1 / df
                               - np.log1p(z * z / df) + (df + 1) * z * z / (df * w))


@adjoint(st.t.cdf)
def t_cdf(y, x, df, loc=0, scale=1):
    p = st.t.pdf(x, df, loc, scale)
    d[x] += unbroadcast(d[y] * p, x)
    d[loc] += unbroadcast(-d[y] * p, loc)
    d[scale] += unbroadcast(-d[y] * p * (x - loc) / scale, scale)
    d[df] += no_derivative("scipy.stats.t.cdf with respect to df", d[y])


@tangent(st.t.cdf)
def t_cdf(y, x, df, loc=0, scale=1):
    p = st.t.pdf(x, df, loc, scale)
    t[y] += t[x] * p
    t[y] += -t[loc] * p
    t[y] += -t[scale] * p * (x - loc) / scale
    t[y] += no_derivative("scipy.stats.t.cdf with respect to df", t[df])

# ---- exponential, Laplace, Cauchy, logistic: log-densities in z -----------------


@adjoint(st.expon.logpdf)
def expon_logpdf(y, x, loc=0, scale=1):
    d[x] += unbroadcast(-d[y] / scale, x)
    d[loc] += unbroadcast(d[y] / scale, loc)
    d[scale] += unbroadcast(d[y] * ((x - loc) / scale - 1) / scale, scale)


@tangent(st.expon.logpdf)
def expon_logpdf(y, x, loc=0, scale=1):
    t[y] += -t[x] / scale
    t[y] += t[loc] / scale
    t[y] += t[scale] * ((x - loc) / scale - 1) / scale


@adjoint(st.laplace.logpdf)
def laplace_logpdf(y, x, loc=0, scale=1):
    z = (x - loc) / scale
    d[x] += unbroadcast(-d[y] * np.sign(z) / scale, x)
    d[loc] += unbroadcast(d[y] * np.sign(z) / scale, loc)
    d[scale] += unbroadcast(d[y] * (np.abs(z) - 1) / scale, scale)


@tangent(st.laplace.logpdf)
def laplace_logpdf(y, x, loc=0, scale=1):
    z = (x - loc) / scale
    t[y] += -t[x] * np.sign(z) / scale
    t[y] += t[loc] * np.sign(z) / scale
    t[y] += t[scale] * (np.abs(z) - 1) / scale


@adjoint(st.cauchy.logpdf)
def cauchy_logpdf(y, x, loc=0, scale=1):
    z = (x - loc) / scale
    d[x] += unbroadcast(-d[y] * 2 * z / (scale * (1 + z * z)), x)
    d[loc] += unbroadcast(d[y] * 2 * z / (scale * (1 + z * z)), loc)
    d[scale] += unbroadcast(d[y] * (z * z - 1) / (scale * (1 + z * z)), scale)


@tangent(st.cauchy.logpdf)
def cauchy_logpdf(y, x, loc=0, scale=1):
    z = (x - loc) / scale
    t[y] += -t[x] * 2 * z / (scale * (1 + z * z))
    t[y] += t[loc] * 2 * z / (scale * (1 + z * z))
    t[y] += t[scale] * (z * z - 1) / (scale * (1 + z * z))


@adjoint(st.logistic.logpdf)
def logistic_logpdf(y, x, loc=0, scale=1):
    """d/dz log pdf = -tanh(z / 2)."""
    z = (x - loc) / scale
    d[x] += unbroadcast(-d[y] * np.tanh(0.5 * z) / scale, x)
    d[loc] += unbroadcast(d[y] * np.tanh(0.5 * z) / scale, loc)
    d[scale] += unbroadcast(d[y] * (z * np.tanh(0.5 * z) - 1) / scale, scale)


@tangent(st.logistic.logpdf)
def logistic_logpdf(y, x, loc=0, scale=1):
    z = (x - loc) / scale
    t[y] += -t[x] * np.tanh(0.5 * z) / scale
    t[y] += t[loc] * np.tanh(0.5 * z) / scale
    t[y] += t[scale] * (z * np.tanh(0.5 * z) - 1) / scale
