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


def test_passes_on_correct_functions_to_second_order():
    tg.check_grads(rosen, rng.randn(4))
    tg.check_grads(layer, rng.randn(3, 2), rng.randn(2), rng.randn(5, 3), order=2)
    tg.check_grads(sin_exp, 0.3, order=3)


def sin_exp(x):
    return np.sin(x) * np.exp(x)


def test_float32_inputs_are_checked_in_float64():
    tg.check_grads(rosen, rng.randn(3).astype(np.float32))


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

    with pytest.raises(tg.GradientCheckError) as info:
        tg.check_grads(f, rng.randn(2), rng.randn(3), modes=("rev",))
    e = info.value
    assert e.mode == "rev" and e.argument == 1 and e.order == 1
    assert e.error > 0.1 and np.shape(e.direction) == (3,)
    assert "argument 1" in str(e) and "reverse mode" in str(e) and "direction" in str(e)


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
