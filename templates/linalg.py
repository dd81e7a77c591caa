"""numpy.linalg: inverses, determinants, solvers, factorizations and norms.

Real matrices (or stacks of them, in the last two axes).  Rules for
symmetric inputs (``cholesky eigh eigvalsh``) return the symmetric gradient
(sym(G) = (G + G^T) / 2): the functions read one triangle only, and the
symmetric gradient is the one that is right along every symmetric direction.
A factorization returning several arrays gets the adjoint of each (zeros for
outputs the code never used).  Long adjoints live in runtime_linalg.py.
"""
import numpy as np

from tangentish.registry import adjoint, d, t, tangent
from tangentish.runtime import (
    gap_inverse,
    lstsq_jvp,
    matmul_da,
    matrix_power_vjp,
    mT,
    norm_direction,
    qr_jvp,
    qr_vjp,
    real_product,
    solution_only,
    svd_jvp,
    svd_vjp,
    sym,
    tril_half,
    tuple_of,
    unbroadcast,
    unreduce,
)


@adjoint(np.linalg.inv)
def inv(y, a):
    d[a] += -mT(y) @ d[y] @ mT(y)


@tangent(np.linalg.inv)
def inv(y, a):
    t[y] += -y @ t[a] @ y


@adjoint(np.linalg.det)
def det(y, a):
    """d det(A) = det(A) tr(A^-1 dA), so the adjoint is det(A) A^-T."""
    d[a] += np.expand_dims(d[y] * y, (-2, -1)) * mT(np.linalg.inv(a))


@tangent(np.linalg.det)
def det(y, a):
    t[y] += y * np.trace(np.linalg.solve(a, t[a]), 0, -2, -1)


@adjoint(np.linalg.slogdet)
def slogdet(y, a):
    """Only log|det| moves; the sign is piecewise constant."""
    d[a] += np.expand_dims(d[y][1], (-2, -1)) * mT(np.linalg.inv(a))


@tangent(np.linalg.slogdet)
def slogdet(y, a):
    t[y] += tuple_of([np.zeros_like(y[0]), np.trace(np.linalg.solve(a, t[a]), 0, -2, -1)])


@adjoint(np.linalg.solve)
def solve(y, a, b):
    """x = A^-1 b: db = A^-T dx, dA = -db x^T."""
    gb = np.linalg.solve(mT(a), d[y])
    d[b] += unbroadcast(gb, b)
    d[a] += unbroadcast(-matmul_da(gb, a, y), a)


@tangent(np.linalg.solve)
def solve(y, a, b):
    t[y] += np.linalg.solve(a, t[b])
    t[y] += -np.linalg.solve(a, t[a] @ y)


@adjoint(np.linalg.cholesky)
def cholesky(y, a):
    """A = L L^T: dA = sym(L^-T Phi(L^T dL) L^-1), Phi = lower triangle with half the diagonal."""
    linv = np.linalg.inv(y)
    d[a] += sym(mT(linv) @ tril_half(mT(y) @ d[y]) @ linv)


@tangent(np.linalg.cholesky)
def cholesky(y, a):
    linv = np.linalg.inv(y)
    t[y] += y @ tril_half(linv @ t[a] @ mT(linv))


@adjoint(np.linalg.eigh)
def eigh(y, a, UPLO="L"):
    """A = V diag(w) V^T: dA = V (diag(dw) + F o (V^T dV)) V^T, F[i, j] = 1 / (w_j - w_i)."""
    v = y[1]
    d[a] += sym((v * np.expand_dims(d[y][0], -2)) @ mT(v) + v @ (gap_inverse(y[0]) * (mT(v) @ d[y][1])) @ mT(v))


@tangent(np.linalg.eigh)
def eigh(y, a, UPLO="L"):
    v = y[1]
    m = mT(v) @ t[a] @ v
    t[y] += tuple_of([np.diagonal(m, 0, -2, -1), v @ (gap_inverse(y[0]) * m)])


@adjoint(np.linalg.eigvalsh)
def eigvalsh(y, a, UPLO="L"):
    v = np.linalg.eigh(a, UPLO=UPLO)[1]
    d[a] += (v * np.expand_dims(d[y], -2)) @ mT(v)


@tangent(np.linalg.eigvalsh)
def eigvalsh(y, a, UPLO="L"):
    v = np.linalg.eigh(a, UPLO=UPLO)[1]
    t[y] += np.diagonal(mT(v) @ t[a] @ v, 0, -2, -1)


@adjoint(np.linalg.svd)
def svd(y, a, full_matrices=True, compute_uv=True):
    d[a] += svd_vjp(d[y], y, a, full_matrices=full_matrices, compute_uv=compute_uv)


@tangent(np.linalg.svd)
def svd(y, a, full_matrices=True, compute_uv=True):
    t[y] += svd_jvp(t[a], y, a, full_matrices=full_matrices, compute_uv=compute_uv)


@adjoint(np.linalg.svdvals)
def svdvals(y, x):
    d[x] += svd_vjp(d[y], y, x, full_matrices=False, compute_uv=False)


@tangent(np.linalg.svdvals)
def svdvals(y, x):
    t[y] += svd_jvp(t[x], y, x, full_matrices=False, compute_uv=False)


@adjoint(np.linalg.qr)
def qr(y, a, mode="reduced"):
    d[a] += qr_vjp(d[y], y, a, mode=mode)


@tangent(np.linalg.qr)
def qr(y, a, mode="reduced"):
    t[y] += qr_jvp(t[a], y, a, mode=mode)


@adjoint(np.linalg.norm)
def norm(y, x, ord=None, axis=None, keepdims=False):
    d[x] += unreduce(d[y], x, axis=axis, keepdims=keepdims) * norm_direction(x, y, ord=ord, axis=axis, keepdims=keepdims)


@tangent(np.linalg.norm)
def norm(y, x, ord=None, axis=None, keepdims=False):
    t[y] += np.sum(real_product(t[x], norm_direction(x, y, ord=ord, axis=axis, keepdims=keepdims)), axis=axis, keepdims=keepdims)


@adjoint(np.linalg.vector_norm)
def vector_norm(y, x, axis=None, keepdims=False, ord=2):
    d[x] += unreduce(d[y], x, axis=axis, keepdims=keepdims) * norm_direction(x, y, ord=ord, axis=axis, keepdims=keepdims, vector=True)


@tangent(np.linalg.vector_norm)
def vector_norm(y, x, axis=None, keepdims=False, ord=2):
    t[y] += np.sum(real_product(t[x], norm_direction(x, y, ord=ord, axis=axis, keepdims=keepdims, vector=True)), axis=axis, keepdims=keepdims)


@adjoint(np.linalg.matrix_norm)
def matrix_norm(y, x, keepdims=False, ord="fro"):
    d[x] += unreduce(d[y], x, (-2, -1), keepdims) * norm_direction(x, y, ord=ord, axis=(-2, -1), keepdims=keepdims)


@tangent(np.linalg.matrix_norm)
def matrix_norm(y, x, keepdims=False, ord="fro"):
    t[y] += np.sum(real_product(t[x], norm_direction(x, y, ord=ord, axis=(-2, -1), keepdims=keepdims)), axis=(-2, -1), keepdims=keepdims)


@adjoint(np.linalg.pinv)
def pinv(y, a):
    """Full-rank A, P = pinv(A): dA = -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A)."""
    g = d[y]
    d[a] += (-mT(y) @ g @ mT(y) + (mT(g) - a @ (y @ mT(g))) @ y @ mT(y)
             + mT(y) @ y @ (mT(g) - (mT(g) @ y) @ a))


@tangent(np.linalg.pinv)
def pinv(y, a):
    t[y] += (-y @ t[a] @ y + y @ mT(y) @ (mT(t[a]) - mT(t[a]) @ a @ y)
             + (mT(t[a]) - y @ a @ mT(t[a])) @ mT(y) @ y)


@adjoint(np.linalg.matrix_power)
def matrix_power(y, a, n):
    d[a] += matrix_power_vjp(d[y], a, n)


@tangent(np.linalg.matrix_power)
def matrix_power(y, a, n):
    """d(A^n) = sum over k of A^k dA A^(n-1-k): the adjoint's formula with A^T for A."""
    t[y] += matrix_power_vjp(t[a], mT(a), n)


@adjoint(np.linalg.lstsq)
def lstsq(y, a, b, rcond=None):
    """Full column rank, x = pinv(A) b, r = b - A x: db = P^T dx, dA = -P^T dx x^T + r (C dx)^T, C = (A^T A)^-1."""
    gx = solution_only(d[y], "np.linalg.lstsq")
    p = np.linalg.pinv(a)
    d[b] += mT(p) @ gx
    d[a] += -matmul_da(mT(p) @ gx, a, y[0]) + matmul_da(b - a @ y[0], a, np.linalg.solve(mT(a) @ a, gx))


@tangent(np.linalg.lstsq)
def lstsq(y, a, b, rcond=None):
    t[y] += lstsq_jvp(t[a], 0.0, y, a, b)
    t[y] += lstsq_jvp(0.0, t[b], y, a, b)
