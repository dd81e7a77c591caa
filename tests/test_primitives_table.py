"""Every registered primitive against central finite differences, in both modes.

The rows live in primitive_rows.py, the machinery in primitive_check.py.  The
meta-test at the bottom fails when a callable gains a rule without a row.
"""
import pytest
from primitive_check import Cases, check
from primitive_rows import EXEMPT, ROWS

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

    def read(marker, node):
        return syntax.name("t" + node.id) if isinstance(node, gast.Name) else None

    for key, fn in registry.FORWARD.items():
        rule = templates.rule(fn)
        required = [p for p in rule.params[1:]
                    if rule.signature.parameters[p].default is inspect.Parameter.empty]
        filler = templates.Filler(rule, syntax.name("y"), [syntax.name(p) for p in required], {}, read,
                                  Namer(set()), lambda name, obj: name, registry.display_name(key))
        contributions = [c for c in filler.fill() if isinstance(c, templates.Contribution)]
        assert contributions, f"{registry.display_name(key)}: its forward rule gave no tangent line"
