"""User code as teachers and ML users write it: models, losses and the NumPy idioms they use.

Each function is written the way a notebook would write it (methods, in-place
updates, helpers, closures, Python floats) and its gradient is checked against
central finite differences, or against autograd where that is installed.
Constructs that cannot be supported are checked to raise a TransformError at
the user's line.
"""
import functools
import math
from collections import namedtuple

import numpy as np
import pytest
from fd import numerical_grad

import tangentish as tg

try:
    from scipy import stats
except ImportError:   # scipy is optional; its tests skip
    stats = None

rng = np.random.RandomState(0)
X = rng.randn(8, 3)
Y = rng.randn(8)
W = rng.randn(3)
YB = (rng.rand(8) > 0.5).astype(float)
LABELS = rng.randint(0, 4, size=8)
ONEHOT = np.eye(4)[LABELS]
W4 = rng.randn(3, 4)
V5 = rng.randn(5)
DATA = rng.randn(20) * 2 + 1


def assert_grads(f, args, wrt=0, rtol=1e-5, atol=1e-6):
    """tg.grad(f, wrt=wrt) against central differences, per differentiated argument."""
    got = tg.grad(f, wrt=wrt)(*args)
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    grads = got if isinstance(wrt, tuple) else (got,)
    for pos, g in zip(positions, grads):
        expected = numerical_grad(f, args, pos)
        assert np.shape(g) == np.shape(expected)
        np.testing.assert_allclose(g, expected, rtol=rtol, atol=atol)
    return got


# ---- models and losses ---------------------------------------------------------------

def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def mse(w, X, y):
    return np.mean((X @ w - y) ** 2)


def mse_bias(w, b, X, y):
    pred = X.dot(w) + b
    return ((pred - y) ** 2).mean()


def ridge(w, X, y, lam=0.1):
    r = X @ w - y
    return r @ r / len(y) + lam * np.sum(w ** 2)


def logreg(w, X, y):
    p = sigmoid(X @ w)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def logreg_logaddexp(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0, z) - y * z)


def logreg_log1p(w, X, y):
    z = X @ w
    s = 2 * y - 1
    return np.sum(np.log1p(np.exp(-s * z)))


def logreg_clip(w, X, y):
    p = np.clip(sigmoid(X @ w), 1e-7, 1 - 1e-7)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def softmax_ce_onehot(W, X, Y):
    logits = X @ W
    logits = logits - np.max(logits, axis=1, keepdims=True)
    p = np.exp(logits) / np.sum(np.exp(logits), axis=1, keepdims=True)
    return -np.sum(Y * np.log(p)) / X.shape[0]


def softmax_ce_labels(W, X, y):
    logits = X @ W
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    p = e / e.sum(axis=1, keepdims=True)
    n = X.shape[0]
    return -np.mean(np.log(p[np.arange(n), y]))


def softmax_ce_logsumexp(W, X, y):
    logits = X @ W
    m = logits.max(axis=1)
    lse = m + np.log(np.sum(np.exp(logits - m[:, None]), axis=1))
    return np.mean(lse - logits[np.arange(len(y)), y])


def mlp_flat(theta, X, y):
    W1 = theta[:15].reshape(3, 5)
    b1 = theta[15:20]
    W2 = theta[20:25]
    b2 = theta[25]
    h = np.tanh(X @ W1 + b1)
    return np.mean((h @ W2 + b2 - y) ** 2)


def mlp_flat_unpack(theta, X, y):
    W1 = np.reshape(theta[0:15], (3, 5))
    rest = theta[15:]
    b1, W2, b2 = rest[:5], rest[5:10], rest[-1]
    h = np.tanh(np.dot(X, W1) + b1)
    return np.sum((np.dot(h, W2) + b2 - y) ** 2) / len(y)


def gauss_nll_log_sigma(theta, x):
    mu = theta[0]
    log_sigma = theta[1]
    sigma = np.exp(log_sigma)
    return np.sum(0.5 * ((x - mu) / sigma) ** 2 + log_sigma + 0.5 * np.log(2 * np.pi))


def gauss_nll_sigma(theta, x):
    mu, sigma = theta
    n = len(x)
    return n * np.log(sigma) + np.sum((x - mu) ** 2) / (2 * sigma ** 2)


def gauss_nll_scalars(mu, sigma, x):
    return -np.sum(-0.5 * np.log(2 * np.pi * sigma ** 2) - (x - mu) ** 2 / (2 * sigma ** 2))


def hinge(w, X, y):
    return np.mean(np.maximum(0, 1 - y * (X @ w))) + 0.5 * w @ w


def huber(r, delta=1.0):
    a = np.abs(r)
    return np.sum(np.where(a <= delta, 0.5 * r ** 2, delta * (a - 0.5 * delta)))


def kl_gauss(mu, logvar):
    return -0.5 * np.sum(1 + logvar - mu ** 2 - np.exp(logvar))


def smoothed_fit(z, y, lam=0.5):
    return np.sum((z - y) ** 2) + lam * np.sum(np.diff(z) ** 2) + 0.1 * np.sum(np.diff(z, n=2) ** 2)


def polynomial_fit(c, t, y):
    return np.mean((np.polyval(c, t) - y) ** 2)


def polynomial_in_x(t, c):
    return np.sum(np.polyval(c, t) ** 2)


def deconvolve(kernel, signal, target):
    return np.sum((np.convolve(signal, kernel, mode="same") - target) ** 2) + np.sum(
        np.convolve(signal, kernel, mode="valid"))


MODELS = [
    (mse, (W, X, Y), 0), (mse_bias, (W, 0.3, X, Y), (0, 1)), (ridge, (W, X, Y), 0),
    (logreg, (W, X, YB), 0), (logreg_logaddexp, (W, X, YB), 0), (logreg_log1p, (W, X, YB), 0),
    (logreg_clip, (W, X, YB), 0), (softmax_ce_onehot, (W4, X, ONEHOT), 0),
    (softmax_ce_labels, (W4, X, LABELS), 0), (softmax_ce_logsumexp, (W4, X, LABELS), 0),
    (mlp_flat, (rng.randn(26) * 0.5, X, Y), 0), (mlp_flat_unpack, (rng.randn(26) * 0.5, X, Y), 0),
    (gauss_nll_log_sigma, (np.array([0.5, 0.2]), DATA), 0), (gauss_nll_sigma, (np.array([0.5, 1.2]), DATA), 0),
    (gauss_nll_scalars, (0.5, 1.2, DATA), (0, 1)), (hinge, (W, X, np.sign(Y)), 0),
    (huber, (V5 * 2,), 0), (kl_gauss, (V5, V5[::-1]), (0, 1)),
    (smoothed_fit, (rng.randn(6), rng.randn(6)), 0), (polynomial_fit, (rng.randn(4), np.linspace(0, 1, 7), Y[:7]), 0),
    (polynomial_in_x, (np.linspace(-1, 1, 5), rng.randn(3)), (0, 1)),
    (deconvolve, (rng.randn(3), rng.randn(8), rng.randn(8)), (0, 1)),
]


@pytest.mark.parametrize("f,args,wrt", MODELS, ids=[m[0].__name__ for m in MODELS])
def test_model_gradient(f, args, wrt):
    assert_grads(f, args, wrt)


def test_models_agree_with_autograd():
    autograd = pytest.importorskip("autograd")
    import autograd.numpy as anp

    def logreg_ag(w, X, y):
        p = 1.0 / (1.0 + anp.exp(-anp.dot(X, w)))
        return -anp.mean(y * anp.log(p) + (1 - y) * anp.log(1 - p))

    def softmax_ag(W, X, Y):
        logits = anp.dot(X, W)
        logits = logits - anp.max(logits, axis=1, keepdims=True)
        p = anp.exp(logits) / anp.sum(anp.exp(logits), axis=1, keepdims=True)
        return -anp.sum(Y * anp.log(p)) / X.shape[0]
    np.testing.assert_allclose(tg.grad(logreg)(W, X, YB), autograd.grad(logreg_ag)(W, X, YB), rtol=1e-10)
    np.testing.assert_allclose(tg.grad(softmax_ce_onehot)(W4, X, ONEHOT),
                               autograd.grad(softmax_ag)(W4, X, ONEHOT), rtol=1e-10)


def mlp_dict(params, X, y):
    h = np.tanh(X @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    return np.mean((out - y) ** 2)


def mlp_layers(layers, X):
    h = X
    for W, b in layers:
        h = np.tanh(h @ W + b)
    return np.sum(h ** 2)


def test_mlp_with_dict_params():
    params = {"W1": rng.randn(3, 5), "b1": rng.randn(5), "W2": rng.randn(5), "b2": 0.1}
    g = tg.grad(mlp_dict)(params, X, Y)
    assert set(g) == set(params) and type(g["b2"]) is float
    for k in params:
        def fk(v, k=k):
            return mlp_dict({**params, k: v}, X, Y)
        np.testing.assert_allclose(g[k], numerical_grad(fk, [params[k]]), rtol=1e-5, atol=1e-7)


def test_mlp_with_list_of_weight_bias_tuples():
    layers = [(rng.randn(3, 5), rng.randn(5)), (rng.randn(5, 2), rng.randn(2))]
    g = tg.grad(mlp_layers)(layers, X)
    assert isinstance(g, list) and isinstance(g[0], tuple)
    for i in range(2):
        for j in range(2):
            def fij(v, i=i, j=j):
                new = [list(layer) for layer in layers]
                new[i][j] = v
                return mlp_layers([tuple(layer) for layer in new], X)
            np.testing.assert_allclose(g[i][j], numerical_grad(fij, [layers[i][j]]), rtol=1e-5, atol=1e-7)


def test_scipy_minimize_with_tg_grad_as_jac():
    optimize = pytest.importorskip("scipy.optimize")

    def nll(theta):
        return gauss_nll_log_sigma(theta, DATA)
    want = [DATA.mean(), np.log(DATA.std())]
    res = optimize.minimize(nll, np.zeros(2), jac=tg.grad(nll), method="BFGS")
    np.testing.assert_allclose(res.x, want, rtol=1e-5)
    res = optimize.minimize(gauss_nll_log_sigma, np.zeros(2), args=(DATA,), jac=tg.grad(gauss_nll_log_sigma),
                            method="BFGS")
    np.testing.assert_allclose(res.x, want, rtol=1e-5)
    res = optimize.minimize(tg.value_and_grad(gauss_nll_log_sigma), np.zeros(2), args=(DATA,), jac=True,
                            method="BFGS")
    np.testing.assert_allclose(res.x, want, rtol=1e-5)


def test_polynomial_fit_with_scipy_minimize():
    optimize = pytest.importorskip("scipy.optimize")
    t = np.linspace(0, 1, 9)
    y = np.polyval([2.0, -1.0, 0.5], t)
    res = optimize.minimize(polynomial_fit, np.zeros(3), args=(t, y), jac=tg.grad(polynomial_fit), method="BFGS",
                            options={"gtol": 1e-10})
    np.testing.assert_allclose(res.x, [2.0, -1.0, 0.5], atol=1e-5)


def frozen_inline(mu, sigma, x):
    return -np.sum(stats.norm(mu, sigma).logpdf(x))


def frozen_in_a_variable(theta, x):
    dist = stats.norm(loc=theta[0], scale=np.exp(theta[1]))
    theta = theta * 2                     # rebinding a freezing argument later changes nothing
    return -dist.logpdf(x).sum() + theta[0]


def test_frozen_scipy_distributions():
    pytest.importorskip("scipy.stats")
    assert_grads(frozen_inline, (0.3, 1.2, DATA), (0, 1))
    theta = np.array([0.3, 0.1])
    assert_grads(frozen_in_a_variable, (theta, DATA))
    _, jv = tg.jvp(frozen_in_a_variable)(theta, DATA, np.array([1.0, 0.5]))
    assert jv == pytest.approx(numerical_grad(frozen_in_a_variable, [theta, DATA]) @ [1.0, 0.5], rel=1e-6)


def test_training_loop_reaches_least_squares():
    w = np.zeros(3)
    step = tg.grad(mse)
    for _ in range(300):
        w = w - 0.1 * step(w, X, Y)
    np.testing.assert_allclose(w, np.linalg.lstsq(X, Y, rcond=None)[0], atol=1e-6)


# ---- idioms ---------------------------------------------------------------------------

def write_items(x):
    z = np.zeros(3)
    z[0] = x[0] * x[1]
    z[1] = np.sin(x[2])
    z[2] = x[3] ** 2
    return np.sum(z * z)


def write_in_loop(x):
    n = len(x)
    z = np.zeros(n)
    for i in range(n):
        z[i] = x[i] ** 2 + i
    return z.sum()


def copy_then_scale_slice(x):
    y = x.copy()
    y[1:] *= x[:-1]
    return np.sum(y ** 2)


def argument_copied_then_written(x):
    x = x.copy()
    x[0] = 0.0
    return np.sum(x ** 2)


def copy_in_loop_then_write(x):
    for i in range(2):
        x = x.copy()
        x[i] = 0.0
    return np.sum(x ** 2)


def in_place_operators(W, X):
    h = X @ W
    h += np.ones(4)
    h *= 2
    h -= X[:, 0:1]
    h /= 3.0
    return np.sum(h ** 2)


def repeated_index_write(x):
    z = np.zeros(3)
    z[[0, 0, 1]] = x[:3]        # NumPy keeps the last write to z[0]: x[0] is lost
    return np.sum(z ** 2)


def repeated_index_iadd(x):
    z = np.ones(3)
    idx = np.array([0, 0, 1])
    z[idx] += x[:3]             # z[idx] = z[idx] + x[:3]: again only the last write counts
    return np.sum(z ** 2)


def repeated_index_write_2d(A, v):
    B = A.copy()
    B[[1, 1], [0, 0]] = v
    return np.sum(B ** 2 * A)


def array_methods(w, X):
    a = w.dot(X.T)
    b = X.dot(w)
    c = X.sum(axis=0)
    e = X.T
    f = w.reshape(-1, 1)
    h = X.clip(0, None)
    i = w.astype(float)
    return a.sum() + b @ b + c @ w + X.mean() + (e * e).sum() + (f * f).sum() + X.max() + h.sum() + i @ i


def casts(w):
    v = w.astype(np.float64)
    counts = w.astype(int)              # a step function: no derivative
    return np.sum(v ** 2) + np.sum(counts * w) + np.sum(np.asarray(w, dtype=float) ** 3) + np.array(w, float)[0]


def items(w):
    return w[1].item() * w.item(0) + np.sum(w ** 2).item() + w.reshape(1, 3).item(0, 2)


def matrix_transpose_attribute(A):
    return np.sum(A.mT @ A) + np.sum(np.swapaxes(A, 0, 1) * A.T)


def float_and_shapes(x):
    n = x.shape[0]
    s = float(np.sum(x ** 2))
    return s * 2 + np.sum(x) / n + x.size * x[0] + len(x) * x[1]


Params = namedtuple("Params", ["w", "b"])


def namedtuple_model(p, X):
    return np.sum((X @ p.w + p.b) ** 2)


def list_and_mask_indexing(x):
    m = x > 0
    y = x.copy()
    y[y < 0] = 0
    return np.sum(x[[0, 2]] ** 2) + x[[1, 1]].sum() + np.sum(x[m] ** 2) + np.sum(y ** 2)


def helpers_nested_and_module_level(w):
    def square(v):
        return v * v
    return np.sum(square(np.tanh(w))) + ridge_term(w, lam=0.5) + default_scale(w)


def ridge_term(w, lam=0.1):
    return lam * np.sum(w ** 2)


def default_scale(w, X=X, scale=2.0):
    return scale * np.sum((X @ w) ** 2)


def broadcasting_and_newaxis(x):
    a = x[:, np.newaxis] * x[None, :]
    return np.sum(a ** 2) + np.sum(np.where(x > 0, x ** 2, 0.0)) + np.sum(np.where(x > 0, 1.0, x))


def scalar_base_power_and_normalize(x):
    e = np.exp(x)
    p = e / np.sum(e)
    return np.sum(2.0 ** x) + np.sum(np.e ** (-x)) + p[0] * 3 + p[1]


def matmul_operands(w, X):
    A = X.T @ X
    v = A @ w
    return v @ v + w @ A @ w + np.sum(X @ A) + w @ w


def math_module(x):
    return (math.exp(x[0]) + math.log(x[1] ** 2 + 1) + math.sqrt(x[2] ** 2 + 1) + math.tanh(x[3])
            + math.sin(x[0]) * math.cos(x[1]) + math.atan2(x[2], 2.0) + math.log(x[1] ** 2 + 1, 10)
            + math.pow(abs(x[3]) + 1, 1.5) + math.hypot(x[0], x[1]))


def math_on_floats(a, b):
    return math.exp(a) * math.sin(b) + math.pi * a + math.erf(a * b) + math.lgamma(a + 2) + math.log2(b)


def filled_arrays(x):
    return np.sum(np.full(3, x[0]) * np.arange(3)) + np.sum(np.full((2, 5), x) ** 2) + np.sum(np.full_like(x, x[1]) * x)


def scalar_type_conversions(x):
    return np.float64(x[0]) ** 2 + np.sum(np.float64(x) * x)


def labels_through_unique_and_histogram(w, y):
    classes = np.unique(y)                     # of data: no derivative needed, no rule needed
    counts, edges = np.histogram(y, bins=3)
    return np.sum(w[classes] ** 2) + np.sum(counts * w[:3])


def builtin_containers(x):
    a, b, c = list(x[:3])
    rows = list(np.outer(x, x[:2]))
    pair = tuple([x[0], x[1] * 2])
    return a * b + c ** 2 + np.sum(rows[0] * rows[1]) + pair[0] * pair[1]


def logging_with_fstrings(w):
    loss = np.sum(w ** 2)
    message = f"loss={loss:.3f} first={w[0]}"
    assert message.startswith("loss")
    return loss


def features_joined_twice(x):
    feats = [x, x ** 2]
    return (np.sum(np.vstack(feats) * 2) + np.sum(np.vstack(feats) ** 2) + np.sum(np.stack(feats, axis=1) ** 3)
            + np.sum(np.concatenate(feats) ** 2) + np.sum(np.hstack(feats)))


def states_appended_in_a_loop(x):
    hs = []
    for i in range(3):
        hs.append(np.tanh(x * i))
    return np.sum(np.vstack(hs) ** 2) + np.sum(np.array(hs)) + np.sum(np.stack(hs))


def bincount_of_weights(x):
    return np.sum(np.bincount([0, 0, 1, 3], weights=x[:4], minlength=5) ** 2)


IDIOMS = [
    (write_items, (V5,), 0), (write_in_loop, (V5,), 0), (copy_then_scale_slice, (V5,), 0),
    (argument_copied_then_written, (V5,), 0), (copy_in_loop_then_write, (V5,), 0),
    (in_place_operators, (rng.randn(3, 4), X[:4]), 0), (repeated_index_write, (V5,), 0),
    (repeated_index_iadd, (V5,), 0), (repeated_index_write_2d, (rng.randn(3, 2), 0.7), (0, 1)),
    (array_methods, (W, X), (0, 1)), (casts, (np.array([0.5, -1.2, 2.3]),), 0), (items, (W,), 0),
    (matrix_transpose_attribute, (rng.randn(2, 3),), 0), (float_and_shapes, (V5,), 0),
    (list_and_mask_indexing, (V5,), 0), (helpers_nested_and_module_level, (W,), 0),
    (broadcasting_and_newaxis, (V5,), 0), (scalar_base_power_and_normalize, (V5,), 0),
    (matmul_operands, (W, X), (0, 1)), (math_module, (np.array([0.3, 0.5, 0.7, 0.2]),), 0),
    (math_on_floats, (0.3, 0.7), (0, 1)), (bincount_of_weights, (V5,), 0), (filled_arrays, (V5,), 0),
    (scalar_type_conversions, (V5,), 0), (builtin_containers, (V5,), 0), (logging_with_fstrings, (W,), 0),
    (features_joined_twice, (V5,), 0), (states_appended_in_a_loop, (W,), 0),
    (labels_through_unique_and_histogram, (np.arange(5.0), np.array([0, 2, 2, 4])), 0),
]


@pytest.mark.parametrize("f,args,wrt", IDIOMS, ids=[m[0].__name__ for m in IDIOMS])
def test_idiom_gradient(f, args, wrt):
    assert_grads(f, args, wrt)


def test_namedtuple_parameters():
    p = Params(W, 0.5)
    g = tg.grad(namedtuple_model)(p, X)
    assert isinstance(g, Params) and type(g.b) is float
    np.testing.assert_allclose(g.w, numerical_grad(lambda w: namedtuple_model(Params(w, 0.5), X), [W]), rtol=1e-6)
    np.testing.assert_allclose(g.b, numerical_grad(lambda b: namedtuple_model(Params(W, b), X), [0.5]), rtol=1e-6)


class LinearModel:
    def __init__(self, X, y, lam=0.1):
        self.X, self.y, self.lam = X, y, lam

    def loss(self, w, b=0.0):
        r = self.X @ w + b - self.y
        return np.mean(r ** 2) + self.lam * np.sum(w ** 2)


class TanhNet:
    def __init__(self, W):
        self.W = W

    def predict(self, x, W):
        return np.tanh(x @ W)

    def loss_via_class(self, W, x, y):
        return np.sum((TanhNet.predict(self, x, W) - y) ** 2)

    def loss_via_self(self, W, x, y):
        return np.sum((self.predict(x, W) - y) ** 2)


def test_methods_calling_methods():
    net = TanhNet(W4)
    g = tg.grad(net.loss_via_class)(W4, X, ONEHOT)
    np.testing.assert_allclose(g, numerical_grad(net.loss_via_class, [W4, X, ONEHOT]), rtol=1e-5, atol=1e-7)
    with pytest.raises(tg.TransformError, match="cannot see what the object is") as info:
        tg.grad(net.loss_via_self)(W4, X, ONEHOT)
    assert "ClassName.predict(obj, ...)" in info.value.hint


def test_bound_methods_and_partials():
    model = LinearModel(X, Y)
    g = tg.grad(model.loss, wrt=(0, 1))(W, 0.5)
    np.testing.assert_allclose(g[0], numerical_grad(model.loss, [W, 0.5]), rtol=1e-6)
    assert g[1] == pytest.approx(numerical_grad(model.loss, [W, 0.5], 1), rel=1e-6)
    assert tg.grad(model.loss, wrt="b")(W, 0.5) == pytest.approx(g[1])
    value, gw = tg.value_and_grad(model.loss)(W)
    assert value == pytest.approx(model.loss(W))
    np.testing.assert_allclose(gw, numerical_grad(model.loss, [W]), rtol=1e-6)
    assert tg.hessian(model.loss)(W).shape == (3, 3)
    assert "def dloss_dw(self, w" in tg.grad(model.loss).source
    fixed = functools.partial(model.loss, b=0.5)
    np.testing.assert_allclose(tg.grad(fixed)(W), g[0], rtol=1e-12)
    fixed = functools.partial(mse, X=X, y=Y)
    np.testing.assert_allclose(tg.grad(fixed)(W), numerical_grad(mse, [W, X, Y]), rtol=1e-6)


def penalized(w, *, lam=0.1):
    return lam * np.sum(w ** 2) + mse(w, X, Y)


def calls_with_keyword_only(w):
    return penalized(w, lam=0.5) + penalized(w)


def test_keyword_only_settings():
    np.testing.assert_allclose(tg.grad(penalized)(W, lam=1.0),
                               numerical_grad(lambda w: penalized(w, lam=1.0), [W]), rtol=1e-6)
    assert "def dpenalized_dw(w, *, lam=0.1)" in tg.grad(penalized).source
    assert_grads(calls_with_keyword_only, (W,))
    _, jv = tg.jvp(penalized)(W, np.ones(3), lam=1.0)
    assert jv == pytest.approx(numerical_grad(lambda w: penalized(w, lam=1.0), [W]).sum(), rel=1e-6)
    with pytest.raises(tg.TransformError, match="keyword-only"):
        tg.grad(penalized, wrt="lam")(W)


def test_ufuncs_with_rules_are_differentiated_directly():
    """autograd-style tutorials plot egrad(np.tanh); here the ufunc is wrapped in a one-line function."""
    x = np.linspace(-2, 2, 5)
    np.testing.assert_allclose(tg.elementwise_grad(np.tanh)(x), 1 - np.tanh(x) ** 2, rtol=1e-12)
    assert tg.grad(np.sin)(1.0) == pytest.approx(np.cos(1.0))
    assert tg.grad(tg.grad(np.sin))(1.0) == pytest.approx(-np.sin(1.0))
    g = tg.grad(np.arctan2, wrt=(0, 1))(1.0, 2.0)
    assert g == pytest.approx((2.0 / 5.0, -1.0 / 5.0))
    assert "def dsin_dx(x)" in tg.grad(np.sin).source
    if stats is not None:
        from scipy.special import expit
        np.testing.assert_allclose(tg.elementwise_grad(expit)(x), expit(x) * (1 - expit(x)), rtol=1e-12)


def writes_into_a_copied_dict(params):
    params = dict(params)
    params["w"] = params["w"] * 2
    return np.sum(params["w"] ** 2)


def test_writes_into_a_copied_dict():
    g = tg.grad(writes_into_a_copied_dict)({"w": W})
    np.testing.assert_allclose(g["w"], 8 * W, rtol=1e-12)


def test_lambdas_and_closures():
    g = tg.grad(lambda w: mse(w, X, Y))(W)
    np.testing.assert_allclose(g, numerical_grad(mse, [W, X, Y]), rtol=1e-6)
    stored = lambda w: mse(w, X, Y)   # noqa: E731 -- users do write this
    np.testing.assert_allclose(tg.grad(stored)(W), g, rtol=1e-12)

    def make_loss(X, y):
        def loss(w):
            return np.sum((X @ w - y) ** 2)
        return loss
    np.testing.assert_allclose(tg.grad(make_loss(X, Y))(W), len(Y) * g, rtol=1e-10)


def test_keyword_calls_and_wrt_by_name():
    g = tg.grad(mse_bias, wrt=("w", "b"))(W, 0.3, X, Y)
    assert type(g[1]) is float
    np.testing.assert_allclose(g[1], numerical_grad(mse_bias, [W, 0.3, X, Y], 1), rtol=1e-6)
    np.testing.assert_allclose(tg.grad(mse)(w=W, X=X, y=Y), numerical_grad(mse, [W, X, Y]), rtol=1e-6)
    value, (gw, gb) = tg.value_and_grad(mse_bias, wrt=(0, 1))(W, 0.3, X, Y)
    assert value == pytest.approx(mse_bias(W, 0.3, X, Y))
    np.testing.assert_allclose(gw, numerical_grad(mse_bias, [W, 0.3, X, Y], 0), rtol=1e-6)
    assert gb == pytest.approx(g[1], rel=1e-12)


def test_dtypes_follow_the_inputs():
    def loss(w, X, y):
        p = 1 / (1 + np.exp(-(X @ w)))
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) + 0.01 * np.sum(w ** 2)
    f32 = [a.astype(np.float32) for a in (W, X, YB)]
    assert tg.grad(loss)(*f32).dtype == np.float32
    assert tg.grad(casts)(np.array([0.5, -1.2, 2.3], dtype=np.float32)).dtype == np.float32

    def scalar(a):
        return a ** 2 + np.sin(a) * 3 + math.cos(a)
    g = tg.grad(scalar)(1.5)
    assert type(g) is float and g == pytest.approx(3.0 + 3 * np.cos(1.5) - np.sin(1.5))


def test_second_derivatives_of_the_new_rules():
    x = np.array([0.3, 0.5, 0.7, 0.2])
    H = tg.hessian(math_module)(x)
    for i in range(4):
        row = numerical_grad(lambda v: tg.grad(math_module)(v)[i], [x])
        np.testing.assert_allclose(H[i], row, rtol=1e-5, atol=1e-6)
    H = tg.hessian(states_appended_in_a_loop)(W)   # generated code builds lists as [*hs, h]
    for i in range(3):
        row = numerical_grad(lambda v: tg.grad(states_appended_in_a_loop)(v)[i], [W])
        np.testing.assert_allclose(H[i], row, rtol=1e-5, atol=1e-6)
    H = tg.hessian(repeated_index_write)(V5)
    np.testing.assert_allclose(H, np.diag([0.0, 2.0, 2.0, 0.0, 0.0]), atol=1e-12)


def test_forward_mode_of_the_new_rules():
    x = np.array([0.3, 0.5, 0.7, 0.2])
    v = np.array([1.0, -2.0, 0.5, 0.25])
    for f in (math_module, casts, items, repeated_index_write, bincount_of_weights):
        arg = x if f is math_module else (np.array([0.5, -1.2, 2.3]) if f is casts else V5[:4] if f is not items
                                          else W)
        tangent = v[:np.size(arg)]
        _, jv = tg.jvp(f)(arg, tangent)
        np.testing.assert_allclose(jv, numerical_grad(f, [arg]) @ tangent, rtol=1e-5, atol=1e-6)


# ---- generated source -------------------------------------------------------------------

def test_functions_of_data_need_no_forward_rule():
    w, y = np.arange(5.0), np.array([0, 2, 2, 4])
    _, jv = tg.jvp(labels_through_unique_and_histogram)(w, y, np.ones(5))
    assert jv == pytest.approx(np.sum(numerical_grad(labels_through_unique_and_histogram, [w, y])))


def test_writes_with_counters_read_the_adjoint_directly():
    """A write at a loop counter writes each place once: no `written` helper in the source."""
    src = tg.grad(write_in_loop).source
    assert "written(" not in src
    assert "written(" in tg.grad(repeated_index_iadd).source
    assert "uncast(" in tg.grad(casts).source and "unitem(" in tg.grad(items).source


# ---- what cannot be differentiated says so at the user's line ------------------------------

def fills_diagonal(x):
    A = np.zeros((4, 4))
    np.fill_diagonal(A, x)
    return np.sum(A ** 2)


def writes_through_out(x):
    y = np.zeros(4)
    np.exp(x, out=y)
    return np.sum(y)


def scatter_adds(x):
    z = np.zeros(3)
    np.add.at(z, [0, 0, 1], x[:3])
    return np.sum(z ** 2)


def copies_into(x):
    A = np.zeros(4)
    np.copyto(A, x)
    return np.sum(A ** 2)


def reads_flat(X):
    return X.flat[2] * 3


def converts_tolist(w):
    a, b, c = w.tolist()
    return a * b + c


def unique_of_parameters(x):
    return np.sum(np.unique(x) * np.arange(4))


def weighted_histogram(x):
    return np.sum(np.histogram(np.arange(4), bins=2, weights=x)[0] ** 2)


def returns_value_and_array(w):
    return np.sum(w ** 2), w


def copies_in_one_branch_only(x):
    if x[0] > 100:
        x = x.copy()
    x[1] = 0.0
    return np.sum(x ** 2)


@pytest.mark.parametrize("fn,construct,hint", [
    (fills_diagonal, "np.fill_diagonal(A, x)", "np.diag"),
    (writes_through_out, "out=", "y = np.exp(x)"),
    (scatter_adds, "np.add.at", "np.bincount"),
    (copies_into, "np.copyto", "assign"),
    (reads_flat, "`.flat`", "ravel"),
    (converts_tolist, "`.tolist`", "index the array"),
    (copies_in_one_branch_only, "write into `x`", "copy"),
    (returns_value_and_array, "returned a tuple of 2", "vjp"),
    (unique_of_parameters, "np.unique", "supported functions"),
    (weighted_histogram, "np.bincount", "supported functions"),
])
def test_in_place_and_unruled_constructs_raise_at_the_users_line(fn, construct, hint):
    with pytest.raises(tg.TransformError) as info:
        tg.grad(fn)(np.ones(4) if fn is not reads_flat else np.ones((2, 2)))
    e = info.value
    assert construct in str(e) and hint in e.hint, str(e)
    assert e.filename == __file__ and e.lineno is not None


# ---- a notebook redefines a helper, or rebinds a global, after the first gradient ----------

def square_helper(v):
    return v ** 2


def cube_helper(v):
    return v ** 3


def activation_sum(w):
    return np.sum(ACTIVATION(w))


def calls_a_helper(w):
    return np.sum(helper(w))


ACTIVATION = np.tanh
helper = square_helper


def test_rebinding_a_global_function_rebuilds_the_derivative():
    global ACTIVATION, helper
    g = tg.grad(activation_sum)
    np.testing.assert_allclose(g(W), 1 - np.tanh(W) ** 2, rtol=1e-12)
    np.testing.assert_allclose(tg.grad(calls_a_helper)(W), 2 * W, rtol=1e-12)
    try:
        ACTIVATION, helper = np.sin, cube_helper          # as a re-run notebook cell would
        np.testing.assert_allclose(g(W), np.cos(W), rtol=1e-12)
        np.testing.assert_allclose(tg.grad(activation_sum)(W), np.cos(W), rtol=1e-12)
        np.testing.assert_allclose(tg.grad(calls_a_helper)(W), 3 * W ** 2, rtol=1e-12)
        _, jv = tg.jvp(calls_a_helper)(W, np.ones(3))
        assert jv == pytest.approx(np.sum(3 * W ** 2))
    finally:
        ACTIVATION, helper = np.tanh, square_helper
    np.testing.assert_allclose(g(W), 1 - np.tanh(W) ** 2, rtol=1e-12)



def mean_square_adjoint_wrong(result, r):
    d[r] += d[result] * 2.0 * r / (r.size + 1)  # noqa: F821 - wrong: divides by n + 1, not n


def test_check_grads_on_a_model():
    assert tg.check_grads(mse, W, X, Y) is None

    # the same model through a custom rule planted wrong: check_grads must catch it, and
    # report the numbers a hand derivation and finite differences made here give
    @tg.primitive
    def mean_square(r):
        return np.mean(r ** 2)

    tg.adjoint(mean_square)(mean_square_adjoint_wrong)

    def mse_custom(w, X, y):
        return mean_square(X @ w - y)

    with pytest.raises(tg.GradientCheckError) as info:
        tg.check_grads(mse_custom, W, X, Y, modes=("rev",), order=1)
    e = info.value
    assert e.argument == 0 and e.mode == "rev"
    v, u, r = e.direction, e.cotangent, X @ W - Y
    true_dir = 2.0 * np.mean(r * (X @ v))                             # d mse along v, by hand
    fd_dir = (mse(W + 1e-6 * v, X, Y) - mse(W - 1e-6 * v, X, Y)) / 2e-6
    assert true_dir == pytest.approx(fd_dir, rel=1e-7)
    np.testing.assert_allclose(e.reference, [u * fd_dir], rtol=1e-7)
    np.testing.assert_allclose(e.derivative, [u * true_dir * 8 / 9], rtol=1e-10)
