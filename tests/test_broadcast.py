"""Binary operators under every broadcast pattern, checked against central differences.

An operand broadcast up to the result's shape must get its gradient summed back
to its own shape: getting this wrong gives silently wrong numbers, so every
pair of shapes below is checked, for both gradients, with the operator and the
NumPy-function spelling.
"""
import itertools
import zlib

import numpy as np
import pytest
from fd import assert_grad_close

import tangentish as tg

# name -> shape; "float" is a Python float
SHAPES = {"float": None, "0d": (), "vec": (3,), "row": (1, 3), "col": (4, 1), "mat": (4, 3)}
PAIRS = [p for p in itertools.product(SHAPES, repeat=2)
         if not (p[0] == "vec" and p[1] == "col") and not (p[0] == "col" and p[1] == "vec")]
PAIRS += [("vec", "col"), ("col", "vec")]  # (3,) with (4,1) broadcasts to (4,3): keep it too


def make(name, rng, positive=False):
    shape = SHAPES[name]
    if shape is None:
        return float(rng.uniform(0.5, 1.5)) if positive else float(rng.randn())
    v = rng.uniform(0.5, 1.5, size=shape) if positive else rng.randn(*shape)
    return v if shape else np.asarray(v)


def add(x, y, w):
    return np.sum((x + y) * w)


def sub(x, y, w):
    return np.sum((x - y) * w)


def mul(x, y, w):
    return np.sum(x * y * w)


def div(x, y, w):
    return np.sum(x / y * w)


def pow_(x, y, w):
    return np.sum(x ** y * w)


def np_add(x, y, w):
    return np.sum(np.add(x, y) * w)


def np_sub(x, y, w):
    return np.sum(np.subtract(x, y) * w)


def np_mul(x, y, w):
    return np.sum(np.multiply(x, y) * w)


def np_div(x, y, w):
    return np.sum(np.divide(x, y) * w)


def np_pow(x, y, w):
    return np.sum(np.power(x, y) * w)


def maximum(x, y, w):
    return np.sum(np.maximum(x, y) * w)


def minimum(x, y, w):
    return np.sum(np.minimum(x, y) * w)


OPS = [add, sub, mul, div, pow_, np_add, np_sub, np_mul, np_div, np_pow, maximum, minimum]
POSITIVE = {div, pow_, np_div, np_pow}


@pytest.mark.parametrize("op", OPS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("xs,ys", PAIRS, ids=lambda p: p if isinstance(p, str) else None)
def test_binary_op_broadcast(op, xs, ys):
    rng = np.random.RandomState(zlib.crc32(f"{op.__name__}/{xs}/{ys}".encode()))
    x, y = make(xs, rng, op in POSITIVE), make(ys, rng, op in POSITIVE)
    w = rng.randn(*np.broadcast(np.asarray(x), np.asarray(y)).shape)
    gx, gy = tg.grad(op, wrt=(0, 1))(x, y, w)
    assert_grad_close(op, [x, y, w], 0, grad=gx, rtol=1e-5, atol=1e-7)
    assert_grad_close(op, [x, y, w], 1, grad=gy, rtol=1e-5, atol=1e-7)
    for g, v in ((gx, x), (gy, y)):
        if isinstance(v, float):
            assert isinstance(g, float), f"Python float in, {type(g).__name__} out"
        else:
            assert np.shape(g) == np.shape(v)


# ---- keepdims reductions feeding a broadcast ---------------------------------

def center_rows(X):
    return np.sum((X - np.mean(X, axis=1, keepdims=True)) ** 2 * np.arange(12.0).reshape(4, 3))


def scale_cols(X):
    return np.sum(X / np.sum(X, axis=0, keepdims=True) * np.arange(12.0).reshape(4, 3))


def max_keepdims(X):
    return np.sum(np.exp(X - np.max(X, axis=1, keepdims=True)) * np.arange(12.0).reshape(4, 3))


@pytest.mark.parametrize("f", [center_rows, scale_cols, max_keepdims], ids=lambda f: f.__name__)
def test_keepdims_broadcast(f):
    X = np.random.RandomState(1).uniform(0.5, 1.5, size=(4, 3))
    assert_grad_close(f, [X])


# ---- named patterns from the issue --------------------------------------------

def where_scalar_branch(x):
    return np.sum(np.where(x > 0, x ** 2, 0.0) * np.arange(1.0, 6.0))


def where_scalar_first(x):
    return np.sum(np.where(x > 0, 1.5, np.sin(x)))


def normalize_by_sum(x):
    p = x / np.sum(x)
    return np.sum(p * np.arange(1.0, 6.0))


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    p = e / np.sum(e, axis=-1, keepdims=True)
    return np.sum(p * np.arange(1.0, 6.0))


def scalar_pow_array(x):
    return np.sum(2.0 ** x)


def scalar_pow_array_wrt_base(b, x):
    return np.sum(b ** x)


def gaussian_nll(mu, log_sigma, x):
    sigma = np.exp(log_sigma)
    return np.sum(0.5 * ((x - mu) / sigma) ** 2 + log_sigma + 0.5 * np.log(2 * np.pi))


@pytest.mark.parametrize("f", [where_scalar_branch, where_scalar_first, normalize_by_sum, softmax,
                               scalar_pow_array], ids=lambda f: f.__name__)
def test_named_pattern_vector(f):
    x = np.array([0.3, -0.7, 1.1, 0.4, 0.9])
    if f is normalize_by_sum:
        x = np.abs(x) + 0.5
    assert_grad_close(f, [x])


def test_softmax_matrix_rows():
    X = np.random.RandomState(2).randn(3, 5)
    assert_grad_close(softmax, [X])


def test_scalar_base_pow_array():
    x = np.array([0.3, -0.7, 1.1])
    g = assert_grad_close(scalar_pow_array_wrt_base, [1.7, x], 0)
    assert isinstance(g, float)
    assert_grad_close(scalar_pow_array_wrt_base, [1.7, x], 1)


def test_gaussian_nll_mu_and_log_sigma():
    x = np.random.RandomState(3).randn(50) * 2 + 1
    gmu, gls = tg.grad(gaussian_nll, wrt=(0, 1))(0.4, 0.3, x)
    assert isinstance(gmu, float) and isinstance(gls, float)
    assert_grad_close(gaussian_nll, [0.4, 0.3, x], 0, grad=gmu)
    assert_grad_close(gaussian_nll, [0.4, 0.3, x], 1, grad=gls)
    # the closed form: d/dmu = -sum(x - mu) / sigma^2
    assert gmu == pytest.approx(-np.sum(x - 0.4) / np.exp(0.3) ** 2, rel=1e-10)


def test_gaussian_nll_vector_mu():
    """mu as a row broadcast against samples in rows: gradient per column."""
    rng = np.random.RandomState(4)
    x, mu = rng.randn(20, 3), rng.randn(3)
    assert_grad_close(gaussian_nll, [mu, 0.1, x], 0)
    assert_grad_close(gaussian_nll, [mu.reshape(1, 3), np.zeros((1, 3)), x], 1)


# ---- random broadcastable shapes (hypothesis) -----------------------------------

try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError:  # hypothesis is a test extra; the fixed patterns above still run
    given = None

if given is not None:
    @settings(max_examples=40, deadline=None)
    @given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, min_side=1, max_side=3),
           op=st.sampled_from(OPS), seed=st.integers(0, 2 ** 16))
    def test_binary_op_random_broadcast(shapes, op, seed):
        rng = np.random.RandomState(seed)
        (xs, ys), out = shapes.input_shapes, shapes.result_shape
        if op in POSITIVE:
            x, y = rng.uniform(0.5, 1.5, size=xs), rng.uniform(0.5, 1.5, size=ys)
        else:
            x, y = rng.randn(*xs), rng.randn(*ys)
        w = rng.randn(*out)
        gx, gy = tg.grad(op, wrt=(0, 1))(x, y, w)
        assert_grad_close(op, [x, y, w], 0, grad=gx, rtol=1e-5, atol=1e-7)
        assert_grad_close(op, [x, y, w], 1, grad=gy, rtol=1e-5, atol=1e-7)
