"""scipy.stats families with shape parameters: Poisson, gamma, beta, Dirichlet, multivariate normal.

Conventions as in stats.py; ``cov``'s gradient is symmetric.  scipy is optional.
"""
import numpy as np
import scipy.special as sp
import scipy.stats as st

from tangentish.registry import adjoint, d, t, tangent
from tangentish.runtime import mT, no_derivative, unbroadcast

# ---- Poisson, gamma, beta, Dirichlet ------------------------------------------


@adjoint(st.poisson.logpmf)
def poisson_logpmf(y, k, mu):
    d[mu] += unbroadcast(d[y] * (k / mu - 1), mu)
    d[k] += no_derivative("scipy.stats.poisson.logpmf with respect to the count k", d[y])


@tangent(st.poisson.logpmf)
def poisson_logpmf(y, k, mu):
    t[y] += t[mu] * (k / mu - 1)
    t[y] += no_derivative("scipy.stats.poisson.logpmf with respect to the count k", t[k])


@adjoint(st.poisson.pmf)
def poisson_pmf(y, k, mu):
    d[mu] += unbroadcast(d[y] * y * (k / mu - 1), mu)
    d[k] += no_derivative("scipy.stats.poisson.pmf with respect to the count k", d[y])


@tangent(st.poisson.pmf)
def poisson_pmf(y, k, mu):
    t[y] += t[mu] * y * (k / mu - 1)
    t[y] += no_derivative("scipy.stats.poisson.pmf with respect to the count k", t[k])


@adjoint(st.gamma.logpdf)
def gamma_logpdf(y, x, a, loc=0, scale=1):
    z = (x - loc) / scale
    d[x] += unbroadcast(d[y] * ((a - 1) / z - 1) / scale, x)
    d[a] += unbroadcast(d[y] * (np.log(z) - sp.digamma(a)), a)
    d[loc] += unbroadcast(-d[y] * ((a - 1) / z - 1) / scale, loc)
    d[scale] += unbroadcast(d[y] * (z - a) / scale, scale)


@tangent(st.gamma.logpdf)
def gamma_logpdf(y, x, a, loc=0, scale=1):
    z = (x - loc) / scale
    t[y] += t[x] * ((a - 1) / z - 1) / scale
    t[y] += t[a] * (np.log(z) - sp.digamma(a))
    t[y] += -t[loc] * ((a - 1) / z - 1) / scale
    t[y] += t[scale] * (z - a) / scale


@adjoint(st.gamma.pdf)
def gamma_pdf(y, x, a, loc=0, scale=1):
    z = (x - loc) / scale
    d[x] += unbroadcast(d[y] * y * ((a - 1) / z - 1) / scale, x)
    d[a] += unbroadcast(d[y] * y * (np.log(z) - sp.digamma(a)), a)
    d[loc] += unbroadcast(-d[y] * y * ((a - 1) / z - 1) / scale, loc)
    d[scale] += unbroadcast(d[y] * y * (z - a) / scale, scale)


@tangent(st.gamma.pdf)
def gamma_pdf(y, x, a, loc=0, scale=1):
    z = (x - loc) / scale
    t[y] += t[x] * y * ((a - 1) / z - 1) / scale
    t[y] += t[a] * y * (np.log(z) - sp.digamma(a))
    t[y] += -t[loc] * y * ((a - 1) / z - 1) / scale
    t[y] += t[scale] * y * (z - a) / scale


@adjoint(st.beta.logpdf)
def beta_logpdf(y, x, a, b):
    d[x] += unbroadcast(d[y] * ((a - 1) / x - (b - 1) / (1 - x)), x)
    d[a] += unbroadcast(d[y] * (np.log(x) - sp.digamma(a) + sp.digamma(a + b)), a)
    d[b] += unbroadcast(d[y] * (np.log1p(-x) - sp.digamma(b) + sp.digamma(a + b)), b)


@tangent(st.beta.logpdf)
def beta_logpdf(y, x, a, b):
    t[y] += t[x] * ((a - 1) / x - (b - 1) / (1 - x))
    t[y] += t[a] * (np.log(x) - sp.digamma(a) + sp.digamma(a + b))
    t[y] += t[b] * (np.log1p(-x) - sp.digamma(b) + sp.digamma(a + b))


@adjoint(st.beta.pdf)
def beta_pdf(y, x, a, b):
    d[x] += unbroadcast(d[y] * y * ((a - 1) / x - (b - 1) / (1 - x)), x)
    d[a] += unbroadcast(d[y] * y * (np.log(x) - sp.digamma(a) + sp.digamma(a + b)), a)
    d[b] += unbroadcast(d[y] * y * (np.log1p(-x) - sp.digamma(b) + sp.digamma(a + b)), b)


@tangent(st.beta.pdf)
def beta_pdf(y, x, a, b):
    t[y] += t[x] * y * ((a - 1) / x - (b - 1) / (1 - x))
    t[y] += t[a] * y * (np.log(x) - sp.digamma(a) + sp.digamma(a + b))
    t[y] += t[b] * y * (np.log1p(-x) - sp.digamma(b) + sp.digamma(a + b))


@adjoint(st.dirichlet.logpdf)
def dirichlet_logpdf(y, x, alpha):
    """x holds one point per column (shape (k,) or (k, n)); alpha has shape (k,)."""
    column = np.reshape(alpha, np.shape(alpha) + (1,) * (np.ndim(x) - 1))
    d[x] += d[y] * (column - 1) / x
    d[alpha] += np.sum(d[y] * (np.log(x) - sp.digamma(column) + sp.digamma(np.sum(alpha))),
                       axis=tuple(range(1, np.ndim(x))))


@tangent(st.dirichlet.logpdf)
def dirichlet_logpdf(y, x, alpha):
    column = np.reshape(alpha, np.shape(alpha) + (1,) * (np.ndim(x) - 1))
    t[y] += np.sum(t[x] * (column - 1) / x, axis=0)
    t[y] += np.sum(np.reshape(t[alpha], np.shape(column)) * (np.log(x) - sp.digamma(column)
                                                            + sp.digamma(np.sum(alpha))), axis=0)


@adjoint(st.dirichlet.pdf)
def dirichlet_pdf(y, x, alpha):
    column = np.reshape(alpha, np.shape(alpha) + (1,) * (np.ndim(x) - 1))
    d[x] += d[y] * y * (column - 1) / x
    d[alpha] += np.sum(d[y] * y * (np.log(x) - sp.digamma(column) + sp.digamma(np.sum(alpha))),
                       axis=tuple(range(1, np.ndim(x))))


@tangent(st.dirichlet.pdf)
def dirichlet_pdf(y, x, alpha):
    column = np.reshape(alpha, np.shape(alpha) + (1,) * (np.ndim(x) - 1))
    t[y] += y * np.sum(t[x] * (column - 1) / x, axis=0)
    t[y] += y * np.sum(np.reshape(t[alpha], np.shape(column)) * (np.log(x) - sp.digamma(column)
                                                                + sp.digamma(np.sum(alpha))), axis=0)

# ---- multivariate normal ---------------------------------------------------------


@adjoint(st.multivariate_normal.logpdf)
def mvn_logpdf(y, x, mean, cov):
    """s = cov^-1 (x - mean) per point: dx = -s, dmean = s, dcov = (s s^T - cov^-1) / 2 (symmetric)."""
    prec = np.linalg.inv(cov)
    s = (x - mean) @ prec
    g = np.expand_dims(d[y], -1)
    d[x] += unbroadcast(-g * s, x)
    d[mean] += unbroadcast(g * s, mean)
    d[cov] += 0.5 * (mT(np.atleast_2d(g * s)) @ np.atleast_2d(s) - np.sum(d[y]) * prec)


@tangent(st.multivariate_normal.logpdf)
def mvn_logpdf(y, x, mean, cov):
    prec = np.linalg.inv(cov)
    s = (x - mean) @ prec
    t[y] += -np.sum(t[x] * s, axis=-1)
    t[y] += np.sum(t[mean] * s, axis=-1)
    t[y] += 0.5 * (np.sum((s @ t[cov]) * s, axis=-1) - np.trace(prec @ t[cov]))


@adjoint(st.multivariate_normal.pdf)
def mvn_pdf(y, x, mean, cov):
    prec = np.linalg.inv(cov)
    s = (x - mean) @ prec
    g = np.expand_dims(d[y] * y, -1)
    d[x] += unbroadcast(-g * s, x)
    d[mean] += unbroadcast(g * s, mean)
    d[cov] += 0.5 * (mT(np.atleast_2d(g * s)) @ np.atleast_2d(s) - np.sum(d[y] * y) * prec)


@tangent(st.multivariate_normal.pdf)
def mvn_pdf(y, x, mean, cov):
    prec = np.linalg.inv(cov)
    s = (x - mean) @ prec
    t[y] += -y * np.sum(t[x] * s, axis=-1)
    t[y] += y * np.sum(t[mean] * s, axis=-1)
    t[y] += 0.5 * y * (np.sum((s @ t[cov]) * s, axis=-1) - np.trace(prec @ t[cov]))
