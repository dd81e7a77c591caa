"""Every user statement runs once per derivative call (issue 11, classes 2 and 3).

A helper that draws random numbers must get the gradient of the draw its value
used: the references below are central finite differences of the function with
the RNG reset to the same seed before every evaluation, and the values are the
function's own, called with the same seed.  A counting helper shows how often
user code ran.  Class 3: the value returned by value_and_grad and vjp is the
forward sweep's, also when the returned name is carried through a loop.
"""
import numpy as np
import pytest

import tangentish as tg

from fd import numerical_grad as numeric_grad

RS = np.random.RandomState(0)
CALLS = []


def draw(w):
    CALLS.append("draw")
    return np.sum(w * RS.randn(3))


def middle(w):
    """Two deep: middle -> draw."""
    return np.sin(draw(w)) + draw(2.0 * w)


def in_a_loop(w):
    s = 0.0
    for k in range(3):
        s = s + middle(w * (k + 1.0))
    return s


def in_a_branch(w):
    if np.sum(w) > 0:
        z = middle(w) * 2.0
    else:
        z = draw(w) ** 2
    return z


def with_unused_draw(w):
    unused = RS.randn(3)   # advances the RNG although nothing reads it
    return draw(w)


FUNCTIONS = [draw, middle, in_a_loop, in_a_branch, with_unused_draw]


def seeded(f, seed):
    def g(w):
        RS.seed(seed)
        return f(w)
    return g


def calls_of(f, w):
    RS.seed(1)
    CALLS.clear()
    f(w)
    return len(CALLS)


W = np.array([0.5, -1.0, 2.0])


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("w", [W, -W], ids=["w", "-w"])
def test_grad_belongs_to_the_draw_the_value_used(f, w):
    expected = numeric_grad(seeded(f, 7), (w,), 0)
    RS.seed(7)
    np.testing.assert_allclose(tg.grad(f)(w), expected, rtol=1e-6, atol=1e-8)
    RS.seed(7)
    value, g = tg.value_and_grad(f)(w)
    np.testing.assert_allclose(value, seeded(f, 7)(w), rtol=1e-12)
    np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_helpers_run_once_per_call(f):
    once = calls_of(f, W)
    CALLS.clear()
    RS.seed(1)
    tg.grad(f)(W)
    assert len(CALLS) == once
    CALLS.clear()
    RS.seed(1)
    tg.value_and_grad(f)(W)
    assert len(CALLS) == once


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_vjp_runs_forward_once_and_pullbacks_run_no_user_code(f):
    once = calls_of(f, W)
    expected = numeric_grad(seeded(f, 5), (W,), 0)
    RS.seed(5)
    CALLS.clear()
    value, pullback = tg.vjp(f)(W)
    assert len(CALLS) == once
    np.testing.assert_allclose(value, seeded(f, 5)(W), rtol=1e-12)
    CALLS.clear()
    first = pullback(1.0)
    second = pullback(2.0)
    assert CALLS == []
    np.testing.assert_allclose(first, expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(second, 2.0 * expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_jvp_runs_once(f):
    once = calls_of(f, W)
    v = np.array([1.0, 0.5, -2.0])
    expected = numeric_grad(seeded(f, 4), (W,), 0) @ v
    RS.seed(4)
    CALLS.clear()
    value, tangent = tg.jvp(f)(W, v)
    assert len(CALLS) == once
    np.testing.assert_allclose(value, seeded(f, 4)(W), rtol=1e-12)
    np.testing.assert_allclose(tangent, expected, rtol=1e-6, atol=1e-8)


def elementwise_draw(x):
    CALLS.append("draw")
    return np.tanh(x * RS.randn(3))


def elementwise_nested(x):
    return elementwise_draw(x) * 2.0 + np.sin(x)


@pytest.mark.parametrize("f", [elementwise_draw, elementwise_nested], ids=lambda f: f.__name__)
def test_elementwise_grad_runs_once(f):
    once = calls_of(f, W)
    RS.seed(2)
    n = RS.randn(3)
    RS.seed(2)
    CALLS.clear()
    got = tg.elementwise_grad(f)(W)
    assert len(CALLS) == once
    scale = 2.0 if f is elementwise_nested else 1.0
    extra = np.cos(W) if f is elementwise_nested else 0.0
    np.testing.assert_allclose(got, scale * n * (1 - np.tanh(W * n) ** 2) + extra, rtol=1e-12)   # by hand


def quartic(w):
    CALLS.append("quartic")
    return np.sum(w ** 4) * 0.25


def uses_quartic(w):
    return quartic(np.sin(w)) + quartic(w)


def test_hvp_runs_once_and_second_order_through_helpers_is_right():
    w = np.array([0.3, -0.7, 1.1])
    v = np.array([1.0, -1.0, 0.5])
    # by hand: f = sum(sin(w)^4 + w^4) / 4, f' = sin^3 cos + w^3, f'' = 3 sin^2 cos^2 - sin^4 + 3 w^2
    s, c = np.sin(w), np.cos(w)
    diag = 3 * s ** 2 * c ** 2 - s ** 4 + 3 * w ** 2
    CALLS.clear()
    np.testing.assert_allclose(tg.hvp(uses_quartic)(w, v), diag * v, rtol=1e-10)
    assert len(CALLS) == 2
    np.testing.assert_allclose(tg.hessian(uses_quartic)(w), np.diag(diag), rtol=1e-10, atol=1e-12)
    x = 0.4
    second = tg.grad(tg.grad(lambda t: uses_quartic(np.array([t]))))(x)
    np.testing.assert_allclose(second, 3 * np.sin(x) ** 2 * np.cos(x) ** 2 - np.sin(x) ** 4 + 3 * x ** 2,
                               rtol=1e-10)


def deep(w):
    return middle(middle_value(w))


def middle_value(w):
    return w * np.sum(w)


def test_cost_is_linear_in_nesting_depth():
    """Each helper runs once however deep it sits: a chain of helpers costs one call each."""
    CALLS.clear()
    RS.seed(3)
    tg.grad(deep)(W)
    assert len(CALLS) == 2


# -- class 3: the value of a loop-carried result -------------------------------------------------

def carried_for(w, x):
    h = 0.0
    for t in range(3):
        h = np.tanh(w * h + x[t])
    return h


def carried_while(w, x):
    h = 0.0
    t = 0
    while t < 3:
        h = np.tanh(w * h + x[t])
        t = t + 1
    return h


def carried_nested(w, x):
    h = 0.0
    for i in range(2):
        for t in range(3):
            h = np.tanh(w * h + x[t] * (i + 1))
    return h


def carried_branch(w, x):
    h = 0.5
    for t in range(3):
        if x[t] > 0:
            h = np.sin(w * h)
        else:
            h = h * w + x[t]
    return h


def carried_target(w, x):
    h = 0.0
    for v in x:
        h = h * w + v
    return h * v


def carried_through_helper(w, x):
    h = 0.0
    for t in range(3):
        h = step(w, h, x[t])
    return h


def step(w, h, xt):
    return np.tanh(w * h + xt)


CARRIED = [carried_for, carried_while, carried_nested, carried_branch, carried_target, carried_through_helper]
X = np.array([0.5, -0.3, 0.8])


@pytest.mark.parametrize("f", CARRIED, ids=lambda f: f.__name__)
def test_value_of_a_loop_carried_result(f):
    value, g = tg.value_and_grad(f)(0.7, X)
    np.testing.assert_allclose(value, f(0.7, X), rtol=1e-12)
    np.testing.assert_allclose(g, numeric_grad(f, (0.7, X), 0), rtol=1e-6, atol=1e-8)
    value, pullback = tg.vjp(f)(0.7, X)
    np.testing.assert_allclose(value, f(0.7, X), rtol=1e-12)
    np.testing.assert_allclose(pullback(1.0), numeric_grad(f, (0.7, X), 0), rtol=1e-6, atol=1e-8)


def carried_pair(w, x):
    h = 0.0
    s = 1.0
    for t in range(3):
        h = np.tanh(w * h + x[t])
        s = s * h
    return (h, s)


def carried_dict(w, x):
    h = 0.0
    for t in range(3):
        h = np.tanh(w * h + x[t])
    return {"h": h, "twice": 2.0 * h}


def test_value_of_a_tuple_of_loop_carried_results():
    value, pullback = tg.vjp(carried_pair)(0.7, X)
    expected = carried_pair(0.7, X)
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    got = pullback((1.0, 0.5))
    reference = numeric_grad(lambda w, x: carried_pair(w, x)[0] + 0.5 * carried_pair(w, x)[1], (0.7, X), 0)
    np.testing.assert_allclose(got, reference, rtol=1e-6, atol=1e-8)


def test_value_of_a_dict_of_loop_carried_results():
    value, pullback = tg.vjp(carried_dict)(0.7, X)
    expected = carried_dict(0.7, X)
    assert set(value) == set(expected)
    for k in expected:
        np.testing.assert_allclose(value[k], expected[k], rtol=1e-12)
    got = pullback({"h": 1.0, "twice": 1.0})
    np.testing.assert_allclose(got, numeric_grad(lambda w, x: 3.0 * carried_for(w, x), (0.7, X), 0),
                               rtol=1e-6, atol=1e-8)


def vector_draw(w):
    CALLS.append("draw")
    return np.tanh(w * RS.randn(3)) * np.sum(w)


def test_jacobian_in_reverse_mode_runs_the_function_once():
    RS.seed(6)
    n = RS.randn(3)
    RS.seed(6)
    CALLS.clear()
    J = tg.jacobian(vector_draw, mode="rev")(W)
    assert len(CALLS) == 1
    t = np.tanh(W * n)
    by_hand = np.diag(n * (1 - t ** 2) * np.sum(W)) + t[:, None]   # d/dw_j of tanh(w_i n_i) * sum(w)
    np.testing.assert_allclose(J, by_hand, rtol=1e-12)


def scaled_sum(x, s=2.0, *, p=3.0):
    return np.sum(x ** p) * s


def loop_of_scaled(x):
    t = 0
    acc = 0.0
    while t < 3:
        acc = acc + scaled_sum(x * t, p=2.0)
        t = t + 1
    return acc


def test_second_order_through_a_helper_with_defaults_in_a_loop():
    # acc = 2 * sum_t t^2 * sum(x^2) = 10 * sum(x^2): gradient 20 x, second derivative 20
    f = lambda t: loop_of_scaled(np.array([t, 1.0]))   # noqa: E731
    np.testing.assert_allclose(tg.grad(tg.grad(f))(0.7), 20.0, rtol=1e-10)
    x = np.array([0.3, -0.4])
    np.testing.assert_allclose(tg.hessian(loop_of_scaled)(x), 20.0 * np.eye(2), rtol=1e-10)
    np.testing.assert_allclose(tg.hvp(loop_of_scaled)(x, np.array([1.0, 2.0])), [20.0, 40.0], rtol=1e-10)
