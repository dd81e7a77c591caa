"""Loops: a 100-step scalar recurrence and a 50-step RNN (hidden size 32).

Each gradient is timed three ways: tangentish's generated code, a gradient
written by hand in NumPy, and autograd.  Prints times and ratios; asserts
nothing (timings belong in a report, not in the test suite).

    PYTHONPATH=. python benchmarks/bench_loops.py
"""
import timeit

import numpy as np

import tangentish as tg

try:
    import autograd
    import autograd.numpy as anp
except ImportError:  # pragma: no cover
    autograd = None


# ---- 100-step logistic map ------------------------------------------------------

def logistic(r, x):
    for t in range(100):
        x = r * x * (1 - x)
    return x


def logistic_by_hand(r, x):
    xs = []
    for t in range(100):
        xs.append(x)
        x = r * x * (1 - x)
    dx, dr = 1.0, 0.0
    for x in reversed(xs):
        dr += dx * x * (1 - x)
        dx = dx * r * (1 - 2 * x)
    return dr


def logistic_autograd(r, x):
    for t in range(100):
        x = r * x * (1 - x)
    return x


# ---- 50-step RNN -----------------------------------------------------------------

def rnn(W, U, h, xs):
    for t in range(len(xs)):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h ** 2)


def rnn_by_hand(W, U, h, xs):
    hs = [h]
    for t in range(len(xs)):
        h = np.tanh(W @ h + U @ xs[t])
        hs.append(h)
    dh = 2 * h
    dW = np.zeros_like(W)
    dU = np.zeros_like(U)
    for t in reversed(range(len(xs))):
        da = dh * (1 - hs[t + 1] ** 2)
        dW += np.outer(da, hs[t])
        dU += np.outer(da, xs[t])
        dh = W.T @ da
    return dW, dU


def rnn_autograd(W, U, h, xs):
    for t in range(len(xs)):
        h = anp.tanh(anp.dot(W, h) + anp.dot(U, xs[t]))
    return anp.sum(h ** 2)


def best(fn, *args, number=None):
    timer = timeit.Timer(lambda: fn(*args))
    if number is None:
        number, _ = timer.autorange()
    return min(timer.repeat(repeat=5, number=number)) / number


def report(title, ours, hand, auto):
    print(f"{title}")
    print(f"  tangentish   {ours * 1e6:9.1f} us")
    print(f"  hand-written {hand * 1e6:9.1f} us   tangentish / hand = {ours / hand:5.2f}x")
    if auto is not None:
        print(f"  autograd     {auto * 1e6:9.1f} us   autograd / tangentish = {auto / ours:5.1f}x")


def main():
    r, x0 = 3.7, 0.3
    g = tg.grad(logistic)
    assert np.isclose(g(r, x0), logistic_by_hand(r, x0))
    ag = autograd.grad(logistic_autograd) if autograd else None
    if ag:
        assert np.isclose(ag(r, x0), g(r, x0))
    report("100-step logistic map, d/dr", best(g, r, x0), best(logistic_by_hand, r, x0),
           best(ag, r, x0) if ag else None)

    rng = np.random.default_rng(0)
    n, d, T = 32, 16, 50
    W = rng.normal(size=(n, n)) / np.sqrt(n)
    U = rng.normal(size=(n, d)) / np.sqrt(d)
    h0 = rng.normal(size=n)
    xs = rng.normal(size=(T, d))
    g = tg.grad(rnn, wrt=(0, 1))
    mine, hand = g(W, U, h0, xs), rnn_by_hand(W, U, h0, xs)
    assert all(np.allclose(a, b) for a, b in zip(mine, hand))
    ag = autograd.grad(rnn_autograd, argnum=(0, 1)) if autograd else None
    if ag:
        assert all(np.allclose(a, b) for a, b in zip(ag(W, U, h0, xs), hand))
    report(f"{T}-step RNN, hidden {n}, input {d}, d/d(W, U)", best(g, W, U, h0, xs),
           best(rnn_by_hand, W, U, h0, xs), best(ag, W, U, h0, xs) if ag else None)


if __name__ == "__main__":
    main()
