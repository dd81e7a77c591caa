"""Optimize: remove what the transformer had to write but a person would not.

Two clean-ups on the generated function:

* copy propagation: ``dadd = dsum`` followed by uses of ``dadd`` becomes uses
  of ``dsum`` (or the copy's source is renamed to its target);
* dead code: assignments whose targets nothing reads are dropped (one the
  transformer marked as possibly having effects, a user call or an RNG draw,
  is kept as an expression statement: it runs once, as the user wrote it);
* repeated contributions: ``dx = dy * x`` then ``dx = dx + dy * x`` (the two
  halves of ``x * x``) become ``dx = 2 * dy * x``.

At the top level both work on the straight-line sweep.  Inside loop and
branch bodies (`_nested`) they are more careful: a copy is propagated only
when every use of its target follows it in the same block, before its source
is assigned again, and an assignment is dead only if nothing in the whole
function reads its target.

Names in ``protected`` (the user's own variables and the parameters) are
never renamed, so the forward sweep reads exactly as the user wrote it.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import List, Set

import gast

from . import syntax


def optimize(fn: gast.FunctionDef, protected: Iterable[str]) -> gast.FunctionDef:
    protected = set(protected) | {a.id for a in fn.args.args} | {a.id for a in fn.args.kwonlyargs}
    for node in gast.walk(fn):
        if isinstance(node, gast.Return) and node.value is not None:
            protected |= syntax.loaded_names(node.value)
    body = fn.body
    for _ in range(4):
        new = _merge_repeats(_nested(_dead_code(_propagate_copies(body, protected)), protected))
        if syntax.to_source(new) == syntax.to_source(body):
            break
        body = new
    fn.body = body
    return fn


def _stores(body) -> Counter:
    counts: Counter = Counter()
    for node in body:
        for n in gast.walk(node):
            if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Param)):
                counts[n.id] += 1
    return counts


def _loads(body) -> Counter:
    counts: Counter = Counter()
    for node in body:
        for n in gast.walk(node):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                counts[n.id] += 1
    return counts


def _rename(nodes, old: str, new: str):
    for node in nodes:
        for n in gast.walk(node):
            if isinstance(n, gast.Name) and n.id == old:
                n.id = new


def _propagate_copies(body: List, protected: Set[str]) -> List:
    body = [syntax.copy_node(s) for s in body]
    stores = _stores(body)
    loads = _loads(body)
    for i, stmt in enumerate(body):
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.Name)):
            continue
        target, source = stmt.targets[0].id, stmt.value.id
        if stores[target] != 1 or stores[source] > 1:
            continue
        if target not in protected:
            # uses of the copy read the source instead
            _rename(body[i + 1:], target, source)
            body[i] = gast.Pass()
            return _propagate_copies([s for s in body if not isinstance(s, gast.Pass)], protected)
        if source not in protected and loads[source] == 1 and stores[source] == 1:
            # the source exists only to be copied: give its definition the target's name
            _rename(body[:i], source, target)
            body[i] = gast.Pass()
            return _propagate_copies([s for s in body if not isinstance(s, gast.Pass)], protected)
    return body


def _dead_code(body: List) -> List:
    live: Set[str] = set()
    out: List = []
    for stmt in reversed(body):
        if (isinstance(stmt, gast.Assign) and all(isinstance(t, gast.Name) for t in stmt.targets)
                and not (syntax.stored_names(stmt.targets) & live)):
            if not _has_effects(stmt):
                continue
            stmt = _effect_only(stmt)
        out.append(stmt)
        if isinstance(stmt, gast.Assign) and all(isinstance(t, gast.Name) for t in stmt.targets):
            live -= syntax.stored_names(stmt.targets)
        live |= syntax.loaded_names(stmt)
    out.reverse()
    return _drop_empty_sections(out)


def _has_effects(stmt) -> bool:
    """Did the transformer mark ``stmt`` as one that may have effects (a user call, an RNG draw)?"""
    return getattr(stmt, "origin_effects", False)


def _effect_only(stmt) -> gast.Expr:
    """``rs.randn(3)`` for an unused ``draw = rs.randn(3)``: it still runs, once, as the user wrote it."""
    expr = gast.Expr(value=stmt.value)
    expr.origin_effects = True
    return expr


def _drop_empty_sections(body: List) -> List:
    """A ``# backward`` comment with nothing after it says nothing."""
    out = []
    for i, stmt in enumerate(body):
        if syntax.is_comment(stmt):
            following = body[i + 1:i + 2]
            if not following or syntax.is_comment(following[0]) or isinstance(following[0], gast.Return):
                continue
        out.append(stmt)
    return out


def _nested(body: List, protected: Set[str]) -> List:
    """Copy propagation and dead code inside loop and branch bodies."""
    body = [syntax.copy_node(s) for s in body]
    while True:
        stores, loads = _stores(body), _loads(body)
        if not (_nested_copy(body, protected, stores, loads, top=True) or _nested_dead(body, loads, top=True)):
            return body


def _blocks(stmt):
    for field_name in ("body", "orelse"):
        block = getattr(stmt, field_name, None)
        if isinstance(block, list) and not isinstance(stmt, gast.FunctionDef):
            yield field_name, block


def _nested_copy(block: List, protected, stores, loads, top: bool) -> bool:
    """Propagate one copy somewhere below ``block``; True if something changed."""
    for i, stmt in enumerate(block):
        if not top and _is_copy(stmt):
            target, source = stmt.targets[0].id, stmt.value.id
            rest = block[i + 1:]
            if target not in protected and stores[target] == 1 and stores[source] >= 1 and target != source:
                using = [k for k, s in enumerate(rest) if target in syntax.loaded_names(s)]
                if using and _loads(rest)[target] == loads[target]:
                    last = using[-1]
                    between = rest[:last]
                    tail = rest[last]
                    clobbered = any(source in syntax.stored_names(s) for s in between) or (
                        source in syntax.stored_names(tail) and not isinstance(tail, gast.Assign))
                    if not clobbered:
                        _rename(rest[:last + 1], target, source)
                        del block[i]
                        return True
        for _, inner in _blocks(stmt):
            if _nested_copy(inner, protected, stores, loads, top=False):
                return True
    return False


def _is_copy(stmt) -> bool:
    return (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.Name))


def _nested_dead(block: List, loads, top: bool) -> bool:
    """Drop one assignment (below the top level) whose target nothing reads."""
    for i, stmt in enumerate(block):
        if (not top and isinstance(stmt, gast.Assign)
                and all(isinstance(t, gast.Name) for t in stmt.targets)
                and not any(loads.get(n, 0) for n in syntax.stored_names(stmt.targets))):
            if _has_effects(stmt):
                block[i] = _effect_only(stmt)
            else:
                del block[i]
            return True
        if (isinstance(stmt, gast.If) and isinstance(stmt.test, gast.Name)
                and all(isinstance(s, gast.Pass) for s in stmt.body + stmt.orelse)):
            del block[i]          # an if with nothing left in it
            return True
        for field_name, inner in _blocks(stmt):
            if _nested_dead(inner, loads, top=False):
                if not inner and field_name == "body":
                    inner.append(gast.Pass())
                return True
    return False


def _merge_repeats(body: List) -> List:
    """``v = E; v = v + E`` -> ``v = 2 * E`` for a side-effect-free ``E`` (and ``v = v + E`` twice
    -> ``v = v + 2 * E``), in every block."""
    out: List = []
    for stmt in body:
        for field in ("body", "orelse"):
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, _merge_repeats(getattr(stmt, field)))
        previous = out[-1] if out else None
        doubled = _doubled(previous, stmt) if previous is not None else None
        if doubled is not None:
            previous.value = doubled
            continue
        out.append(stmt)
    return out


def _doubled(first, second):
    if not (_assigns_name(first) and _assigns_name(second)):
        return None
    name = first.targets[0].id
    if second.targets[0].id != name:
        return None
    value = second.value
    if not _adds_to(value, name):
        return None
    base, term = None, first.value
    if _adds_to(term, name):                      # v = v + E; v = v + E  ->  v = v + 2 * E
        base, term = term.left, term.right
    if name in syntax.loaded_names(term) or not _pure(term):
        return None
    if syntax.to_source(value.right) != syntax.to_source(term):
        return None
    doubled = _times_two(term)
    return doubled if base is None else gast.BinOp(left=base, op=gast.Add(), right=doubled)


def _adds_to(expr, name: str) -> bool:
    return (isinstance(expr, gast.BinOp) and isinstance(expr.op, gast.Add)
            and isinstance(expr.left, gast.Name) and expr.left.id == name)


def _assigns_name(stmt) -> bool:
    return isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)


def _times_two(expr):
    """``2 * expr``, written ``2 * a * b`` for a product (doubling is exact, so the order is free)."""
    if isinstance(expr, gast.BinOp) and isinstance(expr.op, gast.Mult):
        return gast.BinOp(left=_times_two(expr.left), op=gast.Mult(), right=expr.right)
    return gast.BinOp(left=gast.Constant(value=2, kind=None), op=gast.Mult(), right=expr)


def _pure(expr) -> bool:
    """Arithmetic on names and constants, and calls of the (pure) runtime helpers."""
    from . import runtime
    for node in gast.walk(expr):
        if isinstance(node, gast.Call):
            if not (isinstance(node.func, gast.Name) and node.func.id in runtime.__all__):
                return False
        elif not isinstance(node, (gast.Name, gast.Constant, gast.BinOp, gast.UnaryOp, gast.expr_context,
                                   gast.operator, gast.unaryop, gast.Attribute, gast.keyword)):
            return False
    return True
