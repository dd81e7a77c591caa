"""Library source policy: NumPy/SciPy/stdlib Python code is never differentiated as if the user wrote it.

A library callable gets a derivative through a rule, an equivalence to a ruled
function (``np.row_stack`` is ``np.vstack``), or its source when it is on the
proven allow-list ``callables.LIBRARY_SOURCE_ALLOWED``; anything else is a
TransformError at the user's line.  References are central finite differences
(tests/fd.py) or hand derivations, never tangentish itself.
"""
import importlib.util
import statistics
import sys
import types
import warnings

import gast
import numpy as np
import pytest
import scipy.linalg
import scipy.special
import scipy.stats

import tangentish as tg
from tangentish import callables, registry, templates
from tangentish.equivalents import LIBRARY_ALIASES
from tangentish.errors import TransformError
from tangentish.resolve import Resolver

rng = np.random.default_rng(3)


def fd_grad(f, x, eps=1e-6):
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = (f(xp) - f(xm)) / (2 * eps)
    return g


def fd_jvp(f, x, v, eps=1e-6):
    return (f(x + eps * v) - f(x - eps * v)) / (2 * eps)


# ---- the guard: every public callable a user can call with an array is accounted for ------------

MODULES = [np, np.linalg, np.fft, np.random, scipy.special, scipy.linalg, scipy.stats]


def _public_callables():
    seen = set()
    for module in MODULES:
        for name in sorted(dir(module)):
            if name.startswith("_"):
                continue
            obj = getattr(module, name, None)
            if isinstance(obj, types.ModuleType) or not callable(obj) or id(obj) in seen:
                continue
            seen.add(id(obj))
            yield f"{module.__name__}.{name}", obj


def test_every_public_library_callable_has_a_rule_an_equivalent_is_allowed_or_is_refused():
    """Classify each callable the way the resolver does for ``fn(x)`` with ``x`` a variable.

    "user" (its source read as user code) is allowed only for allow-listed
    functions; every other outcome is a rule, a zero derivative, or a refusal
    (the passes raise TransformError for "unknown" when a derivative flows).
    """
    templates.load_builtin()
    bad, counts = [], {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, obj in _public_callables():
            resolver = Resolver({"fn": obj}, {"x"})
            op = resolver.op_of(gast.parse("fn(x)").body[0].value)
            policy = callables.source_policy(obj)
            counts[op.kind] = counts.get(op.kind, 0) + 1
            if op.kind == "user" and policy != "allowed":
                bad.append(f"{name}: its source would be read as user code")
            if policy == "source":
                bad.append(f"{name}: classified as user source")
            if op.kind == "unknown" and policy == "rule" and op.key not in registry.UNSUPPORTED:
                bad.append(f"{name}: has a rule but resolves to no derivative")
    assert not bad, bad
    assert counts.get("rule", 0) > 200 and counts.get("unknown", 0) > 100   # the walk saw the libraries


def test_python_functions_of_numpy_and_scipy_are_library_code_by_their_file():
    if hasattr(np, "row_stack"):   # removed in NumPy 2.5
        assert callables.library_function(np.row_stack) or np.row_stack in LIBRARY_ALIASES
    assert callables.library_function(np.linalg.norm)
    assert callables.library_function(scipy.linalg.circulant)
    assert callables.library_function(statistics.fmean)   # the standard library, by its location
    assert not callables.library_function(test_python_functions_of_numpy_and_scipy_are_library_code_by_their_file)
    assert callables.source_policy(fd_grad) == "source"
    assert callables.source_policy(scipy.linalg.circulant) == "refused"
    assert callables.source_policy(np.exp) == "rule"


def test_allow_list_starts_empty():
    assert callables.LIBRARY_SOURCE_ALLOWED == set()


# ---- refusals, at the user's line, in both modes ------------------------------------------------

def uses_circulant(x):
    return np.sum(scipy.linalg.circulant(x) * np.arange(9.0).reshape(3, 3))


def uses_fmean(x):
    return statistics.fmean([x, 2.0 * x])


def uses_mgrid(x):
    return np.sum(np.s_[x])


@pytest.mark.parametrize("f, x", [(uses_circulant, np.ones(3)), (uses_fmean, 1.5), (uses_mgrid, np.ones(2))])
def test_library_code_without_a_rule_is_refused_in_every_mode(f, x):
    line = f.__code__.co_firstlineno + 1
    for make, args in ((tg.grad, (x,)), (tg.value_and_grad, (x,)), (tg.jvp, (x, np.ones_like(x) if np.ndim(x) else 1.0))):
        with pytest.raises(TransformError) as e:
            make(f)(*args)
        assert e.value.lineno == line, (make, str(e.value))
        assert e.value.hint


def test_library_refusal_names_the_function_and_its_nature():
    with pytest.raises(TransformError, match=r"statistics\.fmean.*library code") as e:
        tg.grad(uses_fmean)(1.0)
    assert "rule" in e.value.hint


def test_library_function_handed_to_grad_directly_is_refused():
    with pytest.raises(TransformError, match="library code"):
        tg.grad(statistics.fmean)([1.0, 2.0])


def test_np_r_with_slices_is_refused_when_a_derivative_flows():
    def f(x):
        return np.sum(np.r_[x, 0:3] * 2.0)
    with pytest.raises(TransformError) as e:
        tg.grad(f)(np.ones(2))
    assert e.value.lineno == f.__code__.co_firstlineno + 1


def test_global_index_object_of_constants_is_fine():
    def f(x):
        return np.sum(x * np.r_[1.0, 2.0, 0:2])
    x = rng.normal(size=4)
    assert np.allclose(tg.grad(f)(x), [1.0, 2.0, 0.0, 1.0])


def test_global_array_indexed_by_a_counter_is_a_constant():
    TABLE = np.array([1.0, 2.0, 3.0])

    def f(x):
        s = 0.0
        for i in range(3):
            s = s + TABLE[i] * x
        return s
    assert tg.grad(f)(1.0) == 6.0


# ---- np.r_ / np.c_: joining primitives with rules ------------------------------------------------

C6 = rng.normal(size=6)
C7 = rng.normal(size=7)
C32 = rng.normal(size=(3, 2))
C43 = rng.normal(size=(4, 3))


def r_two(x):
    return np.sum(np.r_[x, x] * C6)


def r_scalar(x):
    return np.sum(np.r_[x, 2.0 * x, 3.0] * C7)


def r_single(x):
    return np.sum(np.r_[x] * C6[:3])


def c_two(x):
    return np.sum(np.c_[x, np.sin(x)] * C32)


def r_matrix(x):
    return np.sum(np.r_[x, x[:2] * 2.0] * C43)


def c_matrix(x):
    return np.sum(np.c_[x, x] * rng.normal(size=(3, 4)) ** 0 * np.arange(12.0).reshape(3, 4))


R_CASES = [(r_two, (3,)), (r_scalar, (3,)), (r_single, (3,)), (c_two, (3,)), (r_matrix, (2, 3)),
           (c_matrix, (3, 2))]


@pytest.mark.parametrize("f, shape", R_CASES, ids=[f.__name__ for f, _ in R_CASES])
def test_r_and_c_reverse_against_finite_differences(f, shape):
    x = rng.normal(size=shape)
    assert np.allclose(tg.grad(f)(x), fd_grad(f, x), atol=1e-6)
    value, g = tg.value_and_grad(f)(x)
    assert np.isclose(value, f(x)) and np.allclose(g, fd_grad(f, x), atol=1e-6)


@pytest.mark.parametrize("f, shape", R_CASES, ids=[f.__name__ for f, _ in R_CASES])
def test_r_and_c_forward_against_finite_differences(f, shape):
    x, v = rng.normal(size=shape), rng.normal(size=shape)
    value, t = tg.jvp(f)(x, v)
    assert np.isclose(value, f(x)) and np.isclose(t, fd_jvp(f, x, v), atol=1e-6)


def test_r_vector_output_vjp():
    def f(x, y):
        return np.r_[x, y * y]
    x, y, u = rng.normal(size=2), rng.normal(size=3), rng.normal(size=5)
    value, pull = tg.vjp(f, wrt=(0, 1))(x, y)
    assert np.allclose(value, f(x, y))
    gx, gy = pull(u)
    assert np.allclose(gx, u[:2]) and np.allclose(gy, 2 * y * u[2:])   # by hand


def test_r_reads_as_written_in_the_generated_source():
    assert "np.r_[" in tg.grad(r_two).source


# ---- equivalences: np.row_stack is np.vstack -------------------------------------------------------

def row_stacked(x):
    return np.sum(np.row_stack([x, 2.0 * x]) * C6.reshape(2, 3))


@pytest.mark.skipif(not hasattr(np, "row_stack"), reason="np.row_stack is gone from this NumPy")
def test_row_stack_shares_vstack_rule_in_both_modes():
    assert LIBRARY_ALIASES[np.row_stack] is np.vstack
    x, v = rng.normal(size=3), rng.normal(size=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.allclose(tg.grad(row_stacked)(x), fd_grad(row_stacked, x), atol=1e-6)
        assert np.isclose(tg.jvp(row_stacked)(x, v)[1], fd_jvp(row_stacked, x, v), atol=1e-6)


# ---- scipy.linalg.block_diag: a rule in both modes ---------------------------------------------------

W55 = rng.normal(size=(5, 5))


def block(A, B):
    return np.sum(scipy.linalg.block_diag(A, B) * W55)


def block3(a, B, c):
    return np.sum(scipy.linalg.block_diag(a, B * B, c) ** 2)


def test_block_diag_reverse_and_forward_against_finite_differences():
    A, B = rng.normal(size=(2, 2)), rng.normal(size=(3, 3))
    gA, gB = tg.grad(block, wrt=(0, 1))(A, B)
    assert np.allclose(gA, fd_grad(lambda a: block(a, B), A), atol=1e-6)
    assert np.allclose(gB, fd_grad(lambda b: block(A, b), B), atol=1e-6)
    v = rng.normal(size=(2, 2))
    value, t = tg.jvp(block)(A, B, v)
    assert np.isclose(value, block(A, B)) and np.isclose(t, fd_jvp(lambda a: block(a, B), A, v), atol=1e-6)
    w = rng.normal(size=(3, 3))
    assert np.isclose(tg.jvp(block, wrt=1)(A, B, w)[1], fd_jvp(lambda b: block(A, b), B, w), atol=1e-6)


def test_block_diag_of_a_vector_a_matrix_and_a_scalar():
    a, B, c = rng.normal(size=2), rng.normal(size=(2, 2)), 0.7
    for i, x in enumerate((a, B)):
        def fi(z, i=i):
            args = [a, B, c]
            args[i] = z
            return block3(*args)
        assert np.allclose(tg.grad(block3, wrt=i)(a, B, c), fd_grad(fi, x), atol=1e-5)
    assert np.isclose(tg.grad(block3, wrt=2)(a, B, c), 2 * c)   # by hand: c enters squared once


def test_block_diag_hessian_forward_over_reverse():
    def f(A):
        return np.sum(scipy.linalg.block_diag(A * A, A) ** 2)
    A = rng.normal(size=(2, 2))
    # by hand: sum(A^4) + sum(A^2) has diagonal Hessian 12 A^2 + 2
    assert np.allclose(tg.hessian(f)(A), np.diag((12 * A ** 2 + 2).ravel()).reshape(2, 2, 2, 2))


# ---- the allow-list: a library function's source is read only when listed -------------------------

LIB_SOURCE = ("import numpy as np\n\ndef softsq(x):\n    return np.sum(np.tanh(x) ** 2)\n\n\n"
              "class Layer:\n    def apply(self, x):\n        return np.sum(x * 2.0)\n\n"
              "    def __call__(self, x):\n        return np.sum(x * 3.0)\n")


@pytest.fixture
def fake_library(tmp_path, monkeypatch):
    path = tmp_path / "fakelib_tangentish.py"
    path.write_text(LIB_SOURCE)
    spec = importlib.util.spec_from_file_location("fakelib_tangentish", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, "fakelib_tangentish", module)
    monkeypatch.setattr(callables, "_LIBRARY_ROOTS", callables._LIBRARY_ROOTS + (str(tmp_path) + "/",))
    return module


def test_library_location_refuses_then_allow_list_admits(fake_library, monkeypatch):
    softsq = fake_library.softsq

    def f(x):
        return softsq(x) * 3.0
    x = rng.normal(size=3)
    with pytest.raises(TransformError, match="library code"):
        tg.grad(f)(x)
    monkeypatch.setattr(callables, "LIBRARY_SOURCE_ALLOWED", {softsq})

    def g(x):   # a new function: the first transform's refusal is not cached for it
        return softsq(x) * 3.0
    expected = 3.0 * 2 * np.tanh(x) * (1 - np.tanh(x) ** 2)   # by hand
    assert np.allclose(tg.grad(g)(x), expected)
    assert registry.display_name(softsq)


# ---- np.arange: differentiable in start and step, constant in stop -----------------------------------

def arange_start(x):
    return np.sum(np.arange(x, 5.0) ** 2)


def arange_step(s):
    return np.sum(np.arange(0.25, 3.0, s) * 2.0)


def arange_stop(x):
    return np.sum(np.arange(x) * 1.0) + x


@pytest.mark.parametrize("f, x", [(arange_start, 2.3), (arange_start, -0.4), (arange_step, 0.7), (arange_stop, 3.5)])
def test_arange_both_modes_against_finite_differences(f, x):
    expected = (f(x + 1e-6) - f(x - 1e-6)) / 2e-6
    assert np.isclose(tg.grad(f)(x), expected, atol=1e-5)
    assert np.isclose(tg.jvp(f)(x, 1.0)[1], expected, atol=1e-5)
    value, g = tg.value_and_grad(f)(x)
    assert np.isclose(value, f(x))


def test_arange_with_a_dtype_and_a_differentiated_start_is_refused():
    def f(x):
        return np.sum(np.arange(x, 5.0, dtype=np.float32))
    with pytest.raises(TransformError):
        tg.grad(f)(1.5)


def test_partial_of_a_library_function_and_other_index_objects_are_refused():
    import functools
    circ = functools.partial(scipy.linalg.circulant)

    def f(x):
        return np.sum(circ(x))

    def g(x):
        return np.sum(np.index_exp[x][0] * np.mgrid[0:3])
    for fn in (f,):
        with pytest.raises(TransformError, match="library code"):
            tg.grad(fn)(np.ones(3))
    with pytest.raises(TransformError):
        tg.grad(g)(np.ones(3))


def test_np_r_imported_by_name_and_np_c_of_matrices_in_forward_mode():
    from numpy import r_

    def f(x):
        return np.sum(r_[x, x * x] * C6)
    x, v = rng.normal(size=3), rng.normal(size=3)
    assert np.allclose(tg.grad(f)(x), fd_grad(f, x), atol=1e-6)
    assert np.isclose(tg.jvp(f)(x, v)[1], fd_jvp(f, x, v), atol=1e-6)


def test_methods_and_callable_objects_of_library_classes_are_refused(fake_library):
    layer = fake_library.Layer()

    def by_method(x):
        return layer.apply(x)

    def by_call(x):
        return layer(x)
    for f in (by_method, by_call):
        with pytest.raises(TransformError) as e:
            tg.grad(f)(np.ones(2))
        assert e.value.lineno == f.__code__.co_firstlineno + 1
    with pytest.raises(TransformError, match="library code"):
        tg.grad(layer.apply)(np.ones(2))


def test_block_diag_of_more_arrays_than_its_rule_takes_is_refused_at_the_user_line():
    def f(a):
        return np.sum(scipy.linalg.block_diag(a, a, a, a, a, a, a))
    for api, extra in ((tg.grad, ()), (tg.jvp, (np.ones((1, 1)),))):
        with pytest.raises(TransformError, match="too many") as e:
            api(f)(np.ones((1, 1)), *extra)
        assert e.value.lineno == f.__code__.co_firstlineno + 1
