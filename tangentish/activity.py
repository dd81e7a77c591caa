"""Activity analysis: which variables carry a derivative of the ``wrt`` inputs.

A variable is *active* when its value depends differentiably on an input we
differentiate with respect to.  Inactive values (data ``X``, labels, loop
bounds, comparison results) get no adjoint and no tangent: the transformer
never writes ``dX``.  The other half of activity (does a value reach the
output?) falls out of the reverse pass, which only visits statements whose
result has a nonzero adjoint.

Results go into a plain set, never onto the nodes.  Loop bodies are visited
until the set stops growing, since a loop can make a value active in a later
iteration.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Callable, Set

import gast

from . import syntax
from .resolve import INERT_ATTRIBUTES, Resolver


def active_names(body, wrt: Iterable[str], resolver: Resolver) -> Set[str]:
    """Names in ``body`` whose values depend differentiably on ``wrt``."""
    def iterates(expr, active):
        # normalized loops run over range() or a literal: their targets carry no derivative
        return not _counts(expr) and bool(syntax.loaded_names(expr) & active)

    return propagate(body, wrt, lambda expr, active: _value_active(expr, active, resolver), iterates)


def propagate(body, start: Iterable[str], flows: Callable, iterates: Callable) -> Set[str]:
    """The names a property reaches from ``start``, through assignments, to a fixpoint.

    ``flows(expr, found)`` says whether assigning ``expr`` gives its target the
    property; ``iterates(iter, found)`` the same for a for-loop's target.
    Shared by activity and complexity analysis.
    """
    found = set(start)
    while True:
        before = len(found)
        _block(body, found, flows, iterates)
        if len(found) == before:
            return found


def _block(stmts, found: Set[str], flows: Callable, iterates: Callable) -> None:
    for stmt in stmts:
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
                if syntax.loaded_names(stmt.value) & found:   # z[i] = v: z now holds v
                    found.add(target.value.id)
            elif flows(stmt.value, found):
                found.update(syntax.stored_names(stmt.targets))
        elif isinstance(stmt, gast.If):
            _block(stmt.body, found, flows, iterates)
            _block(stmt.orelse, found, flows, iterates)
        elif isinstance(stmt, (gast.For, gast.While)):
            if isinstance(stmt, gast.For) and iterates(stmt.iter, found):
                found.update(syntax.stored_names(stmt.target))
            for _ in range(2):  # a second round lets values flow around the loop
                _block(stmt.body, found, flows, iterates)
                _block(stmt.orelse, found, flows, iterates)


def _value_loads(expr) -> Set[str]:
    """Names ``expr`` reads, except inside ``len(x)`` and ``x.shape``-like queries."""
    if isinstance(expr, gast.Attribute) and expr.attr in INERT_ATTRIBUTES:
        return set()
    if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name) and expr.func.id == "len":
        return set()
    if isinstance(expr, gast.Name):
        return {expr.id} if isinstance(expr.ctx, gast.Load) else set()
    out: Set[str] = set()
    for child in gast.iter_child_nodes(expr):
        out |= _value_loads(child)
    return out


def _value_active(expr, active: Set[str], resolver: Resolver) -> bool:
    if not (_value_loads(expr) & active):
        return False
    if isinstance(expr, gast.BoolOp):   # `x or 1.0` is x: active (reverse then refuses it)
        return any(not isinstance(v, (gast.Compare, gast.BoolOp, gast.UnaryOp, gast.Constant))
                   and _value_loads(v) & active for v in expr.values)
    op = resolver.op_of(expr)
    return op.kind not in ("nondiff", "literal")


def _counts(expr) -> bool:
    """range(...), a literal, or a dict's .keys(): the loop variable is a number or a key."""
    if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Attribute) and expr.func.attr == "keys":
        return True
    return (isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name) and expr.func.id == "range"
            or syntax.is_constant_expr(expr))
