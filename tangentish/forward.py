"""Forward mode: each statement followed by the statement computing its tangent.

Input: a normalized `Unit`.  Output: a function taking the user's parameters
plus one tangent per ``wrt`` parameter (``tx`` for ``x``) and returning the
value with its tangent (``"jvp"``) or the tangent alone (``"tangent"``).

Forward mode needs no tape: the tangent of a statement inside a loop or a
branch sits right beside it, so compound statements are transformed
recursively, in place.  Symbolic zeros are a set of names, ``nonzero``,
tracked along the control flow: a statement whose inputs all have zero
tangents produces no tangent line.  Where two paths meet (the branches of an
``if``, the head of a loop) a name with a nonzero tangent on one path gets
``tx = zeros_like(x)`` on the others, so every path agrees on what exists.
"""
from __future__ import annotations

import copy
from typing import Callable, List, Optional, Sequence, Set

import gast

from . import complexity, registry, runtime, syntax, templates, unknown_calls
from .errors import TransformError
from .normalize import Unit
from .resolve import Op, Resolver, bound_arguments


class ForwardTransform:
    """Writes the tangent statements of one normalized function."""

    def __init__(self, unit: Unit, wrt: Sequence[str], mode: str, callee: Callable, binder,
                 complex_params: Sequence[str] = ()):
        self.unit = unit
        self.mode = mode
        self.callee = callee
        self.bind_global = binder
        self.namer = unit.namer
        self.resolver = Resolver(unit.parsed.namespace, unit.local_names())
        #: names whose tangent is (possibly) nonzero here; None where the code is unreachable
        self.nonzero: Optional[Set[str]] = set(wrt)
        self.defined: Set[str] = set(unit.params)
        self.loops: List[dict] = []    # per enclosing loop: its head set and the sets at its exits
        #: names that may hold complex values (complex parameters, fft results, ...): real-only rules refuse them
        self.complex = complexity.complex_names(unit.body, complex_params, self.resolver)

    # -- tangent bookkeeping ----------------------------------------------------
    def tan(self, var: str) -> str:
        return self.namer.tangent(var)

    def read(self, marker: str, node) -> Optional[gast.AST]:
        """The tangent of argument ``node``, or None when it is zero."""
        if marker != "t" or self.nonzero is None:
            return None
        if isinstance(node, gast.Name):
            return syntax.name(self.tan(node.id)) if node.id in self.nonzero else None
        if isinstance(node, gast.Starred):   # ``[*xs, y]``: the tangent is ``[*txs, ty]``
            inner = self.read("t", node.value)
            return None if inner is None else gast.Starred(value=inner, ctx=gast.Load())
        if isinstance(node, (gast.List, gast.Tuple)):
            parts = [self.read("t", e) for e in node.elts]
            if all(p is None for p in parts):
                return None
            elts = [p if p is not None else self.zeros(e) for p, e in zip(parts, node.elts)]
            return type(node)(elts=elts, ctx=gast.Load())
        return None

    def zeros(self, node) -> gast.AST:
        zeros = self.bind_global("zeros_like", runtime.zeros_like)
        if isinstance(node, gast.Starred):
            return gast.Starred(value=self.zeros(node.value), ctx=gast.Load())
        return syntax.call(syntax.name(zeros), [syntax.load(node)])

    def instantiate(self, names, out: List) -> None:
        """``tx = zeros_like(x)`` for each of ``names`` (sorted, so output is stable)."""
        for n in sorted(names):
            out.append(syntax.assign(self.tan(n), self.zeros(syntax.name(n))))

    # -- blocks ---------------------------------------------------------------------
    def block(self, stmts) -> List[gast.AST]:
        out: List[gast.AST] = []
        for stmt in stmts:
            if self.nonzero is None:
                break  # after break/continue/return: nothing more runs
            method = getattr(self, "fwd_" + type(stmt).__name__, None)
            if method is None:
                raise self.error(stmt, f"forward mode cannot differentiate through a "
                                       f"`{type(stmt).__name__}` statement yet",
                                 "rewrite it as plain assignments, if/for/while.")
            method(stmt, out)
        return out

    def fwd_Expr(self, stmt, out):
        out.append(stmt)

    fwd_Pass = fwd_Assert = fwd_Expr

    def fwd_Raise(self, stmt, out):
        out.append(stmt)
        self.nonzero = None

    def fwd_Return(self, stmt, out):
        if stmt.value is None:
            raise self.unit.parsed.error("the function returns nothing, so it has no derivative",
                                         self.origin(stmt), hint="return the value to differentiate.")
        tangent = self.read("t", stmt.value)
        if tangent is None:
            tangent = self.zeros(stmt.value)
        value = tangent if self.mode == "tangent" else syntax.tuple_([syntax.load(stmt.value), tangent])
        out.append(syntax.ret(value))
        self.nonzero = None

    # -- assignments ------------------------------------------------------------------
    def fwd_Assign(self, stmt, out):
        target = stmt.targets[0] if len(stmt.targets) == 1 else None
        if isinstance(target, gast.Subscript):
            return self.assign_item(stmt, target, stmt.value, out)
        if not isinstance(target, gast.Name):
            raise self.error(stmt, "forward mode needs one plain name on the left of `=` here",
                             "assign to a single variable.")
        name = target.id
        op = self.resolver.op_of(stmt.value)
        if op.kind == "user":
            return self.call_user(stmt, name, op, out)
        reads_self = name in syntax.loaded_names(stmt.value)
        result = syntax.name(self.namer.fresh(name)) if reads_self else syntax.name(name)
        pre, tangent = self.tangent_of(stmt, op, result)
        self.defined.add(name)
        if tangent is None:
            out.append(stmt)
            self.nonzero.discard(name)
            return
        lines = pre + [syntax.assign(self.tan(name), tangent)]
        self.nonzero.add(name)
        if not reads_self:
            out.append(stmt)
            out.extend(lines)
            return
        # ``y = y * y``: order the lines so each reads the value it means
        loaded = syntax.loaded_names(lines)
        if result.id not in loaded:          # the tangent needs only the old values
            out.extend(lines)
            out.append(stmt)
        elif name not in loaded:              # it needs only the new one
            out.append(stmt)
            _rename(lines, result.id, name)
            out.extend(lines)
        else:                                 # both: compute into a fresh name first
            out.append(syntax.assign(result.id, stmt.value))
            out.extend(lines)
            out.append(syntax.assign(name, syntax.name(result.id)))

    def assign_item(self, stmt, target, value, out):
        """``a[i] = v``: the tangent is written into the same place of ``ta``."""
        base = target.value
        if not isinstance(base, gast.Name):
            raise self.error(stmt, "forward mode cannot differentiate a nested item assignment yet",
                             "assign to `name[index]`.")
        tv = self.read("t", value) if syntax.is_atom(value) else None
        if not syntax.is_atom(value) and syntax.loaded_names(value) & self.nonzero:
            raise self.error(stmt, "forward mode needs a plain value on the right of `a[i] = ...`",
                             "compute the value into a variable first.")
        out.append(stmt)
        if tv is None and base.id not in self.nonzero:
            return
        if base.id not in self.nonzero:
            self.instantiate([base.id], out)
            self.nonzero.add(base.id)
        item = syntax.store(gast.Subscript(value=syntax.name(self.tan(base.id)),
                                           slice=syntax.load(target.slice), ctx=gast.Load()))
        out.append(syntax.assign_to(item, tv if tv is not None else syntax.const(0.0)))

    def fwd_AugAssign(self, stmt, out):
        target = stmt.target
        if not (isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name)
                and isinstance(stmt.op, (gast.Add, gast.Sub)) and syntax.is_atom(stmt.value)):
            raise self.error(stmt, "forward mode supports only `a[i] += v` and `a[i] -= v` in place",
                             "write the update as a new assignment.")
        base = target.value.id
        tv = self.read("t", stmt.value)
        out.append(stmt)
        if tv is None:
            return
        if base not in self.nonzero:
            self.instantiate([base], out)
            self.nonzero.add(base)
        item = syntax.store(gast.Subscript(value=syntax.name(self.tan(base)),
                                           slice=syntax.load(target.slice), ctx=gast.Load()))
        out.append(gast.AugAssign(target=item, op=type(stmt.op)(), value=tv))

    # -- the tangent of one primitive ---------------------------------------------------
    def tangent_of(self, stmt, op: Op, result) -> tuple:
        """(template temporaries, tangent expression or None) of ``result = <op>``."""
        if op.kind == "copy":
            return [], self.read("t", op.args[0])
        if op.kind in ("literal", "nondiff"):
            return [], None
        if op.kind == "container":
            return [], self.container(stmt.value)
        if op.kind == "rule":
            return self.rule(stmt, op, result)
        if not syntax.loaded_names(stmt.value) & self.nonzero:
            return [], None   # no tangent flows in: np.unique(labels) needs no rule
        what = f"`{op.label}`" if op.label else "this expression"
        if op.why and not (op.why == "library" and _is_numpy_like(op.key)):   # library code, index objects
            raise self.error(stmt, *unknown_calls.explain(op, stmt.value, self.resolver, "tangent"))
        if op.key is not None and _is_numpy_like(op.key):
            raise self.error(stmt, f"no forward-mode template for {what} ({_callable_name(op.key)})",
                             f"register a rule with @tangentish.tangent({_callable_name(op.key)}).")
        raise self.error(stmt, *unknown_calls.explain(op, stmt.value, self.resolver, "tangent"))

    def rule(self, stmt, op: Op, result) -> tuple:
        rule_fn = registry.FORWARD.get(op.key)
        if rule_fn is None and op.key in registry.LINEAR and op.args:
            tangent = self.read("t", op.args[0])
            if tangent is None:
                return [], None
            # the same call with the first argument replaced by its tangent
            return [], copy.deepcopy(stmt.value, {id(op.args[0]): tangent})
        if rule_fn is None:
            hint = f"register one with @tangentish.tangent({_callable_name(op.key)})"
            if op.key in registry.REVERSE:
                hint += ", or use reverse mode (grad, vjp), for which it has a rule"
            raise self.error(stmt, f"`{op.label}` has no forward-mode rule", hint + ".")
        if self.complex and complexity.refuses_complex(op.key):
            operands = {n.id for a in list(op.args) + list(op.kwargs.values())
                        for n in gast.walk(a) if isinstance(n, gast.Name)}
            if self.complex & (operands | {getattr(result, "id", None)}):
                raise self.error(stmt, f"`{op.label}` is differentiated here at a value that may be "
                                       "complex, and its rule is for real values only",
                                 "take np.real/np.abs first, or register a complex rule with "
                                 "@tangentish.tangent.")
        try:   # (binding the user's arguments to the rule can fail too: at the user's line)
            filler = templates.Filler(templates.rule(rule_fn), result, op.args, op.kwargs, self.read,
                                      self.namer, self.bind_global, op.label)
            items = filler.fill()
        except TransformError as e:
            raise self.error(stmt, e.message, e.hint) from None
        pre = [i for i in items if not isinstance(i, templates.Contribution)]
        terms = [i.value for i in items if isinstance(i, templates.Contribution)]
        if not terms:
            return [], None
        total = terms[0]
        for term in terms[1:]:
            total = gast.BinOp(left=total, op=gast.Add(), right=term)
        total = templates.simplify(total)
        if filler.may_fall_short():   # a tangent has its value's shape, as an adjoint has its input's
            spread = self.bind_global("broadcast_like", runtime.broadcast_like)
            total = syntax.call(syntax.name(spread), [total, syntax.load(result)])
        if registry.is_user_rule(rule_fn):
            checked = self.bind_global("checked_like", runtime.checked_like)
            total = syntax.call(syntax.name(checked),
                                [total, syntax.load(result), syntax.const(rule_fn.__name__)])
            pre.insert(0, syntax.comment(rule_fn.__name__))
        return pre, total

    def container(self, value) -> Optional[gast.AST]:
        if isinstance(value, (gast.Tuple, gast.List)):
            return self.read("t", value)
        if isinstance(value, gast.Dict):
            parts = [self.read("t", v) for v in value.values]
            if all(p is None for p in parts):
                return None
            values = [p if p is not None else self.zeros(v) for p, v in zip(parts, value.values)]
            return gast.Dict(keys=[syntax.load(k) for k in value.keys], values=values)
        return None

    def call_user(self, stmt, name, op: Op, out):
        """``z = g(a, b)`` -> ``z, tz = jvp_g_a(a, b, ta)`` (the callee's own forward derivative)."""
        bound = bound_arguments(op.key, op.args, op.kwargs)
        if bound is None:
            raise self.error(stmt, f"cannot match the arguments of this call to `{op.label}`'s "
                                   "parameters", "pass each parameter once, by position or name.")
        active = [(p, a) for p, a in bound if self.read("t", a) is not None]
        self.defined.add(name)
        if not active:
            out.append(stmt)
            self.nonzero.discard(name)
            return
        complex_positions = tuple(i for i, a in enumerate(op.args)
                                  if isinstance(a, gast.Name) and a.id in self.complex)
        fname, tangent_params, keyword_only = self.callee(op.key, [p for p, _ in active], self.bind_global,
                                                          complex_positions)
        args = [syntax.load(a) for a in op.args]
        keywords = [syntax.keyword(k, syntax.load(v)) for k, v in op.kwargs.items()]
        tangents = [self.read("t", a) for _, a in active]
        if keyword_only or op.kwargs:
            keywords += [syntax.keyword(p, t) for p, t in zip(tangent_params, tangents)]
        else:
            args += tangents
        call = syntax.call(syntax.name(fname), args, keywords)
        targets = syntax.tuple_([syntax.name(name, store=True), syntax.name(self.tan(name), store=True)],
                                store=True)
        out.append(syntax.assign_to(targets, call))
        self.nonzero.add(name)

    # -- control flow -------------------------------------------------------------------
    def fwd_If(self, stmt, out):
        before = set(self.nonzero)
        defined = set(self.defined)
        body = self.block(stmt.body)
        after_body, self.nonzero = self.nonzero, set(before)
        defined_body, self.defined = self.defined, set(defined)
        orelse = self.block(stmt.orelse)
        after_else = self.nonzero
        self.defined = defined_body | self.defined
        reached = [s for s in (after_body, after_else) if s is not None]
        merged = set().union(*reached) if reached else None
        if merged is not None:
            for branch, seen, user in ((body, after_body, stmt.body), (orelse, after_else, stmt.orelse)):
                if seen is not None:
                    # only names this path can see: defined before the `if`, or assigned on it
                    missing = {n for n in merged - seen if n in defined or n in syntax.stored_names(user)}
                    self.instantiate(missing, branch)
        node = gast.If(test=stmt.test, body=body or [gast.Pass()], orelse=orelse)
        out.append(node)
        self.nonzero = merged

    def fwd_While(self, stmt, out):
        self._loop(stmt, out)

    def fwd_For(self, stmt, out):
        self._loop(stmt, out)

    def _loop(self, stmt, out):
        if stmt.orelse:
            raise self.error(stmt, "forward mode does not support `else:` on a loop yet",
                             "set a flag in the loop and test it afterwards.")
        before = set(self.nonzero)
        defined_before = set(self.defined)
        head = set(before)
        state = (set(self.namer.taken), dict(self.namer._tangents))
        while True:
            self.namer.taken, self.namer._tangents = set(state[0]), dict(state[1])
            self.nonzero, self.defined = set(head), set(defined_before)
            target, iter_ = self._loop_header(stmt, head)
            self.loops.append({"head": head, "exits": []})
            body = self.block(stmt.body)
            frame = self.loops.pop()
            if self.nonzero is not None:
                frame["exits"].append(self.nonzero)
            grown = set(head).union(*frame["exits"])
            if grown <= head:
                break
            head = grown
        if self.nonzero is not None:   # end of body: back to the head
            self.instantiate(head - self.nonzero, body)
        self.instantiate({n for n in head - before if n in defined_before}, out)
        if isinstance(stmt, gast.For):
            node = gast.For(target=target, iter=iter_, body=body, orelse=[], type_comment=None)
        else:
            node = gast.While(test=stmt.test, body=body, orelse=[])
        out.append(node)
        self.nonzero = set(head)
        self.defined |= defined_before

    def _loop_header(self, stmt, head):
        if isinstance(stmt, gast.While):
            return None, None
        target, iter_ = stmt.target, stmt.iter
        stored = syntax.stored_names(target)
        self.defined |= stored
        active_iter = syntax.loaded_names(iter_) & head
        if not active_iter or self.resolver.op_of(iter_).kind in ("nondiff", "literal"):
            # ``range(len(xs))`` and friends: the loop variable carries no derivative
            self.nonzero -= stored
            return target, iter_
        if not (isinstance(iter_, gast.Name) and isinstance(target, gast.Name)):
            raise self.error(stmt, "forward mode can loop over a differentiated value only as "
                                   "`for item in values:`", "assign the iterable to a variable first.")
        # ``for row in X`` -> ``for row, trow in zip(X, tX)``
        self.nonzero.add(target.id)
        pair = syntax.tuple_([syntax.name(target.id, store=True),
                              syntax.name(self.tan(target.id), store=True)], store=True)
        zipped = syntax.call(syntax.name("zip"), [syntax.load(iter_), syntax.name(self.tan(iter_.id))])
        return pair, zipped

    def fwd_Break(self, stmt, out):
        self._jump(stmt, out, to_head=False)

    def fwd_Continue(self, stmt, out):
        self._jump(stmt, out, to_head=True)

    def _jump(self, stmt, out, to_head):
        if not self.loops:
            raise self.error(stmt, f"`{type(stmt).__name__.lower()}` outside a loop")
        frame = self.loops[-1]
        frame["exits"].append(set(self.nonzero))
        self.instantiate(frame["head"] - self.nonzero, out)
        out.append(stmt)
        self.nonzero = None

    # -- errors ---------------------------------------------------------------------------
    def origin(self, stmt):
        return self.unit.origin.get(id(stmt), stmt)

    def error(self, stmt, message: str, hint: Optional[str] = None) -> TransformError:
        return self.unit.parsed.error(message, self.origin(stmt), hint=hint)


def _drop_unread(body: List[gast.AST], keep: Set[str]) -> List[gast.AST]:
    """Drop assignments to names we introduced that nothing reads, at any depth.

    ``optimize`` cleans only the top level; inside a loop, the tangent of a
    value used only in a comparison (``ts = np.sum(ty)`` for ``if s > 0``) is dead.
    """
    while True:
        loaded = syntax.loaded_names(body)
        dead = [False]

        def prune(stmts):
            out = []
            for stmt in stmts:
                if (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                        and isinstance(stmt.targets[0], gast.Name)
                        and stmt.targets[0].id not in keep and stmt.targets[0].id not in loaded):
                    dead[0] = True
                    continue
                for field in ("body", "orelse"):
                    if isinstance(stmt, (gast.If, gast.For, gast.While)):
                        setattr(stmt, field, prune(getattr(stmt, field)))
                if isinstance(stmt, gast.If) and not stmt.body:
                    stmt.body = [gast.Pass()]
                out.append(stmt)
            return out
        body = prune(body)
        if not dead[0]:
            return body


def _rename(nodes, old: str, new: str) -> None:
    for node in nodes:
        for n in gast.walk(node):
            if isinstance(n, gast.Name) and n.id == old:
                n.id = new


def _is_numpy_like(obj) -> bool:
    import numpy as np
    module = getattr(obj, "__module__", None) or ""
    return isinstance(obj, np.ufunc) or module.split(".")[0] in ("numpy", "scipy")


def _callable_name(obj) -> str:
    import numpy as np
    name = getattr(obj, "__name__", repr(obj))
    module = getattr(obj, "__module__", None)
    if isinstance(obj, np.ufunc) or (module or "").startswith("numpy"):
        return f"np.{name}"
    return f"{module}.{name}" if module and module != "builtins" else name


def transform(unit: Unit, wrt: Sequence[str], mode: str, callee: Callable, binder,
              complex_params: Sequence[str] = ()) -> tuple:
    """The forward derivative of ``unit``: (function definition, tangent parameter names, kw-only?).

    ``mode`` is ``"jvp"`` (returns ``(value, tangent)``) or ``"tangent"`` (the tangent alone).
    """
    ft = ForwardTransform(unit, wrt, mode, callee, binder, complex_params)
    tangent_params = [ft.tan(w) for w in wrt]
    from .reverse import mark_effects
    mark_effects(unit.body, ft.resolver)   # an unused RNG draw still runs (optimize keeps it)
    body = ft.block(unit.body)
    args = syntax.copy_node(unit.node.args)
    params = [gast.Name(id=t, ctx=gast.Param(), annotation=None, type_comment=None) for t in tangent_params]
    keyword_only = bool(args.defaults)
    if keyword_only:   # after parameters with defaults, the tangents must be keyword-only
        args.kwonlyargs = list(args.kwonlyargs) + params
        args.kw_defaults = list(args.kw_defaults) + [None] * len(params)
    else:
        args.args = list(args.args) + params
    body = _drop_unread(body, unit.local_names() | set(tangent_params))
    fname = unit.namer.fresh(f"jvp_{unit.node.name}_{'_'.join(wrt)}")
    fn = gast.FunctionDef(name=fname, args=args, body=body, decorator_list=[], returns=None,
                          type_comment=None, type_params=[])
    return fn, tangent_params, keyword_only
