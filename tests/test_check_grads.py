"""check_grads: passes on correct derivatives, and says where a wrong one disagrees."""
import numpy as np
import pytest

import tangentish as tg
from tangentish import registry

rng = np.random.RandomState(4)


@pytest.fixture(autouse=True)
def restore_registry():
    from tangentish.templates import load_builtin
    load_builtin()
    saved = (dict(registry.REVERSE), dict(registry.FORWARD), set(registry.PRIMITIVES))
    yield
    for table, old in zip((registry.REVERSE, registry.FORWARD, registry.PRIMITIVES), saved):
        table.clear()
        table.update(old)


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def layer(W, b, X):
    return np.tanh(X @ W + b)


def _fd_along(f, args, i, v, eps=1e-6):
    """Central differences of ``f`` along ``v`` in argument ``i``, computed here (not by check_grads)."""
    plus, minus = list(args), list(args)
    plus[i], minus[i] = args[i] + eps * v, args[i] - eps * v
    return (np.asarray(f(*plus), float) - np.asarray(f(*minus), float)) / (2 * eps)


def _square(adjoint_rule, tangent_rule):
    @tg.primitive
    def sq(x):
        return np.sum(x ** 2)
    tg.adjoint(sq)(adjoint_rule)
    tg.tangent(sq)(tangent_rule)
    return sq


# sum(x ** 2) as a custom primitive with rules through the public API: right, and planted wrong
def sq_adjoint_right(result, x):
    d[x] += d[result] * 2.0 * x  # noqa: F821


def sq_tangent_right(result, x):
    t[result] += np.sum(t[x] * 2.0 * x)  # noqa: F821


def sq_adjoint_off_1e3(result, x):
    d[x] += d[result] * 2.002 * x  # noqa: F821 - wrong by 0.1 %


def sq_tangent_off_1e3(result, x):
    t[result] += np.sum(t[x] * 2.002 * x)  # noqa: F821 - wrong by 0.1 %


def sq_adjoint_off_1e4(result, x):
    d[x] += d[result] * 2.0002 * x  # noqa: F821 - wrong by 0.01 %


def sq_tangent_off_1e4(result, x):
    t[result] += np.sum(t[x] * 2.0002 * x)  # noqa: F821 - wrong by 0.01 %


def sq_adjoint_three(result, x):
    d[x] += d[result] * 3.0 * x  # noqa: F821 - wrong: 3 x


def sq_tangent_three(result, x):
    t[result] += np.sum(t[x] * 3.0 * x)  # noqa: F821 - wrong: 3 x


def square_with(factor):
    name = {2: "right", 2.002: "off_1e3", 2.0002: "off_1e4", 3: "three"}[factor]
    return _square(globals()["sq_adjoint_" + name], globals()["sq_tangent_" + name])


def rosen_with(sq):
    def rosen_sq(x):
        return 100.0 * sq(x[1:] - x[:-1] ** 2) + sq(1.0 - x[:-1])
    return rosen_sq


def test_passes_on_correct_functions_to_second_order():
    # each pass is paired with a neighbour that must fail, so a check_grads that checks
    # nothing cannot pass this test
    x = rng.randn(4)
    assert tg.check_grads(rosen, x) is None
    assert tg.check_grads(rosen_with(square_with(2)), x, order=1) is None
    for mode in ("fwd", "rev"):
        with pytest.raises(tg.GradientCheckError) as info:
            tg.check_grads(rosen_with(square_with(2.002)), x, modes=(mode,), order=1)
        assert info.value.mode == mode and info.value.order == 1

    args = (rng.randn(3, 2), rng.randn(2), rng.randn(5, 3))
    assert tg.check_grads(layer, *args, order=2) is None
    assert tg.check_grads(sin_exp, 0.3, order=3) is None

    @tg.primitive
    def rough_tanh(z):
        return np.tanh(z)

    @tg.adjoint(rough_tanh)
    def rough_tanh_adjoint(result, z):
        d[z] += d[result] * (1.0 - np.round(np.tanh(z) * 1e9) ** 2 / 1e18)  # noqa: F821

    def rough_layer(W, b, X):
        return rough_tanh(X @ W + b)

    assert tg.check_grads(rough_layer, *args, modes=("rev",), order=1) is None
    with pytest.raises(tg.GradientCheckError) as info:   # right value, no second derivative
        tg.check_grads(rough_layer, *args, modes=("rev",), order=2)
    assert info.value.order == 2


def sin_exp(x):
    return np.sin(x) * np.exp(x)


def test_float32_inputs_are_checked_in_float64():
    # a rule wrong by 1e-4 (relative) hides in float32 rounding of a float32 finite difference;
    # check_grads moves the point in float64, so it sees it -- and its own reference then
    # matches a float64 difference computed here
    x32 = (rng.rand(3) + 0.5).astype(np.float32)
    x64 = x32.astype(np.float64)

    sq = square_with(2.0002)

    def f(x):
        return sq(x)

    tg.check_grads(rosen, x32)                      # a correct function passes
    with pytest.raises(tg.GradientCheckError) as info:
        tg.check_grads(f, x32, modes=("fwd",), order=1)
    e = info.value
    assert e.direction.dtype == np.float64
    np.testing.assert_allclose(e.reference, _fd_along(lambda a: np.sum(a ** 2), [x64], 0, e.direction),
                               rtol=1e-7)
    np.testing.assert_allclose(e.derivative, np.sum(2.0002 * x64 * e.direction), rtol=1e-10)
    # at the same step (1e-6) in float32 the difference would be rounding noise, larger than the error
    v32 = e.direction.astype(np.float32)
    eps32 = np.float32(1e-6)
    fd32 = (np.sum((x32 + eps32 * v32) ** 2) - np.sum((x32 - eps32 * v32) ** 2)) / (2 * eps32)
    assert abs(fd32 - np.sum(2 * x64 * e.direction)) > abs(e.derivative[0] - e.reference[0])


def test_wrt_accepts_an_int_and_refuses_bad_positions():
    def f(a, x):
        return np.sum(np.sin(a) * x)

    a, x = rng.randn(3), rng.randn(3)
    assert tg.check_grads(f, a, x, wrt=0) is None
    assert tg.check_grads(f, a, x, wrt=(1,)) is None
    sq = square_with(3)

    def g(a, x):
        return sq(x) + np.sum(a)

    assert tg.check_grads(g, a, x, wrt=0, modes=("rev",)) is None     # argument 0 is right
    with pytest.raises(tg.GradientCheckError) as info:
        tg.check_grads(g, a, x, wrt=1, modes=("rev",))
    assert info.value.argument == 1
    for bad in (2, (0, 5), True, "0"):
        with pytest.raises(tg.TangentishError, match="wrt"):
            tg.check_grads(f, a, x, wrt=bad)


def squares():
    @tg.primitive
    def sq(x):
        return np.sum(x ** 2)
    return sq


def test_wrong_adjoint_is_reported_with_mode_argument_and_size():
    sq = squares()

    @tg.adjoint(sq)
    def sq_adjoint(result, x):
        d[x] += d[result] * 3 * x  # noqa: F821 - wrong: the derivative is 2 x

    def f(a, x):
        return sq(x) + np.sum(a)

    a, x = rng.randn(2), rng.randn(3)
    with pytest.raises(tg.GradientCheckError) as info:
        tg.check_grads(f, a, x, modes=("rev",))
    e = info.value
    assert e.mode == "rev" and e.argument == 1 and e.order == 1
    assert e.error > 0.1 and np.shape(e.direction) == (3,)
    assert "argument 1" in str(e) and "reverse mode" in str(e) and "direction" in str(e)
    # the numbers it reports, against a hand derivation and finite differences made here
    v, u = e.direction, e.cotangent
    assert np.ndim(u) == 0 and u != 0 and np.all(v != 0)
    np.testing.assert_allclose(e.reference, [u * _fd_along(f, (a, x), 1, v)], rtol=1e-7)
    np.testing.assert_allclose(e.reference, [u * np.sum(2 * x * v)], rtol=1e-7)       # by hand
    np.testing.assert_allclose(e.derivative, [u * np.sum(3 * x * v)], rtol=1e-12)     # the wrong rule
    assert e.error == pytest.approx(abs(u * np.sum(x * v)), rel=1e-6)
    assert e.tolerance < e.error


def test_wrong_tangent_is_reported_in_forward_mode():
    sq = squares()

    @tg.tangent(sq)
    def sq_tangent(result, x):
        t[result] += np.sum(t[x] * x)  # noqa: F821 - wrong by a factor of 2

    @tg.adjoint(sq)
    def sq_adjoint(result, x):
        d[x] += d[result] * 2 * x  # noqa: F821

    def f(x):
        return sq(x)

    tg.check_grads(f, rng.randn(3), modes=("rev",))
    with pytest.raises(tg.GradientCheckError) as info:
        tg.check_grads(f, rng.randn(3))
    assert info.value.mode == "fwd" and "forward mode" in str(info.value)


def test_wrong_second_derivative_is_reported_at_order_two():
    """An adjoint whose value is right but whose own derivative is not (rounding has none)."""
    sq = squares()

    @tg.adjoint(sq)
    def sq_adjoint(result, x):
        d[x] += d[result] * 2 * (np.round(x * 1e9) / 1e9)  # noqa: F821

    def f(x):
        return sq(x)

    x = rng.randn(3)
    tg.check_grads(f, x, modes=("rev",), order=1)
    with pytest.raises(tg.GradientCheckError) as info:
        tg.check_grads(f, x, modes=("rev",), order=2)
    assert info.value.order == 2 and "second derivative" in str(info.value)


def test_missing_rule_for_a_mode_raises_the_transform_error():
    sq = squares()

    @tg.adjoint(sq)
    def sq_adjoint(result, x):
        d[x] += d[result] * 2 * x  # noqa: F821

    def f(x):
        return sq(x)

    tg.check_grads(f, rng.randn(3), modes=("rev",))
    with pytest.raises(tg.TransformError, match="forward-mode rule"):
        tg.check_grads(f, rng.randn(3))


def test_bad_arguments():
    with pytest.raises(tg.TangentishError, match="modes"):
        tg.check_grads(rosen, rng.randn(3), modes=("sideways",))
    with pytest.raises(tg.TangentishError, match="no float argument"):
        tg.check_grads(rosen, 3)


def test_dict_of_parameters_is_checked_without_wrt():
    sq = squares()

    @tg.adjoint(sq)
    def sq_adjoint(result, x):
        d[x] += d[result] * 3 * x  # noqa: F821 - wrong: the derivative is 2 x

    def right(p, x):
        return np.sum(np.tanh(p["w"] * x + p["b"]) ** 2)

    def wrong(p, x):
        return sq(p["w"] * x) + p["b"]

    params = {"w": rng.randn(3), "b": 0.4}
    tg.check_grads(right, params, rng.randn(3))
    with pytest.raises(tg.GradientCheckError) as info:
        tg.check_grads(wrong, params, rng.randn(3), modes=("rev",), order=1)
    assert info.value.argument == 0
