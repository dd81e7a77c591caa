"""Normalize: one primitive per statement, named temporaries, one name per value.

After this pass every statement of the function body is one of

* ``name = <simple>`` where <simple> is a call, operator, index or attribute
  whose operands are names or constants (``tanh = np.tanh(x)``),
* ``name[index] = atom`` right after ``name = old.copy()`` (a write into an array),
* ``if``/``for``/``while`` whose bodies are normalized the same way
  (normalize_flow.py), ``break`` only as the last ``if stop: break``,
* ``return name`` (once, at the end: restructure.py removes early exits),
* a statement that carries no derivative (``assert``, a bare call),

and no name is assigned twice in straight-line code (``x = x * 2`` becomes
``x_2 = x * 2``), so the backward sweep can read every value the forward sweep
computed.  Temporaries are named after their primitive (``tanh``, ``prod``);
the last one of a statement takes the user's target name.  Index expressions,
comparisons, ``len(x)``, ``x.shape`` and literal arguments of rules
(``np.stack([a, b])``) stay inline: they carry no derivative, or the rule
reads them.  Every argument of a call to a user function is a name (a
literal is bound to one named after the parameter: ``seq = [x, prod]``),
since that call's derivative reaches its arguments through their names;
`fence.check_call_arguments` checks it.  The result is plain Python that
computes what the user's function computed.
"""
from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import gast

from . import fence, syntax
from .aliasing import IN_PLACE_HINTS, Aliases, in_place_call
from .desugar import Desugar
from .local_imports import bind_import
from .naming import OPERATOR_NAMES, Namer, temp_base
from .normalize_flow import FlowNormalizer, LoopInfo
from .parse import Parsed
from .resolve import Resolver, bound_arguments, index_join_key
from .restructure import restructure

#: methods that change their object in place (``append`` on a local list is supported)
MUTATING_METHODS = {"extend", "insert", "pop", "remove", "sort", "reverse", "clear", "update",
                    "setdefault", "popitem", "fill", "resize", "put", "itemset", "setflags"}

#: names generated code may need whatever the user wrote: template globals and builtins
RESERVED = ({"np"} | set(__import__("tangentish.runtime").runtime.__all__)
            | set(dir(builtins)) - {"sum", "max", "min", "abs", "pow", "round", "divmod", "all", "any"})


@dataclass
class Unit:
    """A normalized function and what later passes need to know about it."""

    parsed: Parsed
    node: gast.FunctionDef
    params: List[str]
    namer: Namer
    result: Optional[str] = None          # the name returned (None: returns nothing)
    defaults: Dict[str, gast.AST] = field(default_factory=dict)
    origin: Dict[int, gast.AST] = field(default_factory=dict)   # id(stmt) -> user node
    loops: Dict[int, LoopInfo] = field(default_factory=dict)    # id(loop) -> what reverse needs
    keyword_params: List[str] = field(default_factory=list)     # keyword-only: constants of the derivative

    @property
    def body(self) -> List[gast.AST]:
        return self.node.body

    def local_names(self) -> set:
        return set(self.params) | set(self.keyword_params) | syntax.stored_names(self.node.body)


def normalize(parsed: Parsed) -> Unit:
    fn = parsed.node
    args = fn.args
    params = [a.id for a in args.posonlyargs + args.args]   # (*args, **kwargs: refused by fence)
    keyword_params = [a.id for a in args.kwonlyargs]   # settings like `*, lam=0.1`: never differentiated
    taken = syntax.names_in(fn.body) | set(params) | set(keyword_params) | RESERVED
    namer = Namer(taken)
    n = Normalizer(parsed, namer, params + keyword_params)
    user_body, n.break_checks = restructure(
        parsed, [syntax.copy_node(s) for s in fn.body], namer.fresh,
        lambda: namer.fresh(fn.name if fn.name != "<lambda>" else "out"))
    body = n.block(user_body)
    if not body or not isinstance(body[-1], gast.Return):
        body.append(syntax.ret(None))
    node = gast.FunctionDef(name=fn.name if fn.name != "<lambda>" else "f", args=fn.args, body=body,
                            decorator_list=[], returns=None, type_comment=None, type_params=[])
    defaults = dict(zip(params[len(params) - len(args.defaults):], args.defaults))
    unit = Unit(parsed, node, params, namer, result=n.result, defaults=defaults, origin=n.origin,
                loops=n.loops, keyword_params=keyword_params)
    fence.check_call_arguments(unit)
    return unit


class Normalizer(FlowNormalizer, Desugar):
    """Turns user statements into normalized ones, renaming reassigned variables."""

    def __init__(self, parsed: Parsed, namer: Namer, params: List[str]):
        self.parsed = parsed
        self.namer = namer
        self.env: Dict[str, str] = {p: p for p in params}   # user name -> current name
        self.defined = set(params)                            # every name ever assigned
        self.maybe_unbound: set = set()   # names set on some paths only (one branch, a loop body)
        self.result: Optional[str] = None
        self.origin: Dict[int, gast.AST] = {}
        self.out: List[gast.AST] = []
        self.current: Optional[gast.AST] = None
        self.params = set(params)
        self.loops: Dict[int, LoopInfo] = {}
        self.break_checks: set = set()
        self.local_fns: Dict[str, object] = {}    # lambdas and defs of the function's own (desugar.LocalFn)
        self.scopes: List[tuple] = []               # (env, local_fns) of each scope an inlined call left
        self.borrowed: List[set] = []               # per inlined call: the names it sees from outside
        self.inlined: List[str] = []                # per inlined call: the function's name
        self.inlining: set = set()
        self.aliases = Aliases(params)               # who may share an array, for in-place updates
        self.pending: List[set] = []                 # per enclosing loop: names it assigns, not yet bound
        self.frozen: Dict[str, tuple] = {}           # user name -> (its SSA name, st.norm(mu, s) as atoms)

    # -- statements -----------------------------------------------------------
    def block(self, stmts, into: bool = False) -> List[gast.AST]:
        """Normalized ``stmts``: a new list, or emitted where we are (``into``)."""
        saved = self.out
        if not into:
            self.out = []
        outer = self.current
        for i, stmt in enumerate(stmts):
            if i == 0 and isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant):
                continue  # docstring
            self.current = stmt if getattr(stmt, "lineno", None) is not None else (outer or stmt)
            method = getattr(self, "visit_" + type(stmt).__name__, None)
            if method is None:
                raise self.parsed.error(f"cannot differentiate through a `{type(stmt).__name__}` "
                                        "statement yet", stmt,
                                        hint="rewrite it as straight-line assignments.")
            method(stmt)
            if isinstance(stmt, gast.Return):
                break
        self.current = outer
        if into:
            return self.out
        out, self.out = self.out, saved
        return out

    def emit(self, stmt) -> None:
        self.origin[id(stmt)] = self.current
        self.out.append(stmt)

    def visit_Assign(self, stmt):
        if len(stmt.targets) != 1:
            value = self.atom(stmt.value)
            for target in stmt.targets:
                self.bind_target(target, value)
            self.aliases.shared |= syntax.stored_names(stmt.targets)
            return
        target = stmt.targets[0]
        if isinstance(target, gast.Name) and isinstance(stmt.value, gast.Lambda):
            self.define_local(target.id, stmt.value)
            return
        if isinstance(target, gast.Subscript):
            self.write_item(target, stmt.value)
            return
        if isinstance(target, gast.Name):
            value = self.simple(stmt.value, hint=target.id)
            self.emit(syntax.assign(self.new_name(target.id), value))
            self.aliases.assigned({target.id}, stmt.value, set(self.env))
            if isinstance(value, gast.Call) and self.is_distribution(value.func):
                self.frozen[target.id] = (self.env[target.id], value)
            return
        if isinstance(target, (gast.Tuple, gast.List)):
            value = self.atom(stmt.value)
            self.bind_target(target, value)
            literal = isinstance(stmt.value, (gast.Tuple, gast.List)) and len(stmt.value.elts) == len(target.elts)
            for k, elt in enumerate(target.elts):
                names = syntax.stored_names(elt)
                if literal and isinstance(elt, gast.Name):
                    self.aliases.assigned(names, stmt.value.elts[k], set(self.env))
                else:
                    self.aliases.shared |= names
            return
        raise self.parsed.error(f"cannot differentiate an assignment to "
                                f"`{syntax.to_source(target)}` yet", stmt,
                                hint="assign to a plain name.")

    def bind_target(self, target, value):
        """``a, b = value`` as ``a = value[0]; b = value[1]``."""
        if isinstance(target, gast.Name):
            self.emit(syntax.assign(self.new_name(target.id), value))
            return
        if isinstance(target, (gast.Tuple, gast.List)) and not any(isinstance(e, gast.Starred) for e in target.elts):
            for i, elt in enumerate(target.elts):
                part = gast.Subscript(value=syntax.copy_node(value), slice=syntax.const(i), ctx=gast.Load())
                if isinstance(elt, gast.Name):
                    self.emit(syntax.assign(self.new_name(elt.id), part))
                else:
                    self.bind_target(elt, self.atom(part))
            return
        raise self.parsed.error(f"cannot differentiate an assignment to `{syntax.to_source(target)}` yet",
                                self.current, hint="assign to plain names.")

    def visit_FunctionDef(self, stmt):
        if stmt.decorator_list:
            raise self.parsed.error(f"cannot differentiate through the decorated function `{stmt.name}` "
                                    "defined inside the function", stmt,
                                    hint="define it at module level, or call the decorator's result by hand.")
        self.define_local(stmt.name, stmt)

    def visit_AugAssign(self, stmt):
        if isinstance(stmt.target, gast.Subscript):
            read = syntax.load(stmt.target)
            self.write_item(stmt.target, gast.BinOp(left=read, op=stmt.op, right=stmt.value))
            return
        if not isinstance(stmt.target, gast.Name):
            raise self.parsed.error("cannot differentiate an in-place update of "
                                    f"`{syntax.to_source(stmt.target)}` yet", stmt,
                                    hint="write it as a new assignment.")
        op = syntax.to_source(stmt).split()[1]
        self.not_borrowed(stmt.target.id, f"`{stmt.target.id} {op} ...`",
                          f"{stmt.target.id} = {stmt.target.id} {op[:-1]} ...")
        if stmt.target.id in self.aliases.shared:
            name, op = stmt.target.id, syntax.to_source(stmt).split()[1]
            raise self.parsed.error(f"cannot differentiate `{name} {op} ...`: `{name}` may share its "
                                    f"array with another variable, which `{op}` would change too",
                                    stmt, hint=f"write {name} = {name} {op[:-1]} ... instead.")
        left = self.load(stmt.target.id, stmt.target)
        right = self.atom(stmt.value)
        value = gast.BinOp(left=left, op=stmt.op, right=right)
        self.emit(syntax.assign(self.new_name(stmt.target.id), value))

    def visit_Return(self, stmt):
        if stmt.value is None:
            self.emit(syntax.ret(None))
            return
        base = self.parsed.node.name if not self.parsed.is_lambda else "out"
        value = self.atom(stmt.value, hint=base)
        if not isinstance(value, gast.Name):
            name = self.new_name(base)
            self.emit(syntax.assign(name, value))
            value = syntax.name(name)
        self.result = value.id
        self.emit(syntax.ret(value))

    def visit_Expr(self, stmt):
        if isinstance(stmt.value, gast.Constant):
            return
        call = stmt.value
        if (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute)
                and isinstance(call.func.value, gast.Name) and call.func.value.id in self.env):
            if call.func.attr == "append":
                return self.append(stmt, call)
            if call.func.attr in MUTATING_METHODS:
                raise self.parsed.error(f"cannot differentiate `.{call.func.attr}()`: it changes "
                                        f"`{call.func.value.id}` in place", stmt,
                                        hint="build a new value and assign it to a name.")
        writes = in_place_call(call, self.parsed.namespace)
        if writes:
            what = syntax.to_source(call).strip()
            raise self.parsed.error(f"cannot differentiate `{what}`: it writes into an array in place "
                                    f"({writes}), which the derivative would not see", stmt,
                                    hint=IN_PLACE_HINTS.get(writes, "compute a new array and assign it to a name."))
        if isinstance(call, gast.Call) and not (isinstance(call.func, gast.Name) and call.func.id in self.local_fns):
            call = spread(call)
            callee = self.user_callee(self.rename(call.func), call)
            if callee is not None:
                self.check_not_mutated(call.func, callee, bound_arguments(
                    callee, call.args, {k.arg: k.value for k in call.keywords if k.arg}))
        value = self.rename(stmt.value)
        if not isinstance(value, (gast.Name, gast.Constant)):   # inner(x) inlined: its body is emitted
            self.emit(gast.Expr(value=value))

    def visit_AnnAssign(self, stmt):
        """``y: float = x * 2`` is ``y = x * 2``; a bare ``y: float`` does nothing."""
        if stmt.value is not None:
            self.visit_Assign(gast.copy_location(
                gast.Assign(targets=[stmt.target], value=stmt.value, type_comment=None), stmt))

    def visit_Pass(self, stmt):
        pass

    def visit_Assert(self, stmt):
        self.emit(gast.Assert(test=self.rename(stmt.test),
                              msg=self.rename(stmt.msg) if stmt.msg is not None else None))

    def visit_Raise(self, stmt):
        self.emit(self.rename(stmt))

    def visit_Import(self, stmt):
        bind_import(stmt, self.parsed)   # bound once, now; the statement is dropped

    visit_ImportFrom = visit_Import

    # -- names ----------------------------------------------------------------
    def new_name(self, user_name: str) -> str:
        """The name a (re)assignment of ``user_name`` writes to."""
        self.local_fns.pop(user_name, None)   # a variable now, no longer a function of ours
        if user_name not in self.defined:
            self.defined.add(user_name)
            self.env[user_name] = user_name
            return user_name
        new = self.namer.fresh(user_name)
        self.defined.add(new)
        self.env[user_name] = new
        return new

    def load(self, user_name: str, node=None) -> gast.Name:
        if user_name in self.local_fns:
            self.local_fn_as_value(user_name)
        if user_name not in self.env:
            self._not_yet(user_name)
        return syntax.name(self.env.get(user_name, user_name))

    def _not_yet(self, user_name: str) -> None:
        """A read of a variable the enclosing loop assigns later: it comes from the previous iteration."""
        if any(user_name in pending for pending in self.pending):
            raise self.parsed.error(
                f"cannot differentiate `{user_name}`: it is read before it is assigned in this "
                "loop, so it carries a value from one iteration to the next without one to start "
                "from", self.current, hint=f"give `{user_name}` a value before the loop.")

    def rename(self, expr, inline: bool = True):
        """``expr`` with every local variable read under its current name.

        Names bound inside it (a lambda's parameters, a comprehension's
        targets) are left alone; a call of a function of our own in it is
        inlined first (``inline``), where it runs unconditionally.
        """
        return _Renamer(self, inline).visit(syntax.copy_node(expr))

    # -- expressions ----------------------------------------------------------
    def atom(self, expr, hint: Optional[str] = None):
        """A Name or Constant holding the value of ``expr``."""
        if isinstance(expr, gast.Name):
            return self.load(expr.id, expr)
        if isinstance(expr, gast.Constant) or syntax.is_constant_expr(expr):
            return expr
        if self._is_global(expr):
            return expr
        if self._is_shape_query(expr):   # len(x), x.shape[0]: no derivative, stays inline
            return self.rename(expr)
        simple = self.simple(expr, hint)
        if isinstance(simple, gast.Name):
            return simple
        name = self.namer.fresh(hint or self.temp_name(simple))
        self.defined.add(name)
        self.emit(syntax.assign(name, simple))
        return syntax.name(name)

    def _is_shape_query(self, expr) -> bool:
        if isinstance(expr, gast.Subscript) and syntax.is_constant_expr(expr.slice):
            return self._is_shape_query(expr.value)
        if isinstance(expr, gast.Attribute):
            return expr.attr in ("shape", "size", "ndim", "dtype") and isinstance(expr.value, gast.Name)
        return (isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name) and expr.func.id == "len"
                and "len" not in self.env and len(expr.args) == 1 and isinstance(expr.args[0], gast.Name)
                and self.parsed.namespace.get("len", builtins.len) is builtins.len)

    def _is_global(self, expr) -> bool:
        """``np.pi``, ``math.e``: a module attribute, not a value of ours."""
        dotted = syntax.dotted_name(expr)
        if dotted is None:
            return False
        root = dotted.split(".")[0]
        return root not in self.env and "." in dotted

    def simple(self, expr, hint: Optional[str] = None):
        """A simple expression (operands are atoms) computing ``expr``."""
        if isinstance(expr, gast.Name):
            return self.load(expr.id, expr)
        if isinstance(expr, gast.Constant) or syntax.is_constant_expr(expr) or self._is_global(expr):
            return expr
        if isinstance(expr, gast.BinOp):
            return gast.BinOp(left=self.atom(expr.left), op=expr.op, right=self.atom(expr.right))
        if isinstance(expr, gast.UnaryOp):
            if isinstance(expr.op, gast.UAdd):
                return self.simple(expr.operand, hint)
            if isinstance(expr.op, gast.Not):
                return self.rename(expr)
            return gast.UnaryOp(op=expr.op, operand=self.atom(expr.operand))
        if isinstance(expr, gast.Call):
            thawed = self.thaw(expr)
            if thawed is not None:
                return thawed
            func = expr.func
            if isinstance(func, gast.Name) and func.id in self.local_fns:
                return self.inline(self.local_fn(func.id), spread(expr), hint)
            expr = spread(expr)
            if isinstance(func, gast.Attribute) and not self._is_global(func):
                func = gast.Attribute(value=self.atom(func.value), attr=func.attr, ctx=gast.Load())
            else:
                func = self.rename(func)
            user = self.user_callee(func, expr)
            if user is not None:
                return self.user_call(func, expr, user)
            args = [self.arg(a) for a in expr.args]
            keywords = [gast.keyword(arg=k.arg, value=self.arg(k.value)) for k in expr.keywords]
            return gast.Call(func=func, args=args, keywords=keywords)
        if isinstance(expr, gast.Subscript):
            joined = self.index_join(expr)
            if joined is not None:
                return joined
            return gast.Subscript(value=self.atom(expr.value), slice=self.rename(expr.slice),
                                  ctx=gast.Load())
        if isinstance(expr, gast.Attribute):
            return gast.Attribute(value=self.atom(expr.value), attr=expr.attr, ctx=gast.Load())
        if isinstance(expr, (gast.Compare, gast.BoolOp, gast.JoinedStr)):   # no derivative: stays inline
            return self.rename(expr)
        if isinstance(expr, (gast.Tuple, gast.List)):   # [*xs, v]: what generated code builds lists with
            return type(expr)(elts=[gast.Starred(value=self.atom(e.value), ctx=gast.Load())
                                    if isinstance(e, gast.Starred) else self.atom(e) for e in expr.elts],
                              ctx=gast.Load())
        if isinstance(expr, gast.Dict):
            return gast.Dict(keys=[self.rename(k) if k is not None else None for k in expr.keys],
                             values=[self.atom(v) for v in expr.values])
        if isinstance(expr, gast.IfExp):
            return self.if_expression(expr, hint)
        if isinstance(expr, (gast.ListComp, gast.GeneratorExp)):
            return self.comprehension(expr, hint)
        if isinstance(expr, gast.JoinedStr):
            return self.rename(expr)   # a string: no derivative, but print(f"...") must not stop us
        construct = {gast.Lambda: "a lambda inside the function",
                     gast.SetComp: "a set comprehension", gast.DictComp: "a dict comprehension",
                     gast.NamedExpr: "an assignment expression `:=`"}.get(type(expr), f"a `{type(expr).__name__}` expression")
        raise self.parsed.error(f"cannot differentiate through {construct} yet", self.current,
                                hint="compute it in separate assignments.")

    # -- calls of user functions ------------------------------------------------
    def user_callee(self, func, call):
        """The user function ``func(...)`` calls (differentiated through its own derivative), or None."""
        locals_ = set(self.env) | set(self.env.values()) | self.defined
        probe = gast.Call(func=func, args=call.args, keywords=call.keywords)
        op = Resolver(self.parsed.namespace, locals_).op_of(probe)
        return op.key if op.kind == "user" else None

    def user_call(self, func, call, callee):
        """``g([x, 2 * x], k=(a, b))``: every argument a name, literals bound to the parameter's name.

        The derivative of a user call gives adjoints (and reads tangents) of
        named arguments only, so ``seq = [x, prod]; g(seq)``: the literal's
        elements then get theirs through the container's own rule.
        """
        bound = bound_arguments(callee, call.args, {k.arg: k.value for k in call.keywords if k.arg})
        self.check_not_mutated(func, callee, bound)
        param = {id(node): p for p, node in (bound or [])}
        args = [self.call_argument(a, param.get(id(a))) for a in call.args]
        keywords = [gast.keyword(arg=k.arg, value=self.call_argument(k.value, param.get(id(k.value), k.arg)))
                    for k in call.keywords]
        return gast.Call(func=func, args=args, keywords=keywords)

    def check_not_mutated(self, func, callee, bound) -> None:
        """Refuse passing a variable to a user function that changes that argument in place (`fence.mutated_parameters`).

        The forward sweep runs the user's function, which changes the
        caller's list or array under it; the derivative, reading the user's
        code one value per name, would not see the change.
        """
        changed = fence.mutated_parameters(callee)
        for p, node in (bound or []):
            if p in changed and isinstance(node, gast.Name):
                name = syntax.to_source(func).strip()
                line = f" ({changed[p]})"
                raise self.parsed.error(
                    f"cannot differentiate the call to `{name}`: it changes its argument `{p}` in place{line}, "
                    f"so `{node.id}` here changes under the derivative, which would not see it", self.current,
                    hint=f"have `{name}` build and return a new value (e.g. {p} = [*{p}, v] or {p} = {p}.copy()), "
                         f"and assign it: {node.id} = {name}(...).")

    def call_argument(self, expr, param: Optional[str]):
        """One argument of a user call: a name, a constant, or an inline shape query (``len(x)``)."""
        if isinstance(expr, (gast.List, gast.Tuple, gast.Dict)) and not syntax.is_constant_expr(expr):
            return self.literal(expr, param or "arg")
        if isinstance(expr, gast.Starred):
            return gast.Starred(value=self.atom(expr.value), ctx=gast.Load())
        return self.atom(expr)

    def literal(self, expr, base: str) -> gast.Name:
        """A container literal bound to a name of its own (``params = [params_0, params_1]``)."""
        def part(e, label):
            if isinstance(e, (gast.List, gast.Tuple, gast.Dict)) and not syntax.is_constant_expr(e):
                return self.literal(e, f"{base}_{label}")
            return self.atom(e)
        if isinstance(expr, gast.Dict):
            value = gast.Dict(keys=[self.rename(k) if k is not None else None for k in expr.keys],
                              values=[part(v, _index_label(k) if k is not None else "i")
                                      for k, v in zip(expr.keys, expr.values)])
        else:
            value = type(expr)(elts=[gast.Starred(value=self.atom(e.value), ctx=gast.Load())
                                     if isinstance(e, gast.Starred) else part(e, str(i))
                                     for i, e in enumerate(expr.elts)], ctx=gast.Load())
        name = self.namer.fresh(base)
        self.defined.add(name)
        self.emit(syntax.assign(name, value))
        return syntax.name(name)

    def index_join(self, expr):
        """``np.r_[a, 2 * b]`` -> ``items = (a, prod)``, ``np.r_[items]``: one primitive, with a rule.

        ``np.r_``/``np.c_`` index with a tuple of arrays, which is the same as
        indexing with that tuple held in a name.  Slices and string directives
        (``np.r_[0:3]``, ``np.r_['0,2', a]``) stay as written (refused if a
        derivative flows through them).
        """
        dotted = syntax.dotted_name(expr.value)
        if dotted is None or dotted.split(".")[0] in self.env:
            return None
        obj = self.parsed.namespace.get(dotted.split(".")[0], getattr(builtins, dotted, None))
        for part in dotted.split(".")[1:]:
            obj = getattr(obj, part, None)
        if index_join_key(obj) is None:
            return None
        elts = expr.slice.elts if isinstance(expr.slice, gast.Tuple) else [expr.slice]
        if any(isinstance(e, (gast.Slice, gast.Starred)) or (isinstance(e, gast.Constant) and isinstance(e.value, str))
               for e in elts):
            return None
        items = self.namer.fresh("items")
        self.defined.add(items)
        self.emit(syntax.assign(items, gast.Tuple(elts=[self.atom(e) for e in elts], ctx=gast.Load())))
        return gast.Subscript(value=syntax.copy_node(expr.value), slice=syntax.name(items), ctx=gast.Load())

    def arg(self, expr):
        """Call arguments: atoms, but literal lists/tuples of atoms stay literal."""
        if isinstance(expr, (gast.List, gast.Tuple)) and not syntax.is_constant_expr(expr):
            return type(expr)(elts=[self.atom(e) for e in expr.elts], ctx=gast.Load())
        if isinstance(expr, gast.Starred):
            return gast.Starred(value=self.atom(expr.value), ctx=gast.Load())
        return self.atom(expr)

    def temp_name(self, simple) -> str:
        if isinstance(simple, gast.BinOp):
            return OPERATOR_NAMES.get(type(simple.op).__name__, "tmp")
        if isinstance(simple, gast.UnaryOp):
            return OPERATOR_NAMES.get(type(simple.op).__name__, "tmp")
        if isinstance(simple, gast.Call):
            func = simple.func
            if isinstance(func, gast.Attribute):
                return temp_base(func.attr)
            if isinstance(func, gast.Name):
                return temp_base(func.id)
        if isinstance(simple, gast.Subscript) and isinstance(simple.value, gast.Name):
            return simple.value.id + "_" + _index_label(simple.slice)
        if isinstance(simple, gast.Attribute) and isinstance(simple.value, gast.Name):
            return simple.value.id + "_" + simple.attr
        if isinstance(simple, gast.Compare):
            return "cond"
        return "tmp"


class _Renamer(gast.NodeTransformer):
    """`Normalizer.rename`: reads under their current names, scopes inside the expression respected."""

    def __init__(self, normalizer, inline: bool):
        self.n = normalizer
        self.inline = inline
        self.bound: List[set] = []      # names bound by enclosing lambdas / comprehensions
        self.conditional = 0            # inside and/or, a if c else b, a lambda or a comprehension

    def is_bound(self, name) -> bool:
        return any(name in b for b in self.bound)

    def visit_Name(self, node):
        if isinstance(node.ctx, gast.Load) and not self.is_bound(node.id):
            n = self.n
            if node.id in n.local_fns:
                n.local_fn_as_value(node.id)
            if node.id in n.env:
                node.id = n.env[node.id]
            else:
                n._not_yet(node.id)
        return node

    def visit_Call(self, node):
        func = node.func
        if isinstance(func, gast.Name) and func.id in self.n.local_fns and not self.is_bound(func.id):
            if self.conditional or not self.inline:
                raise self.n.parsed.error(
                    f"cannot differentiate the call to `{func.id}` here: it is inlined where it is called, "
                    "and here (inside `and`/`or`, a conditional expression, a comprehension, a lambda or a "
                    "`while` test) it may run more or fewer times than once", self.n.current,
                    hint=f"assign `{func.id}(...)` to a name on its own line first.")
            return self.n.atom(node)
        return self.generic_visit(node)

    def _conditional(self, node):
        self.conditional += 1
        try:
            return self.generic_visit(node)
        finally:
            self.conditional -= 1

    def visit_BoolOp(self, node):
        node.values[0] = self.visit(node.values[0])   # the first operand always runs
        self.conditional += 1
        try:
            node.values[1:] = [self.visit(v) for v in node.values[1:]]
        finally:
            self.conditional -= 1
        return node

    visit_IfExp = _conditional

    def visit_Lambda(self, node):
        a = node.args
        a.defaults = [self.visit(d) for d in a.defaults]
        a.kw_defaults = [self.visit(d) if d is not None else None for d in a.kw_defaults]
        params = {p.id for p in a.posonlyargs + a.args + a.kwonlyargs}
        params |= {p.id for p in (a.vararg, a.kwarg) if p is not None}
        self.bound.append(params)
        self.conditional += 1
        try:
            node.body = self.visit(node.body)
        finally:
            self.bound.pop()
            self.conditional -= 1
        return node

    def _comprehension(self, node):
        self.bound.append(set())
        try:
            for k, gen in enumerate(node.generators):
                if k:
                    self.conditional += 1
                gen.iter = self.visit(gen.iter)   # the first iterable is read outside the comprehension
                if not k:
                    self.conditional += 1
                self.bound[-1] |= syntax.stored_names(gen.target)
                gen.ifs = [self.visit(c) for c in gen.ifs]
            for attr in ("elt", "key", "value"):
                if getattr(node, attr, None) is not None:
                    setattr(node, attr, self.visit(getattr(node, attr)))
        finally:
            self.conditional -= len(node.generators)
            self.bound.pop()
        return node

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension


def spread(call: gast.Call) -> gast.Call:
    """``f(*[a, b], **{"k": v})`` as ``f(a, b, k=v)``: the same call, with arguments we can bind."""
    args = []
    for a in call.args:
        if isinstance(a, gast.Starred) and isinstance(a.value, (gast.List, gast.Tuple)):
            args += a.value.elts
        else:
            args.append(a)
    keywords = []
    for k in call.keywords:
        value = k.value
        if (k.arg is None and isinstance(value, gast.Dict)
                and all(isinstance(key, gast.Constant) and isinstance(key.value, str) and key.value.isidentifier()
                        for key in value.keys)
                and len({key.value for key in value.keys}) == len(value.keys)):
            keywords += [gast.keyword(arg=key.value, value=v) for key, v in zip(value.keys, value.values)]
        else:
            keywords.append(k)
    if len(args) == len(call.args) and len(keywords) == len(call.keywords) and \
            all(a is b for a, b in zip(args, call.args)):
        return call
    return gast.copy_location(gast.Call(func=call.func, args=args, keywords=keywords), call)


def _index_label(index) -> str:
    """How a temporary for ``a[index]`` is named: ``params_w1``, ``theta_0``, ``x_t``, else ``x_i``."""
    if isinstance(index, gast.Constant):
        if isinstance(index.value, str) and index.value.isidentifier() and len(index.value) <= 12:
            return index.value
        if type(index.value) is int and 0 <= index.value < 1000:
            return str(index.value)
    if isinstance(index, gast.Name) and len(index.id) <= 3:
        return index.id
    return "i"
