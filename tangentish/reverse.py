"""Reverse mode: the forward sweep, then the adjoint of each statement in reverse order.

Input: a normalized `Unit` (every statement one primitive, every value one
name).  Output: a function whose body is the user's forward computation
followed by a backward sweep filled in from the templates.

Symbolic zeros are a set of names, not a pass: ``nonzero`` holds the
variables whose adjoint has received a contribution.  A statement whose
result has a zero adjoint produces nothing; a contribution to an inactive or
constant argument is dropped; the first contribution to ``x`` is written
``dx = ...`` and later ones ``dx = dx + ...``.
"""
from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Callable, Dict, List, Optional

import gast
import numpy as np

from . import complexity, control, registry, runtime, syntax, templates, unknown_calls
from .activity import active_names
from .errors import TransformError
from .normalize import Unit
from .resolve import Op, Resolver, bound_arguments, hashable

#: what to write instead of an array method or attribute that has no rule
METHOD_HINTS = {
    ".flat": "index the flattened array instead: x.ravel()[i].",
    ".tolist": "use list(x), index the array itself (x[0], x[1]), or iterate over it.",
    ".view": "use the array itself, or x.copy().",
}


class GlobalBinder:
    """Names under which generated code reaches the objects templates mention."""

    def __init__(self, unit: Unit):
        self.unit = unit
        self.bound: Dict[str, object] = {}
        self.user_locals = unit.local_names()

    def __call__(self, name: str, obj) -> str:
        for existing, value in self.bound.items():
            if value is obj and (existing == name or existing.startswith(name + "_")):
                return existing
        user = self.unit.parsed.namespace
        clash = (name in self.user_locals or (name in user and user[name] is not obj)
                 or (name in self.bound and self.bound[name] is not obj))
        if clash:
            name = self.unit.namer.fresh(name)
        self.unit.namer.reserve([name])
        self.bound[name] = obj
        return name


class ReverseTransform:
    """Builds the backward sweep of one normalized function."""

    def __init__(self, unit: Unit, wrt: Sequence[str], callee: Callable, binder: GlobalBinder,
                 complex_params: Sequence[str] = ()):
        self.unit = unit
        self.wrt = list(wrt)
        self.callee = callee
        self.bind_global = binder
        self.resolver = Resolver(unit.parsed.namespace, unit.local_names())
        self.active = active_names(unit.body, self.wrt, self.resolver)
        self.complex = complexity.complex_names(unit.body, complex_params, self.resolver)
        self.nonzero: set = set()
        self.namer = unit.namer
        self.forward_replace: Dict[int, List[gast.AST]] = {}   # loop -> loop with its tape
        self.counters = {n.target.id for n in gast.walk(gast.Module(body=unit.body, type_ignores=[]))
                         if isinstance(n, gast.For) and isinstance(n.target, gast.Name)
                         and _is_range(n.iter)}   # integers: an index of them writes each place once

    # -- the forward sweep ------------------------------------------------------
    def forward_of(self, stmts) -> List[gast.AST]:
        """``stmts`` with every differentiated loop replaced by its taping version."""
        out: List[gast.AST] = []
        for stmt in stmts:
            if id(stmt) in self.forward_replace:
                out += self.forward_replace[id(stmt)]
            elif isinstance(stmt, gast.If):
                out.append(gast.If(test=stmt.test, body=self.forward_of(stmt.body),
                                   orelse=self.forward_of(stmt.orelse)))
            else:
                out.append(stmt)
        return out

    def namer_snapshot(self):
        return set(self.namer.taken), dict(self.namer._adjoints)

    def namer_restore(self, snapshot) -> None:
        taken, adjoints = snapshot
        self.namer.taken = set(taken) | set(self.bind_global.bound)
        self.namer._adjoints = dict(adjoints)

    # -- adjoint bookkeeping --------------------------------------------------
    def adj(self, var: str) -> str:
        return self.namer.adjoint(var)

    def read(self, marker: str, node) -> Optional[gast.Name]:
        if marker == "d" and isinstance(node, gast.Name) and node.id in self.nonzero:
            return syntax.name(self.adj(node.id))
        return None

    def accumulate(self, target, value, out: List, wrap=None) -> None:
        """``d[target] += value``, as ``dx = value`` the first time; ``wrap`` applies to each part."""
        if isinstance(target, gast.Name):
            if target.id not in self.active:
                return
            if wrap is not None:
                value = wrap(value)
            dx = self.adj(target.id)
            if target.id in self.nonzero:
                value = templates.simplify(gast.BinOp(left=syntax.name(dx), op=gast.Add(), right=value))
            self.nonzero.add(target.id)
            out.append(syntax.assign(dx, value))
            return
        if isinstance(target, (gast.List, gast.Tuple)):
            if not any(isinstance(e, gast.Name) and e.id in self.active for e in target.elts):
                return
            parts = self.namer.fresh("dparts")
            out.append(syntax.assign(parts, value))
            for i, elt in enumerate(target.elts):
                part = gast.Subscript(value=syntax.name(parts), slice=syntax.const(i), ctx=gast.Load())
                self.accumulate(elt, part, out, wrap)

    # -- statements -------------------------------------------------------------
    def backward(self, stmts) -> List[gast.AST]:
        out: List[gast.AST] = []
        for stmt in reversed(stmts):
            method = getattr(self, "back_" + type(stmt).__name__, None)
            if method is None:
                raise self.error(stmt, f"cannot differentiate through a `{type(stmt).__name__}` "
                                       "statement yet", "rewrite it as straight-line assignments.")
            method(stmt, out)
        return out

    def back_Expr(self, stmt, out):
        pass

    back_Assert = back_Pass = back_Raise = back_Break = back_Expr

    def back_Return(self, stmt, out):
        pass

    def back_If(self, stmt, out):
        control.backward_if(self, stmt, out)

    def back_For(self, stmt, out):
        control.backward_loop(self, stmt, out)

    back_While = back_For

    def back_Assign(self, stmt, out):
        target = stmt.targets[0]
        if isinstance(target, gast.Subscript):
            return self.back_write(stmt, target, out)
        if not isinstance(target, gast.Name) or target.id not in self.nonzero or target.id not in self.active:
            return
        op = self.resolver.op_of(stmt.value)
        handler = getattr(self, "op_" + op.kind)
        handler(stmt, target, op, out)
        # before this statement the name held another value (a loop's earlier iteration)
        self.nonzero.discard(target.id)

    def back_write(self, stmt, target, out):
        """``z[i] = v``: ``v`` gets ``dz[i]``, and the overwritten elements of ``z`` get nothing."""
        owner = target.value.id
        if owner not in self.nonzero:
            return
        dz = syntax.name(self.adj(owner))
        index = syntax.copy_node(target.slice)
        if isinstance(stmt.value, gast.Name) and stmt.value.id in self.active:
            unbroadcast = self.bind_global("unbroadcast", runtime.unbroadcast)
            if self._writes_once(index):
                part = gast.Subscript(value=dz, slice=syntax.copy_node(index), ctx=gast.Load())
            else:   # z[[0, 0]] = v keeps only v[1]: `written` gives the others nothing
                written = self.bind_global("written", runtime.written)
                part = syntax.call(syntax.name(written), [syntax.copy_node(dz), _as_argument(index, self)])
            self.accumulate(stmt.value, syntax.call(syntax.name(unbroadcast), [part, stmt.value]), out)
        unassign = self.bind_global("unassign", runtime.unassign)
        out.append(syntax.assign(self.adj(owner), syntax.call(syntax.name(unassign),
                                                              [syntax.copy_node(dz), _as_argument(index, self)])))

    def _writes_once(self, index) -> bool:
        """Can ``z[index] = v`` write no place twice?  Yes for constants, slices and loop counters.

        Any other name may hold an integer array with repeats (``z[[0, 0]] = v``).
        """
        parts = index.elts if isinstance(index, gast.Tuple) else [index]
        return all(isinstance(p, (gast.Constant, gast.Slice))
                   or (isinstance(p, gast.Name) and p.id in self.counters)
                   or (isinstance(p, gast.UnaryOp) and isinstance(p.operand, gast.Constant)) for p in parts)

    # -- one handler per kind of operation ----------------------------------------
    def op_copy(self, stmt, target, op: Op, out):
        self.accumulate(op.args[0], syntax.name(self.adj(target.id)), out)

    def op_literal(self, stmt, target, op, out):
        pass

    def op_nondiff(self, stmt, target, op, out):
        value = stmt.value
        if isinstance(value, gast.BoolOp) and any(
                not isinstance(v, (gast.Compare, gast.BoolOp, gast.UnaryOp, gast.Constant))
                and syntax.loaded_names(v) & self.active for v in value.values):
            raise self.error(stmt, "cannot differentiate `and`/`or` used as a value: it returns "
                                   "one of its operands", "write `a if a else b` (or use it in a test).")

    def op_rule(self, stmt, target, op: Op, out):
        rule_fn = registry.REVERSE.get(op.key)
        if rule_fn is None:
            raise self.error(stmt, f"`{op.label}` has no reverse-mode rule",
                             f"register one with @tangentish.adjoint({registry.display_name(op.key)}).")
        rule = templates.rule(rule_fn)
        read, conj = self.read, None
        operands = {n.id for a in list(op.args) + list(op.kwargs.values())
                    for n in gast.walk(a) if isinstance(n, gast.Name)}
        if self.complex & (operands | {target.id}) and complexity.needs_wrap(op.key):
            if complexity.refuses_complex(op.key):
                raise self.error(stmt, f"`{op.label}` is differentiated here at a value that may be "
                                       "complex, and its rule is for real values only",
                                 "take np.real/np.abs first, or register a complex rule with "
                                 "@tangentish.adjoint.")
            conj = self.bind_global("np", np) + ".conj"

            def read(marker, node):   # holomorphic rule at complex values: conj(rule(conj(dz)))
                found = self.read(marker, node)
                return syntax.call(conj, [found]) if found is not None else None
        try:   # (binding the user's arguments to the rule can fail too: at the user's line)
            filler = templates.Filler(rule, target, op.args, op.kwargs, read, self.namer,
                                      self.bind_global, op.label)
            items = filler.fill()
        except TransformError as e:
            raise self.error(stmt, e.message, e.hint) from None
        user = registry.is_user_rule(rule_fn)
        start = len(out)
        if user:   # name the user's rule above its lines, and check its results' shapes
            out.append(syntax.comment(rule_fn.__name__))
            checked = self.bind_global("checked_like", runtime.checked_like)
        for item in items:
            if isinstance(item, templates.Contribution):
                if item.refused is not None:   # no formula: loud at the user's line if the argument is active
                    names = item.target.elts if isinstance(item.target, (gast.List, gast.Tuple)) else [item.target]
                    if any(isinstance(n, gast.Name) and n.id in self.active for n in names):
                        raise self.error(stmt, item.refused.message, item.refused.hint)
                    continue
                value, wrap = item.value, None
                if conj is not None:   # a list of adjoints (concatenate's operands) is conjugated part by part
                    if isinstance(item.target, gast.Name):
                        value = syntax.call(conj, [value])
                    else:
                        def wrap(part):
                            return syntax.call(conj, [part])
                if user and isinstance(item.target, gast.Name):
                    value = syntax.call(syntax.name(checked), [value, syntax.load(item.target),
                                                               syntax.const(rule_fn.__name__)])
                self.accumulate(item.target, value, out, wrap)
            else:
                out.append(item)
        if user and len(out) == start + 1:
            out.pop()

    def op_user(self, stmt, target, op: Op, out):
        try:
            params = list(inspect.signature(op.key).parameters)
        except (TypeError, ValueError):
            params = []
        given = list(enumerate(op.args))
        for k, v in op.kwargs.items():
            if k not in params:
                raise self.error(stmt, f"`{op.label}` has no parameter `{k}`")
            given.append((params.index(k), v))
        given = [(i, a) for i, a in given if isinstance(a, gast.Name) and a.id in self.active]
        if not given:
            return
        given.sort(key=lambda p: p[0])
        positions = [i for i, _ in given]
        complex_positions = tuple(i for i, a in enumerate(op.args)
                                  if isinstance(a, gast.Name) and a.id in self.complex)
        try:
            name = self.callee(op.key, positions, self.bind_global, complex_positions)
        except TransformError as e:
            if e.filename is None:   # say where the user called it
                raise self.error(stmt, e.message, e.hint) from None
            raise
        # the forward sweep calls g's forward half, which runs g's statements once and returns
        # what g's backward half reads; the backward sweep hands that back (no user code runs again)
        forward_name, backward_name, again = name
        spelled = getattr(op.key, "__name__", "") or "call"
        saved = self.namer.fresh((spelled if spelled.isidentifier() else "call") + "_saved")
        forward_call = syntax.call(syntax.name(forward_name), [syntax.copy_node(a) for a in op.args],
                                   [syntax.keyword(k, syntax.copy_node(v)) for k, v in op.kwargs.items()])
        split = syntax.assign_to(syntax.tuple_([syntax.name(target.id, store=True), syntax.name(saved, store=True)],
                                               store=True),
                                 forward_call)
        split.origin_effects = True   # (the forward half runs user code: it is never dropped)
        self.forward_replace[id(stmt)] = [split]
        bound = dict(bound_arguments(op.key, op.args, op.kwargs) or [])
        call = syntax.call(syntax.name(backward_name), [syntax.name(saved), syntax.name(self.adj(target.id))],
                           [syntax.keyword(n, syntax.copy_node(bound[n])) for n in again if n in bound])
        if len(given) == 1:
            self.accumulate(given[0][1], call, out)
            return
        parts = self.namer.fresh("d" + (op.label.split(".")[-1] or "call"))
        out.append(syntax.assign(parts, call))
        for k, (_, arg) in enumerate(given):
            part = gast.Subscript(value=syntax.name(parts), slice=syntax.const(k), ctx=gast.Load())
            self.accumulate(arg, part, out)

    def op_container(self, stmt, target, op, out):
        """``z = [a, *b, c]`` / ``(a, b)`` / ``{"k": v}``: each element reads its slot of ``dz``."""
        value, dz = stmt.value, syntax.name(self.adj(target.id))
        if isinstance(value, gast.Dict):
            slots = list(zip(value.keys, value.values))
            if any(k is None for k, _ in slots):
                raise self.error(stmt, "cannot differentiate `**` in a dict literal",
                                 "list the keys one by one.")
        else:
            elts = value.elts
            star = [i for i, e in enumerate(elts) if isinstance(e, gast.Starred)]
            if len(star) > 1:
                raise self.error(stmt, "cannot differentiate two `*` unpackings in one literal",
                                 "build the list in two steps.")
            slots = []
            for i, e in enumerate(elts):
                if star and i > star[0]:
                    slots.append((syntax.const(i - len(elts)), e))
                elif star and i == star[0]:
                    after = len(elts) - i - 1
                    stop = syntax.const(-after) if after else None
                    slots.append((gast.Slice(lower=syntax.const(i) if i else None, upper=stop, step=None),
                                  e.value))
                else:
                    slots.append((syntax.const(i), e))
        for key, element in slots:
            if isinstance(element, gast.Name) and element.id in self.active:
                part = gast.Subscript(value=syntax.copy_node(dz), slice=syntax.copy_node(key), ctx=gast.Load())
                self.accumulate(element, part, out)

    def op_unknown(self, stmt, target, op: Op, out):
        what = f"`{op.label}`" if op.label else "this expression"
        key = op.key
        if op.why and not (op.why == "library" and _is_numpy_like(op.key)):   # library code, index objects
            raise self.error(stmt, *unknown_calls.explain(op, stmt.value, self.resolver, "adjoint"))
        if key is not None and hashable(key) and key in registry.UNSUPPORTED:
            message = f"cannot differentiate {what} ({registry.display_name(key)}): {registry.UNSUPPORTED[key]}"
            hint = ("compute it from supported functions (docs/primitives.md lists them), or register "
                    f"your own rule with @tangentish.adjoint({registry.display_name(key)}).")
        elif key is not None and _is_numpy_like(key):
            name = registry.display_name(key)
            message = (f"no gradient template for {what} ({name}): the rule is missing from tangentish; "
                       "the function is not known to be non-differentiable (one that is, like np.round, "
                       "simply gives a zero gradient)")
            hint = (f"register one with @tangentish.adjoint({name}) (and @tangentish.tangent({name}) for "
                    "forward mode); docs/primitives.md lists the supported functions and shows the form.")
        elif key is None and op.label.startswith("."):
            message = (f"cannot differentiate through {what}: it is not an array method with a rule, and "
                       "tangentish, which reads calls from the source, cannot see what the object is")
            hint = METHOD_HINTS.get(op.label, f"if it is a method of your own class, call it through the class, "
                                              f"`ClassName{op.label}(obj, ...)`, which tangentish can read; "
                                              "otherwise use NumPy functions with rules (docs/primitives.md).")
        else:
            message, hint = unknown_calls.explain(op, stmt.value, self.resolver, "adjoint")
        raise self.error(stmt, message, hint)

    # -- errors -------------------------------------------------------------------
    def error(self, stmt, message: str, hint: Optional[str] = None) -> TransformError:
        origin = self.unit.origin.get(id(stmt), stmt)
        return self.unit.parsed.error(message, origin, hint=hint)


#: the comment between the forward and the backward sweep (where `split` cuts a derivative in two)
BACKWARD = "backward"


def mark_effects(stmts, resolver: Resolver) -> None:
    """Mark the statements that may have effects: calls of user code and of unknown callables.

    ``rs.randn(3)`` advances the RNG even when nothing reads its value, so the
    optimizer keeps such a call (as an expression statement) instead of dropping it.
    """
    for stmt in stmts:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                mark_effects(inner, resolver)
        if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Call):
            try:
                kind = resolver.op_of(stmt.value).kind
            except Exception:   # (resolving is for the judgement only; anything unclear may have effects)
                kind = "unknown"
            if kind in ("user", "unknown"):
                stmt.origin_effects = True


def split(fn: gast.FunctionDef, seed: str, namer, name: str):
    """Cut an optimized ``split``-mode derivative at ``# backward`` into its two halves.

    ``{name}_forward(*params) -> (value, saved)`` runs the user's statements once;
    ``{name}_backward(saved, seed, *params) -> grads`` is the backward sweep,
    reading only ``saved`` (the forward names it reads; one name is passed as
    itself, several as a tuple unpacked on the first line) and the parameters it
    reads, which the caller passes again as it passed them to the forward half.
    """
    body = fn.body
    cut = next((i for i, s in enumerate(body) if syntax.is_comment(s)
                and s.value.args[0].value == BACKWARD), None)
    ret = body[-1]
    assert isinstance(ret, gast.Return) and isinstance(ret.value, gast.Tuple)
    value, grads = ret.value.elts
    forward_part = body[:cut] if cut is not None else body[:-1]
    backward_part = body[cut + 1:-1] if cut is not None else []
    backward_part = backward_part + [syntax.ret(grads)]
    params = {a.id for a in fn.args.args + fn.args.kwonlyargs + fn.args.posonlyargs} - {seed}
    defined = params | syntax.stored_names(forward_part)
    order = [a.id for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs]
    order += [n for n in _stored_in_order(forward_part) if n not in order]
    reads = control.exposed_reads(backward_part)
    # the parameters it reads the backward half takes again, from the caller's own arguments: a
    # constant the caller passed stays a constant there (no tangent in a second derivative)
    again = [n for n in order if n in params and n in reads]
    kept = [n for n in order if n in defined and n in reads and n != seed and n not in again]
    if len(kept) == 1:
        saved_param, unpack, saved_value = kept[0], [], syntax.name(kept[0])
    else:
        saved_param = namer.fresh("saved")
        saved_value = syntax.tuple_([syntax.name(n) for n in kept])
        unpack = [syntax.assign_to(syntax.tuple_([syntax.name(n, store=True) for n in kept], store=True),
                                   syntax.name(saved_param))] if kept else []
    # a value only one branch defines is saved as None when the other branch ran
    maybe = [n for n in kept if n not in params and n not in control.definitely_defined(forward_part)]
    forward_part = [syntax.assign(n, syntax.const(None)) for n in maybe] + forward_part
    forward_args = syntax.copy_node(fn.args)
    keep = lambda a: getattr(a, "id", None) != seed   # noqa: E731
    forward_args.args = [a for a in forward_args.args if keep(a)]
    if not all(keep(a) for a in forward_args.kwonlyargs):
        pairs = [(a, d) for a, d in zip(forward_args.kwonlyargs, forward_args.kw_defaults) if keep(a)]
        forward_args.kwonlyargs = [a for a, _ in pairs]
        forward_args.kw_defaults = [d for _, d in pairs]
    forward_fn = gast.FunctionDef(name=f"{name}_forward", args=forward_args,
                                  body=forward_part + [syntax.ret(syntax.tuple_([value, saved_value]))],
                                  decorator_list=[], returns=None, type_comment=None, type_params=[])
    param = lambda n: gast.Name(id=n, ctx=gast.Param(), annotation=None, type_comment=None)  # noqa: E731
    defaults = dict(zip([a.id for a in (fn.args.posonlyargs + fn.args.args)][::-1], fn.args.defaults[::-1]))
    defaults.update({a.id: d for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d is not None})
    keyword_only = {a.id for a in fn.args.kwonlyargs}
    positional = [n for n in again if n not in keyword_only]   # (differentiable again: grad of grad)
    named = [n for n in again if n in keyword_only]
    backward_args = gast.arguments(args=[param(saved_param), param(seed)] + [param(n) for n in positional],
                                   posonlyargs=[], vararg=None,
                                   kwonlyargs=[param(n) for n in named],
                                   kw_defaults=[syntax.copy_node(defaults[n]) if n in defaults else None
                                                for n in named],
                                   kwarg=None,
                                   defaults=[syntax.copy_node(defaults[n]) for n in positional if n in defaults])
    backward_fn = gast.FunctionDef(name=f"{name}_backward", args=backward_args,
                                   body=unpack + backward_part,
                                   decorator_list=[], returns=None, type_comment=None, type_params=[])
    return forward_fn, backward_fn, again


def _stored_in_order(stmts):
    out = []
    for root in stmts:
        for n in gast.walk(root):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store) and n.id not in out:
                out.append(n.id)
    return out


def _as_argument(index, rt: ReverseTransform):
    """``index`` as a call argument: a slice is one only as ``np.s_[...]``."""
    index = syntax.copy_node(index)
    if templates._is_index(index):
        np_name = rt.bind_global("np", np)
        index = gast.Subscript(value=syntax.parse_expr(f"{np_name}.s_"), slice=index, ctx=gast.Load())
    return index


def _is_range(expr) -> bool:
    return (isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name) and expr.func.id == "range")


def _is_numpy_like(obj) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return isinstance(obj, np.ufunc) or module.split(".")[0] in ("numpy", "scipy")


def transform(unit: Unit, wrt: Sequence[str], mode: str, callee: Callable,
              binder: Optional[GlobalBinder] = None,
              complex_params: Sequence[str] = ()) -> gast.FunctionDef:
    """The derivative of ``unit`` as a function definition.

    ``mode`` is ``"grad"`` (scalar output, seed 1), ``"value_and_grad"`` (also
    returns the value), ``"elementwise"`` (seed 1 at every output element) or
    ``"vjp"`` (the seed is an extra last parameter).
    """
    binder = binder or GlobalBinder(unit)
    rt = ReverseTransform(unit, wrt, callee, binder, complex_params)
    result = unit.result
    if result is None:
        raise unit.parsed.error("the function returns nothing, so it has no gradient", unit.parsed.node,
                                hint="return the value to differentiate.")
    forward = [s for s in unit.body if not isinstance(s, gast.Return)]
    mark_effects(forward, rt.resolver)
    seed_name = rt.adj(result)
    seed: List[gast.AST] = []
    # elementwise_grad seeds every output element with 1; grad needs a scalar output
    seed_helper = ("ones_like", runtime.ones_like) if mode == "elementwise" else ("one_like", runtime.one_like)
    if result in rt.active:
        rt.nonzero.add(result)
        if mode not in ("vjp", "split"):
            one = binder(*seed_helper)
            seed.append(syntax.assign(seed_name, syntax.call(syntax.name(one), [syntax.name(result)])))
    elif mode not in ("vjp", "split"):
        one = binder(*seed_helper)
        seed.append(gast.Expr(value=syntax.call(syntax.name(one), [syntax.name(result)])))
    backward = rt.backward(forward)
    forward = rt.forward_of(forward)
    returns = []
    tail: List[gast.AST] = []
    for w in wrt:
        if w in rt.nonzero:
            returns.append(syntax.name(rt.adj(w)))
        else:
            zeros = binder("zeros_like", runtime.zeros_like)
            tail.append(syntax.assign(rt.adj(w), syntax.call(syntax.name(zeros), [syntax.name(w)])))
            returns.append(syntax.name(rt.adj(w)))
    grads = returns[0] if len(returns) == 1 else syntax.tuple_(returns)
    if mode in ("value_and_grad", "split"):
        if result in syntax.stored_names(backward):
            # a backward loop rebinds the forward names it reads from its tape (`h` carried
            # through a loop): the value returned is the one the forward sweep ended with
            kept = unit.namer.fresh(unit.node.name if unit.node.name != result else "value")
            forward.append(syntax.assign(kept, syntax.name(result)))
            result = kept
        value = syntax.tuple_([syntax.name(result), grads])
    else:
        value = grads
    body = forward + [syntax.comment(BACKWARD)] + seed + backward + tail + [syntax.ret(value)]
    if forward:
        body.insert(0, syntax.comment("forward"))
    args = syntax.copy_node(unit.node.args)
    if mode in ("vjp", "split"):
        seed_param = gast.Name(id=seed_name, ctx=gast.Param(), annotation=None, type_comment=None)
        if args.defaults:   # after parameters with defaults, the seed must be keyword-only
            args.kwonlyargs = list(args.kwonlyargs) + [seed_param]
            args.kw_defaults = list(args.kw_defaults) + [None]
        else:
            args.args.append(seed_param)
    fname = unit.namer.fresh(f"d{unit.node.name}_d{'_'.join(wrt)}")
    fn = gast.FunctionDef(name=fname, args=args, body=body, decorator_list=[], returns=None,
                          type_comment=None, type_params=[])
    return fn, seed_name
