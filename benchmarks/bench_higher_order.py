"""Benchmarks for issue 5: Hessian-vector products and Jacobians.

* hvp of f(x) = 0.5 xᵀAx + Σ tanh(x) in 1,000 dimensions: tangentish (forward
  over the generated gradient), a hand-written HVP, and autograd.
* jacobian of a 100 -> 100 map tanh(W x + b) * x: tangentish, hand-written, autograd.

Targets (issue 5): hvp within 3x of hand-written, and faster than autograd.
Run: ``PYTHONPATH=. python benchmarks/bench_higher_order.py``.  Prints times and ratios;
no assertions (timings vary by machine).  BLAS is pinned to one thread unless
OPENBLAS_NUM_THREADS/OMP_NUM_THREADS say otherwise: on a small shared machine
multithreaded matrix-vector products vary several-fold from run to run.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import timeit  # noqa: E402

import numpy as np  # noqa: E402

import tangentish as tg  # noqa: E402

N_HVP = 1000
N_JAC = 100


def quad_tanh(x, A):
    return 0.5 * x @ A @ x + np.sum(np.tanh(x))


def hvp_by_hand(x, A, v):
    """H = (A + Aᵀ)/2 + diag(-2 tanh(x) (1 - tanh(x)²)), applied to v."""
    t = np.tanh(x)
    return 0.5 * (A @ v + v @ A) - 2.0 * t * (1.0 - t * t) * v


def layer_map(x, W, b):
    return np.tanh(W @ x + b) * x


def jacobian_by_hand(x, W, b):
    t = np.tanh(W @ x + b)
    return ((1.0 - t * t) * x)[:, None] * W + np.diag(t)


def best(fn, number):
    return min(timeit.repeat(fn, number=number, repeat=5)) / number


def main():
    rng = np.random.RandomState(0)
    A = rng.randn(N_HVP, N_HVP) / np.sqrt(N_HVP)
    x, v = rng.randn(N_HVP), rng.randn(N_HVP)

    hvp = tg.hvp(quad_tanh)
    assert np.allclose(hvp(x, A, v), hvp_by_hand(x, A, v))
    rows = [("hvp 1000-dim", "tangentish", best(lambda: hvp(x, A, v), 200)),
            ("hvp 1000-dim", "hand-written", best(lambda: hvp_by_hand(x, A, v), 200))]
    try:
        import autograd
        import autograd.numpy as anp

        def quad_tanh_ag(x, A):
            return 0.5 * anp.dot(anp.dot(x, A), x) + anp.sum(anp.tanh(x))
        ag_hvp = autograd.hessian_vector_product(quad_tanh_ag)
        assert np.allclose(ag_hvp(x, A, v), hvp_by_hand(x, A, v))
        rows.append(("hvp 1000-dim", "autograd", best(lambda: ag_hvp(x, A, v), 50)))
    except ImportError:
        ag_hvp = None

    W, b = rng.randn(N_JAC, N_JAC) / 10, rng.randn(N_JAC)
    xj = rng.randn(N_JAC)
    jac = tg.jacobian(layer_map)
    assert np.allclose(jac(xj, W, b), jacobian_by_hand(xj, W, b))
    rows += [("jacobian 100->100", "tangentish", best(lambda: jac(xj, W, b), 20)),
             ("jacobian 100->100", "hand-written", best(lambda: jacobian_by_hand(xj, W, b), 200))]
    if ag_hvp is not None:
        def layer_map_ag(x, W, b):
            return anp.tanh(anp.dot(W, x) + b) * x
        ag_jac = autograd.jacobian(layer_map_ag)
        assert np.allclose(ag_jac(xj, W, b), jacobian_by_hand(xj, W, b))
        rows.append(("jacobian 100->100", "autograd", best(lambda: ag_jac(xj, W, b), 10)))

    print(f"{'case':<20}{'who':<14}{'time':>12}{'vs hand':>10}{'vs autograd':>14}")
    for case, who, secs in rows:
        hand = next(s for c, w, s in rows if c == case and w == "hand-written")
        ag = next((s for c, w, s in rows if c == case and w == "autograd"), None)
        vs_ag = f"{secs / ag:.2f}x" if ag else "-"
        print(f"{case:<20}{who:<14}{secs * 1e6:>10.1f}us{secs / hand:>9.2f}x{vs_ag:>14}")
    print("\nThe generated HVP (forward over reverse):\n")
    print(hvp.source)


if __name__ == "__main__":
    main()
