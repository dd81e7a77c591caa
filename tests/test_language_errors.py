"""Constructs tangentish cannot differentiate raise TransformError at the user's line, with a hint."""
import numpy as np
import pytest

import tangentish as tg
from tangentish import TransformError

X = np.arange(3.0)


def generator(x):
    for i in range(3):
        yield x * i


def try_except(x):
    try:
        y = np.log(x)
    except ValueError:
        y = x
    return np.sum(y)


COUNTER = 0


def global_mutation(x):
    global COUNTER
    COUNTER = COUNTER + 1
    return np.sum(x)


def nonlocal_mutation(x):
    total = 0.0

    def add(v):
        nonlocal total
        total = total + v
    add(np.sum(x))
    return total


def recursion(x, n):
    if n == 0:
        return x
    return recursion(x * 2.0, n - 1)


def inline_recursion(x):
    def f(v, n):
        if n == 0:
            return v
        return f(v * 2.0, n - 1)
    return f(x, 2)


async def coroutine(x):
    return x


def class_inside(x):
    class Box:
        pass
    return np.sum(x)


def mutate_argument(x):
    x[0] = 1.0
    return np.sum(x)


def mutate_argument_augassign_item(x):
    x[1:] *= 2
    return np.sum(x)


def mutate_by_method(x):
    y = x * 2.0
    y.sort()
    return np.sum(y)


def loop_else(x):
    for i in range(3):
        x = x * 2.0
    else:
        x = x + 1.0
    return np.sum(x)


def first_assigned_in_loop(x):
    for i in range(3):
        y = x * i
    return np.sum(y)


def with_block(x):
    with open("/dev/null"):
        y = x * 2.0
    return np.sum(y)


def dict_comprehension(x):
    d = {k: x * k for k in range(3)}
    return np.sum(d[1])


def unknown_callable(x):
    return np.sum(np.unwrap(x))


def delete(x):
    y = x * 2.0
    del y
    return np.sum(x)


def nested_write(x):
    z = np.zeros((2, 2))
    z[0][1] = x[0]
    return np.sum(z)


def kwargs_function(x, **options):
    return np.sum(x)


CASES = [
    (generator, "yield", "list"),
    (try_except, "try", "outside"),
    (global_mutation, "global", "argument"),
    (nonlocal_mutation, "nonlocal", "argument"),
    (recursion, "recursive", "loop"),
    (inline_recursion, "recursive", "loop"),
    (coroutine, "async", "ordinary"),
    (class_inside, "class", "module level"),
    (mutate_argument, "argument `x`", "copy"),
    (mutate_argument_augassign_item, "argument `x`", "copy"),
    (mutate_by_method, "in place", "new value"),
    (loop_else, "else", "flag"),
    (first_assigned_in_loop, "first assigned inside the loop", "before the loop"),
    (with_block, "with", "outside"),
    (dict_comprehension, "dict comprehension", None),
    (unknown_callable, "no gradient template for `np.unwrap`", "register"),
    (delete, "del", None),
    (nested_write, "write into", "z[i, j]"),
    (kwargs_function, "**kwargs", None),
]


@pytest.mark.parametrize("f, message, hint", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_unsupported_raises_with_line_and_hint(f, message, hint):
    args = (X, 2) if f in (recursion,) else (X,)
    with pytest.raises(TransformError) as info:
        tg.grad(f)(*args)
    e = info.value
    assert message in e.message, e.message
    assert e.lineno is not None and e.filename == __file__, str(e)
    if hint is not None:
        assert e.hint and hint in e.hint, e.hint
    assert f"line {e.lineno}" in str(e)


def test_error_points_at_the_offending_line():
    with pytest.raises(TransformError) as info:
        tg.grad(mutate_argument)(X)
    import linecache
    assert "x[0] = 1.0" in linecache.getline(__file__, info.value.lineno)


def carried_without_start(x):
    s = 0.0
    for i in range(3):
        if i == 0:
            y = x
        else:
            y = y * x
        s = s + y
    return s


def test_value_carried_without_a_start_raises():
    with pytest.raises(TransformError) as info:
        tg.grad(carried_without_start)(0.5)
    assert "read before it is assigned" in info.value.message
    assert "before the loop" in info.value.hint


def write_through_alias(x):
    z = x * 2.0
    w = z
    w[0] = 0.0
    return np.sum(z)


def write_into_view(A):
    B = A * 1.0
    row = B[0]
    B[0, 1] = 5.0
    return np.sum(row * B)


def augassign_through_alias(x):
    y = x * 1.0
    z = y
    z += 1.0
    return np.sum(y * z)


def write_into_list_element(x):
    z = x * 2.0
    parts = [z, x]
    z[0] = 1.0
    return np.sum(parts[0])


@pytest.mark.parametrize("f", [write_through_alias, write_into_view, augassign_through_alias,
                               write_into_list_element], ids=lambda f: f.__name__)
def test_in_place_update_of_shared_array_raises(f):
    arg = np.arange(4.0).reshape(2, 2) if f is write_into_view else X
    with pytest.raises(TransformError) as info:
        tg.grad(f)(arg)
    assert "share" in info.value.message and "copy" in info.value.hint or "instead" in info.value.hint


def or_as_value(x):
    y = x or 1.0
    return y * 2.0


def test_or_as_a_value_raises():
    with pytest.raises(TransformError) as info:
        tg.grad(or_as_value)(0.5)
    assert "`and`/`or`" in info.value.message
