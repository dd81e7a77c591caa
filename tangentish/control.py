"""The reverse of control flow: branches replay the branch taken, loops run backwards over a tape.

**if**: the backward sweep tests the same ``cond`` the forward sweep computed
and runs the adjoint of the branch that ran.  An adjoint that one branch makes
nonzero and the other does not is set to zeros in the other
(``dx = zeros_like(x)``), so the code after the ``if`` can read it either way.

**loops**: the forward loop ends each iteration with
``tape.append((t, h_2, ...))`` -- exactly the values the backward body reads
that the next iteration would overwrite -- just before the loop-carried
copy-backs.  The backward sweep is a loop too::

    for t, h_2, ... in reversed(tape):
        <adjoint of the body>

The set of nonzero adjoints must be the same at the top of every backward
iteration, so it is found by iterating the body's transformation to a fixed
point; an adjoint that becomes nonzero inside the loop (``dW`` accumulated
over time steps) is set to zeros before the loop, and one the body leaves zero
(a loop-carried value the body does not read) is set to zeros at the end of it.
Nested loops compose: an inner loop's tape is one more value of the outer
body, pushed onto the outer tape.
"""
from __future__ import annotations

from typing import List, Set

import gast

from . import runtime, syntax


def backward_if(rt, stmt, out: List) -> None:
    start = set(rt.nonzero)
    body = rt.backward(stmt.body)
    after_body, rt.nonzero = rt.nonzero, set(start)
    orelse = rt.backward(stmt.orelse)
    after_else = rt.nonzero
    rt.nonzero = after_body | after_else
    body += _zeros(rt, after_else - after_body)
    orelse += _zeros(rt, after_body - after_else)
    if not body and not orelse:
        return
    test = syntax.copy_node(stmt.test)
    if not body:
        body, orelse = orelse, []
        test = gast.UnaryOp(op=gast.Not(), operand=test)
    out.append(gast.If(test=test, body=body, orelse=orelse))


def backward_loop(rt, stmt, out: List) -> None:
    info = rt.unit.loops.get(id(stmt))
    if info is None:
        raise rt.error(stmt, "internal: loop without normalization info")
    escaped = sorted(n for n in info.escapes if n in rt.nonzero)
    if escaped:
        name = info.users.get(escaped[0], escaped[0])   # the user's name, not its SSA copy
        raise rt.error(stmt, f"cannot differentiate `{name}` after the loop: it is first "
                             "assigned inside the loop", "assign it before the loop (x = 0.0), "
                             "so every iteration updates it.")
    start = set(rt.nonzero)
    body, state = _fixpoint(rt, stmt, start)
    forward_body = rt.forward_of(stmt.body)
    if not body:
        rt.forward_replace[id(stmt)] = [_with_body(stmt, forward_body)]
        return
    targets = _target_names(stmt)
    needed = _needed(body, forward_body, targets)
    tape = rt.namer.fresh("tape")
    rt.forward_replace[id(stmt)] = [syntax.assign(tape, gast.List(elts=[], ctx=gast.Load())),
                                    _with_body(stmt, _with_push(rt, stmt, info, forward_body, tape, needed))]
    if needed:
        # (the names are stores: the backward loop rebinds the forward names it reads from the tape)
        target = syntax.name(needed[0], store=True) if len(needed) == 1 else syntax.tuple_(
            [syntax.name(n, store=True) for n in needed], store=True)
    else:
        target = syntax.name(rt.namer.fresh("step"), store=True)
    out += _zeros(rt, state - start)
    body = _add_in_place(rt, body, state - start, targets)
    out.append(gast.For(target=target, iter=syntax.call("reversed", [syntax.name(tape)]),
                        body=body, orelse=[], type_comment=None))


def _fixpoint(rt, stmt, start):
    """The backward body, run from the set of nonzero adjoints it leaves unchanged."""
    state = set(start)
    snapshot = rt.namer_snapshot()
    for _ in range(len(rt.active) + 2):    # each round adds an active name, or stops
        rt.namer_restore(snapshot)
        rt.nonzero = set(state)
        body = rt.backward(stmt.body)
        grown = rt.nonzero - state
        if not grown:
            break
        state |= grown
    body += _zeros(rt, state - rt.nonzero)   # what the body left zero, zero for the next step
    rt.nonzero = set(state)
    return body, state


def _needed(body, forward_body, targets) -> List[str]:
    """Values the backward body reads that an iteration defines, in forward order."""
    defined = syntax.stored_names(forward_body) | targets
    reads = exposed_reads(body)
    order = _first_appearance(list(targets) + _names_in_order(forward_body))
    return [n for n in order if n in defined and n in reads] or sorted(targets)[:1]


def _with_push(rt, stmt, info, forward_body, tape, needed) -> List:
    """The forward body with ``tape.append(...)`` just before its loop-carried copy-backs."""
    if needed:
        entry = syntax.name(needed[0]) if len(needed) == 1 else syntax.tuple_([syntax.name(n) for n in needed])
    else:
        entry = syntax.tuple_([])
    push = gast.Expr(value=syntax.call(gast.Attribute(value=syntax.name(tape), attr="append",
                                                      ctx=gast.Load()), [entry]))
    k = _push_position(rt, stmt, info)
    # a value only one branch defines is pushed as None when the other branch ran
    maybe = [n for n in needed if n in syntax.stored_names(forward_body[:k])
             and n not in definitely_defined(forward_body[:k])]
    return ([syntax.assign(n, syntax.const(None)) for n in maybe] + forward_body[:k] + [push]
            + forward_body[k:])


def _add_in_place(rt, body, fresh, targets) -> List:
    """``dX = dX + unindex(g, X, i)`` as ``dX[i] += g`` for an adjoint the loop owns.

    ``dX`` was just set to zeros before the loop, and nothing else in the body
    assigns it, so no other name sees the update; ``i`` is the loop's own counter
    or a constant, never an index array that could repeat.  One element per step
    instead of a new array the size of ``X``.
    """
    out = []
    for stmt in body:
        hit = _index_accumulation(rt, stmt, fresh, targets)
        if hit is not None:
            dn, index, g = hit
            uses = [n for s in body for n in gast.walk(s) if isinstance(n, gast.Name) and n.id == dn]
            if len(uses) == 2:       # this statement's own read and write: no one else holds dX
                out.append(gast.AugAssign(target=gast.Subscript(value=syntax.name(dn), slice=index,
                                                                ctx=gast.Store()),
                                          op=gast.Add(), value=g))
                continue
        out.append(stmt)
    return out


def _index_accumulation(rt, stmt, fresh, targets):
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)):
        return None
    dn = stmt.targets[0].id
    value = stmt.value
    owners = [n for n in fresh if rt.adj(n) == dn]
    if not owners or not (isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add)
                          and isinstance(value.left, gast.Name) and value.left.id == dn):
        return None
    call = value.right
    unindex = rt.bind_global.bound.get("unindex")
    if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Name) and len(call.args) == 3
            and rt.bind_global.bound.get(call.func.id) is runtime.unindex and unindex is runtime.unindex):
        return None
    g, owner, index = call.args
    if not (isinstance(owner, gast.Name) and owner.id == owners[0]):
        return None
    if not ((isinstance(index, gast.Name) and index.id in targets) or isinstance(index, gast.Constant)):
        return None
    return dn, syntax.copy_node(index), g


def _zeros(rt, names) -> List:
    zeros = None
    out = []
    for n in sorted(names):
        zeros = zeros or rt.bind_global("zeros_like", runtime.zeros_like)
        out.append(syntax.assign(rt.adj(n), syntax.call(syntax.name(zeros), [syntax.name(n)])))
    return out


def _with_body(stmt, body):
    if isinstance(stmt, gast.For):
        return gast.For(target=stmt.target, iter=stmt.iter, body=body, orelse=[], type_comment=None)
    return gast.While(test=stmt.test, body=body, orelse=[])


def _push_position(rt, stmt, info) -> int:
    """Index in the rewritten forward body where the original copy-backs begin."""
    k = 0
    for s in stmt.body[:info.copies_at]:
        k += len(rt.forward_replace.get(id(s), [s]))
    return k


def _target_names(stmt) -> Set[str]:
    if isinstance(stmt, gast.For):
        return syntax.stored_names(stmt.target)
    return set()


def _names_in_order(stmts) -> List[str]:
    out = []
    for root in stmts:
        for n in gast.walk(root):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                out.append(n.id)
    return out


def _first_appearance(names):
    seen, out = set(), []
    for n in names:
        if n not in seen:
            seen.add(n)
            out.append(n)
    return out


def definitely_defined(stmts) -> Set[str]:
    """Names every path through ``stmts`` assigns."""
    out: Set[str] = set()
    for stmt in stmts:
        if isinstance(stmt, gast.If):
            out |= definitely_defined(stmt.body) & definitely_defined(stmt.orelse)
        elif isinstance(stmt, gast.Assign):
            out |= syntax.stored_names(stmt.targets)
    return out


def exposed_reads(stmts, defined: Set[str] = frozenset()) -> Set[str]:
    """Names ``stmts`` read before writing them (what must already hold a value)."""
    defined = set(defined)
    out: Set[str] = set()
    for stmt in stmts:
        out |= _exposed(stmt, defined)
    return out


def _exposed(stmt, defined: Set[str]) -> Set[str]:
    if isinstance(stmt, gast.If):
        out = syntax.loaded_names(stmt.test) - defined
        a, b = set(defined), set(defined)
        for s in stmt.body:
            out |= _exposed(s, a)
        for s in stmt.orelse:
            out |= _exposed(s, b)
        defined |= a & b
        return out
    if isinstance(stmt, (gast.For, gast.While)):
        head = stmt.iter if isinstance(stmt, gast.For) else stmt.test
        out = syntax.loaded_names(head) - defined
        inner = set(defined) | (syntax.stored_names(stmt.target) if isinstance(stmt, gast.For) else set())
        for s in stmt.body:
            out |= _exposed(s, inner)
        return out
    if isinstance(stmt, gast.Assign):
        out = (syntax.loaded_names(stmt.value) | syntax.loaded_names(stmt.targets)) - defined
        defined |= syntax.stored_names(stmt.targets)
        return out
    return syntax.loaded_names(stmt) - defined
