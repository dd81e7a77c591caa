"""Higher order: grad of grad, hessian, hvp, jacobian, elementwise_grad, vjp.

References are hand derivations (closed forms) or central finite differences.
"""
import re

import numpy as np
import pytest
from fd_reference import fd_jacobian

import tangentish as tg

rng = np.random.RandomState(2)


def tanh(x):
    return np.tanh(x)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@pytest.mark.parametrize("x", [-1.3, 0.0, 0.4, 2.1])
def test_third_and_fourth_derivatives_of_tanh(x):
    t = np.tanh(x)
    d1 = tg.grad(tanh)
    d2 = tg.grad(d1)
    d3 = tg.grad(d2)
    d4 = tg.grad(d3)
    assert np.isclose(d1(x), 1 - t * t, rtol=1e-12)
    assert np.isclose(d2(x), -2 * t * (1 - t * t), rtol=1e-12, atol=1e-14)
    assert np.isclose(d3(x), -2 * (1 - t * t) * (1 - 3 * t * t), rtol=1e-12)
    assert np.isclose(d4(x), 8 * t * (1 - t * t) * (2 - 3 * t * t), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("x", [-2.0, 0.3, 1.7])
def test_third_and_fourth_derivatives_of_sigmoid(x):
    s = sigmoid(x)
    d3 = tg.grad(tg.grad(tg.grad(sigmoid)))
    d4 = tg.grad(d3)
    assert np.isclose(d3(x), s * (1 - s) * (1 - 6 * s + 6 * s * s), rtol=1e-10, atol=1e-13)
    assert np.isclose(d4(x), s * (1 - s) * (1 - 14 * s + 36 * s * s - 24 * s ** 3), rtol=1e-9, atol=1e-13)


def test_mixed_modes_agree_on_third_derivative():
    """forward over reverse over reverse, and reverse three times, on sigmoid."""
    x = np.linspace(-2, 2, 5)
    d2 = tg.elementwise_grad(tg.elementwise_grad(sigmoid))
    _, fwd = tg.jvp(d2)(x, np.ones_like(x))
    np.testing.assert_allclose(fwd, tg.elementwise_grad(d2)(x), rtol=1e-12, atol=1e-14)


def test_elementwise_fourth_derivative_for_a_plot():
    """The teaching demo: every derivative of tanh on a grid, each one readable code."""
    xs = np.linspace(-3, 3, 13)
    d4 = tg.elementwise_grad(tg.elementwise_grad(tg.elementwise_grad(tg.elementwise_grad(tanh))))
    t = np.tanh(xs)
    np.testing.assert_allclose(d4(xs), 8 * t * (1 - t * t) * (2 - 3 * t * t), rtol=1e-9, atol=1e-12)


def test_grad_of_grad_source_is_readable():
    source = tg.grad(tg.grad(tanh)).source
    assert "def ddtanh_dx_dx(x):" in source
    assert "_2 = " in source and "tape" not in source and "__" not in source


def test_elementwise_grad():
    x = np.linspace(-2, 2, 9)
    np.testing.assert_allclose(tg.elementwise_grad(sigmoid)(x), sigmoid(x) * (1 - sigmoid(x)), rtol=1e-12)


# ---- Hessians --------------------------------------------------------------------


def test_hessian_of_quadratic_forms():
    A = rng.randn(4, 4)

    def quad(x):
        return 0.5 * x @ A @ x

    def quad_plus_linear(x, b):
        return x @ (A @ x) + b @ x

    x, b = rng.randn(4), rng.randn(4)
    np.testing.assert_allclose(tg.hessian(quad)(x), 0.5 * (A + A.T), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(tg.hessian(quad_plus_linear)(x, b), A + A.T, rtol=1e-12, atol=1e-14)


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def test_hessian_of_rosenbrock():
    x = rng.randn(5)
    n = len(x)
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        H[i, i + 1] += -400 * x[i]
        H[i + 1, i] += -400 * x[i]
        H[i + 1, i + 1] += 200
    np.testing.assert_allclose(tg.hessian(rosen)(x), H, rtol=1e-10)


def test_hessian_of_a_matrix_argument_has_doubled_shape():
    def f(W):
        return np.sum(np.tanh(W) ** 2)

    W = rng.randn(2, 3)
    H = tg.hessian(f)(W)
    assert H.shape == (2, 3, 2, 3)
    t = np.tanh(W)
    diag = (2 * (1 - t * t) ** 2 - 4 * t * t * (1 - t * t)).ravel()
    np.testing.assert_allclose(H.reshape(6, 6), np.diag(diag), atol=1e-12)


def test_hvp_equals_hessian_times_v_without_forming_it():
    A0 = rng.randn(6, 6)
    A = A0 @ A0.T

    def quad_tanh(x, A):
        return 0.5 * x @ A @ x + np.sum(np.tanh(x))

    x, v = rng.randn(6), rng.randn(6)
    hv = tg.hvp(quad_tanh)(x, A, v)
    t = np.tanh(x)
    np.testing.assert_allclose(hv, A @ v - 2 * t * (1 - t * t) * v, rtol=1e-10)
    source = tg.hvp(quad_tanh).source
    assert "def jvp_dquad_tanh_dx_x(x, A, tx):" in source
    assert "np.outer" not in source and "hessian" not in source


def test_hessian_of_non_scalar_function_is_a_clear_error():
    with pytest.raises(tg.TangentishError, match="hessian needs a scalar-valued function.*shape \\(3,\\)"):
        tg.hessian(tanh)(np.ones(3))


def test_hvp_with_wrong_vector_shape_is_a_clear_error():
    with pytest.raises(tg.GradientShapeError, match="hvp: the tangent for `x`"):
        tg.hvp(rosen)(np.ones(3), np.ones(2))


# ---- Jacobians and vjp ------------------------------------------------------------------


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


@pytest.mark.parametrize("mode", ["auto", "fwd", "rev"])
def test_jacobian_of_softmax_is_diag_minus_outer(mode):
    z = rng.randn(5)
    s = softmax(z)
    np.testing.assert_allclose(tg.jacobian(softmax, mode=mode)(z), np.diag(s) - np.outer(s, s), atol=1e-14)


def test_jacobian_chooses_mode_by_size():
    A = rng.randn(2, 6)

    def wide(x):
        return np.tanh(A @ x)        # 6 -> 2: reverse is cheaper

    def tall(y):
        return np.tanh(A.T @ y)      # 2 -> 6: forward is cheaper

    jw, jt = tg.jacobian(wide), tg.jacobian(tall)
    x6, x2 = rng.randn(6), rng.randn(2)
    np.testing.assert_allclose(jw(x6), fd_jacobian(wide, x6), rtol=1e-6, atol=1e-9)
    assert "dwide" in jw.source                       # reverse-mode code
    np.testing.assert_allclose(jt(x2), fd_jacobian(tall, x2), rtol=1e-6, atol=1e-9)
    assert "def jvp_tall" in jt.source                 # forward-mode code


def test_jacobian_with_matrix_output_shape():
    def f(x):
        return np.outer(x, np.sin(x))

    x = rng.randn(3)
    J = tg.jacobian(f)(x)
    assert J.shape == (3, 3, 3)
    np.testing.assert_allclose(J, fd_jacobian(f, x), rtol=1e-6, atol=1e-9)


def test_vjp_of_vector_function_and_bad_cotangent():
    x, u = rng.randn(4), rng.randn(4)
    value, pullback = tg.vjp(softmax)(x)
    np.testing.assert_allclose(value, softmax(x))
    np.testing.assert_allclose(pullback(u), u @ fd_jacobian(softmax, x), rtol=1e-6, atol=1e-9)
    with pytest.raises(tg.GradientShapeError, match="cotangent has shape \\(3,\\)"):
        pullback(np.ones(3))


def test_forward_over_forward_and_reverse_over_forward_tangent():
    """The jvp's own code is differentiable: d/dx of (J v) along w."""
    def cube(x):
        return np.sum(x ** 3)

    jv = tg.jvp(cube)
    x, v = rng.randn(3), rng.randn(3)
    # the tangent 3 x^2 . v, differentiated again along v: 6 x v . v
    second = tg.hvp(cube)(x, v) @ v
    assert np.isclose(second, np.sum(6 * x * v * v))
    assert np.isclose(jv(x, v)[1], np.sum(3 * x * x * v))


def test_hessian_through_a_user_function_call():
    """Forward over reverse through a callee: the tangent of its backward half reads the saved values' tangents."""
    def inner(z):
        e = np.exp(z - np.max(z))
        return e / np.sum(e)

    def outer(z):
        s = inner(z)
        return np.sum(s * s * np.arange(4.0))

    z = rng.randn(4)
    H = tg.hessian(outer)(z)
    np.testing.assert_allclose(H, fd_jacobian(tg.grad(outer), z), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(tg.jacobian(tg.grad(outer), mode="rev")(z), H, atol=1e-12)
    assert re.search(r"jvp_inner_backward_\w+\(inner_saved, (\w+), z=z, tsaved=tinner_saved, tdinner=t\1, tz=tz\)",
                     tg.hessian(outer).source)



SCALE = 2.0


def scaled_sin(x):
    return np.sum(np.sin(x) * SCALE)


def test_changed_global_reaches_second_derivatives():
    global SCALE
    x = np.arange(3.0) * 0.3
    hessian = tg.hessian(scaled_sin)
    np.testing.assert_allclose(hessian(x), np.diag(-2.0 * np.sin(x)), atol=1e-14)
    SCALE = 3.0
    try:
        np.testing.assert_allclose(hessian(x), np.diag(-3.0 * np.sin(x)), atol=1e-14)
        np.testing.assert_allclose(tg.grad(tg.grad(sin_times_scale))(0.2), -3.0 * np.sin(0.2))
    finally:
        SCALE = 2.0


def sin_times_scale(x):
    return np.sin(x) * SCALE


def test_matrices_of_a_float_are_floats_and_float32_stays_float32():
    def f(x):
        return np.sin(x) * x

    def g(x):
        return np.sum(np.tanh(x) ** 2)

    assert type(tg.hessian(f)(0.3)) is float and type(tg.jacobian(f)(0.3)) is float
    x32 = np.ones(3, np.float32)
    assert tg.hessian(g)(x32).dtype == np.float32 and tg.jacobian(tanh)(x32).dtype == np.float32


def test_objects_whose_code_takes_a_seed_cannot_be_differentiated_again():
    with pytest.raises(tg.TransformError, match="cannot differentiate a tangentish.jacobian"):
        tg.jacobian(tg.jacobian(softmax))(np.ones(3))
    with pytest.raises(tg.TransformError, match="hessian"):
        tg.grad(tg.hessian(rosen))(np.ones(3))
    # hvp and jvp objects are called like their generated code, so they differentiate again
    x, v = rng.randn(3), rng.randn(3)
    _, t = tg.jvp(tg.hvp(rosen))(x, v, v)
    np.testing.assert_allclose(t, fd_jacobian(lambda z: tg.hvp(rosen)(z, v), x) @ v, rtol=1e-5)


def test_hvp_of_a_vector_function_points_at_the_users_return():
    with pytest.raises(tg.TransformError, match="returns a scalar") as info:
        tg.hvp(tanh)(np.ones(3), np.ones(3))
    assert info.value.filename == __file__ and "return np.tanh(x)" in str(info.value)
