"""Restructure: early exits become structured code before normalization.

Normalization and the reverse pass want each block to run to its end: a
value computed in a branch is joined at the end of the ``if``, a loop body
pushes its tape entry at the end of every iteration.  This pass rewrites the
user's ``return``, ``continue`` and ``break`` into that shape, on the user's
own tree, keeping their statements and order:

* ``if c: return a`` followed by more code moves the rest into the ``else``
  branch; every ``return`` inside a branch becomes an assignment to one
  result variable, returned once at the end;
* ``continue`` moves the rest of the loop body under the other branch;
* ``break`` sets a flag (``stop = True``) and the rest of the body moves into
  the other branch; the loop ends with ``if stop: break``, after the tape
  push, so the backward sweep sees every iteration that ran.

``return`` inside a loop is rejected with a hint (break, then return).
"""
from __future__ import annotations

from typing import Callable, List, Set

import gast

from . import syntax
from .parse import Parsed

EXIT = (gast.Return, gast.Continue, gast.Break)


def restructure(parsed: Parsed, body: List, fresh: Callable[[str], str], result_name: Callable[[], str]):
    """``body`` without early exits, and the ids of the ``if stop: break`` checks it added.

    ``result_name()`` names the variable early returns assign (asked only when needed).
    """
    r = _Restructurer(parsed, fresh)
    body = r.tails(body, (gast.Return,))
    if body and isinstance(body[-1], gast.If) and _contains(body[-1], (gast.Return,)):
        result = result_name()
        body = r.returns_to(body, result)
        body.append(syntax.ret(syntax.name(result)))
    r.loops(body)
    return body, r.break_checks


def _contains(node, kinds, into_loops: bool = False) -> bool:
    """Does ``node`` hold one of ``kinds`` (not looking into nested loops unless asked)?"""
    if isinstance(node, list):
        return any(_contains(s, kinds, into_loops) for s in node)
    if isinstance(node, kinds):
        return True
    if isinstance(node, gast.If):
        return _contains(node.body, kinds, into_loops) or _contains(node.orelse, kinds, into_loops)
    if isinstance(node, (gast.For, gast.While)) and into_loops:
        return _contains(node.body, kinds, into_loops)
    return False


def _always_exits(stmts, kinds) -> bool:
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, kinds):
        return True
    return isinstance(last, gast.If) and _always_exits(last.body, kinds) and _always_exits(last.orelse, kinds)


class _Restructurer:
    def __init__(self, parsed: Parsed, fresh):
        self.parsed = parsed
        self.fresh = fresh
        self.break_checks: Set[int] = set()

    def tails(self, stmts, kinds) -> List:
        """``stmts`` with every exit of ``kinds`` in tail position of its block."""
        out: List = []
        for i, stmt in enumerate(stmts):
            if isinstance(stmt, gast.If) and _contains(stmt, kinds):
                rest = stmts[i + 1:]
                for branch in ("body", "orelse"):
                    block = getattr(stmt, branch)
                    if rest and not _always_exits(block, kinds):
                        block = block + [syntax.copy_node(s) for s in rest]
                    setattr(stmt, branch, self.tails(block, kinds))
                out.append(stmt)
                return out
            if kinds == (gast.Return,) and isinstance(stmt, (gast.For, gast.While)) and _contains(
                    stmt.body, (gast.Return,), into_loops=True):
                node = next(n for n in gast.walk(stmt) if isinstance(n, gast.Return))
                raise self.parsed.error("cannot differentiate a `return` inside a loop", node,
                                        hint="`break` out of the loop and return after it.")
            out.append(stmt)
            if isinstance(stmt, kinds):
                return out
        return out

    def returns_to(self, stmts, result: str) -> List:
        """Tail ``return e`` becomes ``result = e``."""
        out = []
        for stmt in stmts:
            if isinstance(stmt, gast.Return):
                value = stmt.value if stmt.value is not None else syntax.const(None)
                out.append(gast.copy_location(syntax.assign(result, value), stmt))
            elif isinstance(stmt, gast.If):
                stmt.body = self.returns_to(stmt.body, result)
                stmt.orelse = self.returns_to(stmt.orelse, result)
                out.append(stmt)
            else:
                out.append(stmt)
        return out

    def loops(self, stmts) -> None:
        """Rewrite ``continue``/``break`` in every loop of ``stmts`` (innermost first)."""
        for stmt in stmts:
            if isinstance(stmt, gast.If):
                self.loops(stmt.body)
                self.loops(stmt.orelse)
            elif isinstance(stmt, (gast.For, gast.While)):
                self.loops(stmt.body)
                if stmt.orelse:
                    raise self.parsed.error("cannot differentiate a loop with an `else` clause", stmt,
                                            hint="set a flag in the loop and test it after.")
                self._loop(stmt)

    def _loop(self, loop) -> None:
        body = loop.body
        if not _contains(body, (gast.Continue, gast.Break)):
            return
        body = self.tails(body, (gast.Continue, gast.Break))
        if not _contains(body, (gast.Break,)):
            loop.body = self._drop(body, None) or [gast.Pass()]
            return
        flag = self.fresh("stop")
        start = gast.copy_location(syntax.assign(flag, syntax.const(False)), loop)
        check = gast.copy_location(gast.If(test=syntax.name(flag), body=[gast.Break()], orelse=[]), loop)
        self.break_checks.add(id(check))
        loop.body = [start] + self._drop(body, flag) + [check]

    def _drop(self, stmts, flag) -> List:
        """Tail ``continue`` disappears; tail ``break`` sets ``flag``."""
        out = []
        for stmt in stmts:
            if isinstance(stmt, gast.Continue):
                continue
            if isinstance(stmt, gast.Break):
                out.append(gast.copy_location(syntax.assign(flag, syntax.const(True)), stmt))
                continue
            if isinstance(stmt, gast.If):
                stmt.body = self._drop(stmt.body, flag)
                stmt.orelse = self._drop(stmt.orelse, flag)
            out.append(stmt)
        return out
