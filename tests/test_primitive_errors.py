"""What a user sees when a NumPy function has no rule, is non-differentiable, or is called in a way a rule refuses."""
import numpy as np
import pytest
import scipy.special as sp

import tangentish as tg
from tangentish import TangentishError, TransformError


def test_missing_rule_names_the_function_and_how_to_add_one():
    def f(x):
        return np.sum(np.unwrap(x))

    with pytest.raises(TransformError) as e:
        tg.grad(f)(np.ones(3))
    text = str(e.value)
    assert "no gradient template for `np.unwrap`" in text and "missing" in text
    assert "not known to be non-differentiable" in text
    assert "@tangentish.adjoint(np.unwrap)" in text and "docs/primitives.md" in text
    assert "line" in text and "np.unwrap(x)" in text        # the user's line is shown


def test_unsupported_function_says_why():
    def f(a):
        return np.sum(np.linalg.eigvals(a))

    with pytest.raises(TransformError, match="np.linalg.eigvals.*eigh"):
        tg.grad(f)(np.eye(2))


def test_scipy_names_are_spelled_as_users_write_them():
    def f(x):
        return np.sum(sp.spence(x))

    with pytest.raises(TransformError, match=r"scipy\.special\.spence"):
        tg.grad(f)(np.ones(2))


def test_nondifferentiable_function_gives_a_zero_gradient_not_an_error():
    def f(x):
        return np.sum(np.round(x) * 2.0 + np.floor(x))

    g = tg.grad(f)(np.array([0.3, 1.7]))
    assert np.array_equal(g, np.zeros(2))


def test_a_keyword_the_rule_does_not_name_is_refused():
    def f(x):
        return np.sum(x, initial=1.0)

    with pytest.raises(TransformError, match="initial"):
        tg.grad(f)(np.ones(3))


def test_derivative_without_a_formula_raises_when_needed():
    def f(n, x):
        return np.sum(sp.polygamma(n, x))

    g = tg.grad(f, wrt=1)(np.array([1.0]), np.array([2.0]))      # order constant: fine
    assert np.isfinite(g).all()
    with pytest.raises(TransformError, match="polygamma with respect to its order") as e:
        tg.grad(f, wrt=0)(np.array([1.0]), np.array([2.0]))
    assert e.value.lineno == f.__code__.co_firstlineno + 1 and e.value.filename == __file__


def test_pad_modes_other_than_constant_raise():
    def f(x):
        return np.sum(np.pad(x, 1, mode="reflect") ** 2)

    with pytest.raises(TangentishError, match="mode='reflect'"):
        tg.grad(f)(np.ones(3))


def test_svd_full_matrices_of_a_rectangle_raises():
    def f(a):
        return np.sum(np.linalg.svd(a)[0])

    with pytest.raises(TangentishError, match="full_matrices=False"):
        tg.grad(f)(np.ones((3, 2)) + np.eye(3, 2))
