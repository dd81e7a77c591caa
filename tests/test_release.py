"""Compiled derivatives free each temporary after its last use (tangentish/release.py).

The placement tests state, from reading the function by hand, after which
statement each name is last used; the memory test compares peak memory of the
same generated source compiled with and without the releases.
"""
import ast
import traceback
import tracemalloc

import numpy as np
import pytest

import tangentish as tg
from tangentish.release import add_releases


def released(source):
    """The function body after add_releases, as (statement, names deleted after it) pairs."""
    fn = add_releases(ast.parse(source)).body[0]
    pairs = []
    for stmt in fn.body:
        if isinstance(stmt, ast.Delete):
            pairs[-1][1].update(t.id for t in stmt.targets)
        else:
            pairs.append((ast.unparse(stmt).splitlines()[0], set()))
    return pairs


def test_each_temporary_is_deleted_after_its_last_use():
    src = (
        "def f(x, y):\n"
        "    a = x * y\n"
        "    b = a + 1\n"
        "    c = b * a\n"
        "    d = c - x\n"
        "    return d\n")
    assert released(src) == [
        ("a = x * y", set()),
        ("b = a + 1", set()),
        ("c = b * a", {"a", "b"}),
        ("d = c - x", {"c"}),
        ("return d", set()),
    ]


def test_parameters_and_returned_names_are_left_alone():
    src = "def f(x):\n    y = x + 1\n    z = y * 2\n    return (y, z)\n"
    assert all(not names for _, names in released(src))


def test_name_bound_only_inside_a_branch_is_not_deleted():
    # `t` may be unbound after the if: `del t` would raise NameError when the branch is skipped.
    src = (
        "def f(x, flag):\n"
        "    if flag:\n"
        "        t = x * 2\n"
        "        x = t + 1\n"
        "    u = x * 3\n"
        "    v = u + 1\n"
        "    return v\n")
    deleted = set().union(*(names for _, names in released(src)))
    assert "t" not in deleted
    assert deleted == {"u"}


def test_name_used_in_a_loop_is_deleted_after_the_loop():
    src = (
        "def f(x, n):\n"
        "    s = x * 2\n"
        "    acc = 0.0\n"
        "    for i in range(n):\n"
        "        acc = acc + s\n"
        "    out = acc * 1\n"
        "    return out\n")
    pairs = dict(released(src))
    assert pairs["for i in range(n):"] == {"s"}   # `i` is bound only if the loop runs
    assert pairs["out = acc * 1"] == {"acc"}


def test_names_read_by_a_nested_scope_are_left_alone():
    src = (
        "def f(x):\n"
        "    k = x * 2\n"
        "    g = lambda y: y * k\n"
        "    r = g(x)\n"
        "    s = r + 1\n"
        "    return s\n")
    deleted = set().union(*(names for _, names in released(src)))
    assert "k" not in deleted and "r" in deleted


def chain(x):
    a = np.exp(x)
    b = a * 2.0
    c = np.sin(b)
    d = c * c
    e = d + a
    return np.sum(e)


def hand_grad(x):
    a = np.exp(x)
    b = 2.0 * a
    return 2.0 * np.sin(b) * np.cos(b) * 2.0 * a + a


def peak_bytes(fn, *args):
    fn(*args)
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_released_code_holds_less_memory_and_gives_the_same_gradient():
    g = tg.grad(chain)
    x = np.linspace(-1.0, 1.0, 200_000)
    np.testing.assert_allclose(g(x), hand_grad(x), rtol=1e-10, atol=1e-14)
    d = g.derivative
    plain = dict(d.emitted.namespace)
    exec(compile(d.source, "<plain>", "exec"), plain)
    kept = peak_bytes(plain[d.name], x)
    freed = peak_bytes(g.derivative.function, x)
    assert freed < 0.8 * kept, (freed, kept)


def test_tracebacks_still_point_at_the_displayed_line():
    def late_mismatch(x):
        a = np.exp(x)
        b = a * 2.0
        c = b + a
        return np.sum(c @ np.ones((3, 2)))
    g = tg.grad(late_mismatch)
    assert "del " not in g.source
    with pytest.raises(ValueError) as info:
        g(np.ones(2))
    last = traceback.extract_tb(info.value.__traceback__)[-1]
    assert last.filename.startswith("<tangentish")
    assert "@" in last.line
    assert g.source.splitlines()[last.lineno - 1].strip() == last.line
