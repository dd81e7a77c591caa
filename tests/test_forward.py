"""Forward mode (jvp): against finite differences, reverse mode, and hand-written tangent code."""
import numpy as np
import pytest
from fd_reference import fd_directional, fd_jacobian
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tangentish as tg
from tangentish import forward, syntax
from tangentish.emit import emit
from tangentish.naming import Namer
from tangentish.normalize import RESERVED, Unit
from tangentish.parse import parse
from tangentish.reverse import GlobalBinder
from tangentish.templates import load_builtin

rng = np.random.RandomState(0)


# ---- a corpus of straight-line functions, each checked in both modes ------------------

def poly(x):
    return 3.0 * x ** 3 - 2.0 * x * x + x - 1.0


def trig(x):
    return np.sin(x) * np.cos(2.0 * x) + np.tan(0.3 * x)


def exps(x):
    return np.exp(0.5 * x) / (1.0 + np.exp(x)) + np.log1p(x * x)


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


def reductions(x):
    return np.sum(x ** 2, axis=0) * np.mean(x) + np.prod(np.tanh(x), axis=1)[0]


def broadcast(x):
    b = np.arange(3.0)
    return (x[:, None] * b) + x[:, None] ** 2


def shapes(x):
    return np.transpose(np.reshape(x, (2, 3))) @ np.ones(2) + x[1:4].sum()


def matmuls(x):
    A = np.arange(12.0).reshape(3, 4) / 10.0
    return A @ np.tanh(x) + np.dot(A, x) * 0.5


def piecewise(x):
    return np.maximum(x, 0.1) + np.abs(x) * np.where(x > 0, x, 2 * x) + np.clip(x, -0.5, 0.5)


def sqrt_div(x):
    return np.sqrt(x * x + 1.0) / (2.0 + x) - np.reciprocal(3.0 + x)


CORPUS = [
    (poly, (5,)), (trig, (4,)), (exps, (4,)), (softmax, (5,)), (reductions, (4, 3)),
    (broadcast, (4,)), (shapes, (6,)), (matmuls, (4,)), (piecewise, (6,)), (sqrt_div, (3,)),
]


@pytest.mark.parametrize("fn,shape", CORPUS, ids=[f.__name__ for f, _ in CORPUS])
def test_jvp_matches_finite_differences(fn, shape):
    x = rng.randn(*shape) * 0.7 + (0.37 if fn is piecewise else 0.0)
    v = rng.randn(*shape)
    value, t = tg.jvp(fn)(x, v)
    np.testing.assert_allclose(value, fn(x), rtol=1e-12)
    np.testing.assert_allclose(t, fd_directional(fn, x, v), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("fn,shape", CORPUS, ids=[f.__name__ for f, _ in CORPUS])
def test_forward_and_reverse_agree(fn, shape):
    """<u, J v> from jvp equals <J^T u, v> from vjp (no finite differences involved)."""
    x = rng.randn(*shape) * 0.7 + (0.37 if fn is piecewise else 0.0)
    v, value = rng.randn(*shape), fn(x)
    u = rng.randn(*np.shape(value))
    jvalue, t = tg.jvp(fn)(x, v)
    vvalue, pullback = tg.vjp(fn)(x)
    assert np.allclose(jvalue, value, rtol=1e-14) and np.allclose(vvalue, value, rtol=1e-14)
    assert np.allclose(np.sum(u * t), np.sum(pullback(u) * v), rtol=1e-10, atol=1e-12)


def test_jvp_with_respect_to_several_arguments_and_float32():
    def f(w, b, X):
        return np.tanh(X @ w + b)

    X = rng.randn(5, 3)
    w, b = rng.randn(3), 0.3
    tw, tb = rng.randn(3), 0.7
    value, t = tg.jvp(f, wrt=(0, 1))(w, b, X, tw, tb)
    expect = fd_directional(lambda s: f(w + s * tw, b + s * tb, X), 0.0, 1.0)
    np.testing.assert_allclose(t, expect, rtol=1e-6)

    w32 = w.astype(np.float32)
    _, t32 = tg.jvp(f)(w32, np.float32(b), X.astype(np.float32), tw.astype(np.float32))
    assert t32.dtype == np.float32


def test_jvp_through_a_user_function_call():
    def inner(a, b):
        return a * np.sin(b)

    def outer(x):
        y = inner(x, 2.0 * x)
        return np.sum(y * y)

    x, v = rng.randn(4), rng.randn(4)
    _, t = tg.jvp(outer)(x, v)
    np.testing.assert_allclose(t, fd_directional(outer, x, v), rtol=1e-6)
    assert "jvp_inner_a_b(x, prod, tx, tprod)" in tg.jvp(outer).source


def test_jvp_of_a_tuple_valued_function():
    def f(x):
        return np.sin(x), np.sum(x) * 2.0

    x, v = rng.randn(3), rng.randn(3)
    (s, total), (ts, ttotal) = tg.jvp(f)(x, v)
    np.testing.assert_allclose(ts, np.cos(x) * v)
    np.testing.assert_allclose(ttotal, 2.0 * np.sum(v))


def test_forward_source_reads_like_hand_written_tangent_code():
    def f(x, y):
        z = x * y
        return np.exp(z) + y

    source = tg.jvp(f).source
    body = source[source.index("def "):]
    expected = (
        "def jvp_f_x(x, y, tx):\n"
        "    z = x * y\n"
        "    tz = tx * y\n"
        "    exp = np.exp(z)\n"
        "    texp = tz * exp\n"
        "    f = exp + y\n"
        "    tf = broadcast_like(texp, f)\n"   # y may broadcast exp: tf has f's shape
        "    return (f, tf)\n")
    assert body == expected, source


def test_constant_output_has_zero_tangent():
    def f(x):
        return np.ones(3) * 2.0

    value, t = tg.jvp(f)(rng.randn(3), rng.randn(3))
    np.testing.assert_array_equal(t, np.zeros(3))


# ---- bad input -------------------------------------------------------------------


def test_tangent_of_wrong_shape_is_a_clear_error():
    def f(x):
        return np.sin(x)

    with pytest.raises(tg.GradientShapeError, match=r"tangent for `x` has shape \(4,\).*\(3,\)"):
        tg.jvp(f)(np.ones(3), np.ones(4))


def test_tangent_of_wrong_structure_is_a_clear_error():
    def f(x):
        return np.sin(x)

    with pytest.raises(tg.GradientShapeError, match="primal value is float"):
        tg.jvp(f)(1.0, [1.0, 2.0])


def test_missing_tangent_is_a_clear_error():
    def f(x):
        return np.sin(x)

    with pytest.raises(tg.TangentishError, match=r"jvp\(f\)\(\*args, v\)"):
        tg.jvp(f)(np.ones(3))


# ---- control flow, on hand-normalized code ------------------------------------------
# normalize.py's loop support lives on another branch; these feed forward.py code that
# is already in normalized form (one primitive per statement, loop variables reassigned).


def _forward_of_normalized(fn, wrt=("x",)):
    load_builtin()
    parsed = parse(fn)
    node = parsed.node
    params = [a.id for a in node.args.args]
    namer = Namer(syntax.names_in(node.body) | set(params) | RESERVED)
    result = node.body[-1].value.id
    unit = Unit(parsed, node, params, namer, result=result)
    binder = GlobalBinder(unit)
    fdef, _, _ = forward.transform(unit, list(wrt), "jvp", None, binder)
    emitted = emit(fdef, parsed.namespace, binder.bound, parsed.namespace)
    return emitted.function, emitted.source


def looped(x):
    y = x
    for i in range(4):
        s = np.sum(y)
        if s > 0:
            sin = np.sin(y)
            y = sin * 1.1
        else:
            y = y * y
    total = np.sum(y)
    return total


def while_break(x, n):
    acc = 0.0
    k = 0
    while k < n:
        acc = acc + x
        acc = np.tanh(acc)
        k = k + 1
        if k > 2:
            break
    return acc


def reset_in_branch(x):
    y = x * 2.0
    for i in range(3):
        if i == 1:
            y = 0.5
        y = y * x
    return y


def over_rows(x):
    total = 0.0
    for row in x:
        e = np.exp(row)
        total = total + e
    out = np.sum(total)
    return out


def taped(x):
    tape = []
    y = x
    for i in range(3):
        y = np.sin(y)
        tape = [*tape, y]
    total = 0.0
    for k in range(len(tape)):
        item = tape[k]
        total = total + item
    out = np.sum(total)
    return out


@pytest.mark.parametrize("fn,x", [
    (taped, rng.randn(3)),
    (looped, rng.randn(4) * 0.3 + 0.2), (looped, -np.abs(rng.randn(4))),
    (reset_in_branch, rng.randn(3)), (over_rows, rng.randn(3, 2)),
])
def test_forward_through_loops_and_branches(fn, x):
    jvp_fn, source = _forward_of_normalized(fn)
    v = rng.randn(*x.shape)
    value, t = jvp_fn(x, v)
    np.testing.assert_allclose(value, fn(x))
    np.testing.assert_allclose(t, fd_directional(fn, x, v), rtol=1e-6, atol=1e-9)


def test_forward_through_while_and_break():
    jvp_fn, source = _forward_of_normalized(while_break)
    x, v = rng.randn(3), rng.randn(3)
    for n in (0, 2, 5):
        value, t = jvp_fn(x, n, v)
        np.testing.assert_allclose(t, fd_directional(lambda z: while_break(z, n), x, v), atol=1e-9)
    # acc starts constant: its tangent is made before the loop, and the loop keeps it
    assert "tacc = zeros_like(acc)" in source and "break" in source


def test_list_built_in_a_loop_carries_tangents():
    _, source = _forward_of_normalized(taped)
    assert "ttape = [*ttape, ty]" in source and "titem = ttape[k]" in source


def test_reassignment_in_a_branch_resets_the_tangent():
    _, source = _forward_of_normalized(reset_in_branch)
    assert "ty = zeros_like(y)" in source


def test_jvp_through_loop_with_control_flow_normalization():
    """The user-level API on loops with a branch inside, against finite differences."""
    def fn(x):
        y = x
        for i in range(3):
            if np.sum(y) > 0:
                y = np.sin(y) * 1.1
            else:
                y = y * y
        return np.sum(y)

    x, v = rng.randn(4) * 0.3, rng.randn(4)
    _, t = tg.jvp(fn)(x, v)   # loops are supported: a refusal here is a failure, not a skip
    np.testing.assert_allclose(t, fd_directional(fn, x, v), rtol=1e-6)


def test_jacobian_forward_matches_fd():
    x = rng.randn(4)
    np.testing.assert_allclose(tg.jacobian(matmuls, mode="fwd")(x), fd_jacobian(matmuls, x), rtol=1e-6)


def layer_loss(p, x):
    return np.sum(np.tanh(x @ p["W"] + p["b"]))


def test_jvp_with_a_dict_of_parameters():
    p = {"W": rng.randn(3, 2), "b": rng.randn(2)}
    tp = {"W": rng.randn(3, 2), "b": rng.randn(2)}
    x = rng.randn(4, 3)
    _, t = tg.jvp(layer_loss)(p, x, tp)
    eps = 1e-6
    fd = (layer_loss({k: p[k] + eps * tp[k] for k in p}, x)
          - layer_loss({k: p[k] - eps * tp[k] for k in p}, x)) / (2 * eps)
    assert np.isclose(t, fd, rtol=1e-6)
    assert "tp_W = tp['W']" in tg.jvp(layer_loss).source


def test_dict_tangent_with_wrong_keys_or_shapes():
    p = {"W": np.ones((3, 2)), "b": np.ones(2)}
    x = np.ones((4, 3))
    with pytest.raises(tg.GradientShapeError, match=r"keys \['W', 'b'\].*keys \['W'\]"):
        tg.jvp(layer_loss)(p, x, {"W": np.ones((3, 2))})
    with pytest.raises(tg.GradientShapeError, match=r"`p\['b'\]` has shape \(3,\)"):
        tg.jvp(layer_loss)(p, x, {"W": np.ones((3, 2)), "b": np.ones(3)})
    with pytest.raises(tg.TangentishError, match="not a dict"):
        tg.hessian(layer_loss)(p, x)


@settings(max_examples=25, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=4), seed=st.integers(0, 2 ** 16),
       broadcast_row=st.booleans())
def test_jvp_on_random_shapes_with_broadcasting(shape, seed, broadcast_row):
    r = np.random.RandomState(seed)
    b = r.randn(shape[-1]) if broadcast_row else r.randn(*shape)

    def f(x):
        return np.sum(np.tanh(x * b) / (1.5 + np.cos(x)), axis=-1) + np.exp(0.1 * x).mean()

    x, v = r.randn(*shape), r.randn(*shape)
    _, t = tg.jvp(f)(x, v)
    np.testing.assert_allclose(t, fd_directional(f, x, v), rtol=1e-5, atol=1e-8)


def test_every_reverse_rule_has_a_forward_rule():
    """Forward mode covers every primitive reverse mode does (a template or @linear)."""
    from tangentish import registry
    load_builtin()
    missing = [getattr(k, "__qualname__", repr(k)) for k in registry.REVERSE
               if k not in registry.FORWARD and k not in registry.LINEAR
               and not registry.is_user_rule(registry.REVERSE[k])]
    assert not missing, f"reverse rules without a forward rule: {sorted(missing)}"


def calls_itself(x):
    y = calls_itself(x * 0.5)
    return y


def test_recursion_is_a_clear_error():
    with pytest.raises(tg.TransformError, match="recursive call to `calls_itself`"):
        tg.jvp(calls_itself)(1.0, 1.0)
