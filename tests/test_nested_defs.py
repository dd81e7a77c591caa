"""Functions defined inside the differentiated function: inlined right, or refused at the user's line.

A nested ``def`` or lambda is inlined where it is called.  These tests pin
what inlining must keep of Python's meaning (issue 11, class 6): the body
reads the scope it was defined in (not the caller's), defaults are evaluated
when the ``def`` runs, keyword-only and positional-only parameters bind as
Python binds them, and free variables are read when the call runs.  Used as a
value (in a list, returned, handed to SciPy), or rebound on some paths only,
it is refused with a TransformError naming the line: it used to be a
NameError inside the derivative, or a silently wrong number.
"""
import numpy as np
import pytest
import scipy.optimize
from fd import numerical_grad

import tangentish as tg

rng = np.random.default_rng(6)
X3 = rng.normal(size=3)


def helper(seq):
    return seq[0] * seq[1]


# -- inlined, and right ----------------------------------------------------------------
def closure(x):
    def inner(t):
        return t * x
    return np.sum(inner(2.0) + inner(x))


def late_binding(x):
    a = x
    def g(t):
        return t * a          # reads `a` when called: 2 * x by then
    a = 2.0 * x
    return np.sum(g(x))


def scope_of_definition(x):
    def scale(t):
        return t * x          # f's x, whoever calls it
    def apply(x):
        return scale(x) + 1.0
    return np.sum(apply(2.0 * x))


def default_at_def(x):
    a = x
    def inner(t, k=a):       # k is x: the default is evaluated when the def runs
        return t * k
    a = 3.0 * x
    return np.sum(inner(x) + a)


def lambda_default_at_def(x):
    a = x
    g = lambda t, k=a: t * k
    a = 5.0
    return np.sum(g(x) * a)


def default_overridden(x):
    def inner(t, k=2.0):
        return t * k
    return np.sum(inner(x, k=np.sin(x)) + inner(x))


def keyword_only(x):
    def inner(t, *, k=2.0):
        return t * k
    return np.sum(inner(x, k=3.0) + inner(x))


def keyword_only_required(x):
    def inner(t, *, k):
        return t * k
    return np.sum(inner(x, k=x))


def positional_only(x):
    def inner(a, /, b):
        return a * b * b
    return np.sum(inner(x, 2.0) + inner(x, b=x))


def inner_shadows_outer_fn(x):
    def g(t):
        return t * 2.0
    def h(t):
        def g(u):
            return u * 5.0
        return g(t)
    return np.sum(h(x) + g(x))


def param_shadows_fn(x):
    def g(t):
        return t * 7.0
    def h(g):
        return g * 2.0
    return np.sum(h(x) + g(x))


def local_name_shadows_outer(x):
    y = np.cos(x)
    def inner(t):
        y = t * t
        return y + 1.0
    return np.sum(inner(x) * y)


def called_in_test(x):
    def g(t):
        return np.sum(t * t)
    if g(x) > 1.0:
        y = x * 2.0
    else:
        y = x * 3.0
    return np.sum(y)


def called_in_loop(x):
    def step(h):
        return np.tanh(h * x)
    h = x
    for _ in range(3):
        h = step(h)
    return np.sum(h)


def called_in_comprehension(x):
    g = lambda t: t * t
    return sum(np.sum(g(x * k)) for k in [1.0, 2.0])


def nested_with_loop_and_branch(x):
    def body(v):
        s = 0.0 * v
        for i in range(3):
            if i % 2 == 0:
                s = s + v * i
            else:
                s = s - np.sin(v)
        return s
    return np.sum(body(x))


def nested_calls_helper_with_literal(x):
    def inner(t):
        return helper([t, 2.0 * t])
    return np.sum(inner(x))


def defined_in_branch_called_there(x):
    if np.sum(x) > 0:
        def g(t):
            return 2.0 * t
        y = g(x)
    else:
        y = 3.0 * x
    return np.sum(y)


def lambda_in_test_shadows(x):
    v = x
    v = 3.0 * v
    if (lambda v: v - 1.0)(0.5) > 0:   # the lambda's own v: 0.5, so the else branch
        y = v * 2.0
    else:
        y = v * 5.0
    return np.sum(y)


def generator_in_test_shadows(x):
    v = x
    v = 10.0 * v
    if sum(v > 0.5 for v in [0.1, 0.2]) > 0:   # the generator's v: never above 0.5
        y = v * 2.0
    else:
        y = v * 5.0
    return np.sum(y)


def called_as_statement(x):
    def inner(t):
        return t * 2.0
    inner(x)
    return np.sum(inner(x) * x)


def called_in_assert(x):
    def inner(t):
        return np.sum(t * t)
    assert inner(x) >= 0.0
    return np.sum(inner(x) * x)


def works_on_own_copy(x):
    def set_first(z, v):
        z = np.stack([z, 2.0 * z])   # a new array of its own: changing it in place is fine
        z[0] = v
        z += 1.0
        return z
    y = x * 1.0
    w = set_first(y, 5.0 * np.sum(x))
    return np.sum(y * w)

INLINED = [works_on_own_copy, called_as_statement, called_in_assert, closure, late_binding, scope_of_definition, default_at_def, lambda_default_at_def,
           default_overridden, keyword_only, keyword_only_required, positional_only, inner_shadows_outer_fn,
           param_shadows_fn, local_name_shadows_outer, called_in_test, called_in_loop, called_in_comprehension,
           nested_with_loop_and_branch, nested_calls_helper_with_literal, defined_in_branch_called_there,
           lambda_in_test_shadows, generator_in_test_shadows]


@pytest.mark.parametrize("x", [X3, -np.abs(X3), 0.7], ids=["mixed", "negative", "float"])
@pytest.mark.parametrize("mode", ["grad", "value_and_grad", "jvp"])
@pytest.mark.parametrize("f", INLINED, ids=[f.__name__ for f in INLINED])
def test_inlined_nested_function(f, mode, x):
    expected = numerical_grad(f, (x,))
    if mode == "grad":
        got = tg.grad(f)(x)
    elif mode == "value_and_grad":
        value, got = tg.value_and_grad(f)(x)
        np.testing.assert_allclose(value, f(x), rtol=1e-12)
    else:
        v = rng.normal(size=np.shape(x)) if np.ndim(x) else 1.3
        value, t = tg.jvp(f)(x, v)
        np.testing.assert_allclose(value, f(x), rtol=1e-12)
        np.testing.assert_allclose(t, np.sum(expected * v), rtol=1e-5, atol=1e-6)
        return
    assert np.shape(got) == np.shape(x)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


# -- refused, at the user's line ---------------------------------------------------------
def value_in_list(x):
    def inner(t):
        return t * x
    fs = [inner]
    return np.sum(fs[0](2.0))


def value_returned(x):
    g = lambda t: t * x
    return g


def value_to_scipy(x):
    def inner(t):
        return np.sum((t - x) ** 2)
    r = scipy.optimize.minimize_scalar(inner)
    return r.x * np.sum(x)


def value_in_dict(x):
    def inner(t):
        return t * x
    d = {"f": inner}
    return np.sum(d["f"](x))


def value_to_map(x):
    g = lambda t: t * t
    return np.sum(list(map(g, [x, x])))


def value_as_key(x):
    def key(t):
        return -np.sum(t)
    return np.sum(sorted([x, 2.0 * x], key=key)[0])


def value_to_user_function(x):
    def inner(t):
        return t * 2.0
    return np.sum(apply_it(inner, x))


def apply_it(fn, v):
    return fn(v)


def rebound_in_branches(x):
    if np.sum(x) > 0:
        def g(t):
            return 2.0 * t
    else:
        def g(t):
            return 3.0 * t
    return np.sum(g(x))


def rebound_in_one_branch(x):
    g = lambda t: t * 1.0
    if np.sum(x) > 0:
        g = lambda t: t * 4.0
    return np.sum(g(x))


def redefined_in_loop(x):
    def g(t):
        return 2.0 * t
    s = 0.0
    for _ in range(2):
        s = s + np.sum(g(x))
        def g(t):
            return 3.0 * t
    return s


def called_in_or(x):
    def g(t):
        return np.sum(t) > 0
    if np.sum(x) > 5.0 or g(x):
        y = 2.0 * x
    else:
        y = x
    return np.sum(y)


def called_in_while_test(x):
    def small(t):
        return np.sum(t * t) < 4.0
    while small(x):
        x = x * 1.5
    return np.sum(x)


def recursive(x):
    def r(t):
        return r(t)
    return np.sum(r(x))


def unexpected_keyword(x):
    def inner(t):
        return t * 2.0
    return np.sum(inner(x, k=1.0))


def _logged(g):
    """A decorator that is callable on every Python (a bare staticmethod is not callable before 3.10)."""
    return g


def decorated(x):
    @_logged
    def inner(t):
        return t * 2.0
    return np.sum(inner(x))


def appends_to_argument(x):
    def add(xs, v):
        xs.append(v)
    ys = [x]
    add(ys, 2.0 * x)
    return np.sum(ys[0] * ys[-1])


def appends_to_enclosing(x):
    ys = [x]
    def add(v):
        ys.append(v)
    add(2.0 * x)
    return np.sum(ys[0] * ys[-1])


def writes_into_argument(x):
    def set_first(z, v):
        z[0] = v
    y = x * 1.0
    set_first(y, 5.0 * x[1])
    return np.sum(y * y)


def writes_into_enclosing_dict(x):
    d = {"a": 1.0}
    def put(v):
        d["a"] = v
    put(x)
    return np.sum(d["a"] * x)


def augments_argument(x):
    def bump(z):
        z *= 2.0
        return z
    y = x * 1.0
    w = bump(y)
    return np.sum(y * w)


def writes_into_alias_of_argument(x):
    def set_first(z, v):
        w = z
        w[0] = v
    y = x * 1.0
    set_first(y, 5.0 * x[1])
    return np.sum(y * y)


def appends_to_alias(x):
    a = [x]
    b = a
    b.append(2.0 * x)
    return np.sum(a[-1])


REFUSED = [
    (appends_to_argument, "xs.append(v)", "`xs.append(...)` inside the inlined function `add`"),
    (appends_to_enclosing, "ys.append(v)", "`ys.append(...)` inside the inlined function `add`"),
    (writes_into_argument, "z[0] = v", "a write into `z` inside the inlined function `set_first`"),
    (writes_into_enclosing_dict, "d[\"a\"] = v", "a write into `d` inside the inlined function `put`"),
    (augments_argument, "z *= 2.0", "`z *= ...` inside the inlined function `bump`"),
    (writes_into_alias_of_argument, "w[0] = v", "may share its array"),
    (appends_to_alias, "b.append(2.0 * x)", "may share its list"),
    (value_in_list, "fs = [inner]", "`inner` used as a value"),
    (value_returned, "return g", "`g` used as a value"),
    (value_to_scipy, "scipy.optimize.minimize_scalar(inner)", "`inner` used as a value"),
    (value_in_dict, "d = {\"f\": inner}", "`inner` used as a value"),
    (value_to_map, "map(g, [x, x])", "`g` used as a value"),
    (value_as_key, "key=key", "`key` used as a value"),
    (value_to_user_function, "apply_it(inner, x)", "`inner` used as a value"),
    (rebound_in_branches, "return np.sum(g(x))", "defined differently on different paths"),
    (rebound_in_one_branch, "return np.sum(g(x))", "defined differently on different paths"),
    (redefined_in_loop, "s = s + np.sum(g(x))", "defined differently on different paths"),
    (called_in_or, "or g(x)", "may run more or fewer times than once"),
    (called_in_while_test, "while small(x)", "may run more or fewer times than once"),
    (recursive, "return r(t)", "recursive call to `r`"),
    (unexpected_keyword, "inner(x, k=1.0)", "unexpected or repeated argument `k`"),
    (decorated, "def inner(t)", "decorated function `inner`"),
]


#: vjp runs f itself first: these two fail in plain Python already (RecursionError, TypeError)
FAIL_IN_PYTHON = (recursive, unexpected_keyword)
REFUSED_MODES = [(f, line, message, mode) for f, line, message in REFUSED for mode in ("grad", "vjp", "jvp")
                 if not (mode == "vjp" and f in FAIL_IN_PYTHON)]


@pytest.mark.parametrize("f, line, message, mode", REFUSED_MODES,
                         ids=[f"{r[0].__name__}-{r[3]}" for r in REFUSED_MODES])
def test_refused_at_the_users_line(f, line, message, mode):
    with pytest.raises(tg.TransformError) as info:
        if mode == "grad":
            tg.grad(f)(X3)
        elif mode == "vjp":
            tg.vjp(f)(X3)[1](1.0)
        else:
            tg.jvp(f)(X3, X3)
    error = info.value
    assert message in str(error)
    assert line in str(error), str(error)
    assert error.filename == __file__
    assert error.lineno is not None and line in open(__file__).read().splitlines()[error.lineno - 1] \
        or line in str(error)


def argument_order(x):
    rs = np.random.RandomState(0)
    def inner(a, b):
        return a * 2.0 + b * b
    return np.sum(inner(b=x * rs.rand(), a=x * rs.rand()))   # b draws first, as written


@pytest.mark.parametrize("mode", ["grad", "value_and_grad", "jvp"])
def test_arguments_evaluated_in_the_order_written(mode):
    expected = numerical_grad(argument_order, (X3,))
    if mode == "jvp":
        value, t = tg.jvp(argument_order)(X3, np.ones(3))
        np.testing.assert_allclose(t, np.sum(expected), rtol=1e-6)
    else:
        got = tg.value_and_grad(argument_order)(X3) if mode == "value_and_grad" else (argument_order(X3),
                                                                                       tg.grad(argument_order)(X3))
        value, got = got
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    np.testing.assert_allclose(value, argument_order(X3), rtol=1e-12)


def test_inlined_call_as_a_statement_leaves_no_bare_name():
    source = tg.grad(called_as_statement).source
    body = [line.strip() for line in source.splitlines()]
    assert not any(line.isidentifier() for line in body), source
