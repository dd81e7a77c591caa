"""Every ``no_derivative`` refusal in a rule is exercised: differentiating through it raises at the user's line.

The refusals are read from the registry (``d[p] += no_derivative(...)`` in a
reverse rule, ``t[y] += no_derivative(..., t[p])`` in a forward rule), so a
new one is collected here automatically.  Each needs a program that moves
that parameter: a row of the primitive table that binds an array to it (the
generated case, with ``wrt`` at that array), or else an entry of PROGRAMS
below; a refusal with neither fails `test_every_refusal_has_a_program`.

The check: ``tg.grad`` (``tg.jvp`` for a forward refusal) raises
TransformError saying "no derivative of ...", naming this file (or the
generated case's) and the line of the call.
"""
import dataclasses
import inspect

import numpy as np
import pytest

sp = pytest.importorskip("scipy.special", reason="scipy is an optional dependency: its refusals need it")
st = pytest.importorskip("scipy.stats", reason="scipy is an optional dependency: its refusals need it")

from primitive_check import Cases, draw, moved_parameter, refusing  # noqa: E402
from primitive_rows import ROWS  # noqa: E402

import tangentish as tg  # noqa: E402
from tangentish import TransformError, registry, templates  # noqa: E402
from tangentish.runtime import (einsum2, lstsq_jvp, qr_jvp, qr_vjp, svd_jvp, svd_vjp)  # noqa: E402

templates.load_builtin()

rng = np.random.default_rng(3)
M = rng.standard_normal((3, 3)) + 3 * np.eye(3)
G = rng.standard_normal((3, 3))
R = rng.standard_normal((4, 2))
B4 = rng.standard_normal(4)
V3 = np.array([0.6, 1.1, 1.7])


# ---- programs for refusals no table row reaches (the refused call carries "# refused") ----

def einsum_lists(x):
    idx = [0, 1]
    return np.sum(np.einsum(x, idx, [1]))   # refused


def einsum2_spec(x):
    return np.sum(einsum2(x, M))   # refused


def quantile_q(q):
    return np.quantile(M, q)   # refused


def percentile_q(q):
    return np.percentile(M, q)   # refused


def polygamma_n(n):
    return np.sum(sp.polygamma(n, V3))   # refused


def _order(name):
    fn = getattr(sp, name)

    def order(v):
        return np.sum(fn(v, V3))   # refused
    order.__name__ = f"{name}_order"
    return order


def poisson_logpmf_k(k):
    return np.sum(st.poisson.logpmf(k, 2.0))   # refused


def poisson_pmf_k(k):
    return np.sum(st.poisson.pmf(k, 2.0))   # refused


def lstsq_tangent_ta(ta):
    y = np.linalg.lstsq(R, B4, rcond=None)
    r = lstsq_jvp(ta, np.zeros(4), y, R, B4)   # refused
    return np.sum(r[0])


def lstsq_tangent_tb(tb):
    y = np.linalg.lstsq(R, B4, rcond=None)
    r = lstsq_jvp(np.zeros((4, 2)), tb, y, R, B4)   # refused
    return np.sum(r[0])


def svd_vjp_y(x):
    usv = np.linalg.svd(x)
    r = svd_vjp([G, G[0], G], usv, M)   # refused
    return np.sum(r)


def svd_jvp_y(x):
    usv = np.linalg.svd(x)
    r = svd_jvp(G, usv, M)   # refused
    return np.sum(r[1])


def qr_vjp_y(x):
    qr = np.linalg.qr(x)
    r = qr_vjp([G, G], qr, M)   # refused
    return np.sum(r)


def qr_jvp_y(x):
    qr = np.linalg.qr(x)
    r = qr_jvp(G, qr, M)   # refused
    return np.sum(r[1])


#: (callable's display name, refused parameter) -> (program, argument)
PROGRAMS = {
    ("np.einsum", "subscripts"): (einsum_lists, M),
    ("tangentish.runtime.einsum2", "subscripts"): (einsum2_spec, M),
    ("np.quantile", "q"): (quantile_q, np.array(0.3)),
    ("np.percentile", "q"): (percentile_q, np.array(30.0)),
    ("scipy.special.polygamma", "n"): (polygamma_n, np.array([1.0])),
    **{(f"scipy.special.{name}", "v"): (_order(name), np.array([1.0]))
       for name in ("iv", "ive", "jv", "yv", "yn", "kv", "kve")},
    ("scipy.stats.poisson.logpmf", "k"): (poisson_logpmf_k, np.array([1.0, 2.0])),
    ("scipy.stats.poisson.pmf", "k"): (poisson_pmf_k, np.array([1.0, 2.0])),
    ("tangentish.runtime.lstsq_jvp", "ta"): (lstsq_tangent_ta, np.zeros((4, 2))),
    ("tangentish.runtime.lstsq_jvp", "tb"): (lstsq_tangent_tb, np.zeros(4)),
    ("tangentish.runtime.svd_vjp", "y"): (svd_vjp_y, M),
    ("tangentish.runtime.svd_jvp", "y"): (svd_jvp_y, M),
    ("tangentish.runtime.qr_vjp", "y"): (qr_vjp_y, M),
    ("tangentish.runtime.qr_jvp", "y"): (qr_jvp_y, M),
}


def refusals():
    """(mode, display name, parameter) of every refusal in a registered rule."""
    out = set()
    for mode, rules in (("reverse", registry.REVERSE), ("forward", registry.FORWARD)):
        for key, fn in rules.items():
            out |= {(mode, registry.display_name(key), p) for p in refusing(templates.rule(fn))}
    return sorted(out)


def _row_programs():
    """(display name, parameter) -> (case function, argument) from the table's rows, one array moved at a time."""
    variants = [dataclasses.replace(row, wrt=(i,), kw=row.kw[:1], shapes=row.shapes[:1])
                for row in ROWS for i in range(len(row.shapes[0]))]
    cases = Cases(variants)
    wanted = {(name, p) for _, name, p in refusals()}
    found = {}
    for case in cases.cases:
        key = cases.key(case.row)
        for rules in (registry.REVERSE, registry.FORWARD):
            try:
                p = moved_parameter(cases, case, rules)
            except TypeError:   # the row's call does not bind to this rule (a forward-only signature)
                continue
            label = (registry.display_name(key), p)
            if label in wanted and label not in found and label not in PROGRAMS:
                found[label] = (cases, case)
    return found


ROW_PROGRAMS = _row_programs()


def _program(name, param):
    if (name, param) in PROGRAMS:
        fn, x = PROGRAMS[(name, param)]
        lines, first = inspect.getsourcelines(fn)
        line = first + next(i for i, text in enumerate(lines) if "# refused" in text)
        return fn, x, line
    cases, case = ROW_PROGRAMS[(name, param)]
    values = [draw(case.row.domain(i), s, rng) for i, s in enumerate(case.row.shapes[0])]
    prefix = case.name.upper()
    for i, value in enumerate(values):
        setattr(cases.module, f"{prefix}_A{i}", value)
    setattr(cases.module, f"{prefix}_U", 1.0)
    setattr(cases.module, f"{prefix}_W", 0.0)
    fn = getattr(cases.module, case.name)
    return fn, values[case.pos], fn.__code__.co_firstlineno + 1   # `y = call` follows the def


def test_every_refusal_has_a_program():
    lacking = [(name, p) for _, name, p in refusals() if (name, p) not in PROGRAMS and (name, p) not in ROW_PROGRAMS]
    assert not lacking, f"no_derivative refusals no program exercises (add one to PROGRAMS): {lacking}"
    stale = [k for k in PROGRAMS if k not in {(name, p) for _, name, p in refusals()}]
    assert not stale, f"PROGRAMS entries for refusals that no longer exist: {stale}"
    assert len(refusals()) >= 60   # 31 adjoint parameters and 31 tangents today


@pytest.mark.parametrize("mode,name,param", refusals(), ids=lambda v: str(v))
def test_refusal_raises_at_the_users_line(mode, name, param):
    fn, x, line = _program(name, param)
    with pytest.raises(TransformError) as e:
        if mode == "reverse":
            tg.grad(fn)(x)
        else:
            tg.jvp(fn)(x, np.ones_like(x))
    assert "no derivative of" in e.value.message, e.value.message
    assert e.value.filename == fn.__code__.co_filename, str(e.value)
    assert e.value.lineno == line, str(e.value)
    assert e.value.hint
