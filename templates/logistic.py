"""scipy.special: the logistic function, softmax and logsumexp, information and robust-loss functions.

scipy is optional: without it this file is skipped (templates.load_builtin).
"""
import numpy as np
import scipy.special as sp

from tangentish.registry import adjoint, d, t, tangent
from tangentish.runtime import unbroadcast, unreduce

# ---- logistic, softmax, information -------------------------------------------


@adjoint(sp.expit)
def expit(y, x):
    d[x] += d[y] * y * (1 - y)


@tangent(sp.expit)
def expit(y, x):
    t[y] += t[x] * y * (1 - y)


@adjoint(sp.logit)
def logit(y, x):
    d[x] += d[y] / (x * (1 - x))


@tangent(sp.logit)
def logit(y, x):
    t[y] += t[x] / (x * (1 - x))


@adjoint(sp.log_expit)
def log_expit(y, x):
    d[x] += d[y] * sp.expit(-x)


@tangent(sp.log_expit)
def log_expit(y, x):
    t[y] += t[x] * sp.expit(-x)


@adjoint(sp.softplus)
def softplus(y, x):
    d[x] += d[y] * sp.expit(x)


@tangent(sp.softplus)
def softplus(y, x):
    t[y] += t[x] * sp.expit(x)


@adjoint(sp.logsumexp)
def logsumexp(y, a, axis=None, *, keepdims=False):
    """No ``b=`` or ``return_sign=``: the softmax weights exp(a - y) need neither."""
    d[a] += unreduce(d[y], a, axis=axis, keepdims=keepdims) * np.exp(a - unreduce(y, a, axis=axis, keepdims=keepdims))


@tangent(sp.logsumexp)
def logsumexp(y, a, axis=None, *, keepdims=False):
    t[y] += np.sum(t[a] * np.exp(a - unreduce(y, a, axis=axis, keepdims=keepdims)), axis=axis, keepdims=keepdims)


@adjoint(sp.softmax)
def softmax(y, x, axis=None):
    d[x] += y * (d[y] - np.sum(d[y] * y, axis=axis, keepdims=True))


@tangent(sp.softmax)
def softmax(y, x, axis=None):
    t[y] += y * (t[x] - np.sum(t[x] * y, axis=axis, keepdims=True))


@adjoint(sp.log_softmax)
def log_softmax(y, x, axis=None):
    d[x] += d[y] - np.exp(y) * np.sum(d[y], axis=axis, keepdims=True)


@tangent(sp.log_softmax)
def log_softmax(y, x, axis=None):
    t[y] += t[x] - np.sum(t[x] * np.exp(y), axis=axis, keepdims=True)


@adjoint(sp.xlogy)
def xlogy(z, x, y):
    """xlogy(0, y) is 0 for every y: the slope in y is 0 where x is 0 (not 0 / 0 at y = 0)."""
    d[x] += unbroadcast(d[z] * np.log(y), x)
    d[y] += unbroadcast(d[z] * x / np.where(x == 0, 1.0, y), y)


@tangent(sp.xlogy)
def xlogy(z, x, y):
    t[z] += t[x] * np.log(y)
    t[z] += t[y] * x / np.where(x == 0, 1.0, y)


@adjoint(sp.xlog1py)
def xlog1py(z, x, y):
    d[x] += unbroadcast(d[z] * np.log1p(y), x)
    d[y] += unbroadcast(d[z] * x / np.where(x == 0, 1.0, 1 + y), y)


@tangent(sp.xlog1py)
def xlog1py(z, x, y):
    t[z] += t[x] * np.log1p(y)
    t[z] += t[y] * x / np.where(x == 0, 1.0, 1 + y)


@adjoint(sp.entr)
def entr(y, x):
    d[x] += d[y] * (-np.log(x) - 1)


@tangent(sp.entr)
def entr(y, x):
    t[y] += t[x] * (-np.log(x) - 1)


@adjoint(sp.rel_entr)
def rel_entr(z, x, y):
    d[x] += unbroadcast(d[z] * (np.log(x / y) + 1), x)
    d[y] += unbroadcast(-d[z] * x / y, y)


@tangent(sp.rel_entr)
def rel_entr(z, x, y):
    t[z] += t[x] * (np.log(x / y) + 1)
    t[z] += -t[y] * x / y


@adjoint(sp.kl_div)
def kl_div(z, x, y):
    d[x] += unbroadcast(d[z] * np.log(x / y), x)
    d[y] += unbroadcast(d[z] * (1 - x / y), y)


@tangent(sp.kl_div)
def kl_div(z, x, y):
    t[z] += t[x] * np.log(x / y)
    t[z] += t[y] * (1 - x / y)


@adjoint(sp.pseudo_huber)
def pseudo_huber(y, delta, r):
    """delta^2 (sqrt(1 + (r/delta)^2) - 1)."""
    root = np.sqrt(1 + (r / delta) ** 2)
    d[r] += unbroadcast(d[y] * r / root, r)
    d[delta] += unbroadcast(d[y] * (2 * delta * (root - 1) - r * r / (delta * root)), delta)


@tangent(sp.pseudo_huber)
def pseudo_huber(y, delta, r):
    root = np.sqrt(1 + (r / delta) ** 2)
    t[y] += t[r] * r / root
    t[y] += t[delta] * (2 * delta * (root - 1) - r * r / (delta * root))


@adjoint(sp.huber)
def huber(y, delta, r):
    """r^2 / 2 inside |r| <= delta, delta (|r| - delta / 2) outside."""
    d[r] += unbroadcast(d[y] * np.clip(r, -delta, delta), r)
    d[delta] += unbroadcast(d[y] * np.where(np.abs(r) <= delta, 0.0, np.abs(r) - delta), delta)


@tangent(sp.huber)
def huber(y, delta, r):
    t[y] += t[r] * np.clip(r, -delta, delta)
    t[y] += t[delta] * np.where(np.abs(r) <= delta, 0.0, np.abs(r) - delta)


