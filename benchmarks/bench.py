"""Benchmarks: tangentish's generated gradient vs a hand-written NumPy gradient and HIPS autograd.

Not a test: it prints per-call times and ratios.  Targets (issue 3): at most
1.5x the hand-written time on (b) and (c); at least 20x faster than autograd
on (a), where per-call overhead dominates.

For scale it also times (b) and (c) written by hand the way a backprop
lecture does, one primitive at a time without cancelling terms: most of the
gap to the closed-form hand gradients is that cancelling, which a
per-primitive chain rule (ours, or that lecture's) does not do.

Run:  python benchmarks/bench.py [--quick] [--profile]

``--profile`` also prints the time of each statement of the generated
gradients, which shows where they spend it (each statement timed alone, so
the total is lower than a real call, which also pays for allocating memory).
"""
import argparse
import ast
import time
import timeit

import numpy as np

import tangentish as tg

try:
    import autograd
    import autograd.numpy as anp
except ImportError:  # autograd is optional (pip install ".[bench]")
    autograd = anp = None


# ---- (a) sigmoid of a Python float ---------------------------------------------

def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def sigmoid_grad_by_hand(x):
    s = 1.0 / (1.0 + np.exp(-x))
    return s * (1.0 - s)


def sigmoid_autograd(x):
    return 1.0 / (1.0 + anp.exp(-x))


# ---- (b) Gaussian negative log-likelihood in (mu, log_sigma) ---------------------

def gaussian_nll(mu, log_sigma, x):
    sigma = np.exp(log_sigma)
    return np.sum(0.5 * ((x - mu) / sigma) ** 2 + log_sigma + 0.5 * np.log(2 * np.pi))


def gaussian_nll_grad_by_hand(mu, log_sigma, x):
    inv_var = np.exp(-2.0 * log_sigma)
    r = x - mu
    return -np.sum(r) * inv_var, x.size - np.sum(r * r) * inv_var


def gaussian_nll_grad_step_by_step(mu, log_sigma, x):
    """The chain rule by hand one primitive at a time, as a backprop lecture writes it (no cancelling)."""
    sigma = np.exp(log_sigma)
    diff = x - mu
    ratio = diff / sigma
    dratio = ratio                      # d(0.5 ratio^2) / d ratio
    ddiff = dratio / sigma
    dsigma = -np.sum(dratio * ratio) / sigma
    dmu = -np.sum(ddiff)
    return dmu, x.size + dsigma * sigma


def gaussian_nll_autograd(mu, log_sigma, x):
    sigma = anp.exp(log_sigma)
    return anp.sum(0.5 * ((x - mu) / sigma) ** 2 + log_sigma + 0.5 * anp.log(2 * anp.pi))


# ---- (c) logistic-regression negative log-likelihood ------------------------------

def logistic_nll(w, X, t):
    z = X @ w
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.sum(t * np.log(p) + (1 - t) * np.log(1 - p))


def logistic_nll_grad_by_hand(w, X, t):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return X.T @ (p - t)


def logistic_nll_grad_step_by_step(w, X, t):
    """The chain rule by hand one primitive at a time: d log p and d log(1 - p) kept apart."""
    z = X @ w
    e = np.exp(-z)
    a = 1.0 + e
    p = 1.0 / a
    dp = -t / p + (1 - t) / (1 - p)
    da = -dp * p / a
    dz = -da * e
    return X.T @ dz


def logistic_nll_autograd(w, X, t):
    z = anp.dot(X, w)
    p = 1.0 / (1.0 + anp.exp(-z))
    return -anp.sum(t * anp.log(p) + (1 - t) * anp.log(1 - p))


def per_call(fn, args, budget):
    """Best-of-5 seconds per call, each repeat running ~budget/5 seconds."""
    fn(*args)
    timer = timeit.Timer(lambda: fn(*args))
    n, t = timer.autorange()
    number = max(1, int(n * budget / 5 / max(t, 1e-9)))
    return min(timer.repeat(5, number)) / number


def case(title, ours, hand, auto, args, budget, check, step_by_step=None):
    got, expected = ours(*args), hand(*args)
    check(got, expected)
    t_ours, t_hand = per_call(ours, args, budget), per_call(hand, args, budget)
    row = {"case": title, "tangentish": t_ours, "hand": t_hand, "ratio_vs_hand": t_ours / t_hand}
    if step_by_step is not None:
        check(step_by_step(*args), expected)
        t_step = per_call(step_by_step, args, budget)
        row.update(step=t_step, ratio_vs_step=t_ours / t_step)
    if auto is not None:
        check(auto(*args), expected)
        t_auto = per_call(auto, args, budget)
        row.update(autograd=t_auto, speedup_vs_autograd=t_auto / t_ours)
    return row


def profile_lines(grad, args, repeats=50):
    """Print each statement of ``grad``'s generated function with its time per run."""
    d = grad.derivative
    fn = next(n for n in ast.parse(d.source).body if isinstance(n, ast.FunctionDef) and n.name == d.name)
    ns = dict(d.emitted.namespace)
    ns.update(zip([a.arg for a in fn.args.args], args))
    total = 0.0
    for stmt in fn.body:
        if isinstance(stmt, ast.Return):
            break
        code = compile(ast.Module([stmt], []), "<profile>", "exec")
        exec(code, ns)
        start = time.perf_counter()
        for _ in range(repeats):
            exec(code, ns)
        t = (time.perf_counter() - start) / repeats
        total += t
        print(f"  {t * 1e6:9.1f}us  {ast.unparse(stmt)}")
    print(f"  {total * 1e6:9.1f}us  total")


def close_tuple(a, b):
    assert all(np.allclose(u, v) for u, v in zip(a, b)), (a, b)


def main(quick=False, profile=False):
    budget = 0.2 if quick else 1.0
    rng = np.random.RandomState(0)
    rows = []

    rows.append(case("(a) sigmoid, Python float", tg.grad(sigmoid), sigmoid_grad_by_hand,
                     autograd and autograd.grad(sigmoid_autograd), (0.3,), budget,
                     lambda a, b: np.testing.assert_allclose(a, b)))

    x = rng.randn(100_000) * 2.0 + 1.0
    rows.append(case("(b) Gaussian NLL, 100,000 samples", tg.grad(gaussian_nll, wrt=(0, 1)),
                     gaussian_nll_grad_by_hand,
                     autograd and autograd.grad(gaussian_nll_autograd, argnum=(0, 1)),
                     (0.5, 0.2, x), budget, close_tuple, gaussian_nll_grad_step_by_step))

    X = rng.randn(10_000, 20)
    t = (rng.rand(10_000) > 0.5).astype(float)
    w = rng.randn(20) * 0.1
    rows.append(case("(c) logistic NLL, X 10,000 x 20", tg.grad(logistic_nll), logistic_nll_grad_by_hand,
                     autograd and autograd.grad(logistic_nll_autograd), (w, X, t), budget,
                     lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-8), logistic_nll_grad_step_by_step))

    print(f"{'case':36} {'tangentish':>12} {'hand':>12} {'autograd':>12} {'vs hand':>8} {'vs autograd':>12}")
    for r in rows:
        auto = f"{r['autograd'] * 1e6:10.1f}us" if "autograd" in r else f"{'-':>12}"
        speed = f"{r['speedup_vs_autograd']:10.1f}x" if "autograd" in r else f"{'-':>12}"
        print(f"{r['case']:36} {r['tangentish'] * 1e6:10.1f}us {r['hand'] * 1e6:10.1f}us {auto} "
              f"{r['ratio_vs_hand']:7.2f}x {speed}")
    print("targets: (b), (c) at most 1.50x hand-written; (a) at least 20x faster than autograd")
    print("for scale, the chain rule by hand one primitive at a time (no terms cancelled):")
    for r in rows:
        if "step" in r:
            print(f"  {r['case']:34} {r['step'] * 1e6:10.1f}us   tangentish / step-by-step = "
                  f"{r['ratio_vs_step']:.2f}x")
    if profile:
        for title, grad, args in [("(b)", tg.grad(gaussian_nll, wrt=(0, 1)), (0.5, 0.2, x)),
                                  ("(c)", tg.grad(logistic_nll), (w, X, t))]:
            print(f"\nper statement, {title}:")
            profile_lines(grad, args)
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter timing runs")
    parser.add_argument("--profile", action="store_true", help="time each generated statement of (b), (c)")
    options = parser.parse_args()
    main(options.quick, options.profile)
