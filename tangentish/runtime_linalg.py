"""Runtime helpers for the linear-algebra rules (re-exported by ``tangentish.runtime``).

Matrix factorizations have adjoints too long for a template line; each
helper here computes one of them, with the formula in its docstring.  All
assume real matrices and, where stated, full rank and distinct singular or
eigen values (the derivative does not exist otherwise).  Their own
derivatives (second order) are not implemented: their rules raise.
"""
import numpy as np

from .runtime import mT, no_derivative, tuple_of
from .runtime_complex import phase

__all__ = ["sym", "tril_half", "svd_vjp", "svd_jvp", "qr_vjp", "qr_jvp", "matrix_power_vjp", "solution_only",
           "norm_direction", "euclidean_only", "gap_inverse", "lstsq_jvp", "lower_factor", "keep_triangle",
           "expm_frechet", "block_of", "in_block"]


def sym(x):
    """The symmetric part ``(x + x^T) / 2`` of (a stack of) square matrices."""
    return 0.5 * (x + mT(x))


def tril_half(x):
    """Lower triangle of ``x`` with its diagonal halved: the Phi of the Cholesky derivative."""
    return np.tril(x, -1) + 0.5 * x * np.eye(np.shape(x)[-1], dtype=np.result_type(x, 0.0))


def gap_inverse(w):
    """F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it (and where w[i] == w[j])."""
    gap = np.expand_dims(w, -2) - np.expand_dims(w, -1)
    return np.where(gap == 0, 0.0, 1.0 / np.where(gap == 0, 1.0, gap))


def _svd_parts(y, a, full_matrices, compute_uv):
    m, n = np.shape(a)[-2:]
    if full_matrices and compute_uv and m != n:
        no_derivative("np.linalg.svd with full_matrices=True of a non-square matrix "
                      "(pass full_matrices=False)")
    if compute_uv:
        return y[0], y[1], mT(y[2])
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return u, s, mT(vh)


def svd_vjp(g, y, a, full_matrices=True, compute_uv=True):
    """Adjoint of ``a`` for ``u, s, vh = svd(a)`` (reduced), given adjoints ``g`` of the outputs.

    With F[i, j] = 1 / (s_j^2 - s_i^2), J = F o (U^T dU), K = F o (V^T dV):
    dA = U [diag(ds) + (J + J^T) S + S (K + K^T)] V^T + (I - U U^T) dU S^-1 V^T
    + U S^-1 dV^T (I - V V^T)  (Townsend 2016).
    """
    u, s, v = _svd_parts(y, a, full_matrices, compute_uv)
    if not compute_uv:
        return (u * np.expand_dims(g, -2)) @ mT(v)
    gu, gs, gv = g[0], g[1], mT(g[2])
    f = gap_inverse(s * s)
    j = f * (mT(u) @ gu)
    k = f * (mT(v) @ gv)
    inner = ((j + mT(j)) * np.expand_dims(s, -2) + np.expand_dims(s, -1) * (k + mT(k))
             + np.expand_dims(gs, -1) * np.eye(s.shape[-1], dtype=s.dtype))
    out = u @ inner @ mT(v)
    out = out + ((gu - u @ (mT(u) @ gu)) / np.expand_dims(s, -2)) @ mT(v)
    out = out + u @ ((mT(gv) - (mT(gv) @ v) @ mT(v)) / np.expand_dims(s, -1))
    return out


def svd_jvp(ta, y, a, full_matrices=True, compute_uv=True):
    """Tangents of ``svd(a)`` along ``ta``: with P = U^T dA V, ds = diag(P),
    dU = U (F o (P S + S P^T)) + (I - U U^T) dA V S^-1, and dV likewise with P^T."""
    u, s, v = _svd_parts(y, a, full_matrices, compute_uv)
    p = mT(u) @ ta @ v
    ds = np.diagonal(p, 0, -2, -1)
    if not compute_uv:
        return ds
    f = gap_inverse(s * s)
    ps = p * np.expand_dims(s, -2)
    sp = np.expand_dims(s, -1) * p
    du = u @ (f * (ps + mT(ps))) + (ta @ v - u @ (mT(u) @ ta @ v)) / np.expand_dims(s, -2)
    dv = v @ (f * (sp + mT(sp))) + (mT(ta) @ u - v @ (mT(v) @ mT(ta) @ u)) / np.expand_dims(s, -2)
    return tuple_of([du, ds, mT(dv)])


def qr_vjp(g, y, a, mode="reduced"):
    """Adjoint of ``a`` for ``q, r = qr(a)`` (reduced, rows >= columns, full rank).

    With M = dR R^T - Q^T dQ and N = triu(M) + tril(M^T, -1):
    dA = (dQ + Q N) R^-T.
    """
    _check_qr(a, mode)
    q, r = y[0], y[1]
    gq, gr = g[0], g[1]
    m = gr @ mT(r) - mT(q) @ gq
    n = np.triu(m) + np.tril(mT(m), -1)
    return mT(np.linalg.solve(r, mT(gq + q @ n)))


def qr_jvp(ta, y, a, mode="reduced"):
    """Tangents of ``qr(a)``: X = Q^T dA R^-1, W = tril(X, -1) - tril(X, -1)^T,
    dR = (X - W) R, dQ = dA R^-1 - Q (X - W)."""
    _check_qr(a, mode)
    q, r = y[0], y[1]
    ta_rinv = mT(np.linalg.solve(mT(r), mT(ta)))
    x = mT(q) @ ta_rinv
    low = np.tril(x, -1)
    xw = x - (low - mT(low))
    return tuple_of([ta_rinv - q @ xw, xw @ r])


def _check_qr(a, mode):
    m, n = np.shape(a)[-2:]
    thin = mode in ("reduced", "economic") or (mode in ("complete", "full") and m == n)
    if not thin or m < n:
        no_derivative(f"qr with mode={mode!r} of a {m}x{n} matrix "
                      "(only the reduced factorization, rows >= columns)")


def matrix_power_vjp(g, a, n):
    """Adjoint of ``a`` for ``a^n``: sum over k of (A^T)^k G (A^T)^(n-1-k); n < 0 goes through inv."""
    if n == 0:
        return np.zeros_like(a) * g
    if n < 0:
        inv = np.linalg.inv(a)
        gi = matrix_power_vjp(g, inv, -n)
        return -mT(inv) @ gi @ mT(inv)
    powers = [None] * n
    powers[0] = np.broadcast_to(np.eye(np.shape(a)[-1], dtype=np.result_type(a, 0.0)), np.shape(a))
    for k in range(1, n):
        powers[k] = powers[k - 1] @ a
    return sum(mT(powers[k]) @ g @ mT(powers[n - 1 - k]) for k in range(n))


def solution_only(g, what):
    """``g[0]``, the adjoint of a solver's solution; the other outputs must have zero adjoints."""
    for extra in g[1:]:
        if np.any(extra):
            no_derivative(f"the extra outputs of {what} (residuals, rank, singular values)")
    return g[0]


def lstsq_jvp(ta, tb, y, a, b):
    """Tangents of ``x, res, rank, s = lstsq(a, b)`` (full column rank): with r = b - A x,
    dx = P (db - dA x) + (A^T A)^-1 dA^T r, dres = 2 sum(r * (db - dA x - A dx)), ds from svd."""
    x, res = y[0], y[1]
    r = b - a @ x
    still = np.ndim(ta) == 0          # only b moves
    moved = tb - (0.0 if still else ta @ x)
    dx = np.linalg.pinv(a) @ moved + (0.0 if still else np.linalg.solve(mT(a) @ a, mT(ta) @ r))
    dres = 2 * np.sum(r * (moved - a @ dx), axis=0) if np.size(res) else np.zeros_like(res)
    ds = svd_jvp(ta, None, a, False, False) if np.ndim(ta) else np.zeros_like(y[3])
    return tuple_of([dx, dres, 0, ds])


def _matrix_axes(x, ord, axis, vector):
    if vector:
        return None
    if axis is None:
        return (-2, -1) if np.ndim(x) == 2 else None
    return tuple(axis) if np.ndim(axis) == 1 and len(axis) == 2 else None


def euclidean_only(x, ord=None, axis=None, vector=False):
    """1.0 when the norm is Euclidean or Frobenius; raise otherwise (second order)."""
    matrix = _matrix_axes(x, ord, axis, vector)
    if ord is None or ord == "fro" or (ord == 2 and matrix is None):
        return 1.0
    no_derivative(f"second derivatives of the ord={ord!r} norm")


def norm_direction(x, y, ord=None, axis=None, keepdims=False, vector=False):
    """d norm(x) / dx, shaped like ``x`` (``y`` is the norm); ``vector`` for ``vector_norm``.

    Complex ``x`` gets the gradient of the complex convention (``phase`` for sign), so a
    tangent is Re(conj(direction) * tx).
    Vectors: |x|_p has gradient sign(x) |x|^(p-1) / |x|_p^(p-1), the limits at
    p = +-inf put weight on the extreme entries.  Matrices: Frobenius x / y,
    nuclear U V^T, 2-norm u1 v1^T (largest singular pair), -2 the smallest,
    1/-1 the extreme column sum's signs, inf/-inf the extreme row sum's.
    """
    matrix = _matrix_axes(x, ord, axis, vector)
    reduced = matrix if matrix is not None else axis
    yk = y if keepdims or reduced is None else np.expand_dims(y, reduced)
    if matrix is None:
        if ord is None or ord == 2:
            return x / np.where(yk == 0, 1.0, yk)
        if ord == 0:
            return np.zeros_like(x)
        if ord in (np.inf, -np.inf):
            hit = (np.abs(x) == yk).astype(np.result_type(x, 0.0))
            return phase(x) * hit / np.sum(hit, axis=reduced, keepdims=True)
        return phase(x) * (np.abs(x) / yk) ** (ord - 1)
    if ord is None or ord == "fro":
        return x / np.where(yk == 0, 1.0, yk)
    xm = np.moveaxis(x, matrix, (-2, -1))
    if ord in ("nuc", 2, -2):
        u, s, vh = np.linalg.svd(xm, full_matrices=False)
        if ord == "nuc":
            out = u @ vh
        else:
            k = 0 if ord == 2 else -1
            out = np.expand_dims(u[..., :, k], -1) * np.expand_dims(vh[..., k, :], -2)
        return np.moveaxis(out, (-2, -1), matrix)
    if ord in (1, -1, np.inf, -np.inf):
        along = -2 if ord in (1, -1) else -1    # column sums for 1, row sums for inf
        sums = np.sum(np.abs(xm), axis=along, keepdims=True)
        best = np.max(sums, axis=-1 if along == -2 else -2, keepdims=True) if ord > 0 else \
            np.min(sums, axis=-1 if along == -2 else -2, keepdims=True)
        hit = (sums == best).astype(np.result_type(x, 0.0))
        hit = hit / np.sum(hit, axis=(-2, -1), keepdims=True)
        return np.moveaxis(phase(xm) * hit, (-2, -1), matrix)
    no_derivative(f"np.linalg.norm with ord={ord!r}")



def lower_factor(x, lower=False):
    """``x`` if ``lower`` else ``x^T``: scipy's Cholesky factor as the lower one (its own transpose)."""
    return x if lower else mT(x)


def keep_triangle(x, lower=False):
    """The triangle of ``x`` a triangular solve reads: lower, or upper (the default)."""
    return np.tril(x) if lower else np.triu(x)


def expm_frechet(a, e):
    """The derivative of the matrix exponential at ``a`` along ``e`` (scipy.linalg.expm_frechet)."""
    import scipy.linalg
    return scipy.linalg.expm_frechet(a, e, compute_expm=False)


def _blocks(arrays):
    """(row, column) offsets and (rows, columns) of each block of ``scipy.linalg.block_diag(*arrays)``."""
    shapes = [np.shape(np.atleast_2d(a)) if np.ndim(a) < 2 else np.shape(a) for a in arrays]
    rows = np.cumsum([0] + [s[0] for s in shapes])
    cols = np.cumsum([0] + [s[1] for s in shapes])
    return shapes, rows, cols


def block_of(g, k, a, b=None, c=None, e=None, f=None, h=None):
    """Adjoint of block ``k`` of ``block_diag(a, b, ...)``: that block of ``g``, shaped like the array."""
    arrays = [v for v in (a, b, c, e, f, h) if v is not None]
    shapes, rows, cols = _blocks(arrays)
    part = g[rows[k]:rows[k + 1], cols[k]:cols[k + 1]]
    return np.reshape(part, np.shape(arrays[k]))


def in_block(tk, k, a, b=None, c=None, e=None, f=None, h=None):
    """Tangent of ``block_diag(a, b, ...)`` along its ``k``-th array: ``tk`` in its block, zeros elsewhere."""
    arrays = [v for v in (a, b, c, e, f, h) if v is not None]
    shapes, rows, cols = _blocks(arrays)
    out = np.zeros((rows[-1], cols[-1]), dtype=np.result_type(tk, *arrays))
    out[rows[k]:rows[k + 1], cols[k]:cols[k + 1]] = np.reshape(tk, shapes[k])
    return out
