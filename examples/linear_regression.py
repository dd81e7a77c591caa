"""Linear regression by gradient descent, with the gradient written by tangentish.

Fits y = X @ w + b to noisy data by following the gradient of the mean squared
error, then compares with the least-squares solution.

Run:  python examples/linear_regression.py
"""
import numpy as np

import tangentish as tg


def mse(w, b, X, y):
    residual = X @ w + b - y
    return np.mean(residual ** 2)


def fit(X, y, steps=500, learning_rate=0.1):
    dmse = tg.grad(mse, wrt=("w", "b"))     # one generated function giving (dw, db)
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(steps):
        dw, db = dmse(w, b, X, y)
        w, b = w - learning_rate * dw, b - learning_rate * db
    return w, b, dmse


def main():
    rng = np.random.RandomState(1)
    X = rng.randn(200, 3)
    y = X @ np.array([2.0, -1.0, 0.5]) + 3.0 + 0.1 * rng.randn(200)

    w, b, dmse = fit(X, y)
    print(dmse.source)
    exact = np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)[0]
    print("gradient descent: w =", np.round(w, 4), " b =", round(b, 4))
    print("least squares:    w =", np.round(exact[:3], 4), " b =", round(exact[3], 4))
    print("final loss:", mse(w, b, X, y))
    assert np.allclose(np.r_[w, b], exact, atol=1e-3)


if __name__ == "__main__":
    main()
