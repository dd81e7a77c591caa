"""Stress tests for broadcasting, dtypes and structured inputs: where silent wrong gradients hide.

Part one differentiates random user-style programs (``randprog.py``) w.r.t.
every argument and compares with autograd (run on the same source with
``autograd.numpy``), falling back to central differences where autograd is
wrong or cannot run; every gradient must have its argument's shape and kind.
Part two holds targeted cases, each a minimized bug or a pattern named in the
stress brief.
"""
import importlib.util
import sys
import tempfile
import warnings
import zlib
from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest
from fd import numerical_grad

import tangentish as tg
from randprog import Generator, draw_value

try:
    import autograd
    import autograd.numpy  # noqa: F401  (the module the autograd copy imports)
except ImportError:  # autograd is a test extra: fall back to finite differences alone
    autograd = None

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
    tol = dict(rtol=2e-3, atol=2e-3) if float32 else dict(rtol=1e-5, atol=1e-6)
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
    x = p.args[0]
    if p.f_ag is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = np.asarray(autograd.hessian(p.f_ag)(*p.args64), float)
    else:   # the gradient's own central differences (its gradient is checked above)
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
    _, pullback = tg.vjp(total)(x)
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
