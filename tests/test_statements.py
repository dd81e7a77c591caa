"""Statement forms: augmented assignment, shadowing, unpacking, assert/pass, docstrings."""
import numpy as np
import pytest
from fdcheck import check

import tangentish as tg

V = np.array([0.3, -1.2, 0.8])


def augmented(x):
    y = x * 1.0
    y += x
    y *= x
    y -= 0.5
    y /= 2.0
    y **= 2
    return np.sum(y)


def shadowing(x):
    x = np.sin(x)
    x = x * x
    y = x
    x = y + 1.0
    return np.sum(x * y)


def tuple_unpacking(x, y):
    a, b = x * 2.0, y - x
    b, a = a, b
    (c, d), e = (a, b), a * b
    return np.sum(c * d + e)


def starred_free_swap(x):
    a, b, c = x[0], x[1], x[2]
    a, b, c = c, a, b
    return a * 3.0 + b * 2.0 + c


def assert_and_pass(x):
    """A docstring is ignored."""
    assert x.shape == (3,), "wrong shape"
    if np.sum(x) > 100:
        pass
    y = np.exp(x)
    assert np.all(y > 0)
    return np.sum(y)


def chained_assignment(x):
    a = b = x * 2.0
    return np.sum(a * b)


def expression_statement(x):
    np.sum(x)
    print_nothing = None
    return np.sum(x ** 2) if print_nothing is None else 0.0


def unused_branch_values(x):
    unused = np.log(np.abs(x) + 1.0)  # noqa: F841
    if np.sum(x) > 0:
        also_unused = x * 3.0  # noqa: F841
    return np.sum(x * 2.0)


CASES = [
    (augmented, (V,), 0), (shadowing, (V,), 0), (tuple_unpacking, (V, V[::-1].copy()), (0, 1)),
    (starred_free_swap, (V,), 0), (assert_and_pass, (V,), 0), (chained_assignment, (V,), 0),
    (expression_statement, (V,), 0), (unused_branch_values, (V,), 0),
]


@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_statements(f, args, wrt):
    check(f, *args, wrt=wrt)


def test_assert_is_kept_in_the_forward_sweep():
    assert "assert x.shape == (3,)" in tg.grad(assert_and_pass).source


def test_value_and_grad_through_a_loop():
    def f(x):
        for _ in range(3):
            x = np.sin(x) * 2.0
        return np.sum(x)
    value, grad = tg.value_and_grad(f)(V)
    assert np.isclose(value, f(V))
    from fdcheck import numeric_grad
    assert np.allclose(grad, numeric_grad(f, (V,), 0))


def test_float32_stays_float32_in_a_loop():
    def f(x):
        for _ in range(3):
            x = np.tanh(x) * 1.5
        return np.sum(x)
    g = tg.grad(f)(V.astype(np.float32))
    assert g.dtype == np.float32
