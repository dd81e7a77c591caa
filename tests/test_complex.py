"""Complex values through real-written rules: the dL/da + i dL/db convention, against finite differences.

Rules like ``d[x] += d[z] * y`` are correct for complex values only as
``dz * conj(y)``; reverse mode wraps them where a value may be complex and
leaves real code untouched.
"""
import numpy as np
import pytest

import tangentish as tg

rng = np.random.RandomState(7)
C = np.array([1 + 2j, 3 - 1j, 0.5j, 2.0])
EPS = 1e-6


def fd_real(f, x):
    return np.array([(f(x + EPS * e) - f(x - EPS * e)) / (2 * EPS) for e in np.eye(x.size)])


def fd_complex(f, z):
    """dL/da + i dL/db, element by element."""
    out = []
    for e in np.eye(z.size):
        da = (f(z + EPS * e) - f(z - EPS * e)) / (2 * EPS)
        db = (f(z + 1j * EPS * e) - f(z - 1j * EPS * e)) / (2 * EPS)
        out.append(da + 1j * db)
    return np.array(out)


def fft_times_constant(x):
    return np.real(np.sum(np.fft.fft(x) * C))


def fft_quadratic(x):
    f = np.fft.fft(x)
    return np.real(np.sum(f * C * f))


def linear_in_z(z):
    return np.real(np.sum(z * C))


def holomorphic_chain(z):
    w = np.exp(z) * z / (1 + z ** 2)
    return np.real(np.sum(w * np.conj(w)))


def power_spectrum(x):
    return np.sum(np.abs(np.fft.fft(x)) ** 2)


def literal_rotation(x):
    return np.real(np.sum(np.exp(1j * x) * C))


@pytest.mark.parametrize("f", [fft_times_constant, fft_quadratic, literal_rotation])
def test_real_input_through_complex_intermediates(f):
    x = rng.randn(4)
    g = tg.grad(f)(x)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, fd_real(f, x), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("f", [linear_in_z, holomorphic_chain])
def test_complex_input(f):
    z = rng.randn(4) + 1j * rng.randn(4)
    np.testing.assert_allclose(tg.grad(f)(z), fd_complex(f, z), rtol=1e-5, atol=1e-6)


def test_hessian_of_power_spectrum_is_parseval():
    # sum |F x|^2 = N sum x^2 (Parseval), so the Hessian is 2 N I
    x = rng.randn(4)
    np.testing.assert_allclose(tg.hessian(power_spectrum)(x), 8 * np.eye(4), atol=1e-9)


def test_hessian_through_complex_products_matches_differences_of_gradients():
    x = rng.randn(4)
    g = tg.grad(fft_quadratic)
    expected = np.array([(g(x + 1e-5 * e) - g(x - 1e-5 * e)) / 2e-5 for e in np.eye(4)])
    np.testing.assert_allclose(tg.hessian(fft_quadratic)(x), expected, atol=1e-5)


def test_real_code_carries_no_conj():
    def mse(w, X, y):
        return np.mean((X @ w - y) ** 2)
    assert "conj" not in tg.grad(mse).source


def test_real_only_rule_at_a_complex_value_is_refused():
    def bad(z):
        return np.real(np.sum(np.maximum(z, 0.5)))
    z = rng.randn(3) + 1j * rng.randn(3)
    with pytest.raises(tg.TransformError, match="complex"):
        tg.grad(bad)(z)
