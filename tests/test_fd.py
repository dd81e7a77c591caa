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


# ---- the two-step reliability check, complex refusal, integer leaves ----------------------


def test_unreliable_reference_at_a_kink_is_said_not_passed_or_failed():
    from fd import UnreliableFD
    # |x| at x = 2e-7: steps 1e-6 and 5e-7 both straddle the kink and give 0.2 and 0.4
    x = np.array([2e-7, 1.0])
    with pytest.raises(UnreliableFD, match="unreliable"):
        assert_grad_close(lambda a: np.sum(np.abs(a)), [x], grad=np.array([1.0, 1.0]))
    with pytest.raises(UnreliableFD):   # also when the gradient given happens to equal one estimate
        assert_grad_close(lambda a: np.sum(np.abs(a)), [x],
                          grad=numerical_grad(lambda a: np.sum(np.abs(a)), [x]))


def test_reliable_point_passes_the_two_step_check():
    from fd import reliable_grad
    x = np.array([0.3, -1.2])
    np.testing.assert_allclose(reliable_grad(lambda a: np.sum(np.exp(a)), [x]), np.exp(x), rtol=1e-8)


def test_complex_input_and_value_are_refused():
    with pytest.raises(TypeError, match="complex argument"):
        numerical_grad(lambda z: np.abs(z) ** 2, [1.0 + 2.0j])
    with pytest.raises(TypeError, match="complex function value"):
        numerical_grad(lambda x: x * 1j, [1.0])


def test_integer_argument_is_not_perturbed_but_refused():
    with pytest.raises(TypeError, match="integer"):
        numerical_grad(lambda x, n: x * n, [1.0, 3], argnum=1)
    with pytest.raises(TypeError, match="integer"):
        numerical_grad(lambda x: np.sum(x * 1.5), [np.arange(3)])
    assert numerical_grad(lambda x, n: x * n, [1.0, 3], argnum=0) == pytest.approx(3.0, rel=1e-8)


def test_fdcheck_skips_integer_leaves_explicitly_and_checks_the_rest():
    from fdcheck import NOT_PERTURBED, assert_close, numeric_grad

    def f(p):
        return np.sum(p["w"] ** 2) * p["n"]

    p = {"w": np.array([1.0, -2.0]), "n": 3}
    g = numeric_grad(f, [p], 0)
    assert g["n"] is NOT_PERTURBED                       # not the integer 3 standing in as a "gradient"
    np.testing.assert_allclose(g["w"], 6.0 * p["w"], rtol=1e-7)
    assert_close({"w": 6.0 * p["w"], "n": 2.0}, g)       # the integer leaf is skipped, by name
    with pytest.raises(AssertionError):
        assert_close({"w": 6.1 * p["w"], "n": 2.0}, g)   # the float leaf is still checked
    with pytest.raises(AssertionError, match="structure"):
        assert_close({"w": 6.0 * p["w"]}, g)


def test_fdcheck_refuses_complex_leaves_and_reports_unreliable_points():
    from fd import UnreliableFD
    from fdcheck import check, numeric_grad
    with pytest.raises(TypeError, match="complex"):
        numeric_grad(lambda p: np.abs(p[0]), [[1j]], 0)

    def f(x):
        return np.abs(x) + 0.0

    with pytest.raises(UnreliableFD):
        check(f, 2e-7)


def test_fd_reference_jacobian_and_direction_against_closed_forms():
    from fd_reference import fd_directional, fd_jacobian
    x, v = np.array([0.2, -0.7, 1.1]), np.array([1.0, 0.5, -2.0])
    np.testing.assert_allclose(fd_jacobian(np.sin, x), np.diag(np.cos(x)), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(fd_directional(np.exp, x, v), np.exp(x) * v, rtol=1e-7)
    with pytest.raises(TypeError, match="complex"):
        fd_jacobian(np.sin, x + 1j)
