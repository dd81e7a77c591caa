"""scipy.linalg: triangular and Sylvester solves, square root and exponential, and the
factorizations numpy.linalg also has (with scipy's defaults: ``cholesky`` is upper,
``qr`` is full).  See linalg.py for the conventions.  scipy is optional.
"""
import numpy as np
import scipy.linalg as sla

from tangentish.registry import adjoint, d, real_only, t, tangent
from tangentish.runtime import (
    block_of,
    cast_like,
    expm_frechet,
    in_block,
    gap_inverse,
    keep_triangle,
    lower_factor,
    matmul_da,
    mT,
    qr_jvp,
    qr_vjp,
    svd_jvp,
    svd_vjp,
    sym,
    tril_half,
    tuple_of,
    unbroadcast,
)


@adjoint(sla.solve_triangular)
def solve_triangular(y, a, b, *, lower=False):
    """x = T^-1 b: db = T^-T dx, dT = -db x^T on T's triangle."""
    gb = sla.solve_triangular(a, d[y], trans="T", lower=lower)
    d[b] += gb
    d[a] += -keep_triangle(matmul_da(gb, a, y), lower)


@tangent(sla.solve_triangular)
def solve_triangular(y, a, b, *, lower=False):
    t[y] += sla.solve_triangular(a, t[b], lower=lower)
    t[y] += -sla.solve_triangular(a, keep_triangle(t[a], lower) @ y, lower=lower)


@adjoint(sla.solve_sylvester)
def solve_sylvester(y, a, b, q):
    """A X + X B = Q: dQ = solve_sylvester(A^T, B^T, dX), dA = -dQ X^T, dB = -X^T dQ."""
    gq = sla.solve_sylvester(mT(a), mT(b), d[y])
    d[q] += gq
    d[a] += -gq @ mT(y)
    d[b] += -mT(y) @ gq


@tangent(sla.solve_sylvester)
def solve_sylvester(y, a, b, q):
    t[y] += sla.solve_sylvester(a, b, t[q])
    t[y] += sla.solve_sylvester(a, b, -t[a] @ y)
    t[y] += sla.solve_sylvester(a, b, -y @ t[b])


@adjoint(sla.sqrtm)
def sqrtm(y, A):
    """X X = A: X dX + dX X = dA, a Sylvester equation (and its transpose for the adjoint)."""
    d[A] += sla.solve_sylvester(mT(y), mT(y), d[y])


@tangent(sla.sqrtm)
def sqrtm(y, A):
    t[y] += sla.solve_sylvester(y, y, t[A])


@adjoint(sla.expm)
def expm(y, A):
    """The Frechet derivative L(A, E) is linear in E with transpose L(A^T, .)."""
    d[A] += cast_like(expm_frechet(mT(A), d[y]), A)


@tangent(sla.expm)
def expm(y, A):
    t[y] += expm_frechet(A, t[A])


@adjoint(sla.inv)
def inv(y, a):
    d[a] += -mT(y) @ d[y] @ mT(y)


@tangent(sla.inv)
def inv(y, a):
    t[y] += -y @ t[a] @ y


@adjoint(sla.det)
def det(y, a):
    d[a] += np.expand_dims(d[y] * y, (-2, -1)) * mT(np.linalg.inv(a))


@tangent(sla.det)
def det(y, a):
    t[y] += y * np.trace(np.linalg.solve(a, t[a]), 0, -2, -1)


@adjoint(sla.solve)
def solve(y, a, b):
    gb = np.linalg.solve(mT(a), d[y])
    d[b] += unbroadcast(gb, b)
    d[a] += unbroadcast(-matmul_da(gb, a, y), a)


@tangent(sla.solve)
def solve(y, a, b):
    t[y] += np.linalg.solve(a, t[b])
    t[y] += -np.linalg.solve(a, t[a] @ y)


@adjoint(sla.cholesky)
def cholesky(y, a, lower=False):
    """scipy returns the upper factor U = L^T unless ``lower=True``."""
    factor = lower_factor(y, lower)
    linv = np.linalg.inv(factor)
    d[a] += sym(mT(linv) @ tril_half(mT(factor) @ lower_factor(d[y], lower)) @ linv)


@tangent(sla.cholesky)
def cholesky(y, a, lower=False):
    factor = lower_factor(y, lower)
    linv = np.linalg.inv(factor)
    t[y] += lower_factor(factor @ tril_half(linv @ t[a] @ mT(linv)), lower)


@adjoint(sla.eigh)
def eigh(y, a):
    v = y[1]
    d[a] += sym((v * np.expand_dims(d[y][0], -2)) @ mT(v) + v @ (gap_inverse(y[0]) * (mT(v) @ d[y][1])) @ mT(v))


@tangent(sla.eigh)
def eigh(y, a):
    v = y[1]
    m = mT(v) @ t[a] @ v
    t[y] += tuple_of([np.diagonal(m, 0, -2, -1), v @ (gap_inverse(y[0]) * m)])


@adjoint(sla.svd)
def svd(y, a, full_matrices=True, compute_uv=True):
    d[a] += svd_vjp(d[y], y, a, full_matrices=full_matrices, compute_uv=compute_uv)


@tangent(sla.svd)
def svd(y, a, full_matrices=True, compute_uv=True):
    t[y] += svd_jvp(t[a], y, a, full_matrices=full_matrices, compute_uv=compute_uv)


@adjoint(sla.qr)
def qr(y, a, *, mode="full"):
    """scipy's default mode is 'full' (the helper's is 'reduced'): passed positionally, never dropped."""
    d[a] += qr_vjp(d[y], y, a, mode)


@tangent(sla.qr)
def qr(y, a, *, mode="full"):
    t[y] += qr_jvp(t[a], y, a, mode)


# real-symmetric / real-orthogonal formulas: at complex values both modes refuse
real_only(sla.cholesky, sla.eigh, sla.svd, sla.qr)


@adjoint(sla.block_diag)   # block_diag(*arrs): up to six arrays; each gets its block of the adjoint
def block_diag(y, a, b=None, c=None, e=None, f=None, h=None):
    d[a] += block_of(d[y], 0, a, b=b, c=c, e=e, f=f, h=h)
    d[b] += block_of(d[y], 1, a, b=b, c=c, e=e, f=f, h=h)
    d[c] += block_of(d[y], 2, a, b=b, c=c, e=e, f=f, h=h)
    d[e] += block_of(d[y], 3, a, b=b, c=c, e=e, f=f, h=h)
    d[f] += block_of(d[y], 4, a, b=b, c=c, e=e, f=f, h=h)
    d[h] += block_of(d[y], 5, a, b=b, c=c, e=e, f=f, h=h)


@tangent(sla.block_diag)
def block_diag(y, a, b=None, c=None, e=None, f=None, h=None):
    t[y] += in_block(t[a], 0, a, b=b, c=c, e=e, f=f, h=h)
    t[y] += in_block(t[b], 1, a, b=b, c=c, e=e, f=f, h=h)
    t[y] += in_block(t[c], 2, a, b=b, c=c, e=e, f=f, h=h)
    t[y] += in_block(t[e], 3, a, b=b, c=c, e=e, f=f, h=h)
    t[y] += in_block(t[f], 4, a, b=b, c=c, e=e, f=f, h=h)
    t[y] += in_block(t[h], 5, a, b=b, c=c, e=e, f=f, h=h)
