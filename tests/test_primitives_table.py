"""Every registered primitive against central finite differences, in both modes.

The rows live in primitive_rows.py, the machinery in primitive_check.py.  The
meta-test at the bottom fails when a callable gains a rule without a row.
"""
import pytest
from primitive_check import Cases, check, differentiable, moved_parameter, refusing
from primitive_rows import EXEMPT, ROWS, UNMOVED

from tangentish import registry, templates

templates.load_builtin()
CASES = Cases(ROWS)


def _params():
    for case in CASES.cases:
        for family in range(len(case.row.shapes)):
            label = f"{case.call.replace(' ', '')}-{family}"
            yield pytest.param(case, family, id=label)


@pytest.mark.parametrize("case,family", list(_params()))
def test_primitive(case, family):
    check(CASES, case, family)


def registered():
    return set(registry.REVERSE) | set(registry.FORWARD) | set(registry.LINEAR)


def test_every_registered_callable_has_a_row():
    covered = {CASES.key(row) for row in ROWS}     # bound methods (scipy.stats) compare equal, not identical
    missing = [registry.display_name(k) for k in registered()
               if k not in covered and registry.display_name(k) not in EXEMPT]
    assert not missing, f"registered callables without a row in primitive_rows.py: {sorted(missing)}"


def test_every_reverse_rule_has_a_forward_rule():
    lacking = [registry.display_name(k) for k in registry.REVERSE
               if k not in registry.FORWARD and k not in registry.LINEAR]
    assert not lacking, f"reverse rules without a forward rule: {sorted(lacking)}"


def _scalar_cases():
    for case in CASES.cases:
        for family, shapes in enumerate(case.row.shapes):
            if all(s == () for s in shapes) and not case.row.complex_out and "complex" not in case.row.domains:
                yield pytest.param(case, family, id=case.call.replace(" ", ""))
                break


@pytest.mark.parametrize("case,family", list(_scalar_cases()))
def test_second_order(case, family):
    """grad(grad(f)) against finite differences of grad(f): template bodies are differentiable too."""
    second_order_check(case, family)


def second_order_check(case, family):
    import numpy as np
    from primitive_check import draw

    import tangentish as tg
    mod, prefix = CASES.module, case.name.upper()
    rng = np.random.default_rng(1)
    values = [draw(case.row.domain(i), (), rng) for i in range(len(case.row.shapes[family]))]
    for i, value in enumerate(values):
        setattr(mod, f"{prefix}_A{i}", value)
    setattr(mod, f"{prefix}_U", 1.0)
    setattr(mod, f"{prefix}_W", 0.0)
    x = values[case.pos]
    g = tg.grad(getattr(mod, case.name))
    fd = (g(x + 1e-5) - g(x - 1e-5)) / 2e-5
    assert abs(tg.grad(g)(x) - fd) <= 1e-4 * max(1.0, abs(fd))


def test_every_forward_template_fills():
    """The forward transform pastes these bodies the way reverse mode does: each one must fill."""
    import inspect

    import gast

    from tangentish import syntax
    from tangentish.naming import Namer

    for key, fn in registry.FORWARD.items():
        rule = templates.rule(fn)
        refused = refusing(rule)   # (a tangent read by a no_derivative line is refused: tests/test_no_derivative_refusals.py)

        def read(marker, node, refused=refused):
            return syntax.name("t" + node.id) if isinstance(node, gast.Name) and node.id not in refused else None
        required = [p for p in rule.params[1:]
                    if rule.signature.parameters[p].default is inspect.Parameter.empty]
        filler = templates.Filler(rule, syntax.name("y"), [syntax.name(p) for p in required], {}, read,
                                  Namer(set()), lambda name, obj: name, registry.display_name(key))
        contributions = [c for c in filler.fill() if isinstance(c, templates.Contribution)]
        assert contributions or refused, f"{registry.display_name(key)}: its forward rule gave no tangent line"


def test_every_row_generates_cases():
    """A row with ``wrt=()`` or no keyword variant generates nothing: it covers nothing."""
    made = {}
    for case in CASES.cases:
        made[id(case.row)] = made.get(id(case.row), 0) + len(case.row.shapes)
    empty = [f"{row.key}({row.args})" for row in ROWS if not made.get(id(row))]
    assert not empty, f"rows that generate no case: {empty}"
    assert sum(made.values()) == len(list(_params()))


def test_every_registered_callable_has_a_generated_case():
    covered = {CASES.key(case.row) for case in CASES.cases if case.row.shapes}
    missing = [registry.display_name(k) for k in registered()
               if k not in covered and registry.display_name(k) not in EXEMPT]
    assert not missing, f"registered callables no generated case differentiates: {sorted(missing)}"


def test_every_differentiable_parameter_is_moved():
    """Each parameter a reverse rule differentiates (a ``d[p] +=`` line that is not a refusal) is moved by a case."""
    moved = {}
    for case in CASES.cases:
        name = moved_parameter(CASES, case)
        if name is not None:
            moved.setdefault(CASES.key(case.row), set()).add(name)
    never = []
    for key, fn in registry.REVERSE.items():
        if registry.display_name(key) in EXEMPT:
            continue
        for name in sorted(differentiable(templates.rule(fn)) - moved.get(key, set())):
            if (registry.display_name(key), name) not in UNMOVED:
                never.append(f"{registry.display_name(key)}: {name}")
    assert not never, f"differentiable rule parameters no row moves: {never}"
    stale = [k for k in UNMOVED if k[1] in moved.get(_by_name(k[0]), set())]
    assert not stale, f"UNMOVED entries a row now moves (remove them): {stale}"


def _by_name(display):
    for key in registered():
        if registry.display_name(key) == display:
            return key
    return None


def test_every_row_runs_its_float32_case_or_says_why():
    """float32 is checked for every row (check_float32) unless the row gives a reason; the reasons are counted."""
    without = [(row.key, row.no_float32) for row in ROWS if row.no_float32 is not None]
    assert all(reason and reason.strip() for _, reason in without), without
    assert len(without) == 2, f"rows without a float32 case changed: {without}"   # the dirichlet pair


@pytest.fixture
def scaled_float32(monkeypatch):
    """A planted bug: every float32/complex64 gradient the public API returns is 0.1% too large."""
    import numpy as np

    from tangentish import api
    match = api.match_input

    def wrong(g, x):
        g = match(g, x)
        if getattr(g, "dtype", None) in (np.dtype(np.float32), np.dtype(np.complex64)):
            return (g * np.float32(1.001)).astype(g.dtype)
        return g
    monkeypatch.setattr(api, "match_input", wrong)


def test_the_float32_check_fails_a_gradient_off_by_a_tenth_of_a_percent(scaled_float32):
    """The table's power, measured: with the planted 1.001, well-conditioned float32 cases fail."""
    import numpy as np
    picked = [c for c in CASES.cases if c.row.key in ("np.sin", "np.matmul", "np.cumsum", "np.linalg.inv",
                                                        "np.fft.fft", "np.var")][:12]
    assert len(picked) >= 6
    caught = 0
    for case in picked:
        try:
            check(CASES, case, 0)
        except AssertionError as e:
            assert "float32" in str(e), e
            caught += 1
    assert caught == len(picked), f"{len(picked) - caught} of {len(picked)} float32 cases missed a 0.1% error"
    assert np.float32(1.001) != 1


@pytest.fixture
def broken_second_order(monkeypatch):
    """A planted bug: differentiating a derivative raises (grad of grad broken)."""
    from tangentish import api

    def broken(self):
        raise RuntimeError("planted: grad of grad is broken")
    monkeypatch.setattr(api.Transformed, "__tangentish_generated__", property(broken))


def test_a_broken_second_order_path_fails_the_second_order_cases(broken_second_order):
    """With grad of grad broken the second-order family fails (it used to skip, all 144)."""
    picked = [p.values for p in list(_scalar_cases())[:8]]
    assert len(picked) == 8
    for case, family in picked:
        with pytest.raises(RuntimeError, match="planted"):
            second_order_check(case, family)
