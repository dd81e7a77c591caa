"""Central finite differences: the independent reference every gradient test compares with.

Kept tiny and stable on purpose -- other test files import it::

    from fd import numerical_grad, assert_grad_close

``assert_grad_close`` trusts its reference only after a two-step check: the
central differences at ``eps`` and ``eps / 2`` must agree within the test's own
tolerance, else it raises `UnreliableFD` (the point is at a kink, a branch
edge, or the function is too noisy) instead of passing or failing on a
meaningless number.  Complex arguments and values are refused (a real central
difference is not a complex derivative); an integer argument is refused too
(it is not perturbed: there is no finite-difference reference for it).
"""
import numpy as np


class UnreliableFD(AssertionError):
    """Central differences at two step sizes disagree: the reference itself cannot be trusted."""


def _refuse(x0, what):
    if np.iscomplexobj(x0):
        raise TypeError(f"finite differences: complex {what} is not supported here "
                        "(differentiate the real and imaginary parts as separate real arguments)")


def _is_integer(x0):
    return isinstance(x0, (bool, int, np.integer, np.bool_)) or (
        isinstance(x0, np.ndarray) and (np.issubdtype(x0.dtype, np.integer) or x0.dtype == bool))


def _scalar_value(v):
    _refuse(v, "function value")
    if np.ndim(v) != 0:
        raise ValueError(f"finite differences need a scalar function value, got shape {np.shape(v)}")
    return float(v)


def numerical_grad(f, args, argnum=0, eps=1e-6):
    """d f(*args) / d args[argnum] by central differences, shaped like that argument.

    ``f`` must return a real scalar.  The argument is perturbed in float64; a Python
    float argument gives a Python float gradient.
    """
    args = list(args)
    x0 = args[argnum]
    _refuse(x0, "argument")
    if _is_integer(x0):
        raise TypeError(f"finite differences: argument {argnum} is an integer ({type(x0).__name__}); "
                        "it is not perturbed, so there is no finite-difference gradient to compare with")
    scalar = np.ndim(x0) == 0 and not isinstance(x0, np.ndarray)
    x = np.array(x0, dtype=float)
    g = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        for sign in (1.0, -1.0):
            xs = x.copy()
            xs[idx] += sign * eps
            args[argnum] = float(xs) if scalar else xs
            g[idx] += sign * _scalar_value(f(*args))
    g /= 2 * eps
    return float(g) if scalar else g


def reliable_grad(f, args, argnum=0, eps=1e-6, rtol=1e-5, atol=1e-6):
    """`numerical_grad` at ``eps``, after checking it agrees with the one at ``eps / 2``.

    Raises `UnreliableFD` when the two differ by more than ``atol + rtol |g|``.
    """
    a = numerical_grad(f, args, argnum, eps)
    b = numerical_grad(f, args, argnum, eps / 2)
    if not np.allclose(a, b, rtol=rtol, atol=atol):
        worst = float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
        raise UnreliableFD(
            f"finite differences are unreliable at this point: steps {eps:g} and {eps / 2:g} differ by "
            f"{worst:.3g} (tolerance rtol={rtol:g}, atol={atol:g}); move the point away from kinks "
            f"and branch edges or pass a different eps")
    return a


def assert_grad_close(f, args, argnum=0, grad=None, rtol=1e-5, atol=1e-6, eps=1e-6):
    """Check ``grad`` (by default ``tangentish.grad(f, wrt=argnum)(*args)``) against FD.

    Shapes must match exactly: a broadcast operand's gradient is reduced back
    to the operand's own shape.  Raises `UnreliableFD` if the reference is not
    stable under halving the step.
    """
    expected = reliable_grad(f, args, argnum, eps, rtol, atol)
    if grad is None:
        import tangentish as tg
        grad = tg.grad(f, wrt=argnum)(*args)
    got = np.asarray(grad)
    assert not np.iscomplexobj(got), "a complex gradient for a real finite-difference reference"
    assert got.shape == np.shape(expected), f"gradient shape {got.shape} != argument shape {np.shape(expected)}"
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    return grad
