"""Reductions: sums, means, products, extremes, spreads and running totals.

``unreduce`` spreads the result's adjoint back over the reduced axes (and
zeroes what ``where=`` left out); keyword arguments the user left at their
defaults are dropped from the generated call.  A keyword a rule's signature
does not name (``initial=``, ``out=``) makes the transformer refuse the call
rather than guess.
"""
import numpy as np

from tangentish.registry import adjoint, d, linear, t, tangent
from tangentish.runtime import (
    cast_like,
    count,
    extremum_mask,
    no_derivative,
    quantile_weights,
    real_product,
    replace_zero,
    uncumsum,
    unreduce,
)


@linear(np.sum)
@adjoint(np.sum)
def sum(y, a, axis=None, dtype=None, *, keepdims=False, where=True):
    d[a] += unreduce(d[y], a, axis=axis, keepdims=keepdims, where=where)


@linear(np.mean)
@adjoint(np.mean)
def mean(y, a, axis=None, dtype=None, *, keepdims=False, where=True):
    d[a] += unreduce(d[y] / count(a, axis=axis, keepdims=keepdims, where=where), a, axis=axis,
                     keepdims=keepdims, where=where)


@adjoint(np.prod)
def prod(y, a, axis=None, dtype=None, *, keepdims=False):
    """d prod / d a_i = prod / a_i (no zero entries)."""
    d[a] += unreduce(d[y] * y, a, axis=axis, keepdims=keepdims) / a


@tangent(np.prod)
def prod(y, a, axis=None, dtype=None, *, keepdims=False):
    t[y] += np.sum(t[a] / a, axis=axis, keepdims=keepdims) * y


@adjoint(np.max, np.amax, np.min, np.amin, np.nanmax, np.nanmin)
def max(y, a, axis=None, *, keepdims=False):
    """The adjoint goes to the extreme element (split evenly between ties)."""
    d[a] += unreduce(d[y], a, axis=axis, keepdims=keepdims) * extremum_mask(a, y, axis=axis, keepdims=keepdims)


@tangent(np.max, np.amax, np.min, np.amin, np.nanmax, np.nanmin)
def max(y, a, axis=None, *, keepdims=False):
    t[y] += np.sum(t[a] * extremum_mask(a, y, axis=axis, keepdims=keepdims), axis=axis, keepdims=keepdims)


@adjoint(np.ptp)
def ptp(y, a, axis=None, *, keepdims=False):
    hi = np.max(a, axis=axis, keepdims=keepdims)
    lo = np.min(a, axis=axis, keepdims=keepdims)
    d[a] += unreduce(d[y], a, axis=axis, keepdims=keepdims) * (
        extremum_mask(a, hi, axis=axis, keepdims=keepdims) - extremum_mask(a, lo, axis=axis, keepdims=keepdims))


@tangent(np.ptp)
def ptp(y, a, axis=None, *, keepdims=False):
    hi = np.max(a, axis=axis, keepdims=keepdims)
    lo = np.min(a, axis=axis, keepdims=keepdims)
    t[y] += np.sum(t[a] * (extremum_mask(a, hi, axis=axis, keepdims=keepdims)
                           - extremum_mask(a, lo, axis=axis, keepdims=keepdims)), axis=axis, keepdims=keepdims)


@adjoint(np.var)
def var(y, a, axis=None, dtype=None, *, ddof=0, keepdims=False):
    """var = sum(|a - mean|^2) / (n - ddof), real also for complex a; the mean's own derivative sums to zero.

    Complex ``a`` gets the complex convention's gradient 2 (a - mean) / (n - ddof)
    (these rules are written for complex values: no conjugate wrapping).
    """
    d[a] += unreduce(d[y], a, axis=axis, keepdims=keepdims) * 2 * (a - np.mean(a, axis=axis, keepdims=True)) / (
        count(a, axis=axis) - ddof)


@tangent(np.var)
def var(y, a, axis=None, dtype=None, *, ddof=0, keepdims=False):
    t[y] += 2 * np.sum(real_product(t[a], a - np.mean(a, axis=axis, keepdims=True)), axis=axis,
                       keepdims=keepdims) / (count(a, axis=axis) - ddof)


@adjoint(np.std)
def std(y, a, axis=None, dtype=None, *, ddof=0, keepdims=False):
    """std = sqrt(var).  Where the spread is 0 (one element, or all equal) a - mean is 0 too: the gradient is 0."""
    d[a] += unreduce(d[y] / replace_zero(y, 1.0), a, axis=axis, keepdims=keepdims) * (
        a - np.mean(a, axis=axis, keepdims=True)) / (count(a, axis=axis) - ddof)


@tangent(np.std)
def std(y, a, axis=None, dtype=None, *, ddof=0, keepdims=False):
    t[y] += np.sum(real_product(t[a], a - np.mean(a, axis=axis, keepdims=True)), axis=axis, keepdims=keepdims) / (
        (count(a, axis=axis) - ddof) * replace_zero(y, 1.0))


@linear(np.cumsum)
@adjoint(np.cumsum)
def cumsum(y, a, axis=None, dtype=None):
    """The adjoint of a running sum is the running sum from the other end."""
    d[a] += uncumsum(d[y], a, axis=axis)


@adjoint(np.cumprod)
def cumprod(y, a, axis=None, dtype=None):
    """y_k = prod_{i<=k} a_i, so dL/da_i = sum_{k>=i} dL/dy_k y_k / a_i (no zero entries)."""
    d[a] += uncumsum(d[y] * y, a, axis=axis) / a


@tangent(np.cumprod)
def cumprod(y, a, axis=None, dtype=None):
    t[y] += y * np.cumsum(t[a] / a, axis=axis)


# ---- order statistics: the adjoint goes to the elements the statistic interpolates ----


@adjoint(np.median)
def median(y, a, axis=None, *, keepdims=False):
    d[a] += unreduce(d[y], a, axis=axis, keepdims=keepdims) * quantile_weights(a, 0.5, axis=axis)


@tangent(np.median)
def median(y, a, axis=None, *, keepdims=False):
    t[y] += np.sum(t[a] * quantile_weights(a, 0.5, axis=axis), axis=axis, keepdims=keepdims)


@adjoint(np.quantile)
def quantile(y, a, q, axis=None, *, keepdims=False):
    """The default (linear) method only; q itself is held constant."""
    d[a] += unreduce(d[y], a, axis=axis, keepdims=keepdims) * quantile_weights(a, q, axis=axis)
    d[q] += no_derivative("np.quantile with respect to q", d[y])


@tangent(np.quantile)
def quantile(y, a, q, axis=None, *, keepdims=False):
    t[y] += np.sum(t[a] * quantile_weights(a, q, axis=axis), axis=axis, keepdims=keepdims)
    t[y] += no_derivative("np.quantile with respect to q", t[q])


@adjoint(np.percentile)
def percentile(y, a, q, axis=None, *, keepdims=False):
    d[a] += unreduce(d[y], a, axis=axis, keepdims=keepdims) * quantile_weights(a, q / 100, axis=axis)
    d[q] += no_derivative("np.percentile with respect to q", d[y])


@tangent(np.percentile)
def percentile(y, a, q, axis=None, *, keepdims=False):
    t[y] += np.sum(t[a] * quantile_weights(a, q / 100, axis=axis), axis=axis, keepdims=keepdims)
    t[y] += no_derivative("np.percentile with respect to q", t[q])


# ---- NaN-ignoring reductions: NaN entries get a zero adjoint ------------------


@adjoint(np.nansum)
def nansum(y, a, axis=None, dtype=None, *, keepdims=False):
    d[a] += np.where(np.isnan(a), 0.0, unreduce(d[y], a, axis=axis, keepdims=keepdims))


@tangent(np.nansum)
def nansum(y, a, axis=None, dtype=None, *, keepdims=False):
    t[y] += np.sum(np.where(np.isnan(a), 0.0, t[a]), axis=axis, keepdims=keepdims)


@adjoint(np.nanmean)
def nanmean(y, a, axis=None, dtype=None, *, keepdims=False):
    d[a] += np.where(np.isnan(a), 0.0, unreduce(d[y] / count(a, axis=axis, keepdims=keepdims,
                                                                   where=~np.isnan(a)),
                                                a, axis=axis, keepdims=keepdims))


@tangent(np.nanmean)
def nanmean(y, a, axis=None, dtype=None, *, keepdims=False):
    t[y] += np.mean(np.where(np.isnan(a), 0.0, t[a]), axis=axis, keepdims=keepdims, where=~np.isnan(a))


@adjoint(np.nancumsum)
def nancumsum(y, a, axis=None, dtype=None):
    d[a] += np.where(np.isnan(a), 0.0, uncumsum(d[y], a, axis=axis))


@tangent(np.nancumsum)
def nancumsum(y, a, axis=None, dtype=None):
    t[y] += np.cumsum(np.where(np.isnan(a), 0.0, t[a]), axis=axis)


@adjoint(np.bincount)   # a sum of weights per bin: counts alone (no weights) carry no derivative
def bincount(y, x, weights=None, minlength=0):
    d[weights] += cast_like(d[y][x], weights)


@tangent(np.bincount)
def bincount_tangent(y, x, weights=None, minlength=0):
    t[y] += np.bincount(x, weights=t[weights], minlength=len(y))
