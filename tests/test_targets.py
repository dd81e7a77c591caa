"""``target="cupy"``: the same derivative on device arrays, tested on the CPU through a strict shim.

The shim (tests/cupy_shim.py) refuses to mix host NumPy arrays with its
device arrays, as CuPy does, so a retargeted derivative that still makes a
host array anywhere fails here.  Every gradient is compared with central
finite differences of the NumPy function.  ``test_real_cupy`` runs the same
checks on a GPU when one and CuPy are present (marked ``gpu``).
"""
import collections
import importlib
import sys

import cupy_shim
import numpy as np
import pytest
import scipy.special
from fd import numerical_grad
from numpy import exp, tanh

import tangentish as tg
from tangentish.errors import TangentishError


@pytest.fixture
def cupy():
    saved = cupy_shim.install()
    try:
        yield sys.modules["cupy"]
    finally:
        cupy_shim.uninstall(saved)


# ---- user functions, written for NumPy ----------------------------------------------

def logistic_nll(w, X, t):
    z = X @ w
    p = 1.0 / (1.0 + exp(-z))
    return -np.sum(t * np.log(p) + (1 - t) * np.log(1 - p))


def gaussian_nll(theta, x):
    mu, log_sigma = theta[0], theta[1]
    sigma = np.exp(log_sigma)
    return np.sum(0.5 * ((x - mu) / sigma) ** 2 + log_sigma)


def softmax_xent(W, X, y):
    logits = X @ W
    logits = logits - np.max(logits, axis=1, keepdims=True)
    logp = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(np.sum(logp * y, axis=1))


def mlp(params, X, y):
    h = tanh(X @ params["W1"] + params["b1"])
    out = h @ params["W2"]
    return np.mean((out - y) ** 2) + 0.01 * np.linalg.norm(params["W1"]) ** 2


def rnn(W, xs):
    h = np.zeros(W.shape[0])
    for x in xs:
        h = np.tanh(W @ h + x)
    return np.sum(h ** 2)


def written_into(x):
    z = np.zeros(3)
    for i in range(3):
        z[i] = x[i] * x[(i + 1) % 3]
    return np.sum(scipy.special.expit(z)) + np.sum(np.where(x > 0, x, 0.5))


def cast_and_write(x):
    z = np.zeros(4)
    z[np.array([0, 2])] = x[:2] * 2.0      # an integer-array write: the runtime's `written`
    w = x.astype(np.float64)               # `.astype`: `astype`/`uncast`
    return np.sum(np.tanh(z)) + np.sum(w ** 2)


Pair = collections.namedtuple("Pair", "a b")


def pair_loss(p, x):
    return np.sum(p.a * x + p.b ** 2)


def _data():
    rng = np.random.RandomState(3)
    X = rng.randn(20, 3)
    onehot = np.eye(4)[rng.randint(0, 4, 20)]
    return rng, X, onehot


def cases():
    rng, X, onehot = _data()
    return [
        (logistic_nll, (rng.randn(3), X, (rng.rand(20) > 0.5) * 1.0), 0),
        (gaussian_nll, (np.array([0.3, -0.2]), rng.randn(50)), 0),
        (softmax_xent, (rng.randn(3, 4), X, onehot), 0),
        (rnn, (0.3 * rng.randn(4, 4), rng.randn(5, 4)), 0),
        (written_into, (rng.randn(3),), 0),
        (cast_and_write, (rng.randn(3),), 0),
    ]


def to_device(cp, value):
    if isinstance(value, np.ndarray):
        return cp.asarray(value)
    if isinstance(value, dict):
        return {k: to_device(cp, v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(to_device(cp, v) for v in value))
    return value


@pytest.mark.parametrize("fn, args, wrt", cases(), ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_on_device_matches_finite_differences(cupy, fn, args, wrt):
    g = tg.grad(fn, wrt=wrt, target="cupy")
    got = g(*(to_device(cupy, a) for a in args))
    assert isinstance(got, cupy.ndarray), type(got)          # stayed on the device
    np.testing.assert_allclose(cupy.asnumpy(got), numerical_grad(fn, args, wrt), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("fn, args, wrt", cases(), ids=lambda c: getattr(c, "__name__", ""))
def test_retargeted_source_names_only_the_target(cupy, fn, args, wrt):
    src = tg.grad(fn, wrt=wrt, target="cupy").source
    assert "import cupy as cp" in src
    assert "numpy" not in src and "np." not in src
    assert "from tangentish.runtime " not in src
    assert "# forward" in src and "# backward" in src      # the layout survives the rewrite


def test_the_numpy_derivative_is_left_as_it_was(cupy):
    rng, X, _ = _data()
    args = (rng.randn(3), X, (rng.rand(20) > 0.5) * 1.0)
    on_device = tg.grad(logistic_nll, target="cupy")
    on_device(*(to_device(cupy, a) for a in args))
    plain = tg.grad(logistic_nll)
    assert "import numpy as np" in plain.source and "cp." not in plain.source
    np.testing.assert_allclose(plain(*args), numerical_grad(logistic_nll, args), rtol=1e-5)


def test_numpy_derivative_on_device_arrays_fails_loudly(cupy):
    # why target= exists: the NumPy derivative seeds with host arrays, which CuPy refuses
    rng, X, _ = _data()
    args = (rng.randn(3), X, (rng.rand(20) > 0.5) * 1.0)
    with pytest.raises(TypeError):
        tg.grad(logistic_nll)(*(to_device(cupy, a) for a in args))


def test_dict_and_namedtuple_gradients_keep_their_structure(cupy):
    rng, X, _ = _data()
    params = {"W1": rng.randn(3, 5), "b1": rng.randn(5), "W2": rng.randn(5)}
    y = rng.randn(20)
    g = tg.grad(mlp, target="cupy")(to_device(cupy, params), cupy.asarray(X), cupy.asarray(y))
    assert set(g) == set(params)
    for k in params:
        def f(v, k=k):
            return mlp({**params, k: v}, X, y)
        assert isinstance(g[k], cupy.ndarray)
        np.testing.assert_allclose(cupy.asnumpy(g[k]), numerical_grad(f, (params[k],)), rtol=1e-5, atol=1e-8)

    p, x = Pair(rng.randn(3), rng.randn(3)), rng.randn(3)
    gp = tg.grad(pair_loss, target="cupy")(to_device(cupy, p), cupy.asarray(x))
    assert type(gp) is Pair
    np.testing.assert_allclose(cupy.asnumpy(gp.a), x)                 # d/da sum(a x) = x
    np.testing.assert_allclose(cupy.asnumpy(gp.b), 2 * p.b)           # d/db sum(b^2) = 2b


def test_float32_stays_float32_on_device(cupy):
    rng, X, _ = _data()
    args = (rng.randn(3).astype(np.float32), X.astype(np.float32), ((rng.rand(20) > 0.5) * 1.0).astype(np.float32))
    got = tg.grad(logistic_nll, target="cupy")(*(cupy.asarray(a) for a in args))
    assert got.dtype == np.float32
    expected = numerical_grad(logistic_nll, tuple(a.astype(float) for a in args))
    np.testing.assert_allclose(cupy.asnumpy(got), expected, rtol=1e-3, atol=1e-4)


def test_value_and_grad_on_device(cupy):
    rng = np.random.RandomState(0)
    theta, x = np.array([0.1, 0.4]), rng.randn(30)
    value, g = tg.value_and_grad(gaussian_nll, target="cupy")(cupy.asarray(theta), cupy.asarray(x))
    np.testing.assert_allclose(float(value), gaussian_nll(theta, x))
    np.testing.assert_allclose(cupy.asnumpy(g), numerical_grad(gaussian_nll, (theta, x)), rtol=1e-6)


def test_retargeted_source_runs_on_its_own(cupy):
    rng = np.random.RandomState(1)
    theta, x = np.array([0.2, -0.1]), rng.randn(10)
    g = tg.grad(gaussian_nll, target="cupy")
    ns = {}
    exec(compile(g.source, "<exported>", "exec"), ns)
    got = ns[g.derivative.name](cupy.asarray(theta), cupy.asarray(x))
    np.testing.assert_allclose(cupy.asnumpy(got), numerical_grad(gaussian_nll, (theta, x)), rtol=1e-6)


def test_every_runtime_helper_exists_on_a_target():
    """The retargeted runtime is the runtime: every name generated code may import from it is there."""
    from tangentish import runtime
    from tangentish.runtime_targets import helpers_for
    ns = helpers_for("numpy", "tangentish_on_numpy_check")
    missing = [name for name in runtime.__all__ if name not in ns]
    assert missing == [], f"helpers missing on retargeted runtimes: {missing}"
    assert ns["__all__"] == list(runtime.__all__)


def test_unknown_target_is_refused():
    with pytest.raises(TangentishError, match="unknown target 'jax'.*'cupy'"):
        tg.grad(logistic_nll, target="jax")


def test_missing_library_says_what_to_install():
    if importlib.util.find_spec("dask") is not None:
        pytest.skip("dask is installed here")
    with pytest.raises(TangentishError, match=r"dask\.array.*pip install"):
        tg.grad(logistic_nll, target="dask")


def _real_cupy():
    try:
        import cupy
        return cupy if cupy.cuda.runtime.getDeviceCount() > 0 else None
    except Exception:
        return None


@pytest.mark.gpu
def test_real_cupy():
    cp = _real_cupy()
    if cp is None:
        pytest.skip("needs CuPy and a CUDA GPU")
    for fn, args, wrt in cases():
        got = tg.grad(fn, wrt=wrt, target="cupy")(*(to_device(cp, a) for a in args))
        assert isinstance(got, cp.ndarray)
        np.testing.assert_allclose(cp.asnumpy(got), numerical_grad(fn, args, wrt), rtol=1e-5, atol=1e-7)


def test_jvp_vjp_and_elementwise_grad_on_device(cupy):
    rng = np.random.RandomState(2)
    theta, x, v = np.array([0.2, -0.1]), rng.randn(10), np.array([1.0, -2.0])
    value, tangent = tg.jvp(gaussian_nll, target="cupy")(cupy.asarray(theta), cupy.asarray(x), cupy.asarray(v))
    assert isinstance(tangent, cupy.ndarray)
    np.testing.assert_allclose(float(tangent), numerical_grad(gaussian_nll, (theta, x)) @ v, rtol=1e-6)

    def curve(x):
        return np.tanh(x) * x
    value, pullback = tg.vjp(curve, target="cupy")(cupy.asarray(x))
    np.testing.assert_allclose(cupy.asnumpy(value), curve(x), rtol=1e-12)
    u = rng.randn(10)
    got = pullback(cupy.asarray(u))
    assert isinstance(got, cupy.ndarray)
    slope = (1 - np.tanh(x) ** 2) * x + np.tanh(x)          # by hand
    np.testing.assert_allclose(cupy.asnumpy(got), u * slope, rtol=1e-10)
    np.testing.assert_allclose(cupy.asnumpy(tg.elementwise_grad(curve, target="cupy")(cupy.asarray(x))),
                               slope, rtol=1e-10)


def test_dask_source_uses_dask_array(monkeypatch):
    # dask is not installed on the test machines: a stand-in module only lets target="dask"
    # import, so this checks the rewrite of the source, not dask's own behaviour.
    if importlib.util.find_spec("dask") is not None:
        pytest.skip("real dask present: covered by the numeric test below")
    import types
    dask, array = types.ModuleType("dask"), types.ModuleType("dask.array")
    dask.array = array
    monkeypatch.setitem(sys.modules, "dask", dask)
    monkeypatch.setitem(sys.modules, "dask.array", array)
    monkeypatch.delitem(sys.modules, "tangentish.on_dask", raising=False)
    from tangentish import runtime_targets
    monkeypatch.setattr(runtime_targets, "_loaded", {})
    try:
        src = tg.grad(logistic_nll, target="dask").source
    finally:
        sys.modules.pop("tangentish.on_dask", None)
    assert "import dask.array as da" in src and "da.exp(" in src and "da.log(" in src
    assert "from tangentish.on_dask import " in src
    assert "np." not in src and "numpy" not in src


def test_dask_gradient_matches_finite_differences():
    da = pytest.importorskip("dask.array")
    rng, X, _ = _data()
    args = (rng.randn(3), X, (rng.rand(20) > 0.5) * 1.0)
    got = tg.grad(logistic_nll, target="dask")(*(da.from_array(a, chunks=10) for a in args))
    np.testing.assert_allclose(np.asarray(got), numerical_grad(logistic_nll, args), rtol=1e-5)


ACT = np.tanh


def activated(x):
    return np.sum(ACT(x))


def test_rebinding_a_global_rebuilds_the_retargeted_derivative(cupy, monkeypatch):
    g = tg.grad(activated, target="cupy")
    x = np.linspace(-1.0, 1.0, 5)
    np.testing.assert_allclose(cupy.asnumpy(g(cupy.asarray(x))), 1 - np.tanh(x) ** 2)
    assert "cp.tanh(x)" in g.source
    monkeypatch.setattr(sys.modules[__name__], "ACT", np.sin)
    np.testing.assert_allclose(cupy.asnumpy(g(cupy.asarray(x))), np.cos(x))
    assert "cp.sin(x)" in g.source


def unicode_names(μ, x):
    σ = np.exp(μ)
    return np.sum(np.tanh(x * σ))


def test_non_ascii_names_are_rewritten_in_place(cupy):
    # AST columns count UTF-8 bytes; the rewrite must not shift on a name like σ
    g = tg.grad(unicode_names, target="cupy")
    assert "cp.exp(μ)" in g.source and "cp.tanh(" in g.source
    μ, x = np.array(0.3), np.linspace(-0.5, 1.0, 4)
    got = g(cupy.asarray(μ), cupy.asarray(x))
    np.testing.assert_allclose(cupy.asnumpy(got), numerical_grad(unicode_names, (μ, x)), rtol=1e-6)
