"""Second derivatives through matrix rules: grad of <grad f(A), V> against finite differences.

The scalar table (test_primitives_table.test_second_order) covers elementwise
rules; these cover rules whose bodies call inv, solve, eigh, einsum, sort...
"""
import numpy as np
import pytest
import scipy.special as sp

import tangentish as tg

rng = np.random.default_rng(0)
_A = rng.standard_normal((3, 3))
SPD = _A @ _A.T + 3 * np.eye(3)
V = rng.standard_normal((3, 3))
V = V + V.T
B = rng.standard_normal((3, 2))


def f_inv(a):
    return np.sum(np.linalg.inv(a) * V)


def f_det(a):
    return np.linalg.det(a)


def f_slogdet(a):
    return np.linalg.slogdet(a)[1]


def f_cholesky(a):
    return np.sum(np.linalg.cholesky(a) * V)


def f_eigh(a):
    return np.sum(np.linalg.eigh(a)[0] * np.arange(3.0))


def f_solve(a):
    return np.sum(np.linalg.solve(a, B))


def f_pinv(a):
    return np.sum(np.linalg.pinv(a) * V)


def f_norm(a):
    return np.linalg.norm(a)


def f_logsumexp(a):
    return sp.logsumexp(a, axis=0)[1]


def f_softmax(a):
    return np.sum(sp.softmax(a, axis=1) * V)


def f_einsum(a):
    return np.einsum("ij,jk->", a, a)


def f_concatenate(a):
    return np.sum(np.concatenate([a, a * a], axis=1) ** 2)


def f_sort(a):
    return np.sum(np.sort(a, axis=0) * V)


@pytest.mark.parametrize("f", [f_inv, f_det, f_slogdet, f_cholesky, f_eigh, f_solve, f_pinv, f_norm,
                               f_logsumexp, f_softmax, f_einsum, f_concatenate, f_sort],
                         ids=lambda f: f.__name__[2:])
def test_hessian_vector_product(f):
    g = tg.grad(f)

    def along_v(a):
        return np.sum(g(a) * V)

    eps = 1e-5
    fd = (along_v(SPD + eps * V) - along_v(SPD - eps * V)) / (2 * eps)
    got = np.sum(tg.grad(along_v)(SPD) * V)
    assert abs(got - fd) <= 1e-4 * max(1.0, abs(fd))


def test_svd_second_derivative_is_refused_not_wrong():
    def f(a):
        return np.sum(np.linalg.svd(a, compute_uv=False) ** 3)

    g = tg.grad(f)

    def along_v(a):
        return np.sum(g(a) * V)

    with pytest.raises(tg.TangentishError, match="np.linalg.svd"):
        tg.grad(along_v)(SPD)
