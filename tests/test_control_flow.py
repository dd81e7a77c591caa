"""Branches and loops, written the way users write them, checked against finite differences."""
import numpy as np
import pytest
from fdcheck import check

import tangentish as tg

rng = np.random.default_rng(0)
V = rng.normal(size=4)
M = rng.normal(size=(3, 4))


# ---- if / elif / else ---------------------------------------------------------

def branch_on_value(x):
    if x > 0:
        y = x * 2
    else:
        y = -x ** 3
    return y * x


def elif_chain(x):
    if x < -1:
        y = x ** 2
    elif x < 1:
        y = np.sin(x)
    else:
        y = np.exp(x)
    return y


def branch_only_one_side(x, flag):
    y = x * 3
    if flag:
        y = y * x
    return y


def branch_array_condition(x):
    if np.sum(x) > 0:
        out = np.sum(x ** 2)
    else:
        out = np.sum(np.abs(x))
    return out


def nested_if(x, y):
    if x > 0:
        if y > 0:
            z = x * y
        else:
            z = x - y
    else:
        z = x + y * y
    return z


def and_or_not(x, y):
    if x > 0 and not y < 0:
        z = x * y
    elif x < 0 or y > 1:
        z = x + y
    else:
        z = x
    return z * 2


def conditional_expression(x):
    y = x * x if x > 1 else np.sin(x)
    return y + 1.0


def conditional_expression_inline(x, y):
    return np.sum((x if y > 0 else -x) * 3)


def early_return(x):
    if x < 0:
        return -x * 2
    y = x * x
    return y + 1


def multiple_returns(x):
    if x > 2:
        return x ** 3
    elif x > 0:
        return x * 5
    return np.cos(x)


def branch_uses_only_else(x, y):
    z = x * y
    if x > 100:
        w = 1.0
    else:
        w = z * z
    return w


def branch_reassigns_param(x):
    if x > 0:
        x = np.log(x)
    return x * x


def abs_by_branch(x):
    out = 0.0
    if x >= 0:
        out = x
    else:
        out = -x
    return out


BRANCHES = [
    (branch_on_value, (1.3,)), (branch_on_value, (-0.7,)),
    (elif_chain, (-2.0,)), (elif_chain, (0.3,)), (elif_chain, (1.5,)),
    (branch_only_one_side, (1.5, True)), (branch_only_one_side, (1.5, False)),
    (branch_array_condition, (V,)), (branch_array_condition, (-np.abs(V),)),
    (nested_if, (1.0, 2.0)), (nested_if, (1.0, -2.0)), (nested_if, (-1.0, 2.0)),
    (and_or_not, (1.0, 2.0)), (and_or_not, (-1.0, 2.0)), (and_or_not, (1.0, -2.0)),
    (conditional_expression, (2.0,)), (conditional_expression, (0.5,)),
    (conditional_expression_inline, (V, 1.0)), (conditional_expression_inline, (V, -1.0)),
    (early_return, (-1.5,)), (early_return, (1.5,)),
    (multiple_returns, (3.0,)), (multiple_returns, (1.0,)), (multiple_returns, (-1.0,)),
    (branch_uses_only_else, (1.5, 2.0)), (branch_reassigns_param, (2.0,)), (branch_reassigns_param, (-2.0,)),
    (abs_by_branch, (2.0,)), (abs_by_branch, (-2.0,)),
]


@pytest.mark.parametrize("f, args", BRANCHES, ids=lambda v: getattr(v, "__name__", ""))
def test_branches(f, args):
    check(f, *args)


def test_branch_wrt_both():
    check(nested_if, 1.0, -2.0, wrt=(0, 1))


# ---- for / while -----------------------------------------------------------------

def logistic_map(r, x):
    for t in range(100):
        x = r * x * (1 - x)
    return x


def rnn(W, U, h, xs):
    for t in range(len(xs)):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h ** 2)


def loop_over_rows(w, X):
    total = 0.0
    for row in X:
        total = total + np.tanh(row @ w)
    return total


def loop_over_list(ws):
    acc = 1.0
    for w in ws:
        acc = acc * np.sum(w)
    return acc


def loop_zip(weights, biases, x):
    h = x
    for W, b in zip(weights, biases):
        h = np.tanh(W @ h + b)
    return np.sum(h)


def loop_enumerate(x, coeffs):
    out = 0.0
    for i, c in enumerate(coeffs):
        out = out + c * x ** i
    return out


def loop_accumulate_array(x):
    s = np.zeros(3)
    for k in range(1, 4):
        s = s + np.sin(k * x)
    return np.sum(s * s)


def loop_two_carried(x, y):
    a, b = x, y
    for _ in range(5):
        a, b = a * 0.5 + b, a - b * 0.3
    return a * b


def nested_loops(x):
    s = 0.0
    for i in range(3):
        for j in range(4):
            s = s + np.sin(x * i + j) * x
    return s


def nested_loops_carried(x):
    for i in range(3):
        for j in range(2):
            x = np.sin(x) + 0.1 * x
        x = x * 1.1
    return x


def while_data_dependent(x):
    y = x
    while y < 10.0:
        y = y * 1.5 + x
    return y


def while_count(x, n):
    i = 0
    while i < n:
        x = x * np.cos(x)
        i += 1
    return x


def loop_break(x):
    y = x
    for i in range(20):
        y = y * 1.3
        if y > 5.0:
            break
    return y


def loop_continue(x):
    s = 0.0
    for i in range(6):
        if i % 2 == 0:
            continue
        s = s + x ** i
    return s


def loop_break_and_continue(x):
    s = x
    for i in range(10):
        if i == 1:
            continue
        s = s * np.cos(s) + x
        if i > 6:
            break
    return s


def while_true_break(x):
    y = x
    while True:
        y = y * 2.0
        if y > 10.0:
            break
    return y * x


def loop_branch_inside(x):
    s = 0.0
    for i in range(5):
        if x * i > 1.0:
            s = s + x * i
        else:
            s = s - x ** 2
    return s


def loop_bound_from_int(x, n):
    for _ in range(n):
        x = x + np.sin(x)
    return np.sum(x)


def loop_reads_previous(x):
    prev = x
    cur = x * 2
    for _ in range(4):
        prev, cur = cur, cur * prev
    return cur


def loop_param_unused_in_body(x, y):
    s = y
    for i in range(3):
        s = s * 2.0
    return s * x


def loop_list_build(x):
    parts = []
    for i in range(4):
        parts.append(x * i)
    return sum(parts)


def loop_range_step(x):
    s = 0.0
    for k in range(10, 0, -3):
        s = s + k * np.tanh(x)
    return s


def loop_over_literal(x):
    s = 0.0
    for c in [0.5, 1.5, 2.5]:
        s = s + c * x * x
    return s


def loop_aug_assign_array(h0, b):
    h = h0 + 0.0
    for _ in range(3):
        h += b
        h *= 0.9
    return np.sum(h ** 2)


LOOPS = [
    (logistic_map, (3.1, 0.3), (0, 1)),
    (rnn, (0.3 * rng.normal(size=(5, 5)), rng.normal(size=(5, 3)), rng.normal(size=5),
           rng.normal(size=(6, 3))), (0, 1, 2)),
    (loop_over_rows, (V[:3], M.T), (0, 1)),
    (loop_over_list, ([V, V * 2, V[:2]],), 0),
    (loop_zip, ([M[:, :3], M[:, :3]], [V[:3], V[1:]], V[:3]), (0, 1, 2)),
    (loop_enumerate, (0.7, [1.0, 2.0, 3.0]), (0, 1)),
    (loop_accumulate_array, (V[:3],), 0),
    (loop_two_carried, (1.0, 0.5), (0, 1)),
    (nested_loops, (0.4,), 0),
    (nested_loops_carried, (0.4,), 0),
    (while_data_dependent, (1.0,), 0),
    (while_count, (0.5, 4), 0),
    (loop_break, (0.7,), 0),
    (loop_continue, (0.7,), 0),
    (loop_break_and_continue, (0.7,), 0),
    (while_true_break, (0.7,), 0),
    (loop_branch_inside, (0.6,), 0),
    (loop_bound_from_int, (V, 3), 0),
    (loop_reads_previous, (0.9,), 0),
    (loop_param_unused_in_body, (2.0, 3.0), (0, 1)),
    (loop_list_build, (1.5,), 0),
    (loop_range_step, (0.3,), 0),
    (loop_over_literal, (0.3,), 0),
    (loop_aug_assign_array, (V, V[::-1].copy()), (0, 1)),
]


@pytest.mark.parametrize("f, args, wrt", LOOPS, ids=lambda v: getattr(v, "__name__", ""))
def test_loops(f, args, wrt):
    check(f, *args, wrt=wrt)


# ---- the shape of the generated code ----------------------------------------------

def test_loop_source_is_a_loop_with_a_tape():
    src = tg.grad(rnn).source
    assert "tape = []" in src and "tape.append(" in src
    assert "in reversed(tape):" in src
    assert src.count("np.tanh") == 1        # not unrolled
    assert "def drnn_dW(W, U, h, xs):" in src


def test_branch_source_replays_the_condition():
    src = tg.grad(branch_on_value).source
    assert src.count("if cond:") == 2       # forward and backward test the same name
    assert "else:" in src


# ---- random inputs ------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

floats = st.floats(min_value=-2.0, max_value=2.0, allow_nan=False).filter(lambda v: abs(v) > 1e-3)


@settings(max_examples=15, deadline=None)
@given(floats, floats)
def test_branches_random(x, y):
    if abs(x - y) > 1e-3 and abs(x + y) > 1e-3:
        check(and_or_not, x, y, wrt=(0, 1))
        check(nested_if, x, y, wrt=(0, 1))


@settings(max_examples=15, deadline=None)
@given(st.floats(min_value=0.05, max_value=0.95), st.floats(min_value=2.5, max_value=3.9))
def test_recurrence_random(x, r):
    def short_map(r, x):
        for _ in range(8):
            x = r * x * (1 - x)
        return x
    check(short_map, r, x, wrt=(0, 1), rtol=1e-4, atol=1e-5)


def test_loop_source_does_not_grow_with_the_step_count():
    def steps_10(r, x):
        for t in range(10):
            x = r * x * (1 - x)
        return x

    def steps_1000(r, x):
        for t in range(1000):
            x = r * x * (1 - x)
        return x
    a, b = tg.grad(steps_10).source, tg.grad(steps_1000).source
    assert len(a.splitlines()) == len(b.splitlines())
    assert a.count("for ") == 2 and "in reversed(tape):" in a
    assert np.isclose(tg.grad(steps_1000)(2.5, 0.3), check(steps_1000, 2.5, 0.3)(2.5, 0.3))


def loop_inside_branch(x, flag):
    if flag:
        for i in range(3):
            x = x * np.sin(x) + 1.0
    else:
        x = x - 1.0
    return x * x


def while_inside_for(x):
    s = x
    for k in range(3):
        y = s
        while y < 4.0:
            y = y * 1.7
        s = s + y * x
    return s


def branch_then_loop_then_branch(x):
    if x > 0:
        y = x * 2.0
    else:
        y = x * 0.5
    for _ in range(3):
        if y > 1.0:
            y = y - 0.3 * x
        else:
            y = y * x
    return y if y > 0 else -y


@pytest.mark.parametrize("f, args", [(loop_inside_branch, (0.7, True)), (loop_inside_branch, (0.7, False)),
                                     (while_inside_for, (0.9,)), (branch_then_loop_then_branch, (0.8,)),
                                     (branch_then_loop_then_branch, (-0.6,))],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_mixed_nesting(f, args):
    check(f, *args)


def list_read_while_building(x):
    hs = [x]
    for _ in range(3):
        hs.append(np.sin(hs[-1]) * 2.0)
    return sum(hs)


def write_in_branch_in_loop(x):
    z = np.zeros(4)
    for i in range(4):
        if x[i] > 0:
            z[i] = x[i] ** 2
        else:
            z[i] = -x[i]
    return np.sum(z * x)


def return_param_directly(x):
    if x > 1.0:
        return x
    return x * x * 0.5


def two_loops_in_sequence(x):
    for _ in range(2):
        x = x * np.cos(x)
    y = x
    for _ in range(3):
        y = y + x * 0.1
    return y


def zero_iterations(x, n):
    for _ in range(n):
        x = x * 2.0
    while x > 100.0:
        x = x / 2.0
    return x * 3.0


@pytest.mark.parametrize("f, args", [
    (list_read_while_building, (0.4,)), (write_in_branch_in_loop, (np.array([0.5, -1.0, 2.0, -0.3]),)),
    (return_param_directly, (2.0,)), (return_param_directly, (0.5,)), (two_loops_in_sequence, (0.6,)),
    (zero_iterations, (0.6, 0)), (zero_iterations, (0.6, 2)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_more_loop_shapes(f, args):
    check(f, *args)


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 4), st.integers(0, 4), st.integers(0, 1000))
def test_rnn_random_sizes(n, steps, seed):
    r = np.random.default_rng(seed)
    check(rnn, 0.5 * r.normal(size=(n, n)), r.normal(size=(n, 2)), r.normal(size=n),
          r.normal(size=(steps, 2)), wrt=(0, 1, 2))
