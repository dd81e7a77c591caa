"""The finite-difference helper itself, against derivatives known in closed form."""
import numpy as np
import pytest
from fd import assert_grad_close, numerical_grad


def test_scalar_argument_gives_float():
    g = numerical_grad(lambda x: x ** 3, [2.0])
    assert isinstance(g, float)
    assert g == pytest.approx(12.0, rel=1e-7)


def test_array_argument_shape_and_values():
    x = np.array([[0.1, 0.2, 0.3], [1.0, -1.0, 2.0]])
    g = numerical_grad(lambda a, b: np.sum(np.sin(a) * b), [x, 2.0], argnum=0)
    np.testing.assert_allclose(g, 2.0 * np.cos(x), rtol=1e-7)


def test_assert_grad_close_catches_a_wrong_gradient():
    x = np.array([1.0, 2.0])
    with pytest.raises(AssertionError):
        assert_grad_close(lambda a: np.sum(a ** 2), [x], grad=x)
    with pytest.raises(AssertionError, match="shape"):
        assert_grad_close(lambda a: np.sum(a ** 2), [x], grad=np.sum(2 * x))
