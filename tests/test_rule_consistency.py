"""Forward and reverse rules agree: the dot-product test <u, J v> == <Jᵀ u, v> on every table row.

For each row of primitive_rows.py (so a new rule is covered as soon as it has
a row), each keyword variant, each differentiated argument and each shape
family, the raw primitive call ``y = key(...)`` is differentiated both ways
through the public API: ``tg.jvp`` gives J v for a random direction v and
``tg.vjp`` gives Jᵀ u for a random cotangent u.  The two inner products must
agree.  A wrong rule in either mode breaks the identity even where a finite
difference along one direction happens to pass.

Complex values use the library's convention (templates/complex.py): the
adjoint of a complex z is dL/da + i dL/db, so the pairing is the real inner
product <p, q> = Re(sum(conj(p) * q)), on both sides.

Refusing alike (a TransformError from both modes) is accepted; one mode
refusing while the other answers is a failure, and so is any other error.

Below the guard: finite-difference tests of the edges issue 11 found (FFT
lengths and real inputs to irfftn, every einsum form, dot/kron ranks, std at
zero spread, powers at 0, complex statistics and decompositions), and a test
that every rule binds positional arguments where NumPy does.
"""
import importlib.util
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from primitive_check import HEADER, direction, draw
from primitive_rows import ROWS

import tangentish as tg
from tangentish import templates

templates.load_builtin()


def _build(rows, module_name):
    """One generated module: ``def c_<r>_<k>_<p>(x): return <call>`` for every case."""
    cases, lines = [], [HEADER]
    for r, row in enumerate(rows):
        for k, kw in enumerate(row.kw):
            for pos in row.positions():
                name = f"c_{r}_{k}_{pos}"
                names = [("x" if i == pos else f"{name.upper()}_A{i}") for i in range(len(row.shapes[0]))]
                args = row.args.format(*names)
                call = f"{row.key}({args}{', ' if kw and args else ''}{kw})"
                if row.pick is not None:
                    call = f"{call}[{row.pick}]"
                lines.append(f"def {name}(x):")
                lines.append(f"    y = {call}")
                if row.square:          # eigenvectors: sign-free, as in the finite-difference table
                    lines.append("    y = y * y")
                lines.append("    return y")
                lines.append("")
                cases.append((row, kw, pos, name, call))
    folder = Path(tempfile.mkdtemp(prefix="tangentish_consistency_"))
    path = folder / f"{module_name}.py"
    path.write_text("\n".join(lines))
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module, cases


# real and complex points get separate modules: a derivative is built for the globals it was first run with
REAL_MODULE, CASES = _build(ROWS, "consistency_cases")
COMPLEX_MODULE, _ = _build(ROWS, "consistency_cases_complex")


def _leaves(y):
    return list(y) if isinstance(y, (tuple, list)) else [y]


def _random_like(y, rng):
    """A cotangent of ``y``'s structure, shapes and (real or complex) kind."""
    def one(leaf):
        leaf = np.asarray(leaf)
        u = rng.standard_normal(leaf.shape)
        if np.iscomplexobj(leaf):
            u = u + 1j * rng.standard_normal(leaf.shape)
        return u if leaf.ndim else (complex(u) if np.iscomplexobj(leaf) else float(u))
    if isinstance(y, (tuple, list)):
        parts = [one(p) for p in y]
        return type(y)(*parts) if hasattr(y, "_fields") else type(y)(parts)
    return one(y)


def pairing(p, q) -> float:
    """Re(sum(conj(p) q)) summed over the leaves of a result."""
    return float(sum(np.real(np.sum(np.conj(np.asarray(a)) * np.asarray(b)))
                     for a, b in zip(_leaves(p), _leaves(q))))


def _inexact(y) -> bool:
    return all(np.issubdtype(np.asarray(p).dtype, np.inexact) for p in _leaves(y))


def _attempt(thunk):
    try:
        return thunk(), None
    except tg.TransformError as e:
        return None, e


def dot_product_test(row, pos, name, family, seed=0, complex_inputs=False):
    rng = np.random.default_rng(seed + 104729 * family + 31 * pos)
    shapes = row.shapes[family]
    values = [draw(row.domain(i), s, rng) for i, s in enumerate(shapes)]
    if complex_inputs:     # the same point moved off the real line
        values = [v + 0.5j * rng.standard_normal(np.shape(v)) for v in values]
    module = COMPLEX_MODULE if complex_inputs else REAL_MODULE
    for i, value in enumerate(values):
        setattr(module, f"{name.upper()}_A{i}", value)
    x = values[pos]
    fn = getattr(module, name)
    if complex_inputs:
        try:
            y = fn(x)
        except (TypeError, ValueError):
            return "not defined at complex inputs"   # NumPy itself refuses them
    else:
        y = fn(x)
    if not _inexact(y):
        return "integer-valued"
    v = direction(row.domain(pos), x, rng)
    u = _random_like(y, rng)

    forward, refused_f = _attempt(lambda: tg.jvp(fn)(x, v))
    reverse, refused_r = _attempt(lambda: tg.vjp(fn)(x))
    if reverse is not None:
        pulled, refused_r = _attempt(lambda: reverse[1](u))
    if refused_f is not None or refused_r is not None:
        assert refused_f is not None and refused_r is not None, (
            f"one mode refuses, the other answers: jvp {refused_f!r}, vjp {refused_r!r}")
        return "refused alike"
    value, jv = forward
    assert np.shape(pulled) == np.shape(x), f"vjp shape {np.shape(pulled)} != {np.shape(x)}"
    for a, b in zip(_leaves(value), _leaves(y)):
        assert np.allclose(a, b, equal_nan=True), "jvp's value differs from f(x)"
    for a, b in zip(_leaves(reverse[0]), _leaves(y)):
        assert np.allclose(a, b, equal_nan=True), "vjp's value differs from f(x)"
    for a, b in zip(_leaves(jv), _leaves(y)):
        assert np.shape(a) == np.shape(b), f"tangent shape {np.shape(a)} != value shape {np.shape(b)}"
    left, right = pairing(u, jv), pairing(pulled, v)
    scale = max(1.0, abs(left), abs(right))
    assert abs(left - right) <= 1e-8 * scale + 1e-10 + row.rtol * 1e-3 * scale, (
        f"<u, J v> = {left!r} but <Jᵀ u, v> = {right!r}")
    return "agree"


def _params():
    for row, kw, pos, name, call in CASES:
        for family in range(len(row.shapes)):
            yield pytest.param(row, pos, name, family, id=f"{call.replace(' ', '')}-{pos}-{family}")


@pytest.mark.parametrize("row,pos,name,family", list(_params()))
def test_forward_agrees_with_reverse(row, pos, name, family):
    dot_product_test(row, pos, name, family)


#: domains a complex point can stand in for (the others are real by nature: log's positive axis, sort's order)
COMPLEX_OK = {"real", "nonzero", "pos", "square", "spd", "sym", "complex"}
#: helpers whose moving argument is real by construction
REAL_BY_NATURE = {"irfft_transpose": "its g is the adjoint of irfft's real result"}


def _complex_params():
    for row, kw, pos, name, call in CASES:
        if row.key not in REAL_BY_NATURE and all(row.domain(i) in COMPLEX_OK for i in range(len(row.shapes[0]))):
            for family in range(len(row.shapes)):
                yield pytest.param(row, pos, name, family, id=f"{call.replace(' ', '')}-{pos}-{family}")


@pytest.mark.parametrize("row,pos,name,family", list(_complex_params()))
def test_forward_agrees_with_reverse_at_complex_inputs(row, pos, name, family):
    """Complex inputs: both modes answer alike (the real pairing) or both refuse."""
    dot_product_test(row, pos, name, family, complex_inputs=True)


# ---- the edges of issue 11, class 5: each against central finite differences ----------

EPS = 1e-6


def fd_grad(f, x):
    """Central differences of a real-valued ``f``, entry by entry (dL/da + i dL/db for complex ``x``)."""
    if np.ndim(x) == 0 and not isinstance(x, np.ndarray):
        return (f(x + EPS) - f(x - EPS)) / (2 * EPS)
    x = np.asarray(x)
    g = np.zeros(x.shape, dtype=x.dtype)
    for idx in np.ndindex(x.shape):
        e = np.zeros(x.shape)
        e[idx] = EPS
        g[idx] = (f(x + e) - f(x - e)) / (2 * EPS)
        if np.iscomplexobj(x):
            g[idx] += 1j * (f(x + 1j * e) - f(x - 1j * e)) / (2 * EPS)
    return g


def check_both_modes(f, x, atol=1e-6):
    """grad, vjp and jvp of ``f`` at ``x`` against finite differences, and the values against f(x)."""
    want = fd_grad(f, x)
    np.testing.assert_allclose(tg.grad(f)(x), want, rtol=1e-5, atol=atol)
    value, pull = tg.vjp(f)(x)
    np.testing.assert_allclose(value, f(x))
    np.testing.assert_allclose(pull(1.0), want, rtol=1e-5, atol=atol)
    v = _direction_like(x)
    value, tangent = tg.jvp(f)(x, v)
    np.testing.assert_allclose(value, f(x))
    np.testing.assert_allclose(tangent, pairing(want, v), rtol=1e-5, atol=atol)


def _direction_like(x):
    rng = np.random.default_rng(5)
    if np.ndim(x) == 0 and not isinstance(x, np.ndarray):
        return 0.75
    v = rng.standard_normal(np.shape(x))
    return v + 1j * rng.standard_normal(np.shape(x)) if np.iscomplexobj(x) else v


RNG = np.random.default_rng(11)
W46 = RNG.standard_normal((4, 6))
W8 = RNG.standard_normal(8) + 1j * RNG.standard_normal(8)
M33 = RNG.standard_normal((3, 3))
B234 = RNG.standard_normal((2, 3, 4))
B23 = RNG.standard_normal((2, 3))


def irfft2_of_real(x):
    return np.sum(np.fft.irfft2(x) * W46)


def irfftn_of_real(x):
    return np.sum(np.fft.irfftn(x, axes=(0, 1)) * W46)


def irfft2_with_s(x):
    return np.sum(np.fft.irfft2(x, (4, 6)) ** 2)


def fft_positional_n(x):
    return np.sum(np.abs(np.fft.fft(x, 8)) ** 2)


def fft_crop(x):
    return np.real(np.sum(np.fft.fft(x, 3) * W8[:3]))


def rfft_positional_n(x):
    return np.real(np.sum(np.fft.rfft(x, 8) * W8[:5]))


def fft2_positional_s(x):
    return np.sum(np.abs(np.fft.fft2(x, (3, 5))) ** 2)


def ifft_n_axis(x):
    return np.real(np.sum(np.fft.ifft(x, 6, 0)))


@pytest.mark.parametrize("f,shape", [
    (irfft2_of_real, (4, 4)), (irfftn_of_real, (4, 4)), (irfft2_with_s, (3, 4)), (fft_positional_n, (5,)),
    (fft_crop, (5,)), (rfft_positional_n, (5,)), (fft2_positional_s, (2, 4)), (ifft_n_axis, (4, 2)),
])
def test_fft_lengths_and_real_inputs(f, shape):
    check_both_modes(f, np.random.default_rng(3).standard_normal(shape))


def irfft2_of_complex(z):
    return np.sum(np.fft.irfft2(z) * W46)


def test_irfft2_of_complex_input():
    rng = np.random.default_rng(4)
    check_both_modes(irfft2_of_complex, rng.standard_normal((4, 4)) + 1j * rng.standard_normal((4, 4)))


def einsum_sublist(m):
    return np.sum(np.einsum(m, [0, 1], [1, 0]) * M33)


def einsum_sublist_two(m):
    return np.sum(np.einsum(M33, [0, 1], m, [1, 2], [2, 0]) ** 2)


def einsum_ellipsis_ranks(a):
    return np.sum(np.einsum("jk...,lj...->lk...", a, B234) ** 2)


def einsum_ellipsis_ranks_b(b):
    return np.sum(np.einsum("jk...,lj...->lk...", M33[:, :2], b) ** 2)


def einsum_three(b):
    return np.sum(np.einsum("ij,jk,kl->il", M33, b, M33) ** 2)


def dot_2d_3d(a):
    return np.sum(np.dot(a, B234) ** 2)


def dot_3d_3d(b):
    return np.sum(np.dot(B234.transpose(0, 2, 1), b) ** 2)


def kron_vector_matrix(a):
    return np.sum(np.kron(a, B23) ** 2)


@pytest.mark.parametrize("f,shape", [
    (einsum_sublist, (3, 3)), (einsum_sublist_two, (3, 3)), (einsum_ellipsis_ranks, (3, 2)),
    (einsum_ellipsis_ranks_b, (2, 3, 4)), (einsum_three, (3, 3)), (dot_2d_3d, (2, 3)), (dot_3d_3d, (2, 3, 4)),
    (kron_vector_matrix, (3,)),
])
def test_products_at_every_rank_and_form(f, shape):
    check_both_modes(f, np.random.default_rng(6).standard_normal(shape))


def einsum_four(a):
    return np.sum(np.einsum("ij,jk,kl,lm->im", a, M33, M33, M33))


def test_einsum_of_four_operands_is_refused():
    with pytest.raises(tg.TransformError, match="einsum"):
        tg.grad(einsum_four)(M33)
    with pytest.raises(tg.TransformError, match="einsum"):
        tg.jvp(einsum_four)(M33, M33)


def std_plus_x(x):
    return np.std(x) + x


def var_plus_x(x):
    return np.var(x) * 3.0 + x


def std_of_one(x):
    return np.sum(np.std(x, axis=-1)) + np.sum(x)


def test_std_and_var_where_the_spread_is_zero():
    for f in (std_plus_x, var_plus_x):
        g = tg.grad(f)(0.7)
        assert type(g) is float and g == pytest.approx(1.0)
        value, t = tg.jvp(f)(0.7, 1.0)
        assert value == pytest.approx(f(0.7)) and t == pytest.approx(1.0)
    check_both_modes(std_of_one, np.random.default_rng(2).standard_normal((3, 1)))


def powers_at_zero(x):
    return np.sum(x[:, None] ** np.arange(3.0))


def float_powers_at_zero(x):
    return np.sum(np.float_power(x[:, None], np.array([0.0, 1.0, 3.0])))


def power_zero(x):
    return x ** 0 + 2.0 * x


def power_zero_array(x):
    return np.sum(x ** 0.0 + x ** 1)


def test_powers_at_zero():
    x = np.array([0.0, 1.0, 0.5])
    for f in (powers_at_zero, float_powers_at_zero, power_zero_array):
        check_both_modes(f, x)
        with np.errstate(all="raise"):   # no 0 * inf on the way
            tg.grad(f)(x), tg.jvp(f)(x, x)
    assert tg.grad(power_zero)(0.0) == 2.0
    assert tg.jvp(power_zero)(0.0, 1.0) == (1.0, 2.0)


def exponent_at_zero(y):
    return np.sum(np.zeros(3) ** y)


def test_exponent_gradient_at_zero_base():
    y = np.array([1.0, 2.0, 0.5])     # 0 ** y = 0 for y > 0: the exponent's gradient is 0
    check_both_modes(exponent_at_zero, y)


def var_of_complex(z):
    return np.var(z) + 0.5 * np.std(z * W8[:4])


def var_of_complex_axis(z):
    return np.sum(np.var(z, axis=0) * np.arange(1.0, 4.0)) + np.sum(np.std(z, axis=1, ddof=1))


def test_complex_var_and_std_follow_the_convention():
    rng = np.random.default_rng(8)
    check_both_modes(var_of_complex, rng.standard_normal(4) + 1j * rng.standard_normal(4))
    check_both_modes(var_of_complex_axis, rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3)))


def sum_singular_values(a):
    return np.sum(np.linalg.svd(a, compute_uv=False))


def sum_eigenvalues(a):
    return np.sum(np.linalg.eigh(a)[0] ** 2)


def first_singular_vector(a):
    return np.sum(np.abs(np.linalg.svd(a)[0][:, 0]))


@pytest.mark.parametrize("f", [sum_singular_values, sum_eigenvalues, first_singular_vector])
def test_complex_decompositions_are_refused_by_every_mode(f):
    rng = np.random.default_rng(9)
    z = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    z = z + z.conj().T
    for call in (lambda: tg.grad(f)(z), lambda: tg.vjp(f)(z)[1](1.0), lambda: tg.jvp(f)(z, z)):
        with pytest.raises(tg.TransformError, match="real values only"):
            call()
    x = np.real(z)   # real symmetric values: all three modes answer, along symmetric directions
    v = np.random.default_rng(10).standard_normal((3, 3))
    v = v + v.T
    slope = (f(x + EPS * v) - f(x - EPS * v)) / (2 * EPS)
    assert pairing(tg.grad(f)(x), v) == pytest.approx(slope, rel=1e-5)
    assert pairing(tg.vjp(f)(x)[1](1.0), v) == pytest.approx(slope, rel=1e-5)
    assert tg.jvp(f)(x, v)[1] == pytest.approx(slope, rel=1e-5)


# ---- rules bind arguments as NumPy does ------------------------------------------------

def _positional(params):
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def test_rule_signatures_keep_numpys_positions():
    """A rule parameter taking position i must be NumPy's i-th parameter (else make it keyword-only).

    ``np.fft.fft(x, 8)`` is n=8; a rule ``fft(y, a, axis=-1)`` read 8 as the axis.
    ``np.sum(x, 0, None, out)`` must not bind ``out`` to ``keepdims``; such calls are
    refused instead.  Names may differ where NumPy's are not the rule's elsewhere
    (``x1`` for ``x``).
    """
    import inspect

    from tangentish import registry
    wrong = []
    for table in (registry.REVERSE, registry.FORWARD):
        for key, rule in table.items():
            try:
                theirs = list(inspect.signature(key).parameters.values())
            except (TypeError, ValueError):
                continue   # a ufunc without a signature, a builtin
            if any(p.kind == p.VAR_POSITIONAL for p in theirs):
                continue   # np.einsum(*operands): read by the rule's own convention
            ours = list(inspect.signature(rule).parameters.values())[1:]
            their_pos, their_names, our_names = _positional(theirs), {p.name for p in theirs}, {p.name for p in ours}
            for i, name in enumerate(_positional(ours)):
                if i < len(their_pos) and their_pos[i] != name and (name in their_names or their_pos[i] in our_names):
                    wrong.append(f"{registry.display_name(key)}: position {i} is `{their_pos[i]}` in NumPy, "
                                 f"`{name}` in rule {rule.__name__}")
                    break
    assert not wrong, "\n".join(wrong)


def sum_with_out(x):
    return np.sum(x, 0, None, None, True)


def fft_with_axis_and_n(x):
    return np.sum(np.abs(np.fft.fft(x, 4, 0)) ** 2)


def test_positional_arguments_bind_as_numpy_binds_them():
    x = np.random.default_rng(12).standard_normal((3, 2))
    with pytest.raises(tg.TransformError):     # out= by position: refused, not read as keepdims
        tg.grad(sum_with_out)(x)
    check_both_modes(fft_with_axis_and_n, x)


def svd_of_a_spectrum(x):
    z = np.fft.fft(x)
    return np.sum(np.linalg.svd(np.outer(z, z), compute_uv=False))


def test_real_only_rules_refuse_complex_intermediates_in_both_modes():
    """Real inputs, but the decomposition sees a complex value (an FFT): refused by grad, vjp and jvp."""
    x = np.arange(3.0)
    for call in (lambda: tg.grad(svd_of_a_spectrum)(x), lambda: tg.vjp(svd_of_a_spectrum)(x)[1](1.0),
                 lambda: tg.jvp(svd_of_a_spectrum)(x, x)):
        with pytest.raises(tg.TransformError, match="real values only"):
            call()


def holomorphic(z):
    return np.exp(z) * z


def test_jacobian_of_complex_inputs_in_both_modes():
    """A holomorphic map's Jacobian is f'(z) either way; a real-only rule is refused either way."""
    z = np.array([1 + 1j, 0.5 - 0.2j])
    want = np.diag(np.exp(z) * (1 + z))
    for mode in ("fwd", "rev"):
        np.testing.assert_allclose(tg.jacobian(holomorphic, mode=mode)(z), want)
    a = np.eye(3) * (1 + 1j)
    for mode in ("fwd", "rev"):
        with pytest.raises(tg.TransformError, match="real values only"):
            tg.jacobian(lambda m: np.linalg.eigvalsh(m), mode=mode)(a)
