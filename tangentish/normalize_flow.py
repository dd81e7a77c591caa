"""Normalize control flow: ``if``, ``for``, ``while`` and the expressions that hide them.

Straight-line normalization (normalize.py) gives every value one name.  Here
the same promise is kept across branches and loops, with plain assignments a
reader can follow:

* **if**: the test becomes a name (``cond = x > 0``).  A variable either
  branch reassigns gets one join name: both branches end by defining it, the
  branch that left it alone with a copy (``y_2 = y``).
* **loops**: a variable the body reassigns is *loop-carried*.  It gets a name
  of its own, copied in before the loop (``h_2 = h``), read by the body, and
  copied back at the end of each iteration (``h_2 = h_3``).  Everything else
  the body defines is new in every iteration.  `LoopInfo` records where the
  copy-backs start: the reverse pass pushes its tape entry just before them.
* ``for x in xs`` over anything but ``range`` or a literal becomes
  ``for i in range(len(xs)): x = xs[i]`` (``enumerate``, ``zip`` and
  ``reversed`` too), so the adjoint of ``x`` flows back into ``xs`` through
  ordinary indexing.

Expressions that hide statements (``a if c else b``, comprehensions, inlined
lambdas) are in desugar.py.

The result is still plain Python that runs as the user's function did.
"""
from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Dict, Optional, Set

import gast

from . import syntax
from .restructure import is_break_check


@dataclass
class LoopInfo:
    """What the reverse pass must know about one normalized loop."""

    copies_at: int                                   # body index where copy-backs start
    escapes: Set[str] = field(default_factory=set)   # names first defined in the body, read after it
    users: Dict[str, str] = field(default_factory=dict)   # escaping name -> the user's name (for errors)


def user_assigned(stmts) -> Set[str]:
    """User names a block rebinds: assignment targets, loop targets, ``x[i] = ...``, ``xs.append``."""
    out = set(syntax.stored_names(stmts))
    for root in stmts:
        for n in gast.walk(root):
            if isinstance(n, (gast.Assign, gast.AugAssign)):
                for t in (n.targets if isinstance(n, gast.Assign) else [n.target]):
                    while isinstance(t, gast.Subscript):
                        t = t.value
                    if isinstance(t, gast.Name):
                        out.add(t.id)
            elif (isinstance(n, gast.Expr) and isinstance(n.value, gast.Call)   # xs.append(v), not np.append
                  and isinstance(n.value.func, gast.Attribute) and n.value.func.attr == "append"
                  and isinstance(n.value.func.value, gast.Name)):
                out.add(n.value.func.value.id)
    return out


class FlowNormalizer:
    """Mixin of `normalize.Normalizer` for branches, loops and inlined calls."""

    # -- if -------------------------------------------------------------------
    def test_atom(self, test):
        """The test of an ``if``/``while`` as a Name or constant."""
        if isinstance(test, gast.Name):
            return self.load(test.id)
        if isinstance(test, gast.Constant):
            return test
        cond = self.namer.fresh("cond")
        self.defined.add(cond)
        self.emit(syntax.assign(cond, self.rename(test)))
        return syntax.name(cond)

    def visit_If(self, stmt):
        test = self.test_atom(stmt.test)
        before = dict(self.env)
        shared, callers = set(self.aliases.shared), set(self.aliases.callers)
        fns = dict(self.local_fns)
        body = self.block(stmt.body)
        fns_body, self.local_fns = self.local_fns, dict(fns)
        env_body, self.env = self.env, dict(before)
        shared_body, self.aliases.shared = self.aliases.shared, shared
        callers_body, self.aliases.callers = self.aliases.callers, callers
        orelse = self.block(stmt.orelse)
        self.join_local_fns(fns, [fns_body, self.local_fns])
        env_else, self.env = self.env, dict(before)
        self.aliases.shared |= shared_body
        self.aliases.callers |= callers_body   # a copy in one branch only: the other still has the caller's
        for user in sorted(set(env_body) | set(env_else)):
            b, e, old = env_body.get(user), env_else.get(user), before.get(user)
            if b == e:
                self.env[user] = b
                continue
            if old is not None and old in self.maybe_unbound:   # no copy of it: it may not exist
                b, e = (None if b == old else b), (None if e == old else e)
            if b is None or e is None:
                self.env[user] = b or e        # defined on one path only, as in Python
                self.maybe_unbound.add(b or e)
                continue
            if b != old and e != old:          # both branches rebind: one name for both
                syntax.rename(orelse, e, b)
                join = b
            elif b != old:
                orelse.append(syntax.assign(b, syntax.name(old)))
                join = b
            else:
                body.append(syntax.assign(e, syntax.name(old)))
                join = e
            self.env[user] = join
        self.emit(gast.If(test=test, body=body or [gast.Pass()], orelse=orelse))

    def visit_Break(self, stmt):
        self.emit(gast.Break())

    def visit_Continue(self, stmt):
        raise self.parsed.error("cannot differentiate this `continue`", stmt,
                                hint="put the rest of the loop body in an else branch.")

    # -- loops ----------------------------------------------------------------
    def _carry(self, body, exclude: Set[str], targets: Set[str] = frozenset()) -> Dict[str, str]:
        """Copy loop-carried variables into their own names; returns user -> carried name.

        A loop target the user bound before the loop is carried too: after the loop
        it holds the last iteration's value (or, if no iteration ran, the earlier one).
        """
        carried = {}
        for user in sorted((user_assigned(body) - exclude) | targets):
            if user in self.env and user not in self.local_fns and self.env[user] not in self.maybe_unbound:
                entry = self.env[user]
                name = self.new_name(user)
                self.emit(syntax.assign(name, syntax.name(entry)))
                carried[user] = name
        return carried

    def _split_check(self, body):
        if body and is_break_check(body[-1], self.break_checks):
            return body[:-1], [body[-1]]
        return body, []

    def _loop_body(self, stmts, prologue, carried, retest=None):
        user_body, check = self._split_check(stmts)
        saved, self.out = self.out, []
        for emit_prologue in prologue:
            emit_prologue()
        pro, self.out = self.out, saved
        self.aliases.in_loop(user_body, set(self.env) | user_assigned(user_body))
        self.pending.append(user_assigned(user_body) - set(self.env))
        fns = dict(self.local_fns)
        self.loop_local_fns(user_body)
        try:
            body = pro + self.block(user_body)
        finally:
            self.pending.pop()
        self.join_local_fns(fns, [fns, self.local_fns])   # the loop may run no iteration
        copies_at = len(body)
        for user, name in carried.items():
            if self.env[user] != name:
                body.append(syntax.assign(name, syntax.name(self.env[user])))
        if retest is not None:
            body.append(retest())
        if check:
            body += self.block(check)
        return body, copies_at

    def _dict_view(self, node) -> Optional[str]:
        """``"keys"``/``"values"``/``"items"`` for ``d.keys()`` and friends on a local ``d``."""
        if (isinstance(node, gast.Call) and not node.args and not node.keywords
                and isinstance(node.func, gast.Attribute) and node.func.attr in ("keys", "values", "items")
                and isinstance(node.func.value, gast.Name) and node.func.value.id in self.env):
            return node.func.attr
        return None

    def _over_keys(self, stmt):
        """``for k, v in d.items()`` as ``for k in d.keys(): v = d[k]`` (``values()`` alike)."""
        kind = self._dict_view(stmt.iter)
        if kind in (None, "keys"):
            return stmt
        owner = stmt.iter.func.value
        if kind == "items":
            if not (isinstance(stmt.target, gast.Tuple) and len(stmt.target.elts) == 2):
                raise self.parsed.error("cannot unpack .items() here", stmt,
                                        hint="write `for key, value in d.items()`.")
            key, value = stmt.target.elts
        else:
            key, value = syntax.name(self.namer.fresh("key"), store=True), stmt.target
        read = gast.Subscript(value=syntax.copy_node(owner), slice=syntax.load(key), ctx=gast.Load())
        keys = gast.Call(func=gast.Attribute(value=syntax.copy_node(owner), attr="keys", ctx=gast.Load()),
                         args=[], keywords=[])
        body = [gast.copy_location(syntax.assign_to(value, read), stmt)] + stmt.body
        return gast.copy_location(gast.For(target=key, iter=keys, body=body, orelse=stmt.orelse,
                                           type_comment=None), stmt)

    def visit_For(self, stmt):
        stmt = self._over_keys(stmt)
        direct = (self._is_range(stmt.iter) or syntax.is_constant_expr(stmt.iter)
                  or self._dict_view(stmt.iter) == "keys")
        targets = syntax.stored_names(stmt.target)
        before = dict(self.env)
        if direct:
            iter_ = self.rename(stmt.iter)
        else:
            seqs, binders, index = self._index_form(stmt)
        carried = self._carry(stmt.body, targets, targets & set(self.env))
        top = dict(self.env)
        if direct:
            if not isinstance(stmt.target, gast.Name):
                target_node = self._fresh_target(stmt.target)
            else:
                target_node = syntax.name(self.new_name(stmt.target.id), store=True)
            prologue = []
        else:
            index_name = self.new_name(index) if index in targets else self.namer.fresh("i")
            self.defined.add(index_name)
            target_node = syntax.name(index_name, store=True)
            iter_ = self._range_over(seqs)
            prologue = [lambda b=b: b(index_name) for b in binders]
        body, copies_at = self._loop_body(stmt.body, prologue, carried)
        unsure = self._unsure(before, carried, stmt.body, targets)
        escapes = {self.env[u] for u in self.env if u not in before or u in targets or u in unsure}
        escapes |= {n.id for n in gast.walk(target_node) if isinstance(n, gast.Name)}
        users = {self.env[u]: u for u in self.env}
        self._after_loop(top, before, unsure)
        if self._is_range(stmt.iter) and not self._runs(stmt.iter):   # range(0), range(n): maybe none
            self.maybe_unbound |= {self.env[u] for u in self.env if u not in before}
        loop = gast.For(target=target_node, iter=iter_, body=body or [gast.Pass()], orelse=[],
                        type_comment=None)
        self.loops[id(loop)] = LoopInfo(copies_at, escapes - set(top.values()), users)
        self.emit(loop)

    @staticmethod
    def _runs(call) -> bool:
        """Does ``range(...)`` of constant arguments run at least once?"""
        if call.keywords or not all(isinstance(a, gast.Constant) and type(a.value) is int
                                    for a in call.args):
            return False
        try:
            return len(range(*[a.value for a in call.args])) > 0
        except (TypeError, ValueError):
            return False

    def _unsure(self, before, carried, body, targets) -> Set[str]:
        """User names the loop binds that were maybe unbound before it, so not carried."""
        return {u for u in (user_assigned(body) | targets) if u in before and u not in carried
                and before[u] in self.maybe_unbound}

    def _after_loop(self, top, before, unsure) -> None:
        """The names after a loop: carried ones as before it; those it first binds, or binds
        over a maybe-unbound name (not carried), keep the body's last name."""
        self.env.update({u: n for u, n in top.items() if u not in unsure})
        self.maybe_unbound |= {self.env[u] for u in unsure}

    def _fresh_target(self, target):
        if isinstance(target, gast.Name):
            return syntax.name(self.new_name(target.id), store=True)
        if isinstance(target, (gast.Tuple, gast.List)):
            return syntax.tuple_([self._fresh_target(e) for e in target.elts], store=True)
        raise self.parsed.error(f"cannot loop with target `{syntax.to_source(target)}`", self.current,
                                hint="loop over plain names.")

    def _is_range(self, node) -> bool:
        return (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)
                and node.func.id not in self.env
                and self.parsed.namespace.get(node.func.id, builtins.range) is builtins.range
                and node.func.id == "range")

    def _builtin(self, node, fn) -> bool:
        return (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)
                and node.func.id not in self.env and not node.keywords
                and self.parsed.namespace.get(node.func.id, getattr(builtins, node.func.id, None)) is fn)

    def _index_form(self, stmt):
        """``for x in seq`` as sequences to index, one binder per target, and the index's user name."""
        iter_, target, index = stmt.iter, stmt.target, None
        if self._builtin(iter_, enumerate) and len(iter_.args) == 1:
            if not (isinstance(target, gast.Tuple) and len(target.elts) == 2
                    and isinstance(target.elts[0], gast.Name)):
                raise self.parsed.error("cannot unpack enumerate() here", stmt,
                                        hint="write `for i, x in enumerate(xs)`.")
            index, target, iter_ = target.elts[0].id, target.elts[1], iter_.args[0]
        backwards = self._builtin(iter_, reversed) and len(iter_.args) == 1
        if backwards:
            iter_ = iter_.args[0]
        if self._builtin(iter_, zip) and isinstance(target, gast.Tuple) and len(target.elts) == len(iter_.args):
            seqs = [self.atom(a, hint="seq") for a in iter_.args]
            pairs = list(zip(target.elts, seqs))
        else:
            seq = self.atom(iter_, hint="seq")
            seqs, pairs = [seq], [(target, seq)]
        if backwards and len(seqs) > 1:
            raise self.parsed.error("cannot differentiate a loop over reversed(zip(...))", stmt,
                                    hint="index the sequences: for i in reversed(range(n)).")
        self.backwards = backwards

        def binder(elt, seq):
            def bind(i):
                part = gast.Subscript(value=syntax.copy_node(seq), slice=syntax.name(i), ctx=gast.Load())
                if not isinstance(elt, gast.Name):
                    item = self.namer.fresh(seq.id + "_i" if isinstance(seq, gast.Name) else "item")
                    self.defined.add(item)
                    self.emit(syntax.assign(item, part))
                    part = syntax.name(item)
                self.bind_target(elt, part)
                self.aliases.shared |= syntax.stored_names(elt)   # an element of the sequence
            return bind
        return seqs, [binder(e, s) for e, s in pairs], index

    def _range_over(self, seqs):
        lens = [syntax.call("len", [syntax.copy_node(s)]) for s in seqs]
        n = lens[0] if len(lens) == 1 else syntax.call("min", lens)
        if self.backwards:
            last = gast.BinOp(left=n, op=gast.Sub(), right=syntax.const(1))
            return syntax.call("range", [last, syntax.const(-1), syntax.const(-1)])
        return syntax.call("range", [n])

    def visit_While(self, stmt):
        before = dict(self.env)
        carried = self._carry(stmt.body, set())
        top = dict(self.env)
        if isinstance(stmt.test, gast.Constant):
            test, retest = stmt.test, None
        else:
            cond = self.namer.fresh("cond")
            self.defined.add(cond)
            self.emit(syntax.assign(cond, self.rename(stmt.test, inline=False)))   # (it is read again below)
            test = syntax.name(cond)

            def retest():
                saved, self.env = self.env, dict(top)
                value = self.rename(stmt.test, inline=False)
                self.env = saved
                return syntax.assign(cond, value)
        body, copies_at = self._loop_body(stmt.body, [], carried, retest)
        unsure = self._unsure(before, carried, stmt.body, set())
        escapes = {self.env[u] for u in self.env if u not in before or u in unsure}
        users = {self.env[u]: u for u in self.env}
        self._after_loop(top, before, unsure)
        loop = gast.While(test=test, body=body or [gast.Pass()], orelse=[])
        self.loops[id(loop)] = LoopInfo(copies_at, escapes - set(top.values()), users)
        self.emit(loop)
