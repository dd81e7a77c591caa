"""Backprop by hand, checked: a one-hidden-layer tanh network fitted to a sine, gradients by tangentish.

The parameters live in a dict, so the gradient is a dict with the same keys.
The generated derivative is the backprop a lecture derives on the board:
forward through the layers, then backward from the loss, one line per step.
Before training, `tg.check_grads` compares it with finite differences.

Run:  python examples/tanh_mlp.py
"""
import numpy as np

import tangentish as tg


def predict(params, x):
    hidden = np.tanh(x[:, None] * params["w1"] + params["b1"])
    return hidden @ params["w2"] + params["b2"]


def loss(params, x, y):
    return np.mean((predict(params, x) - y) ** 2)


def main():
    rng = np.random.RandomState(0)
    x = np.linspace(-3.0, 3.0, 200)
    y = np.sin(x)
    params = {"w1": rng.randn(16), "b1": rng.randn(16), "w2": 0.1 * rng.randn(16), "b2": 0.0}

    grad = tg.grad(loss)
    print(grad.source)
    tg.check_grads(loss, params, x, y, modes=("rev",), order=1)

    start = loss(params, x, y)
    learning_rate, velocity = 0.05, {k: 0.0 for k in params}
    for _ in range(3000):   # gradient descent with momentum
        g = grad(params, x, y)
        for k in params:
            velocity[k] = 0.9 * velocity[k] - learning_rate * g[k]
            params[k] = params[k] + velocity[k]
    end = loss(params, x, y)
    print(f"mean squared error: {start:.4f} before training, {end:.5f} after")
    assert end < 0.01 * start


if __name__ == "__main__":
    main()
