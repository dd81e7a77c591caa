"""Stress tests for broadcasting, dtypes and structured inputs: where silent wrong gradients hide.

Part one differentiates random user-style programs (``randprog.py``) w.r.t.
every argument and compares with autograd (run on the same source with
``autograd.numpy``), falling back to central differences where autograd is
wrong or cannot run; every gradient must have its argument's shape and kind.
Part two holds targeted cases, each a minimized bug or a pattern named in the
stress brief.
"""
import importlib.util
import re
import sys
import tempfile
import warnings
import zlib
from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest
from fd import numerical_grad
from randprog import Generator, draw_value

import tangentish as tg

try:
    import autograd
    import autograd.numpy  # noqa: F401  (the module the autograd copy imports)
except ImportError:  # autograd is a test extra: fall back to finite differences alone
    autograd = None
try:
    import scipy.special as sp
except ImportError:  # the softmax benchmark loss needs scipy; the rest run without it
    sp = None

# ---- random programs --------------------------------------------------------------

CHUNKS, PER_CHUNK = 10, 30          # 300 programs
NON_SMOOTH = ("abs", "maximum", "minimum", "where", "clip", "max(")


def _load(source: str, name: str, numpy_module: str):
    folder = Path(tempfile.mkdtemp(prefix="tangentish_randprog_"))
    path = folder / f"{name}.py"
    path.write_text(f"import {numpy_module} as np\n\n\n{source}")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class Program:
    """One random program, its arguments, and a reference gradient for each of them."""

    def __init__(self, seed: int):
        rng = np.random.default_rng(seed)
        nargs = int(rng.integers(1, 4))
        gen = Generator(rng, nargs)
        self.source = gen.program("f")
        self.float32 = rng.random() < 0.25
        dtype = np.float32 if self.float32 else np.float64
        self.args = [draw_value(a.shape, rng, dtype) for a in gen.args[:nargs]]
        self.args64 = [a if isinstance(a, float) else a.astype(np.float64) for a in self.args]
        self.tangents = [float(rng.normal()) if isinstance(a, float) else rng.normal(size=a.shape)
                         for a in self.args]
        self.f = _load(self.source, f"randprog_{seed}", "numpy").f
        self.f_ag = _load(self.source, f"randprog_ag_{seed}", "autograd.numpy").f if autograd else None

    def __repr__(self):
        shapes = ["float" if isinstance(a, float) else f"{a.dtype}{a.shape}" for a in self.args]
        return f"\n{self.source}args: {shapes}"

    def references(self, i):
        """Candidate gradients w.r.t. argument ``i``: autograd's (if it runs), then FD's."""
        refs = []
        if self.f_ag is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    refs.append(np.asarray(autograd.grad(self.f_ag, i)(*self.args64), float))
            except Exception:  # autograd lacks a rule or a path: finite differences decide
                pass
        refs.append(np.asarray(numerical_grad(self.f, self.args64, i), float))
        return refs


def _close(got, ref, float32):
    # float32: against float64 references at the float32 point, to 1e-4 of the gradient's scale
    # (fails a 0.1 % error; float32 rounding stays far below it)
    if float32:
        tol = dict(rtol=1e-4, atol=1e-4 * float(np.max(np.abs(ref), initial=0.0)) + 1e-6)
    else:
        tol = dict(rtol=1e-5, atol=1e-6)
    return np.shape(got) == np.shape(ref) and np.allclose(np.asarray(got, float), ref, **tol)


def _assert_kind(g, x, what):
    if isinstance(x, float):
        assert type(g) is float, f"{what}: Python float in, {type(g).__name__} out"
    else:
        assert isinstance(g, np.ndarray), f"{what}: ndarray in, {type(g).__name__} out"
        assert g.shape == x.shape and g.dtype == x.dtype, \
            f"{what}: {x.dtype}{x.shape} in, {g.dtype}{g.shape} out"


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_random_programs_grad(chunk):
    for seed in range(chunk * PER_CHUNK, (chunk + 1) * PER_CHUNK):
        p = Program(seed)
        with np.errstate(all="ignore"):
            if not np.all(np.isfinite(p.f(*p.args))):
                continue
        try:
            grads = tg.grad(p.f, wrt=tuple(range(len(p.args))))(*p.args)
        except tg.TransformError as e:
            # in-place updates of a view of an argument are refused, loudly: the one allowed error
            assert "share its array" in str(e), f"seed {seed}: {e}{p!r}"
            continue
        for i, (g, x) in enumerate(zip(grads, p.args)):
            _assert_kind(g, x, f"seed {seed}, argument {i}{p!r}")
            refs = p.references(i)
            assert any(_close(g, r, p.float32) for r in refs), \
                f"seed {seed}, argument {i}: got {g!r}, references {refs!r}{p!r}"


@pytest.mark.parametrize("chunk", range(0, CHUNKS, 2))
def test_random_programs_jvp_and_hessian(chunk):
    """jvp w.r.t. one argument at a time (the others inactive: the broadcasting case) and hessians."""
    for seed in range(chunk * PER_CHUNK, (chunk + 1) * PER_CHUNK):
        p = Program(seed)
        with np.errstate(all="ignore"):
            if p.float32 or not np.all(np.isfinite(p.f(*p.args))):
                continue
        for i, v in enumerate(p.tangents):
            try:
                value, jv = tg.jvp(p.f, wrt=i)(*p.args, v)
            except tg.TransformError as e:
                assert "share its array" in str(e), f"seed {seed}: {e}{p!r}"
                break
            eps = 1e-6
            moved = [[a + s * eps * t if j == i else a for j, (a, t) in enumerate(zip(p.args, p.tangents))]
                     for s in (1.0, -1.0)]
            want = (p.f(*moved[0]) - p.f(*moved[1])) / (2 * eps)
            assert np.allclose(value, p.f(*p.args))
            assert np.allclose(jv, want, rtol=1e-5, atol=1e-6), f"seed {seed}, jvp {i}: {jv} != {want}{p!r}"
        else:
            if not any(word in p.source for word in NON_SMOOTH):
                _check_hessian(p, seed)


def _check_hessian(p, seed):
    H = tg.hessian(p.f)(*p.args)
    want = None
    if p.f_ag is not None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                want = np.asarray(autograd.hessian(p.f_ag)(*p.args64), float)
        except Exception:   # autograd cannot run in-place updates (h *= ...)
            pass
    if want is None:   # central differences of the gradient (checked above)
        x = p.args[0]
        G, want = tg.grad(p.f), np.zeros(np.shape(x) * 2)
        for idx in np.ndindex(*np.shape(x)):
            for sign in (1.0, -1.0):
                xs = np.array(x, dtype=float)
                xs[idx] += sign * 1e-6
                args = [float(xs) if isinstance(x, float) else xs] + list(p.args[1:])
                want[(Ellipsis,) + idx] += sign * np.asarray(G(*args)) / 2e-6
    assert np.shape(H) == want.shape and np.allclose(H, want, rtol=1e-4, atol=1e-5), \
        f"seed {seed}: hessian {H!r} != {want!r}{p!r}"


# ---- forward mode: a tangent has its value's shape ---------------------------------
# Minimized from the random programs: `tz = tx` for `z = x + c` kept x's shape
# when c broadcast x, so a later sum / matmul / reshape / item assignment saw
# too few elements (jvp silently halved; hessians wrong or crashing).

SHAPES = {"float": None, "0d": (), "vec": (3,), "row": (1, 3), "col": (2, 1), "mat": (2, 3), "cube": (2, 1, 3)}
BROADCAST_PAIRS = [(a, b) for a in SHAPES for b in SHAPES]   # these shapes all broadcast together


def _value(name, rng, positive=False):
    shape = SHAPES[name]
    lo, hi = (0.5, 1.5) if positive else (-1.0, 1.0)
    if shape is None:
        return float(rng.uniform(lo, hi))
    return np.asarray(rng.uniform(lo, hi, size=shape))


def _tangent(x, rng):
    return float(rng.normal()) if isinstance(x, float) else np.asarray(rng.normal(size=np.shape(x)))


def _directional_fd(f, args, i, v, eps=1e-6):
    plus, minus = list(args), list(args)
    plus[i], minus[i] = args[i] + eps * v, args[i] - eps * v
    return (f(*plus) - f(*minus)) / (2 * eps)


def op_add(x, y):
    return np.sum((x + y) * np.cos(x + y))


def op_sub(x, y):
    return np.sum(np.sin(x - y))


def op_mul(x, y):
    return np.sum(np.reshape(x * y, -1) * np.arange(1.0, 1.0 + np.size(x * y)))


def op_div(x, y):
    return np.sum(np.tanh(x / y))


def op_pow(x, y):
    return np.sum(np.tanh(x ** y))


def op_maximum(x, y):
    return np.sum(np.maximum(x, y) ** 2)


def op_where(x, y):
    return np.sum(np.exp(np.where(x > 0.7, x, y)))


def op_np_subtract(x, y):
    return np.sum(np.subtract(x, y) @ np.ones(np.shape(np.subtract(x, y))[-1:]))


BINARY = [op_add, op_sub, op_mul, op_div, op_pow, op_maximum, op_where, op_np_subtract]


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("xs,ys", BROADCAST_PAIRS, ids=lambda p: p if isinstance(p, str) else None)
def test_jvp_of_one_active_operand_under_broadcast(op, xs, ys):
    rng = np.random.default_rng(zlib.crc32(f"{op.__name__}/{xs}/{ys}".encode()))
    positive = op in (op_div, op_pow)
    args = [_value(xs, rng, positive), _value(ys, rng, positive)]
    if op is op_np_subtract and np.ndim(args[0]) == np.ndim(args[1]) == 0:
        pytest.skip("matmul needs an array")
    for i in (0, 1):
        v = _tangent(args[i], rng)
        value, jv = tg.jvp(op, wrt=i)(*args, v)
        assert jv == pytest.approx(_directional_fd(op, args, i, v), rel=1e-6, abs=1e-8)


def add_then_matmul(x0, x1, W):
    return np.sum((x0 + x1) @ W)


def add_then_item_assign(x, c):
    z = x + c
    z[0] = 0.0
    return np.sum(z * np.arange(6.0).reshape(2, 3))


def add_then_reshape(x0, x1):
    return np.sum((x0 + x1).reshape(-1) * np.arange(6.0))


def test_jvp_add_then_matmul_minimized():
    x0, x1, W = np.ones((1, 3)), np.ones((2, 3)), np.ones((3, 2))
    _, jv = tg.jvp(add_then_matmul)(x0, x1, W, np.ones((1, 3)))
    assert jv == pytest.approx(12.0)   # 2 rows x 3 columns x 2 outputs, each moving by 1
    assert "broadcast_like(tx0, add)" in tg.jvp(add_then_matmul).source


@pytest.mark.parametrize("f,args", [
    (add_then_item_assign, [np.array([1.0, 2.0, 3.0]), np.ones((2, 3))]),
    (add_then_reshape, [np.array([[0.5], [1.5]]), np.ones((2, 3))]),
], ids=["item_assign", "reshape"])
def test_jvp_broadcast_then_shape_sensitive_step(f, args):
    v = np.arange(1.0, 1.0 + np.size(args[0])).reshape(np.shape(args[0]))
    _, jv = tg.jvp(f)(*args, v)
    assert jv == pytest.approx(_directional_fd(f, args, 0, v), rel=1e-6)


def test_jvp_all_active_needs_no_spreading():
    """Both operands move: ``tx0 + tx1`` already has the result's shape; the source says so."""
    source = tg.jvp(add_then_matmul, wrt=(0, 1)).source
    assert "broadcast_like" not in source and "tadd = tx0 + tx1" in source


def test_hessian_through_broadcast_and_matmul():
    """Forward over reverse: matmul_db of a short tangent crashed (size 2 is different from 1)."""
    def f(x0, x1):
        h0 = ((-x0) + x1) @ (x0 ** 3).T
        return np.sum(h0 * h0)
    x0, x1 = np.array([[0.3, -0.5, 0.8]]), np.array([[0.1, 0.2, 0.3], [-0.4, 0.5, -0.6]])
    H = tg.hessian(f)(x0, x1)
    G, want = tg.grad(f), np.zeros((1, 3, 1, 3))
    for j in range(3):
        e = np.zeros((1, 3))
        e[0, j] = 1e-6
        want[..., 0, j] = (G(x0 + e, x1) - G(x0 - e, x1)) / 2e-6
    np.testing.assert_allclose(H, want, rtol=1e-5, atol=1e-6)


# ---- builtin sum of broadcasting arrays ------------------------------------------------

def builtin_sum_start(s, x, y):
    return np.sum(sum([x, y], s) * np.arange(6.0).reshape(2, 3))


@pytest.mark.parametrize("i", [0, 1, 2])
def test_builtin_sum_of_broadcasting_arrays(i):
    """sum([x (3,), y (2, 3)], s): dx was (2, 3), ds an array for a float s; the jvp in s missed 6x."""
    args = [0.5, np.array([0.1, 0.2, 0.3]), np.ones((2, 3))]
    g = tg.grad(builtin_sum_start, wrt=i)(*args)
    _assert_kind(g, args[i], f"argument {i}")
    np.testing.assert_allclose(g, numerical_grad(builtin_sum_start, args, i), rtol=1e-6)
    v = _tangent(args[i], np.random.default_rng(i))
    _, jv = tg.jvp(builtin_sum_start, wrt=i)(*args, v)
    assert jv == pytest.approx(_directional_fd(builtin_sum_start, args, i, v), rel=1e-6)


# ---- what the caller gets back ------------------------------------------------------

def total(x):
    return np.sum(x)


def shifted(x, c):
    return x + c


def test_gradients_and_tangents_are_writable_arrays_of_their_own():
    """``unreduce``/``broadcast_like`` return broadcast views; ``g += ...`` on one raised."""
    x = np.ones((2, 3))
    g = tg.grad(total)(x)
    g += 1.0
    np.testing.assert_array_equal(g, 2.0)
    _, t = tg.jvp(shifted)(np.ones(3), np.ones((2, 3)), np.ones(3))
    assert t.shape == (2, 3) and t.flags.writeable
    value, pullback = tg.vjp(total)(x)
    assert value == total(x)
    assert pullback(1.0).flags.writeable


# ---- named patterns under every derivative: grad, jvp, hessian ----------------------

W5 = np.arange(1.0, 6.0)


def where_scalar_branch(x):
    return np.sum(np.where(x > 0, x ** 2, 0.0) * W5)


def where_scalar_first(x):
    return np.sum(np.where(x > 0, 1.5, np.sin(x)) * W5)


def where_scalar_active(s, x):
    return np.sum(np.where(x > 0, s, x) * W5)


def normalize_by_sum(x):
    return np.sum(x / np.sum(x) * W5)


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return np.sum(e / np.sum(e, axis=-1, keepdims=True) * W5)


def scalar_pow(b, x):
    return np.sum(b ** x * W5)


def self_pow(x):
    return np.sum(x ** x * W5)


def keepdims_mix(X):
    return np.sum((X - np.mean(X, axis=1, keepdims=True)) ** 2 * np.max(X, axis=0, keepdims=True))


def clip_bound(x, lo):
    return np.sum(np.clip(x, lo, 1.0) * W5)


def mean_broadcast(x, c):
    return np.mean((x * c) ** 2)


X5 = np.array([0.3, -0.7, 1.1, 0.4, 0.9])
XP = np.abs(X5) + 0.5
NAMED = [
    (where_scalar_branch, [X5]), (where_scalar_first, [X5]), (where_scalar_active, [0.7, X5]),
    (where_scalar_active, [np.array(0.7), X5]), (normalize_by_sum, [XP]), (softmax, [X5]),
    (softmax, [np.random.default_rng(1).normal(size=(3, 5))]), (scalar_pow, [1.7, X5]),
    (scalar_pow, [XP, 2.0]), (self_pow, [XP]),
    (keepdims_mix, [np.random.default_rng(2).uniform(0.5, 1.5, size=(4, 5))]),
    (clip_bound, [X5, 0.2]), (clip_bound, [X5, np.array([0.2, 0.1, 0.0, 0.5, 0.3])]),
    (mean_broadcast, [X5, np.random.default_rng(3).normal(size=(3, 5))]),
    (mean_broadcast, [np.random.default_rng(4).normal(size=(3, 1)), X5]),
]


@pytest.mark.parametrize("f,args", NAMED, ids=[f"{f.__name__}-{i}" for i, (f, _) in enumerate(NAMED)])
def test_named_pattern_grad_jvp_hessian(f, args):
    """Finite differences throughout: autograd is wrong for np.where with a scalar branch."""
    rng = np.random.default_rng(5)
    grads = tg.grad(f, wrt=tuple(range(len(args))))(*args)
    for i, x in enumerate(args):
        _assert_kind(grads[i], x, f"argument {i}")
        np.testing.assert_allclose(grads[i], numerical_grad(f, args, i), rtol=1e-5, atol=1e-6)
        v = _tangent(x, rng)
        _, jv = tg.jvp(f, wrt=i)(*args, v)
        assert jv == pytest.approx(_directional_fd(f, args, i, v), rel=1e-5, abs=1e-6)
        H, G = tg.hessian(f, wrt=i)(*args), tg.grad(f, wrt=i)
        want = np.zeros(np.shape(x) * 2)
        for idx in np.ndindex(*np.shape(x)):
            for sign in (1.0, -1.0):
                xs = np.array(x, dtype=float)
                xs[idx] += sign * 1e-6
                moved = list(args)
                moved[i] = float(xs) if isinstance(x, float) else xs
                want[(Ellipsis,) + idx] += sign * np.asarray(G(*moved)) / 2e-6
        np.testing.assert_allclose(H, want, rtol=1e-4, atol=1e-5)


# ---- structured inputs: the random programs again, arguments inside containers -------

Fields = namedtuple("Fields", ["x0", "x1", "x2"])
PACKINGS = ["dict", "list", "tuple", "namedtuple", "nested"]


def _packed(p: Program, seed: int, packing: str):
    """The program rewritten to read its arguments from one container parameter ``p``."""
    body = p.source.split("\n", 1)[1]
    pattern = {"dict": r'p["x\1"]', "list": r"p[\1]", "tuple": r"p[\1]", "namedtuple": r"p.x\1",
               "nested": r'p["layers"][\1]'}[packing]
    module = _load("def f(scale, p):\n" + re.sub(r"\bx(\d)\b", pattern, body), f"packed_{seed}", "numpy")
    args = list(p.args)
    value = {"dict": {f"x{i}": a for i, a in enumerate(args)}, "list": args, "tuple": tuple(args),
             "namedtuple": Fields(*(args + [0.0] * (3 - len(args)))),
             "nested": {"layers": args, "unused": np.float32(2.0)}}[packing]
    return module.f, value


def _leaves(g, packing, n):
    if packing == "dict":
        return [g[f"x{i}"] for i in range(n)]
    if packing == "nested":
        return g["layers"]
    return list(g)[:n]


@pytest.mark.parametrize("packing", PACKINGS)
def test_random_programs_with_container_arguments(packing):
    for seed in range(PACKINGS.index(packing), 100, len(PACKINGS)):
        p = Program(seed)
        with np.errstate(all="ignore"):
            if not np.all(np.isfinite(p.f(*p.args))):
                continue
        f, arg = _packed(p, seed, packing)
        try:
            value, g = tg.value_and_grad(f, wrt="p")(2.0, arg)
        except tg.TransformError as e:
            assert "share its array" in str(e), f"seed {seed}: {e}{p!r}"
            continue
        assert np.allclose(value, p.f(*p.args))
        assert type(g) is type(arg), f"seed {seed}: {type(arg).__name__} in, {type(g).__name__} out"
        if packing == "namedtuple":
            assert all(type(v) is float and v == 0.0 for v in list(g)[len(p.args):])   # unused fields
        if packing == "nested":
            assert isinstance(g["unused"], np.float32) and g["unused"] == 0.0
        for i, (gi, x) in enumerate(zip(_leaves(g, packing, len(p.args)), p.args)):
            _assert_kind(gi, x, f"seed {seed}, {packing} leaf {i}")
            refs = p.references(i)
            assert any(_close(gi, r, p.float32) for r in refs), \
                f"seed {seed}, {packing} leaf {i}: got {gi!r}, references {refs!r}{p!r}"


# ---- integers, repeated and unused inputs --------------------------------------------

def square_sum(x):
    return np.sum(x ** 2)


def product_sum(x, y):
    return np.sum(x * y)


def used_twice(x):
    return np.sum(x * x) + np.sum(np.sin(x) * x)


def uses_only_first(x, y, z):
    return np.sum(x ** 2)


@pytest.mark.parametrize("x", [3, np.int64(3), np.array([1, 2, 3]), np.array([True, False])],
                         ids=["int", "int64", "int-array", "bool-array"])
def test_integer_inputs_give_float_gradients(x):
    g = tg.grad(square_sum)(x)
    assert np.issubdtype(np.result_type(g), np.floating) and np.shape(g) == np.shape(x)
    np.testing.assert_allclose(g, 2.0 * np.asarray(x, dtype=float))   # never truncated to int


def test_integer_operand_of_a_float_gradient():
    g = tg.grad(product_sum, wrt=1)(np.array([1.5, 2.25]), np.array([1, 2]))
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, [1.5, 2.25])


def test_same_input_used_twice_gets_both_contributions():
    x = np.array([0.3, -0.5, 1.2])
    np.testing.assert_allclose(tg.grad(used_twice)(x), numerical_grad(used_twice, [x]), rtol=1e-7)


@pytest.mark.parametrize("y,z", [(np.float32(1.0), np.ones((2, 3), np.float32)), (1.0, np.array(2.0))],
                         ids=["float32", "float-0d"])
def test_unused_inputs_get_zero_of_their_kind(y, z):
    gx, gy, gz = tg.grad(uses_only_first, wrt=(0, 1, 2))(np.ones(2), y, z)
    np.testing.assert_array_equal(gx, 2.0)
    for g, v in ((gy, y), (gz, z)):
        assert type(g) is type(v) and np.all(g == 0) and np.shape(g) == np.shape(v)
        assert getattr(g, "dtype", None) == getattr(v, "dtype", None)


# ---- containers: wrt by name and position, value_and_grad ------------------------------

Layer = namedtuple("Layer", ["W", "b"])


def container_loss(scale, params, layer, pair):
    h = np.tanh(pair[0] @ layer.W + layer.b)
    return scale * np.sum(h * params["w"][0]) + np.sum(params["w"][1] ** 2) + np.sum(pair[1] * h)


def _container_args():
    rng = np.random.default_rng(6)
    params = {"w": [rng.normal(size=2), np.float32(0.5)], "unused": rng.normal(size=3)}
    layer = Layer(rng.normal(size=(3, 2)), rng.normal(size=(1, 2)))
    pair = (rng.normal(size=(4, 3)), rng.normal(size=(4, 1)))
    return [0.7, params, layer, pair]


def _flat_fd(f, args, i, path):
    """Central differences w.r.t. one leaf of argument ``i`` (``path`` indexes into it)."""
    def leaf_fn(v):
        def put(c, keys):
            if not keys:
                return v
            k, rest = keys[0], keys[1:]
            if isinstance(c, dict):
                return {**c, k: put(c[k], rest)}
            items = list(c)
            items[k] = put(c[k], rest)
            return type(c)(*items) if hasattr(c, "_fields") else type(c)(items)
        moved = list(args)
        moved[i] = put(args[i], path)
        return f(*moved)
    leaf = args[i]
    for k in path:
        leaf = leaf[k]
    return numerical_grad(leaf_fn, [np.asarray(leaf, float) if np.ndim(leaf) else float(leaf)], 0)


LEAVES = {1: [("w", 0), ("w", 1), ("unused",)], 2: [(0,), (1,)], 3: [(0,), (1,)]}


@pytest.mark.parametrize("wrt", [(1, 2, 3), ("params", "layer", "pair"), ("layer", 1), 2])
def test_container_gradients_keep_structure(wrt):
    args = _container_args()
    value, grads = tg.value_and_grad(container_loss, wrt=wrt)(*args)
    assert value == pytest.approx(container_loss(*args))
    names = ["scale", "params", "layer", "pair"]
    positions = [names.index(w) if isinstance(w, str) else w for w in (wrt if isinstance(wrt, tuple) else (wrt,))]
    grads = grads if isinstance(wrt, tuple) else (grads,)
    for pos, g in zip(positions, grads):
        assert type(g) is type(args[pos])
        for path in LEAVES[pos]:
            leaf, x = g, args[pos]
            for k in path:
                leaf, x = leaf[k], x[k]
            if isinstance(x, np.generic):   # a NumPy scalar leaf keeps its type (float32 here)
                assert type(leaf) is type(x), f"{type(x).__name__} in, {type(leaf).__name__} out"
            else:
                _assert_kind(leaf, x, f"{names[pos]}{list(path)}")
            np.testing.assert_allclose(leaf, _flat_fd(container_loss, args, pos, path), rtol=1e-4, atol=1e-6)


# ---- float32 through the benchmark cases' primitives ------------------------------------
# The losses of benchmarks/ (copied: tests do not import benchmark code), with
# float32 arrays, float32 scalars and Python floats mixed with float64 constants.

def bench_sigmoid(x):
    return np.sum(1.0 / (1.0 + np.exp(-x)))


def bench_gaussian_nll(mu, log_sigma, x):
    sigma = np.exp(log_sigma)
    return np.sum(0.5 * ((x - mu) / sigma) ** 2 + log_sigma + 0.5 * np.log(2 * np.pi))


def bench_logistic_nll(w, X, t):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return -np.sum(t * np.log(p) + (1 - t) * np.log(1 - p))


def bench_softmax_loss(W, X, Y):
    return -np.mean(np.sum(Y * sp.log_softmax(X @ W, axis=1), axis=1))


def bench_gauss_nll(K, y):
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(K, y)
    return 0.5 * y @ alpha + np.sum(np.log(np.diagonal(L)))


def bench_spectrum_loss(x, target):
    return np.sum((np.abs(np.fft.rfft(x)) - target) ** 2)


def bench_logistic_map(r, x):
    for t in range(10):
        x = r * x * (1 - x)
    return x


def bench_rnn(W, U, h, xs):
    for t in range(len(xs)):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h ** 2)


def bench_quad_tanh(x, A):
    return 0.5 * x @ A @ x + np.sum(np.tanh(x))


def _bench_cases():
    rng = np.random.default_rng(7)
    f32 = np.float32
    A = rng.normal(size=(4, 4))
    cases = {
        "sigmoid": (bench_sigmoid, [rng.normal(size=5).astype(f32)]),
        "gaussian_nll": (bench_gaussian_nll, [f32(0.3), 0.1, rng.normal(size=6).astype(f32)]),
        "logistic_nll": (bench_logistic_nll, [rng.normal(size=3).astype(f32), rng.normal(size=(6, 3)).astype(f32),
                                              (rng.random(6) > 0.5).astype(f32)]),
        "softmax_loss": (bench_softmax_loss, [rng.normal(size=(3, 4)).astype(f32),
                                              rng.normal(size=(5, 3)).astype(f32), np.eye(4, dtype=f32)[[0, 1, 2, 3, 0]]]),
        "gauss_nll": (bench_gauss_nll, [(A @ A.T + 4 * np.eye(4)).astype(f32), rng.normal(size=4).astype(f32)]),
        "spectrum_loss": (bench_spectrum_loss, [rng.normal(size=8).astype(f32), rng.random(5).astype(f32)]),
        "logistic_map": (bench_logistic_map, [f32(3.1), f32(0.4)]),
        "rnn": (bench_rnn, [(0.5 * rng.normal(size=(3, 3))).astype(f32), rng.normal(size=(3, 2)).astype(f32),
                            rng.normal(size=3).astype(f32), rng.normal(size=(4, 2)).astype(f32)]),
        "quad_tanh": (bench_quad_tanh, [rng.normal(size=4).astype(f32), A.astype(f32)]),
    }
    if sp is None:
        del cases["softmax_loss"]
    return cases


@pytest.mark.parametrize("name", list(_bench_cases()))
def test_float32_benchmark_losses(name):
    f, args = _bench_cases()[name]
    grads = tg.grad(f, wrt=tuple(range(len(args))))(*args)
    wide = [float(a) if np.ndim(a) == 0 else np.asarray(a, float) for a in args]
    for i, (g, x) in enumerate(zip(grads, args)):
        assert type(g) is type(x) and getattr(g, "dtype", None) == getattr(x, "dtype", None), \
            f"argument {i}: {type(x).__name__} {getattr(x, 'dtype', '')} in, {type(g).__name__} " \
            f"{getattr(g, 'dtype', '')} out"
        want = numerical_grad(f, wide, i)
        if name == "gauss_nll" and i == 0:   # a symmetric matrix's gradient is symmetric: compare sym parts
            want = 0.5 * (want + want.T)
        np.testing.assert_allclose(np.asarray(g, float), want, rtol=2e-3, atol=2e-3)
