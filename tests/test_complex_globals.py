"""Complex values the function reads from its namespace, not its arguments.

Whether a value is complex shapes the derivative (the complex convention's
conjugates), so the analysis must see complex values held in globals,
closures, containers and objects, and a derivative built while a global was
real must be rebuilt when it becomes complex. References: central finite
differences of the real-valued function.
"""
import types

import numpy as np
import pytest

import tangentish as tg

X = np.array([0.3, -0.5])
A = np.array([1.0, 2.0])
L = [np.array([1.0 + 1j, 2.0 - 0.5j]), 2.0]
D = {"a": 1.0 - 2j}
OBJ = types.SimpleNamespace(scale=np.array([0.5 + 2j, -1.0 + 0.25j]))


def _fd(f, x, eps=1e-6):
    return np.array([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(x.size)])


def _jvp_fd(f, x, v, eps=1e-6):
    return (f(x + eps * v) - f(x - eps * v)) / (2 * eps)


def uses_global(x):
    return np.sum(np.abs(A * x) ** 2)


def uses_list(x):
    return np.sum(np.abs(L[0] * x) ** 2)


def uses_dict(x):
    return np.sum(np.abs(D["a"] * x) ** 2)


def uses_object(x):
    return np.sum(np.abs(OBJ.scale * x) ** 2)


def _closure():
    B = np.array([1.0 + 1j, 2.0 - 0.5j])

    def uses_closure(x):
        return np.sum(np.abs(B * x) ** 2)
    return uses_closure


@pytest.mark.parametrize("f", [uses_list, uses_dict, uses_object, _closure()], ids=lambda f: f.__name__)
def test_complex_values_held_in_the_namespace(f):
    np.testing.assert_allclose(tg.grad(f)(X), _fd(f, X), rtol=1e-6)
    v = np.array([0.7, -1.3])
    value, tangent = tg.jvp(f)(X, v)
    assert value == pytest.approx(f(X))
    assert tangent == pytest.approx(_jvp_fd(f, X, v), rel=1e-6)


def test_a_global_that_becomes_complex_rebuilds_the_derivative(monkeypatch):
    g = tg.grad(uses_global)
    np.testing.assert_allclose(g(X), _fd(uses_global, X), rtol=1e-6)     # built while A is real
    monkeypatch.setitem(globals(), "A", np.array([1.0 + 1j, 2.0 - 0.5j]))
    np.testing.assert_allclose(g(X), _fd(uses_global, X), rtol=1e-6)
    monkeypatch.setitem(globals(), "A", np.array([3.0, -1.0]))           # and real again
    np.testing.assert_allclose(g(X), _fd(uses_global, X), rtol=1e-6)


def test_a_container_changed_in_place_to_complex_rebuilds_the_derivative(monkeypatch):
    held = [np.array([1.0, 2.0])]
    monkeypatch.setitem(globals(), "L", held)
    g = tg.grad(uses_list)
    np.testing.assert_allclose(g(X), _fd(uses_list, X), rtol=1e-6)
    held[0] = np.array([0.5 - 1j, 1.0 + 3j])                              # same list object
    np.testing.assert_allclose(g(X), _fd(uses_list, X), rtol=1e-6)
