"""Machinery of the table-driven primitive test: build, differentiate and check one case.

A *row* (see primitive_rows.py) names a registered callable and how to call
it.  Each (row, keyword variant, differentiated argument) becomes a small
generated function of one array ``x``,

    def case_12_0(x):
        return np.sum(np.real(np.cumsum(x, axis=1)) * U) + np.sum(np.imag(...) * W)

whose other arguments and projection weights ``U``/``W`` are module globals,
set before each call.  Checks:

* reverse: ``<tg.grad(case)(x), v>`` against the central difference of
  ``case`` along ``v`` (float64);
* float32 (complex64 for complex arrays): the public gradient keeps the
  dtype and matches float64 differences taken at the float32 point within
  ``RTOL32`` of its norm (`check_float32`); the raw generated code keeps
  float32 adjoints float32 whenever the primitive keeps float32 values float32;
* forward: the forward rule, run directly on the values (a template is plain
  Python: ``t[x]`` reads the given tangent), against the same difference;
  and ``tg.jvp(case)(x, v)`` once tangentish has ``jvp``.

Complex values follow the adjoint convention of templates/complex.py: the
directional derivative along v is Re(sum(conj(g) * v)).
"""
from __future__ import annotations

import ast
import importlib.util
import itertools
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import gast
import numpy as np

NEP50 = int(np.__version__.split('.')[0]) >= 2

import tangentish as tg
from tangentish import registry, templates

HEADER = """\
import math
import operator
import numpy as np
try:
    import scipy.linalg as sla
    import scipy.special as sp
    import scipy.stats as st
except ImportError:   # scipy is optional: its rows are left out (primitive_rows.py)
    pass
from tangentish.runtime import *
"""


@dataclass
class Row:
    """One way of calling a registered primitive, over several shape families."""

    key: str                                  # source text naming the callable: "np.cumsum"
    args: str = "{0}"                         # argument text; {i} is the i-th array
    shapes: Sequence[Sequence[Tuple]] = (((3,),), ((2, 3),))   # per family: one shape per array
    domains: Sequence[str] = ()               # per array; default "real"
    kw: Sequence[str] = ("",)                 # keyword variants appended to the call
    wrt: Optional[Sequence[int]] = None       # arrays differentiated; default all
    pick: Optional[int] = None                # index into a tuple result
    complex_out: bool = False                 # project real and imaginary parts
    square: bool = False                      # project y**2: eigenvectors' signs are arbitrary
    rtol: float = 1e-5
    #: float32 tolerance (relative to the gradient's norm), where the function is ill-conditioned at float32
    rtol32: Optional[float] = None
    #: why this row has no float32 case (counted by tests/test_primitives_table.py); None: it has one
    no_float32: Optional[str] = None
    id: str = field(default="", compare=False)

    def domain(self, i: int) -> str:
        return self.domains[i] if i < len(self.domains) else "real"

    def positions(self) -> List[int]:
        n = len(self.shapes[0])
        return list(self.wrt) if self.wrt is not None else list(range(n))


# ---- domains: where a function's arguments are drawn, and how they may move ----

def draw(domain: str, shape, rng) -> np.ndarray:
    """A float64 point inside ``domain``."""
    if domain == "real":
        return rng.standard_normal(shape)
    if domain == "pos":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "unit":
        return rng.uniform(-0.8, 0.8, shape)
    if domain == "prob":
        return rng.uniform(0.15, 0.85, shape)
    if domain == "gt1":
        return rng.uniform(1.2, 3.0, shape)
    if domain == "nonzero":
        return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)
    if domain == "zero":       # every other entry exactly 0 (powers at 0)
        x = rng.uniform(0.5, 1.5, shape)
        x.flat[::2] = 0.0
        return x
    if domain == "minus_one":  # every other entry exactly -1 (log1p's zero), the others positive
        x = rng.uniform(0.5, 1.5, shape)
        x.flat[::2] = -1.0
        return x
    if domain == "const":      # all entries equal: no spread
        return np.full(shape, rng.standard_normal())
    if domain == "nan":        # a few missing values, for the nan* reductions
        x = rng.standard_normal(shape)
        x.flat[1::5] = np.nan
        return x
    if domain == "complex":
        return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    if domain == "distinct":   # no ties: max, sort, median have one winner
        return rng.permutation(np.prod(shape, dtype=int)).reshape(shape) * 0.3 + rng.uniform(0, 0.1, shape)
    if domain == "spd":
        a = rng.standard_normal(shape)
        return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])
    if domain == "sym":
        a = rng.standard_normal(shape)
        return a + np.swapaxes(a, -1, -2)
    if domain == "square":     # well conditioned
        return rng.standard_normal(shape) + 3 * np.eye(shape[-1])
    if domain == "triu":
        return np.triu(rng.standard_normal(shape)) + 3 * np.eye(shape[-1])
    if domain == "tril":
        return np.tril(rng.standard_normal(shape)) + 3 * np.eye(shape[-1])
    if domain == "simplex":
        p = rng.uniform(0.5, 1.5, shape)
        return p / p.sum(axis=0)
    raise KeyError(domain)


def direction(domain: str, x: np.ndarray, rng) -> np.ndarray:
    """A direction to move ``x`` in without leaving its domain."""
    v = rng.standard_normal(x.shape)
    if np.iscomplexobj(x):
        v = v + 1j * rng.standard_normal(x.shape)
    if domain in ("spd", "sym"):
        v = v + np.swapaxes(v, -1, -2)
    if domain == "triu":
        v = np.triu(v)
    if domain == "tril":
        v = np.tril(v)
    if domain == "simplex":
        v = v - v.mean(axis=0)
    return v


def inner(g, v) -> float:
    """<g, v> = Re(sum(conj(g) v)): the directional derivative of a real L along v."""
    return float(np.real(np.sum(np.conj(np.asarray(g)) * v)))


# ---- generated cases ------------------------------------------------------

@dataclass
class Case:
    row: Row
    kw: str
    pos: int
    name: str
    call: str        # the call with array names substituted


class Cases:
    """All cases of a table, compiled into one generated module."""

    def __init__(self, rows: Sequence[Row]):
        self.cases: List[Case] = []
        lines = [HEADER]
        for r, row in enumerate(rows):
            for k, kw in enumerate(row.kw):
                for pos in row.positions():
                    name = f"case_{r}_{k}_{pos}"
                    names = [("x" if i == pos else f"{name.upper()}_A{i}") for i in range(len(row.shapes[0]))]
                    args = row.args.format(*names)
                    call = f"{row.key}({args}{', ' if kw and args else ''}{kw})"
                    picked = call if row.pick is None else f"{call}[{row.pick}]"
                    lines.append(f"def {name}(x):")
                    lines.append(f"    y = {picked}")
                    if row.square:
                        lines.append("    y = y * y")
                    if row.complex_out:
                        lines.append(f"    return np.sum(np.real(y) * {name.upper()}_U) + "
                                     f"np.sum(np.imag(y) * {name.upper()}_W)")
                    else:
                        lines.append(f"    return np.sum(y * {name.upper()}_U)")
                    lines.append("")
                    self.cases.append(Case(row, kw, pos, name, call))
        source = "\n".join(lines)
        folder = Path(tempfile.mkdtemp(prefix="tangentish_cases_"))
        path = folder / "primitive_cases.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location("primitive_cases", path)
        self.module = importlib.util.module_from_spec(spec)
        sys.modules["primitive_cases"] = self.module
        spec.loader.exec_module(self.module)

    def key(self, row: Row):
        return eval(row.key, self.module.__dict__)


def check(cases: Cases, case: Case, family: int, seed: int = 0) -> None:
    """All checks of one case on one shape family; raises AssertionError on a mismatch."""
    row, mod = case.row, cases.module
    rng = np.random.default_rng(seed + 7919 * family)
    shapes = row.shapes[family]
    values = [draw(row.domain(i), s, rng) for i, s in enumerate(shapes)]
    prefix = case.name.upper()
    for i, value in enumerate(values):
        setattr(mod, f"{prefix}_A{i}", value)
    x = values[case.pos]
    fn = getattr(mod, case.name)
    y = np.asarray(_primal(mod, case, x))
    setattr(mod, f"{prefix}_U", rng.standard_normal(y.shape))
    setattr(mod, f"{prefix}_W", rng.standard_normal(y.shape))
    v = direction(row.domain(case.pos), x, rng)
    eps = 1e-6 * max(1.0, float(np.nanmax(np.abs(x))) if np.size(x) else 1.0)
    fd = (fn(x + eps * v) - fn(x - eps * v)) / (2 * eps)
    scale = max(1.0, abs(fd))
    tol = row.rtol * scale + 1e-7

    g = tg.grad(fn)(x)
    assert np.shape(g) == np.shape(x), f"gradient shape {np.shape(g)} != {np.shape(x)}"
    got = inner(g, v)
    assert abs(got - fd) <= tol, f"reverse: <grad, v> = {got!r}, finite differences {fd!r}"

    if row.no_float32 is None:
        check_float32(mod, case, fn, x, values, rng)
        for i, value in enumerate(values):
            setattr(mod, f"{prefix}_A{i}", value)
    elif not row.no_float32.strip():
        raise AssertionError("a row's no_float32 reason must say why (an empty reason)")

    got = inner_tangent(cases, case, x, v, values, prefix)
    assert abs(got - fd) <= tol, f"forward rule: <u, J v> = {got!r}, finite differences {fd!r}"

    if hasattr(tg, "jvp"):
        out = tg.jvp(fn)(x, v)
        dot = out[1] if isinstance(out, tuple) else out
        assert abs(float(np.real(dot)) - fd) <= tol, f"jvp: {dot!r}, finite differences {fd!r}"


#: float32 gradients against float64 finite differences: a 0.1% error must fail (tests/test_primitives_table.py
#: plants one); rows whose function is ill-conditioned at float32 raise it with ``Row.rtol32`` and a comment
RTOL32 = 2e-4
#: (and an absolute floor, for gradients that are 0: a 0.1% error of a gradient of norm 1e-4 still fails)
ATOL32 = 1e-8

_SINGLE = {np.dtype(np.float64): np.float32, np.dtype(np.complex128): np.complex64}


def single(value):
    """``value`` at single precision: float64 -> float32, complex128 -> complex64, 0-d included; ints kept."""
    dtype = getattr(value, "dtype", None)
    if dtype in _SINGLE:
        return value.astype(_SINGLE[dtype]) if isinstance(value, np.ndarray) else _SINGLE[dtype](value)
    return value


def double(value):
    """The single-precision ``value`` widened back, exactly: the float32 point, in float64."""
    wide = {np.dtype(np.float32): np.float64, np.dtype(np.complex64): np.complex128}
    dtype = getattr(value, "dtype", None)
    if dtype in wide:
        return value.astype(wide[dtype]) if isinstance(value, np.ndarray) else wide[dtype](value)
    return value


def check_float32(mod, case: Case, fn, x, values, rng) -> None:
    """The float32 gradient (public API) keeps float32 and matches float64 differences at the float32 point.

    The reference is independent of tangentish: the float32 arguments are
    widened back to float64 exactly, and ``fn`` is differenced there along
    ``x.size`` directions of ``x``'s domain (so the comparison sees the whole
    gradient, not one projection).  The error is measured against the
    reference's norm: ``|G32 - G_fd| <= rtol32 * |G_fd|``.
    """
    row, prefix = case.row, case.name.upper()
    weights = {n: getattr(mod, f"{prefix}_{n}") for n in "UW"}
    lowered = [single(v) for v in values]
    low_weights = {n: single(w) for n, w in weights.items()}
    x32 = lowered[case.pos]
    try:
        for i, value in enumerate(lowered):
            setattr(mod, f"{prefix}_A{i}", value)
        for n, w in low_weights.items():
            setattr(mod, f"{prefix}_{n}", w)
        y32 = _primal(mod, case, x32)
        g32 = tg.grad(fn)(x32)
        want = np.asarray(x32).dtype
        assert np.asarray(g32).dtype == want, f"float32: the gradient came back as {np.asarray(g32).dtype}, not {want}"
        assert np.shape(g32) == np.shape(x32), f"float32: gradient shape {np.shape(g32)} != {np.shape(x32)}"
        singles = (np.dtype(np.float32), np.dtype(np.complex64))
        if getattr(y32, "dtype", None) in singles or (
                isinstance(y32, tuple) and all(getattr(p, "dtype", None) in singles for p in y32)):
            derivative = tg.grad(fn).derivative
            derivative.refresh()
            raw = derivative.function(x32)
            # NumPy 1's value-based casting can promote a raw adjoint (the public API casts it
            # back to float32, tests/test_dtypes.py); NumPy 2 (NEP 50) must keep float32 throughout
            # (a complex input's raw adjoint may be real: np.real(x)'s; its precision must stay single)
            single_precision = getattr(raw, "dtype", None) in (np.dtype(np.float32), np.dtype(np.complex64))
            assert single_precision or not NEP50, (
                f"float32: the adjoint came back as {getattr(raw, 'dtype', type(raw))}")
        # the reference: float64 differences at the float32 point
        for i, value in enumerate(lowered):
            setattr(mod, f"{prefix}_A{i}", double(value))
        for n, w in low_weights.items():
            setattr(mod, f"{prefix}_{n}", double(w))
        x64 = double(x32)
        eps = 1e-6 * max(1.0, float(np.nanmax(np.abs(x64))) if np.size(x64) else 1.0)
        got, ref = [], []
        for _ in range(max(1, int(np.size(x64)))):
            v = direction(row.domain(case.pos), np.asarray(x64), rng)
            ref.append((fn(x64 + eps * v) - fn(x64 - eps * v)) / (2 * eps))
            got.append(inner(np.asarray(g32).astype(np.asarray(x64).dtype), v))
        got, ref = np.array(got), np.array(ref)
        err, size = float(np.linalg.norm(got - ref)), float(np.linalg.norm(ref))
        rtol = row.rtol32 if row.rtol32 is not None else RTOL32
        assert err <= rtol * size + ATOL32, (
            f"float32: gradient off by {err / max(size, 1e-300):.2e} of its norm {size:.3g} "
            f"(allowed {rtol:g}); along the directions got {got!r}, finite differences {ref!r}")
    finally:
        for n, w in weights.items():
            setattr(mod, f"{prefix}_{n}", w)


def _primal(mod, case, x):
    captured = _capture(mod, case, x)
    key, args, kwargs = captured
    y = key(*args, **kwargs)
    y = y if case.row.pick is None else y[case.row.pick]
    return y * y if case.row.square else y


def _capture(mod, case: Case, x):
    """The callable and the argument values ``case`` calls it with."""
    ns = dict(mod.__dict__)
    ns["x"] = x
    ns["__capture__"] = lambda *a, **k: (a, k)
    call = "__capture__" + case.call[len(case.row.key):]
    args, kwargs = eval(call, ns)
    return eval(case.row.key, ns), args, kwargs


# ---- running a forward rule directly --------------------------------------

class _Skip(Exception):
    """A template line read a zero tangent: the transformer drops such lines."""


class _Tangents:
    """``t[x]`` inside a forward template: the given tangent, or a zero (the line is dropped)."""

    def __init__(self, result, given):
        self.given = given       # id(value) -> tangent

    def __getitem__(self, value):
        if id(value) not in self.given:
            raise _Skip()
        return self.given[id(value)]


def forward_tangent(key, args, kwargs, given):
    """The tangent of ``key(*args, **kwargs)`` given input tangents ``given`` (by id).

    Runs the forward template line by line as the transformer would fill it:
    a line reading a zero tangent (or a dropped temporary) is dropped, and
    ``t[y] += e`` lines add up.
    """
    y = key(*args, **kwargs)
    if key is np.einsum and args and not isinstance(args[0], str):
        args = _einsum_string_form(args)   # what the transformer reads the sublist form as
    if key in registry.FORWARD:
        rule = templates.rule(registry.FORWARD[key])
        bound = rule.signature.bind(y, *args, **kwargs)
        bound.apply_defaults()
        ns = dict(rule.namespace)
        ns.update(bound.arguments)
        ns["t"] = _Tangents(y, given)
        total, dropped = None, set()
        for stmt in rule.node.body:
            if isinstance(stmt, gast.Expr):
                continue   # docstring
            target = stmt.target if isinstance(stmt, gast.AugAssign) else stmt.targets[0]
            try:
                value = _evaluate(stmt.value, ns, dropped)
            except _Skip:
                if isinstance(target, gast.Name):
                    dropped.add(target.id)
                continue
            if isinstance(stmt, gast.AugAssign):
                total = value if total is None else total + value
            else:
                ns[target.id] = value
        # no line applied: the result does not depend on the moving argument
        return y, total if total is not None else np.zeros_like(y)
    if key in registry.LINEAR:
        first = args[0]
        moving = [a for a in list(args[1:]) + list(kwargs.values()) if id(a) in given]
        assert id(first) in given and not moving, "linear rule: only the first argument may move"
        return y, key(given[id(first)], *args[1:], **kwargs)
    raise AssertionError("no forward rule")


def _einsum_string_form(args):
    """``(m, [0, 1], [1, 0])`` -> ``('ab->ba', m)`` (written here independently of the transformer)."""
    def text(indices):
        return "".join("..." if i is Ellipsis else "abcdefghijklmnopqrstuvwxyz"[i] for i in indices)
    operands, lists = list(args[0::2]), list(args[1::2])
    spec = ",".join(text(s) for s in lists[:len(operands)])
    if len(args) % 2:
        operands = operands[:-1]
        spec = ",".join(text(s) for s in lists) + "->" + text(args[-1])
    return (spec, *operands)


def _evaluate(expr, ns, dropped):
    if syntax_names(expr) & dropped:
        raise _Skip()
    tree = ast.fix_missing_locations(ast.Expression(body=gast.gast_to_ast(expr)))
    return eval(compile(tree, "<forward rule>", "eval"), ns)


def syntax_names(expr):
    return {n.id for n in gast.walk(expr) if isinstance(n, gast.Name)}


def inner_tangent(cases: Cases, case: Case, x, v, values, prefix) -> float:
    key, args, kwargs = _capture(cases.module, case, x)
    given = {id(x): v}
    for a in itertools.chain(args, kwargs.values()):
        if isinstance(a, (list, tuple)) and any(e is x for e in a):
            given[id(a)] = type(a)(v if e is x else np.zeros_like(e) for e in a)
    y, ydot = forward_tangent(key, args, kwargs, given)
    if case.row.pick is not None:
        y, ydot = y[case.row.pick], ydot[case.row.pick]
    if case.row.square:
        ydot = 2 * y * ydot
    ydot = np.asarray(ydot)
    mod = cases.module
    u, w = getattr(mod, f"{prefix}_U"), getattr(mod, f"{prefix}_W")
    if case.row.complex_out:
        return float(np.sum(np.real(ydot) * u) + np.sum(np.imag(ydot) * w))
    return float(np.sum(np.real(ydot) * u))


# ---- what the table covers: rule parameters moved, refusals -------------------

def refusing(rule) -> set:
    """Parameters a rule refuses: ``d[p] += no_derivative(...)`` (reverse), ``t[y] += no_derivative(.., t[p])``."""
    out = set()
    for p, value in _contributions(rule):
        if _is_refusal(value):
            if p == rule.params[0]:   # a forward rule: the parameters whose tangents the refusal reads
                out |= {n.slice.id for n in gast.walk(value) if isinstance(n, gast.Subscript)
                        and isinstance(n.value, gast.Name) and n.value.id == "t" and isinstance(n.slice, gast.Name)}
            else:
                out.add(p)
    return out


def differentiable(rule) -> set:
    """Parameters a reverse rule gives a derivative for: a ``d[p] += ...`` line that is not a refusal."""
    return {p for p, value in _contributions(rule) if not _is_refusal(value)}


def _contributions(rule):
    for stmt in rule.node.body:
        if (isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Subscript)
                and isinstance(stmt.target.value, gast.Name) and isinstance(stmt.target.slice, gast.Name)):
            yield stmt.target.slice.id, stmt.value


def _is_refusal(value) -> bool:
    return (isinstance(value, gast.Call) and isinstance(value.func, gast.Name)
            and value.func.id == "no_derivative")


def moved_parameter(cases: Cases, case: Case, rules=None) -> Optional[str]:
    """The parameter of ``case``'s reverse rule (or one of ``rules``) its ``x`` binds to (None: no rule)."""
    rules = registry.REVERSE if rules is None else rules
    key = cases.key(case.row)
    if key not in rules:
        return None
    rule = templates.rule(rules[key])
    rng = np.random.default_rng(0)
    prefix = case.name.upper()
    for i, s in enumerate(case.row.shapes[0]):
        setattr(cases.module, f"{prefix}_A{i}", draw(case.row.domain(i), s, rng))
    x = draw(case.row.domain(case.pos), case.row.shapes[0][case.pos], rng)
    _, args, kwargs = _capture(cases.module, case, x)
    if key is np.einsum and args and not isinstance(args[0], str):
        args = _einsum_string_form(args)
    bound = rule.signature.bind(None, *args, **kwargs)
    for name, value in bound.arguments.items():
        if value is x or (isinstance(value, (list, tuple)) and any(e is x for e in value)):
            return name
    return None
