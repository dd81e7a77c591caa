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
            family = len(row.shapes) - 1      # the largest shape family
            yield pytest.param(row, pos, name, family, id=f"{call.replace(' ', '')}-{pos}-{family}")


@pytest.mark.parametrize("row,pos,name,family", list(_complex_params()))
def test_forward_agrees_with_reverse_at_complex_inputs(row, pos, name, family):
    """Complex inputs: both modes answer alike (the real pairing) or both refuse."""
    dot_product_test(row, pos, name, family, complex_inputs=True)
