"""tangentish in one screen: a function, the gradient code tangentish writes for it, and the values.

Run:  python examples/demo.py
"""
import inspect

import numpy as np

import tangentish as tg


def logistic_loss(w, X, y):
    """Negative log-likelihood of logistic regression."""
    z = X @ w
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))


def main():
    rng = np.random.RandomState(0)
    X = rng.randn(6, 3)
    y = (rng.rand(6) > 0.5).astype(float)
    w = np.array([0.5, -0.25, 0.1])

    print("# The function")
    print(inspect.getsource(logistic_loss))

    dloss = tg.grad(logistic_loss)          # gradient with respect to w (argument 0)
    print("# The gradient tangentish generated for it (dloss.source)")
    print(dloss.source)

    g = dloss(w, X, y)
    p = 1.0 / (1.0 + np.exp(-X @ w))
    print("# Values")
    print("loss              :", logistic_loss(w, X, y))
    print("tangentish  dw    :", g)
    print("by hand X.T@(p-y) :", X.T @ (p - y))
    assert np.allclose(g, X.T @ (p - y))


if __name__ == "__main__":
    main()
