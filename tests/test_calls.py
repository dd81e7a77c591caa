"""Calls to the user's own functions, lambdas, comprehensions and builtins."""
import numpy as np
import pytest
from fdcheck import check

import tangentish as tg

rng = np.random.default_rng(2)
V = rng.normal(size=4)
X = rng.normal(size=(5, 4))
Y = rng.normal(size=5)


def square(v):
    return v * v


def affine(x, w, b=0.5):
    return x @ w + b


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def mse(w, X, y):
    r = X @ w - y
    return np.mean(r ** 2)


def two_outputs(x):
    return np.sin(x), np.cos(x)


def with_loop(x, n):
    for _ in range(n):
        x = np.tanh(x) + 0.5 * x
    return x


def calls_helper(x):
    return np.sum(square(x) + square(2.0 * x))


def calls_with_keywords(w, X):
    return np.sum(sigmoid(affine(X, w, b=-0.1)))


def calls_with_default(w, X):
    return np.sum(affine(X, w) ** 2)


def keyword_for_positional(w, X):
    return np.sum(affine(w=w, x=X) ** 2)


def unpack_helper_result(x):
    s, c = two_outputs(x)
    return np.sum(s * c + s)


def helper_with_loop(x):
    return np.sum(with_loop(x, 3) ** 2)


def helper_of_helper(w):
    return mse(w, X, Y) + np.sum(square(w))


def lambda_named(x):
    f = lambda v: v ** 3 + 1.0  # noqa: E731
    return np.sum(f(x) * f(2.0 * x))


def nested_def(x, k):
    def poly(v, a=2.0):
        u = v * a
        return u * u + k * v
    return np.sum(poly(x) + poly(x, a=3.0))


def nested_def_early_return(x):
    def clamp(v):
        if v > 1.0:
            return 1.0 + 0.1 * v
        return v
    return clamp(x) * clamp(x * 3.0)


def closure_constant(x):
    scale = 3.0
    g = lambda v: scale * v  # noqa: E731
    return np.sum(g(x) ** 2)


def list_comprehension(x):
    terms = [x ** k for k in range(1, 4)]
    return sum(terms) * 2.0


def generator_into_sum(x):
    return sum(np.sin(k * x) for k in range(3))


def comprehension_over_array(w, X):
    return sum(np.tanh(row @ w) for row in X)


def comprehension_with_if(x):
    return sum(x * k for k in range(6) if k % 2 == 1)


def nested_comprehension(x):
    return sum(x ** i * j for i in range(3) for j in range(2))


def builtins_mix(x, y):
    a = abs(x - y)
    b = max(x, y)
    c = min(x * 2.0, y)
    return float(a * b + c)


def max_of_list(x, y):
    return max([x * 2.0, y, x * y])


def float_of_array_result(w):
    return float(np.sum(w ** 2)) * 3.0


def int_cast_passthrough(x, n):
    k = int(n) + 1
    return x ** k


def sum_of_array(x):
    return sum(x * 2.0) + sum(np.array([1.0, 2.0]))


def sum_of_list_args(x, y):
    return sum([x, y * 2, x * y])


def method_calls(w, X):
    z = X.dot(w)
    return z.sum(axis=0) + (X.T @ z).mean() + np.sum(w.reshape(2, 2).T)


def uses_global_helper_twice(x):
    a = square(x)
    b = square(a)
    return np.sum(b)


CASES = [
    (calls_helper, (V,), 0), (calls_with_keywords, (V, X), 0), (calls_with_default, (V, X), 0),
    (keyword_for_positional, (V, X), 0),
    (unpack_helper_result, (V,), 0), (helper_with_loop, (V,), 0), (helper_of_helper, (V,), 0),
    (lambda_named, (V,), 0), (nested_def, (V, 0.3), (0, 1)), (nested_def_early_return, (0.2,), 0),
    (nested_def_early_return, (0.5,), 0), (closure_constant, (V,), 0),
    (list_comprehension, (0.7,), 0), (generator_into_sum, (0.7,), 0),
    (comprehension_over_array, (V, X), (0, 1)), (comprehension_with_if, (0.3,), 0),
    (nested_comprehension, (0.6,), 0), (builtins_mix, (0.5, 1.5), (0, 1)),
    (builtins_mix, (2.5, 1.5), (0, 1)), (max_of_list, (0.5, 3.0), (0, 1)),
    (max_of_list, (2.5, 1.0), (0, 1)),
    (float_of_array_result, (V,), 0), (int_cast_passthrough, (0.7, 2), 0),
    (sum_of_array, (V,), 0), (sum_of_list_args, (0.3, 0.4), (0, 1)), (method_calls, (V, X), 0),
    (uses_global_helper_twice, (V,), 0),
]


@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_calls(f, args, wrt):
    check(f, *args, wrt=wrt)


def test_inline_lambda_calling_user_function():
    g = tg.grad(lambda w: mse(w, X, Y))
    from fdcheck import assert_close, numeric_grad
    assert_close(g(V), numeric_grad(lambda w: mse(w, X, Y), (V,), 0))


def test_callee_derivative_is_reused():
    src = tg.grad(uses_global_helper_twice).source
    assert src.count("def square_forward(") == 1 and src.count("def square_backward(") == 1


def cell(W, h, x):
    return np.tanh(W @ h + x)


def rnn_with_cell(W, h, xs):
    for x in xs:
        h = cell(W, h, x)
    return np.sum(h)


def nested_def_with_loop(x):
    def power_sum(v, n):
        s = 0.0
        for k in range(n):
            s = s + v ** k
        return s
    return power_sum(x, 4) * power_sum(2.0 * x, 3)


def test_user_function_called_in_a_loop():
    rng = np.random.default_rng(5)
    check(rnn_with_cell, 0.5 * rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=(4, 3)),
          wrt=(0, 1, 2))


def test_inlined_def_with_a_loop():
    check(nested_def_with_loop, 0.7)
