"""Central finite differences: the independent reference every gradient test compares with.

Kept tiny and stable on purpose -- other test files import it::

    from fd import numerical_grad, assert_grad_close
"""
import numpy as np


def numerical_grad(f, args, argnum=0, eps=1e-6):
    """d f(*args) / d args[argnum] by central differences, shaped like that argument.

    ``f`` must return a scalar.  The argument is perturbed in float64; a Python
    float argument gives a Python float gradient.
    """
    args = list(args)
    x0 = args[argnum]
    scalar = np.ndim(x0) == 0 and not isinstance(x0, np.ndarray)
    x = np.array(x0, dtype=float)
    g = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        for sign in (1.0, -1.0):
            xs = x.copy()
            xs[idx] += sign * eps
            args[argnum] = float(xs) if scalar else xs
            g[idx] += sign * float(f(*args))
    g /= 2 * eps
    return float(g) if scalar else g


def assert_grad_close(f, args, argnum=0, grad=None, rtol=1e-5, atol=1e-6, eps=1e-6):
    """Check ``grad`` (by default ``tangentish.grad(f, wrt=argnum)(*args)``) against FD.

    Shapes must match exactly: a broadcast operand's gradient is reduced back
    to the operand's own shape.
    """
    if grad is None:
        import tangentish as tg
        grad = tg.grad(f, wrt=argnum)(*args)
    expected = numerical_grad(f, args, argnum, eps)
    got = np.asarray(grad)
    assert got.shape == np.shape(expected), f"gradient shape {got.shape} != argument shape {np.shape(expected)}"
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    return grad
