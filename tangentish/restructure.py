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

* ``return`` inside a loop sets the result and a flag and breaks; after the
  loop, ``if returned: return result`` is an early return like any other.
"""
from __future__ import annotations

from typing import Callable, List, Set

import gast

from . import syntax
from .parse import Parsed

EXIT = (gast.Return, gast.Continue, gast.Break)


def restructure(parsed: Parsed, body: List, fresh: Callable[[str], str], result_name: Callable[[], str]):
    """``body`` without early exits, and the flag names of the ``if stop: break`` checks it added.

    A check is known by its flag's name, not by its node: the rest of a loop body
    is copied into both branches of an earlier ``if`` that holds a ``break`` or
    ``continue``, and a copied inner loop must keep its check (`is_break_check`).

    ``result_name()`` names the variable early returns assign (asked only when needed).
    """
    r = _Restructurer(parsed, fresh)
    names: List[str] = []

    def result() -> str:   # one result variable for every early return
        if not names:
            names.append(result_name())
        return names[0]

    body = r.loop_returns(body, result)
    body = r.tails(body, (gast.Return,))
    if body and isinstance(body[-1], gast.If) and _contains(body[-1], (gast.Return,)):
        body = r.returns_to(body, result())
        body.append(syntax.ret(syntax.name(result())))
    r.loops(body)
    return body, r.break_checks


def is_break_check(stmt, flags) -> bool:
    """Is ``stmt`` an ``if stop: break`` this pass added (``flags``: the names it returned)?"""
    return (isinstance(stmt, gast.If) and isinstance(stmt.test, gast.Name) and stmt.test.id in flags
            and len(stmt.body) == 1 and isinstance(stmt.body[0], gast.Break) and not stmt.orelse)


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
        self.break_checks: Set[str] = set()

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
            out.append(stmt)
            if isinstance(stmt, kinds):
                return out
        return out

    def loop_returns(self, stmts, result) -> List:
        """``return e`` inside a loop becomes ``result = e; returned = True; break``.

        The loop is preceded by ``returned = False`` and ``result = 0.0`` (a loop-carried
        variable needs a value before the loop; this one is read only once set) and followed by
        ``if returned: return result``, which `tails` then treats as any early
        return (the rest of the function moves into its ``else``).  Inner loops
        first: their ``if returned: return result`` is a return in the outer loop.
        """
        out: List = []
        for stmt in stmts:
            if isinstance(stmt, gast.If):
                stmt.body = self.loop_returns(stmt.body, result)
                stmt.orelse = self.loop_returns(stmt.orelse, result)
            elif isinstance(stmt, (gast.For, gast.While)):
                stmt.body = self.loop_returns(stmt.body, result)
                if _contains(stmt.body, (gast.Return,)):
                    flag = self.fresh("returned")
                    stmt.body = self._exit_loop(stmt.body, flag, result())
                    out.append(gast.copy_location(syntax.assign(flag, syntax.const(False)), stmt))
                    # a loop-carried value needs one before the loop; read only once it is set
                    out.append(gast.copy_location(syntax.assign(result(), syntax.const(0.0)), stmt))
                    out.append(stmt)
                    done = gast.If(test=syntax.name(flag), body=[syntax.ret(syntax.name(result()))],
                                   orelse=[])
                    out.append(gast.copy_location(done, stmt))
                    continue
            out.append(stmt)
        return out

    def _exit_loop(self, stmts, flag: str, result: str) -> List:
        """The ``return``s of one loop body (not of loops inside it: done first) as flag and break."""
        out: List = []
        for stmt in stmts:
            if isinstance(stmt, gast.Return):
                if not (isinstance(stmt.value, gast.Name) and stmt.value.id == result):
                    value = stmt.value if stmt.value is not None else syntax.const(None)
                    out.append(gast.copy_location(syntax.assign(result, value), stmt))
                out.append(gast.copy_location(syntax.assign(flag, syntax.const(True)), stmt))
                out.append(gast.copy_location(gast.Break(), stmt))
                return out   # the rest of this block never runs
            if isinstance(stmt, gast.If):
                stmt.body = self._exit_loop(stmt.body, flag, result)
                stmt.orelse = self._exit_loop(stmt.orelse, flag, result)
            out.append(stmt)
        return out

    def returns_to(self, stmts, result: str) -> List:
        """Tail ``return e`` becomes ``result = e`` (``return result`` itself goes: already assigned)."""
        out = []
        for stmt in stmts:
            if isinstance(stmt, gast.Return) and isinstance(stmt.value, gast.Name) \
                    and stmt.value.id == result:
                continue
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
        self.break_checks.add(flag)
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
