"""The gradient has the kind of its argument: float for float, float32 for float32."""
import numpy as np
import pytest
from fd import numerical_grad

import tangentish as tg


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def gaussian_nll(mu, log_sigma, x):
    sigma = np.exp(log_sigma)
    return np.sum(0.5 * ((x - mu) / sigma) ** 2 + log_sigma + 0.5 * np.log(2 * np.pi))


def weighted(w, X):
    return np.mean(np.tanh(X @ w) * np.float64(0.5))


def test_python_float_in_float_out():
    g = tg.grad(sigmoid)(0.3)
    assert type(g) is float
    assert g == pytest.approx(numerical_grad(sigmoid, [0.3]), rel=1e-7)


def test_python_int_in_float_out():
    g = tg.grad(lambda x: x ** 3)(2)
    assert type(g) is float and g == pytest.approx(12.0)


def test_float64_scalar_stays_float64():
    g = tg.grad(sigmoid)(np.float64(0.3))
    assert isinstance(g, np.float64)


def test_float32_scalar_stays_float32():
    g = tg.grad(sigmoid)(np.float32(0.3))
    assert isinstance(g, np.float32), type(g)
    assert g == pytest.approx(numerical_grad(sigmoid, [0.3]), rel=1e-5)


def test_float32_array_stays_float32():
    x = np.linspace(-1, 1, 7, dtype=np.float32)
    g = tg.grad(lambda v: np.sum(sigmoid(v) * v))(x)
    assert g.dtype == np.float32 and g.shape == x.shape


def test_float32_with_float64_constants():
    """``np.log(2 * np.pi)`` is a float64 scalar; the float32 argument still gets float32."""
    x = np.random.RandomState(0).randn(20).astype(np.float32)
    gmu, gls = tg.grad(gaussian_nll, wrt=(0, 1))(np.float32(0.1), np.float32(0.2), x)
    assert isinstance(gmu, np.float32) and isinstance(gls, np.float32)
    x64 = x.astype(float)
    assert gmu == pytest.approx(numerical_grad(gaussian_nll, [0.1, 0.2, x64], 0), rel=1e-4)
    assert gls == pytest.approx(numerical_grad(gaussian_nll, [0.1, 0.2, x64], 1), rel=1e-4)


def test_mixed_dtypes_each_gradient_matches_its_argument():
    rng = np.random.RandomState(1)
    w, X = rng.randn(3).astype(np.float32), rng.randn(5, 3)
    gw, gX = tg.grad(weighted, wrt=(0, 1))(w, X)
    assert gw.dtype == np.float32 and gX.dtype == np.float64


def test_float_argument_with_array_data():
    x = np.random.RandomState(2).randn(10)
    g = tg.grad(gaussian_nll)(0.5, 0.0, x)
    assert type(g) is float


def with_default(x, y=2.0):
    return x * y


def test_gradient_kind_follows_arguments_passed_any_way():
    assert tg.grad(with_default, wrt=1)(3.0) == pytest.approx(3.0)          # y left at its default
    assert type(tg.grad(with_default, wrt=1)(3.0)) is float
    assert tg.grad(with_default, wrt="y")(3.0, y=4.0) == pytest.approx(3.0)  # by keyword
    assert tg.grad(with_default)(x=3.0) == pytest.approx(2.0)
    gx, gy = tg.grad(with_default, wrt=(0, 1))(np.float32(3.0))
    assert isinstance(gx, np.float32) and type(gy) is float


def test_gradients_are_arrays_the_user_can_write():
    # the adjoint of a full sum is a broadcast view inside generated code; users get a real array
    def total(x):
        return np.sum(x)

    def mean_of(x, w):
        return np.mean(x) + np.sum(w * 0.0)

    x = np.arange(4.0)
    g = tg.grad(total)(x)
    assert g.flags.writeable and g.strides == (8,)
    g -= 0.5                                   # an SGD-style in-place update works
    np.testing.assert_array_equal(g, np.full(4, 0.5))
    gx, gw = tg.grad(mean_of, wrt=(0, 1))(x, np.ones(4, dtype=np.float32))
    assert gx.flags.writeable and gw.flags.writeable and gw.dtype == np.float32
    np.testing.assert_array_equal(gx, np.full(4, 0.25))
