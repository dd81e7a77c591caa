"""Container literals passed to user functions get their adjoints and tangents (issue 11, class 1).

``total([x, 2 * x])`` used to give a zero gradient: the derivative of a user
call reached named arguments only, and the literal stayed a literal.  Every
case is checked against central finite differences, in every mode the API
offers: ``grad``, ``value_and_grad`` (its value against ``f`` itself),
``vjp`` (value and pullback) and ``jvp`` (forward mode, against the
finite-difference directional derivative).
"""
import numpy as np
import pytest
from fd import numerical_grad

import tangentish as tg
from tangentish import normalize

rng = np.random.default_rng(11)
X3 = rng.normal(size=3)
Y3 = rng.normal(size=3)


# -- helpers the cases call (module level: ordinary user functions) -------------------
def total(seq):
    return seq[0] + seq[1]


def two(a, b):
    return a * b


def weighted(d):
    return d["a"] * 2.0 + d["b"] * d["a"]


def nested(rows):
    return rows[0][0] * rows[0][1] + rows[1][0]


def dict_rows(rows):
    return rows[0]["w"] * rows[1]["w"]


def scaled(seq, c=2.0):
    return c * seq[0] - seq[1]


def pair(p, q):
    return p[0] * q[1] + p[1] * q[0]


def with_container_default(seq, weights=(2.0, 0.5)):
    return weights[0] * seq[0] + weights[1] * seq[1]


def outer_helper(seq):
    return total([seq[0] * seq[1], np.sin(seq[0])])


def keyword_only(x, *, seq):
    return x * seq[0] + seq[1]


class Model:
    def __init__(self, k):
        self.k = k

    def total(self, seq):
        return self.k * seq[0] + seq[1]


MODEL = Model(1.5)


def predict(params, X):
    h = X
    for W, b in params:
        h = np.tanh(h @ W + b)
    return h


# -- the cases: f(*args) is a scalar --------------------------------------------------
def lit_list(x):
    return np.sum(total([x, 2.0 * x]))


def lit_tuple(x):
    return np.sum(total((x, np.sin(x))))


def lit_keyword(x):
    return np.sum(total(seq=[x, 3.0]))


def lit_dict(x):
    return np.sum(weighted({"a": x, "b": x * x}))


def lit_nested(x):
    return np.sum(nested([[x, 2.0 * x], (x * x,)]))


def lit_dicts_in_list(x, y):
    return np.sum(dict_rows([{"w": x}, {"w": np.exp(y)}]))


def lit_starred(x):
    return np.sum(two(*[x, np.cos(x)]))


def lit_double_star(x, y):
    return np.sum(two(**{"a": x, "b": np.sin(y)}))


def lit_default(x):
    return np.sum(scaled([x, x * x]))


def lit_default_given(x, y):
    return np.sum(scaled([x, y], c=np.sum(y)))


def lit_two_args(x, y):
    return np.sum(pair([x, 1.0], (2.0, x * y)))


def lit_in_loop(x):
    s = x
    for _ in range(3):
        s = total([np.sin(s), x])
    return np.sum(s)


def lit_in_branch(x):
    if np.sum(x) > 0:
        s = total([x, x * x])
    else:
        s = total((x, 3.0 * x))
    return np.sum(s)


def lit_method(x):
    return np.sum(MODEL.total([x, np.tanh(x)]))


def lit_two_deep(x):
    return np.sum(outer_helper([x, 2.0 * x]))


def lit_starred_element(x):
    xs = [2.0 * x]
    return np.sum(total([*xs, x * x]))


def lit_keyword_only(x):
    return np.sum(keyword_only(x, seq=(x, np.cos(x))))


def lit_same_name_twice(x):
    return np.sum(total([x, x]))


def lit_callee_container_default(x):
    return np.sum(with_container_default([x, np.sin(x)]))


def lit_caller_container_default(x, scales=(3.0, -1.0)):
    return np.sum(with_container_default((x * scales[0], x), weights=[scales[1], x]))


def lit_of_literals(x):
    return np.sum(nested([(x, {"a": x * x}["a"]), [np.exp(x), 1.0]]) * total(({"a": x}["a"], (x,)[0])))


def mlp(W1, b1, W2, b2, X):
    return np.sum(predict([(W1, b1), (W2, b2)], X) ** 2)


MLP_ARGS = (rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 2)), rng.normal(size=2),
            rng.normal(size=(5, 3)))

CASES = [
    (lit_list, (X3,), (0,)),
    (lit_tuple, (X3,), (0,)),
    (lit_keyword, (X3,), (0,)),
    (lit_dict, (X3,), (0,)),
    (lit_nested, (X3,), (0,)),
    (lit_dicts_in_list, (X3, Y3), (0, 1)),
    (lit_starred, (X3,), (0,)),
    (lit_double_star, (X3, Y3), (0, 1)),
    (lit_default, (X3,), (0,)),
    (lit_default_given, (X3, Y3), (0, 1)),
    (lit_two_args, (X3, Y3), (0, 1)),
    (lit_in_loop, (X3,), (0,)),
    (lit_in_branch, (X3,), (0,)),
    (lit_in_branch, (-np.abs(X3),), (0,)),
    (lit_method, (X3,), (0,)),
    (lit_two_deep, (X3,), (0,)),
    (lit_starred_element, (X3,), (0,)),
    (lit_same_name_twice, (X3,), (0,)),
    (lit_list, (0.7,), (0,)),
    (lit_callee_container_default, (X3,), (0,)),
    (lit_caller_container_default, (X3,), (0,)),
    (lit_of_literals, (X3,), (0,)),
    (mlp, MLP_ARGS, (0, 1, 2, 3)),
]
IDS = [f"{f.__name__}-{i}" for i, (f, _, _) in enumerate(CASES)]
MODES = ["grad", "value_and_grad", "vjp", "jvp"]


def _close(got, expected, what):
    got = np.asarray(got)
    assert got.shape == np.shape(expected), f"{what}: shape {got.shape}, expected {np.shape(expected)}"
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, err_msg=what)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, args, wrt", CASES, ids=IDS)
def test_literal_arguments(f, args, wrt, mode):
    expected = [numerical_grad(f, args, i) for i in wrt]
    value = f(*args)
    if len(wrt) == 1:
        wrt = wrt[0]
        expected_wrt = (wrt,)
    else:
        expected_wrt = wrt
    if mode == "grad":
        got = tg.grad(f, wrt=wrt)(*args)
        got = got if len(expected_wrt) > 1 else (got,)
        for i, g, e in zip(expected_wrt, got, expected):
            _close(g, e, f"d{i}")
    elif mode == "value_and_grad":
        v, got = tg.value_and_grad(f, wrt=wrt)(*args)
        _close(v, value, "value")
        got = got if len(expected_wrt) > 1 else (got,)
        for i, g, e in zip(expected_wrt, got, expected):
            _close(g, e, f"d{i}")
    elif mode == "vjp":
        for i, e in zip(expected_wrt, expected):
            v, pullback = tg.vjp(f, wrt=i)(*args)
            _close(v, value, "value")
            _close(pullback(1.0), e, f"d{i}")
    else:
        for i, e in zip(expected_wrt, expected):
            direction = rng.normal(size=np.shape(args[i]))
            if np.ndim(args[i]) == 0:
                direction = float(direction)
            v, t = tg.jvp(f, wrt=i)(*args, direction)
            _close(v, value, "value")
            _close(t, np.sum(e * direction), f"t{i}")


def test_gradient_is_python_float_for_python_float():
    g = tg.grad(lit_list)(0.7)
    assert isinstance(g, float) and np.isclose(g, 3.0)


def test_mlp_hessian_against_autograd():
    anp = pytest.importorskip("autograd.numpy")
    autograd = pytest.importorskip("autograd")

    def ref_predict(params, X):
        h = X
        for W, b in params:
            h = anp.tanh(h @ W + b)
        return h

    def ref_mlp(W1, b1, W2, b2, X):
        return anp.sum(ref_predict([(W1, b1), (W2, b2)], X) ** 2)

    for i in (1, 3, 0):
        got = tg.hessian(mlp, wrt=i)(*MLP_ARGS)
        expected = autograd.hessian(ref_mlp, i)(*MLP_ARGS)
        _close(got, expected, f"hessian wrt {i}")


def test_mlp_hvp_against_finite_differences_of_the_gradient():
    """The Hessian-vector product through a literal parameter list: FD of an FD-checked gradient."""
    v = rng.normal(size=4)
    got = tg.hvp(mlp, wrt=1)(*MLP_ARGS, v)
    eps = 1e-5
    plus, minus = list(MLP_ARGS), list(MLP_ARGS)
    plus[1], minus[1] = MLP_ARGS[1] + eps * v, MLP_ARGS[1] - eps * v
    expected = (numerical_grad(mlp, plus, 1) - numerical_grad(mlp, minus, 1)) / (2 * eps)
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-4)


def test_literal_is_named_after_the_parameter():
    source = tg.grad(mlp, wrt=(0, 1, 2, 3)).source
    assert "params_0 = (W1, b1)" in source and "params = [params_0, params_1]" in source
    assert "seq = [x, prod]" in tg.grad(lit_list).source
    assert "seq = [x, 3.0]" in tg.grad(lit_keyword).source


def test_spread_arguments_become_ordinary_ones():
    source = tg.grad(lit_starred).source
    assert "two_forward(x, cos)" in source and "*" not in source.split("two_forward(", 1)[1].split(")")[0]


def test_guard_refuses_an_argument_left_a_literal(monkeypatch):
    """The guard after normalization: plant the bug (no naming) and the call is refused at its line."""
    monkeypatch.setattr(normalize.Normalizer, "user_call",
                        lambda self, func, call, callee: gast_call(self, func, call))

    def planted(x):
        return np.sum(total([x, 2.0 * x]))

    with pytest.raises(tg.TransformError) as info:
        tg.grad(planted)(X3)
    text = str(info.value)
    assert "total([x, prod])" in text and "return np.sum(total([x, 2.0 * x]))" in text
    assert info.value.lineno == planted.__code__.co_firstlineno + 1


def gast_call(normalizer, func, call):
    import gast
    return gast.Call(func=func, args=[normalizer.arg(a) for a in call.args],
                     keywords=[gast.keyword(arg=k.arg, value=normalizer.arg(k.value)) for k in call.keywords])


def test_constant_literal_needs_no_name():
    def f(x):
        return np.sum(total([1.0, 2.0]) * x)
    np.testing.assert_allclose(tg.grad(f)(X3), numerical_grad(f, (X3,)), rtol=1e-6)


def test_shape_query_argument_stays_inline():
    def rows(x, n):
        return x * n

    def f(x):
        return np.sum(rows(x, x.shape[0]) + rows(x, len(x)))
    np.testing.assert_allclose(tg.grad(f)(X3), numerical_grad(f, (X3,)), rtol=1e-6)
    assert "rows_forward(x, x.shape[0])" in tg.grad(f).source


@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_active_literal_to_a_keyword_only_parameter_is_refused(mode):
    """Keyword-only parameters are constants of a derivative: an active literal there is loud, not zero."""
    with pytest.raises(tg.TransformError, match="keyword-only|positional"):
        if mode == "grad":
            tg.grad(lit_keyword_only)(X3)
        else:
            tg.jvp(lit_keyword_only)(X3, Y3)


# -- a user function that changes its argument in place: refused at the call -----------------
def append_to(xs, v):
    xs.append(v)


def set_first(z, v):
    w = z
    w[0] = v
    return 0.0


def scale_in_place(z):
    z *= 2.0
    return z


def passes_it_on(xs, v):
    append_to(xs, v)
    return 0.0


def copy_then_change(z, v):
    z = z.copy()
    z[0] = v
    return z


def mut_bare_append(x):
    ys = [x]
    append_to(ys, 2.0 * x)
    return np.sum(ys[0] * ys[-1])


def mut_item_write_through_alias(x):
    y = x * 1.0
    r = set_first(y, 5.0 * x[1])
    return np.sum(y * y) + r


def mut_augmented(x):
    y = x * 1.0
    w = scale_in_place(y)
    return np.sum(y * w)


def mut_two_deep(x):
    ys = [x]
    passes_it_on(ys, 2.0 * x)
    return np.sum(ys[-1])


MUTATING = [(mut_bare_append, "append_to(ys, 2.0 * x)", "`xs` in place"),
            (mut_item_write_through_alias, "set_first(y, 5.0 * x[1])", "`z` in place"),
            (mut_augmented, "scale_in_place(y)", "`z` in place"),
            (mut_two_deep, "passes_it_on(ys, 2.0 * x)", "`xs` in place")]


@pytest.mark.parametrize("mode", ["grad", "vjp", "jvp"])
@pytest.mark.parametrize("f, line, message", MUTATING, ids=[m[0].__name__ for m in MUTATING])
def test_callee_changing_its_argument_in_place_is_refused(f, line, message, mode):
    """These gave silently wrong numbers: the forward sweep ran the change, the derivative did not see it."""
    with pytest.raises(tg.TransformError) as info:
        if mode == "grad":
            tg.grad(f)(X3)
        elif mode == "vjp":
            tg.vjp(f)(X3)[1](1.0)
        else:
            tg.jvp(f)(X3, Y3)
    assert message in str(info.value) and line in str(info.value)
    assert info.value.filename == __file__


def test_callee_changing_its_own_copy_is_differentiated():
    def f(x):
        y = x * 1.0
        w = copy_then_change(y, 5.0 * x[1])
        return np.sum(y * w)
    np.testing.assert_allclose(tg.grad(f)(X3), numerical_grad(f, (X3,)), rtol=1e-6, atol=1e-8)
    _, t = tg.jvp(f)(X3, Y3)
    np.testing.assert_allclose(t, numerical_grad(f, (X3,)) @ Y3, rtol=1e-6, atol=1e-8)
