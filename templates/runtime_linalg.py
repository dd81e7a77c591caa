"""Rules for the linear-algebra runtime helpers (grad of grad through numpy.linalg rules).

The adjoint helpers are linear in the incoming adjoint, and each is the
transpose of the matching tangent helper (``svd_vjp`` and ``svd_jvp``), so
those directions are exact.  Derivatives with respect to the matrix itself
(third-order quantities of a factorization) raise with a clear message.
"""
import numpy as np

from tangentish.registry import adjoint, d, linear, nondifferentiable, real_only, t, tangent
from tangentish.runtime import (
    euclidean_only,
    expm_frechet,
    gap_inverse,
    keep_triangle,
    lower_factor,
    lstsq_jvp,
    matrix_power_vjp,
    mT,
    no_derivative,
    norm_direction,
    qr_jvp,
    qr_vjp,
    solution_only,
    svd_jvp,
    svd_vjp,
    unindex,
    unreduce,
)


@adjoint(gap_inverse)
def gap_inverse_rule(f, w):
    """F = 1 / (w_j - w_i): dF = -F^2 (dw_j - dw_i)."""
    h = -f * f * d[f]
    d[w] += np.sum(h, axis=-2) - np.sum(h, axis=-1)


@tangent(gap_inverse)
def gap_inverse_rule(f, w):
    t[f] += -f * f * (np.expand_dims(t[w], -2) - np.expand_dims(t[w], -1))


@adjoint(svd_vjp)
def svd_vjp_rule(r, g, y, a, full_matrices=True, compute_uv=True):
    d[g] += svd_jvp(d[r], y, a, full_matrices, compute_uv)
    d[y] += no_derivative("third derivatives of np.linalg.svd", d[r])
    d[a] += no_derivative("third derivatives of np.linalg.svd", d[r])


@tangent(svd_vjp)
def svd_vjp_rule(r, g, y, a, full_matrices=True, compute_uv=True):
    t[r] += svd_vjp(t[g], y, a, full_matrices, compute_uv)
    t[r] += no_derivative("third derivatives of np.linalg.svd", t[y])
    t[r] += no_derivative("third derivatives of np.linalg.svd", t[a])


@adjoint(svd_jvp)
def svd_jvp_rule(r, ta, y, a, full_matrices=True, compute_uv=True):
    d[ta] += svd_vjp(d[r], y, a, full_matrices, compute_uv)
    d[y] += no_derivative("second derivatives of np.linalg.svd", d[r])
    d[a] += no_derivative("second derivatives of np.linalg.svd", d[r])


@tangent(svd_jvp)
def svd_jvp_rule(r, ta, y, a, full_matrices=True, compute_uv=True):
    t[r] += svd_jvp(t[ta], y, a, full_matrices, compute_uv)
    t[r] += no_derivative("second derivatives of np.linalg.svd", t[y])
    t[r] += no_derivative("second derivatives of np.linalg.svd", t[a])


@adjoint(qr_vjp)
def qr_vjp_rule(r, g, y, a, mode="reduced"):
    d[g] += qr_jvp(d[r], y, a, mode)
    d[y] += no_derivative("second derivatives of np.linalg.qr", d[r])
    d[a] += no_derivative("second derivatives of np.linalg.qr", d[r])


@tangent(qr_vjp)
def qr_vjp_rule(r, g, y, a, mode="reduced"):
    t[r] += qr_vjp(t[g], y, a, mode)
    t[r] += no_derivative("second derivatives of np.linalg.qr", t[y])
    t[r] += no_derivative("second derivatives of np.linalg.qr", t[a])


@adjoint(qr_jvp)
def qr_jvp_rule(r, ta, y, a, mode="reduced"):
    d[ta] += qr_vjp(d[r], y, a, mode)
    d[y] += no_derivative("second derivatives of np.linalg.qr", d[r])
    d[a] += no_derivative("second derivatives of np.linalg.qr", d[r])


@tangent(qr_jvp)
def qr_jvp_rule(r, ta, y, a, mode="reduced"):
    t[r] += qr_jvp(t[ta], y, a, mode)
    t[r] += no_derivative("second derivatives of np.linalg.qr", t[y])
    t[r] += no_derivative("second derivatives of np.linalg.qr", t[a])


@adjoint(matrix_power_vjp)
def matrix_power_vjp_rule(r, g, a, n):
    d[g] += matrix_power_vjp(d[r], mT(a), n)
    d[a] += no_derivative("second derivatives of np.linalg.matrix_power", d[r])


@tangent(matrix_power_vjp)
def matrix_power_vjp_rule(r, g, a, n):
    t[r] += matrix_power_vjp(t[g], a, n)
    t[r] += no_derivative("second derivatives of np.linalg.matrix_power", t[a])


@adjoint(lstsq_jvp)
def lstsq_jvp_rule(r, ta, tb, y, a, b):
    d[ta] += no_derivative("the adjoint of lstsq's tangent", d[r])
    d[tb] += no_derivative("the adjoint of lstsq's tangent", d[r])


@tangent(lstsq_jvp)
def lstsq_jvp_rule(r, ta, tb, y, a, b):
    t[r] += no_derivative("second derivatives of np.linalg.lstsq", t[ta])
    t[r] += no_derivative("second derivatives of np.linalg.lstsq", t[tb])


@linear(solution_only)
@adjoint(solution_only)
def solution_only_rule(r, g, what):
    d[g] += unindex(d[r], g, 0)


@adjoint(norm_direction)
def norm_direction_rule(r, x, y, ord=None, axis=None, keepdims=False, vector=False):
    """Euclidean and Frobenius norms: the direction x / y; other orders raise."""
    d[x] += d[r] / unreduce(y, x, axis=axis, keepdims=keepdims) * euclidean_only(x, ord, axis, vector)
    d[y] += -np.sum(d[r] * x, axis=axis, keepdims=keepdims) / (y * y) * euclidean_only(x, ord, axis, vector)


@tangent(norm_direction)
def norm_direction_rule(r, x, y, ord=None, axis=None, keepdims=False, vector=False):
    t[r] += t[x] / unreduce(y, x, axis=axis, keepdims=keepdims) * euclidean_only(x, ord, axis, vector)
    t[r] += -x * unreduce(t[y] / (y * y), x, axis=axis, keepdims=keepdims) * euclidean_only(x, ord, axis, vector)


@linear(lower_factor)
@adjoint(lower_factor)
def lower_factor_rule(y, x, lower=False):
    d[x] += lower_factor(d[y], lower)


@linear(keep_triangle)
@adjoint(keep_triangle)
def keep_triangle_rule(y, x, lower=False):
    d[x] += keep_triangle(d[y], lower)


@adjoint(expm_frechet)
def expm_frechet_rule(r, a, e):
    d[e] += expm_frechet(mT(a), d[r])
    d[a] += no_derivative("second derivatives of scipy.linalg.expm", d[r])


@tangent(expm_frechet)
def expm_frechet_rule(r, a, e):
    t[r] += expm_frechet(a, t[e])
    t[r] += no_derivative("second derivatives of scipy.linalg.expm", t[a])


nondifferentiable(euclidean_only)


# the helpers of real-only rules are real-only too (complex values would take the conjugate convention)
real_only(svd_vjp, svd_jvp, qr_vjp, qr_jvp, gap_inverse)
