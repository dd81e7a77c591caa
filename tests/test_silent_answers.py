"""Questions without an answer get a TransformError, not a number.

A function returning a bool, an integer, a string or None has no derivative;
``elementwise_grad`` of a function that is not elementwise has no elementwise
derivative; ``jvp(f, primals, tangents)`` (JAX's form) is not tangentish's
call.  References: hand derivations and central finite differences.
"""
import numpy as np
import pytest

import tangentish as tg
from tangentish.errors import TangentishError, TransformError

rng = np.random.default_rng(11)


def is_positive(x):
    return x > 0


def bool_scalar(x):
    return np.bool_(np.sum(x) > 0)


def counts(x):
    return np.sum(x > 0)


def length(x):
    return len(x)


def int_array(x):
    return (x > 0).astype(int)


def all_positive(x):
    return np.all(x > 0)


def label(x):
    return "big" if np.sum(x) > 1 else "small"


def nothing(x):
    y = x * 2.0
    return None


SCALAR_RESULTS = [is_positive, bool_scalar, counts, length, all_positive]
ALL_RESULTS = SCALAR_RESULTS + [int_array, label, nothing]
X = np.array([0.5, -1.0, 2.0])


def _return_line(f):
    import inspect
    lines, start = inspect.getsourcelines(f)
    return start + max(i for i, line in enumerate(lines) if line.strip().startswith("return"))


def _calls(f, x):
    v = np.ones_like(x)
    yield "grad", lambda: tg.grad(f)(x)
    yield "value_and_grad", lambda: tg.value_and_grad(f)(x)
    yield "elementwise_grad", lambda: tg.elementwise_grad(f)(x)
    yield "jvp", lambda: tg.jvp(f)(x, v)
    yield "vjp", lambda: tg.vjp(f)(x)
    yield "hvp", lambda: tg.hvp(f)(x, v)
    yield "hessian", lambda: tg.hessian(f)(x)
    yield "jacobian", lambda: tg.jacobian(f)(x)


@pytest.mark.parametrize("f", ALL_RESULTS, ids=[f.__name__ for f in ALL_RESULTS])
def test_a_result_without_a_derivative_is_refused_in_every_api(f):
    for api, call in _calls(f, X):
        if f in (label, nothing) and api in ("elementwise_grad", "jacobian", "vjp", "jvp"):
            with pytest.raises(TangentishError):   # refused, whatever the wording
                call()
            continue
        with pytest.raises(TransformError) as e:
            call()
        if f in (label, nothing):
            continue
        assert "bool" in e.value.message or "integer" in e.value.message, (api, e.value.message)
        assert e.value.lineno == _return_line(f), (api, e.value.lineno, _return_line(f))
        assert e.value.filename == __file__


def test_a_python_float_argument_and_a_bool_result():
    with pytest.raises(TransformError, match="bool"):
        tg.grad(is_positive)(0.5)
    with pytest.raises(TransformError, match="bool"):
        tg.grad(lambda x: x > 0)(-0.5)


def test_an_integer_result_is_allowed_when_an_integer_argument_is_differentiated():
    assert tg.grad(lambda n: n ** 3)(2) == pytest.approx(12.0)   # by hand: 3 n^2
    g = tg.grad(lambda n: n > 0)(2)
    assert g == 0.0 and isinstance(g, float)


def test_an_integer_argument_that_is_not_differentiated_does_not_allow_an_integer_result():
    def f(x, n):
        return np.sum(x > 0) * n
    with pytest.raises(TransformError, match="integer"):
        tg.grad(f)(X, 3)


def test_float_results_are_unaffected():
    def f(x):
        return np.sum(np.where(x > 0, x, 0.0) ** 2)
    assert np.allclose(tg.grad(f)(X), np.where(X > 0, 2 * X, 0.0))   # by hand


def test_the_refusal_happens_every_call_not_only_the_first():
    g = tg.grad(counts)
    for _ in range(2):
        with pytest.raises(TransformError):
            g(X)


# ---- elementwise_grad of a function that is not elementwise -----------------------------------------

def not_elementwise(v):
    return np.sum(v) * v


def cumulative(v):
    return np.cumsum(v ** 2)


def reversed_(v):
    return v[::-1] * 2.0


def matrix_product(v):
    return np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 3.0]]) @ v


def scalar_to_vector(t):
    return t * np.arange(3.0)


NOT_ELEMENTWISE = [not_elementwise, cumulative, reversed_, matrix_product]


@pytest.mark.parametrize("f", NOT_ELEMENTWISE, ids=[f.__name__ for f in NOT_ELEMENTWISE])
def test_elementwise_grad_refuses_a_function_that_is_not_elementwise(f):
    with pytest.raises(TransformError, match="not one") as e:
        tg.elementwise_grad(f)(np.array([1.0, 2.0, 3.0]))
    assert "jacobian" in e.value.hint and e.value.lineno == _return_line(f)


def test_elementwise_grad_refuses_a_shape_changing_function():
    with pytest.raises(TransformError, match="shape"):
        tg.elementwise_grad(scalar_to_vector)(2.0)


def elementwise(v):
    return np.tanh(v) * 2.0 + v ** 3


def elementwise_broadcast(v, c):
    return np.exp(v * c) + c


@pytest.mark.parametrize("x", [np.array([0.3, -1.2, 2.0]), rng.normal(size=(2, 3)), 0.7, np.float64(0.4)])
def test_elementwise_grad_of_an_elementwise_function_is_its_derivative(x):
    expected = 2.0 * (1 - np.tanh(x) ** 2) + 3 * np.asarray(x) ** 2   # by hand
    got = tg.elementwise_grad(elementwise)(x)
    assert np.allclose(got, expected)
    assert np.allclose(tg.elementwise_grad(elementwise)(x), expected)   # the second call, unprobed


def test_elementwise_grad_float32_and_a_constant_operand():
    x = rng.normal(size=4).astype(np.float32)
    got = tg.elementwise_grad(elementwise)(x)
    assert got.dtype == np.float32
    assert np.allclose(got, 2.0 * (1 - np.tanh(x) ** 2) + 3 * x ** 2, rtol=1e-5)
    c = np.array([0.5, 1.0, 2.0, -1.0])
    assert np.allclose(tg.elementwise_grad(elementwise_broadcast)(x.astype(float), c),
                       c * np.exp(x.astype(float) * c))


def test_elementwise_grad_probe_runs_per_shape():
    g = tg.elementwise_grad(not_elementwise)
    with pytest.raises(TransformError):
        g(np.ones(3))
    with pytest.raises(TransformError):
        g(np.ones((2, 2)))
    assert np.allclose(g(np.array([0.0])), [0.0])   # one element: every function is elementwise; 2 v = 0


def test_nested_elementwise_grad_still_works():
    def sig(x):
        return 1.0 / (1.0 + np.exp(-x))
    x = np.linspace(-2, 2, 5)
    s = sig(x)
    assert np.allclose(tg.elementwise_grad(tg.elementwise_grad(sig))(x), s * (1 - s) * (1 - 2 * s))


# ---- JAX-style calls ----------------------------------------------------------------------------------

def sine(x):
    return np.sin(x)


def test_jax_style_jvp_is_a_clear_error():
    x = np.ones(3)
    with pytest.raises(TransformError, match="wrt") as e:
        tg.jvp(sine, (x,), (x,))
    assert "tangents" in e.value.hint


def test_jax_style_vjp_and_grad_with_an_array_for_wrt_are_clear_errors():
    x = np.ones(3)
    with pytest.raises(TransformError, match="wrt"):
        tg.vjp(sine, x)
    with pytest.raises(TransformError, match="wrt"):
        tg.grad(sine, 1.5)
    with pytest.raises(TransformError, match="wrt"):
        tg.hvp(sine, [x])


def test_the_right_jvp_call_still_works():
    x, v = rng.normal(size=3), rng.normal(size=3)
    value, t = tg.jvp(sine, wrt=0)(x, v)
    assert np.allclose(value, np.sin(x)) and np.allclose(t, np.cos(x) * v)
