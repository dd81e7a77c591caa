"""Primitive rules in real losses: softmax regression, a Gaussian log-likelihood, an FFT loss.

Each gradient is timed three ways: tangentish's generated code, a gradient
written by hand in NumPy, and autograd (where it has the functions).  The
three gradients are compared first.  Prints times and ratios; asserts
nothing beyond agreement.

    PYTHONPATH=. python benchmarks/bench_primitives.py
"""
import timeit

import numpy as np
import scipy.special as sp

import tangentish as tg

try:
    import autograd
    import autograd.numpy as anp
    import autograd.scipy.special as asp
except ImportError:  # pragma: no cover
    autograd = None


# ---- softmax regression: 512 samples, 64 features, 10 classes ---------------------

def softmax_loss(W, X, Y):
    return -np.mean(np.sum(Y * sp.log_softmax(X @ W, axis=1), axis=1))


def softmax_loss_by_hand(W, X, Y):
    logp = sp.log_softmax(X @ W, axis=1)
    dlogits = (np.exp(logp) * np.sum(Y, axis=1, keepdims=True) - Y) / X.shape[0]
    return X.T @ dlogits


def softmax_loss_autograd(W, X, Y):
    logits = anp.dot(X, W)
    logp = logits - asp.logsumexp(logits, axis=1, keepdims=True)
    return -anp.mean(anp.sum(Y * logp, axis=1))


# ---- Gaussian negative log-likelihood through a Cholesky factor (n = 40) -----------

def gauss_nll(K, y):
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(K, y)
    return 0.5 * y @ alpha + np.sum(np.log(np.diagonal(L)))


def gauss_nll_by_hand(K, y):
    Kinv = np.linalg.inv(K)
    alpha = Kinv @ y
    return 0.5 * (Kinv - np.outer(alpha, alpha))


def gauss_nll_autograd(K, y):
    L = anp.linalg.cholesky(K)
    alpha = anp.linalg.solve(K, y)
    return 0.5 * anp.dot(y, alpha) + anp.sum(anp.log(anp.diag(L)))


# ---- power-spectrum matching with a real FFT (n = 4096) ---------------------------

def spectrum_loss(x, target):
    return np.sum((np.abs(np.fft.rfft(x)) - target) ** 2)


def spectrum_loss_by_hand(x, target):
    f = np.fft.rfft(x)
    a = np.abs(f)
    g = 2 * (a - target) * f / a           # dL/dRe f + i dL/dIm f
    return np.real(np.fft.fft(np.conj(g), n=x.shape[0]))


def spectrum_loss_autograd(x, target):
    return anp.sum((anp.abs(anp.fft.rfft(x)) - target) ** 2)


def bench(name, fn, by_hand, ag_fn, args, number):
    g = tg.grad(fn)
    ours = g(*args)
    hand = by_hand(*args)
    sym = name.startswith("gauss")       # symmetric input: compare symmetric parts
    close = np.allclose((ours + ours.T) / 2 if sym else ours, (hand + hand.T) / 2 if sym else hand,
                        rtol=1e-6, atol=1e-9)
    t_ours = min(timeit.repeat(lambda: g(*args), number=number, repeat=5)) / number
    t_hand = min(timeit.repeat(lambda: by_hand(*args), number=number, repeat=5)) / number
    line = f"{name:16s} tangentish {t_ours * 1e6:9.1f} us   by hand {t_hand * 1e6:9.1f} us ({t_ours / t_hand:4.2f}x)"
    if autograd is not None and ag_fn is not None:
        agrad = autograd.grad(ag_fn)
        theirs = agrad(*args)
        close = close and np.allclose((theirs + theirs.T) / 2 if sym else theirs,
                                      (hand + hand.T) / 2 if sym else hand, rtol=1e-6, atol=1e-9)
        t_ag = min(timeit.repeat(lambda: agrad(*args), number=number, repeat=5)) / number
        line += f"   autograd {t_ag * 1e6:9.1f} us ({t_ours / t_ag:4.2f}x)"
    print(line + ("" if close else "   GRADIENTS DISAGREE"))
    return close


def main():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((512, 64))
    Y = np.eye(10)[rng.integers(0, 10, 512)]
    W = 0.1 * rng.standard_normal((64, 10))
    A = rng.standard_normal((40, 40))
    K = A @ A.T + 40 * np.eye(40)
    y = rng.standard_normal(40)
    x = rng.standard_normal(4096)
    target = np.abs(np.fft.rfft(rng.standard_normal(4096)))
    ok = bench("softmax_loss", softmax_loss, softmax_loss_by_hand, softmax_loss_autograd, (W, X, Y), 50)
    ok &= bench("gauss_nll", gauss_nll, gauss_nll_by_hand, gauss_nll_autograd, (K, y), 200)
    ok &= bench("spectrum_loss", spectrum_loss, spectrum_loss_by_hand, spectrum_loss_autograd, (x, target), 200)
    if not ok:
        raise SystemExit("a gradient disagreed with the hand-written one")


if __name__ == "__main__":
    main()
