"""Desugar: expressions and statements that hide other statements, normalized as those.

* ``a if c else b`` becomes an ``if`` statement assigning one name;
* a comprehension becomes a loop building a list (``terms_3 = [*terms_2, pow]``),
  so ``sum(f(x) for x in xs)`` is a loop and a builtin ``sum``;
* ``xs.append(v)`` on a local list becomes ``xs_2 = [*xs, v]``;
* a lambda or ``def`` of the function's own is inlined where it is called,
  its arguments bound to its parameters as Python binds them (keyword-only,
  positional-only, defaults evaluated where the ``def`` ran); its body reads
  the scope it was defined in, at the time of the call.  Used as a value
  (``fs = [inner]``, ``return inner``, ``minimize_scalar(inner)``) or bound
  to different functions on different paths, it is refused at the line;
* ``z[i] = v`` becomes ``z_2 = z.copy(); z_2[i] = v``, so the old ``z`` stays
  readable for the backward sweep (refused if another variable may share ``z``);
* a method of a frozen scipy.stats distribution, ``st.norm(mu, s).logpdf(x)``
  (or ``dist.logpdf(x)`` after ``dist = st.norm(mu, s)``), becomes the
  distribution's own method, ``st.norm.logpdf(x, mu, s)``, which has a rule.
"""
from __future__ import annotations

from typing import Optional

import gast

from . import syntax
from .restructure import restructure


class LocalFn:
    """A ``def`` or lambda of the function's own: what inlining a call of it needs."""

    def __init__(self, node, level, defaults=None):
        self.node = node                  # the FunctionDef or Lambda; None: different ones on different paths
        self.level = level                # how many inlined calls deep it was defined
        self.defaults = defaults or {}    # parameter -> atom, evaluated where the def ran

    def ambiguous(self) -> "LocalFn":
        return LocalFn(None, self.level)


class Desugar:
    """Mixin of `normalize.Normalizer`."""

    def write_item(self, target, value):
        """``z[i] = v`` as ``z_2 = z.copy(); z_2[i] = v``: the old ``z`` stays readable."""
        if not isinstance(target.value, gast.Name):
            raise self.parsed.error(f"cannot differentiate a write into "
                                    f"`{syntax.to_source(target)}`", self.current,
                                    hint="index one local array: z[i, j] = v.")
        owner = target.value.id
        self.not_borrowed(owner, f"a write into `{owner}`", f"{owner} = {owner}.copy() first")
        if self.env.get(owner) in self.params and owner in self.params:
            raise self.parsed.error(f"cannot differentiate a write into the argument `{owner}`: "
                                    "it would change the caller's array in place", self.current,
                                    hint=f"work on a copy: {owner} = {owner}.copy().")
        if owner not in self.env:
            raise self.parsed.error(f"cannot write into `{owner}`: it is not a local variable",
                                    self.current, hint="pass it in as an argument.")
        if self.aliases.may_share(owner):
            raise self.parsed.error(f"cannot differentiate a write into `{owner}`: it may share its "
                                    "array with another variable, which would change too", self.current,
                                    hint=f"write into a copy: {owner} = {owner}.copy().")
        self.aliases.fresh(owner)
        value = self.atom(value)
        index = self.rename(target.slice)
        old = self.load(owner)
        new = self.new_name(owner)
        copy = gast.Call(func=gast.Attribute(value=old, attr="copy", ctx=gast.Load()), args=[], keywords=[])
        self.emit(syntax.assign(new, copy))
        self.emit(syntax.assign_to(gast.Subscript(value=syntax.name(new), slice=index, ctx=gast.Store()),
                                   value))

    # -- frozen distributions ------------------------------------------------------
    def is_distribution(self, func) -> bool:
        """Does ``func`` name a scipy.stats distribution (``st.norm``), whose call freezes it?"""
        dotted = syntax.dotted_name(func)
        if dotted is None or dotted.split(".")[0] in self.env:
            return False
        obj = self.parsed.namespace.get(dotted.split(".")[0])
        for part in dotted.split(".")[1:]:
            obj = getattr(obj, part, None)
        return callable(getattr(obj, "freeze", None)) and type(obj).__module__.startswith("scipy.stats")

    def thaw(self, call) -> Optional[gast.Call]:
        """``st.norm(mu, s).logpdf(x)`` or ``dist.logpdf(x)`` as ``st.norm.logpdf(x, mu, s)``, or None.

        A frozen distribution's method takes the freezing arguments after its own.
        """
        func = call.func
        if not isinstance(func, gast.Attribute):
            return None
        receiver = func.value
        if isinstance(receiver, gast.Call) and self.is_distribution(receiver.func):
            frozen, args, keywords = receiver, [self.arg(a) for a in receiver.args], receiver.keywords
        elif isinstance(receiver, gast.Name) and receiver.id in self.frozen and \
                self.env.get(receiver.id) == self.frozen[receiver.id][0]:
            frozen = self.frozen[receiver.id][1]
            args, keywords = list(frozen.args), frozen.keywords   # atoms already, named when frozen
        else:
            return None
        keywords = [gast.keyword(arg=k.arg, value=self.arg(k.value) if frozen is receiver else k.value)
                    for k in keywords]
        own = [self.arg(a) for a in call.args]
        own_keywords = [gast.keyword(arg=k.arg, value=self.arg(k.value)) for k in call.keywords]
        method = gast.Attribute(value=syntax.copy_node(frozen.func), attr=func.attr, ctx=gast.Load())
        return gast.Call(func=method, args=own + args, keywords=own_keywords + keywords)

    # -- expressions that are statements in disguise ----------------------------
    def if_expression(self, expr, hint: Optional[str]):
        """``a if c else b`` as an if statement assigning one name."""
        user = self.namer.fresh(hint or "choice")
        stmt = gast.If(test=expr.test, body=[syntax.assign(user, expr.body)],
                       orelse=[syntax.assign(user, expr.orelse)])
        self.visit_If(stmt)
        return self.load(user)

    def comprehension(self, expr, hint: Optional[str]):
        """``[e for x in xs if c]`` as a loop that builds the list."""
        if any(g.is_async for g in expr.generators):
            raise self.parsed.error("cannot differentiate an async comprehension", self.current)
        user = self.namer.fresh("terms")
        inner = [gast.Expr(value=gast.Call(
            func=gast.Attribute(value=syntax.name(user), attr="append", ctx=gast.Load()),
            args=[expr.elt], keywords=[]))]
        for gen in reversed(expr.generators):
            for cond in reversed(gen.ifs):
                inner = [gast.If(test=cond, body=inner, orelse=[])]
            inner = [gast.For(target=gen.target, iter=gen.iter, body=inner, orelse=[], type_comment=None)]
        saved = dict(self.env)
        self.visit_Assign(syntax.assign(user, gast.List(elts=[], ctx=gast.Load())))
        self.block(inner, into=True)
        result = self.load(user)
        self.env = saved
        return result

    def append(self, stmt, call):
        """``xs.append(v)`` on a local list as ``xs_2 = [*xs, v]``."""
        owner = call.func.value.id
        if len(call.args) != 1 or call.keywords:
            raise self.parsed.error("append() takes one argument", stmt)
        self.not_borrowed(owner, f"`{owner}.append(...)`", f"{owner} = [*{owner}, value]")
        if owner in self.aliases.shared:
            raise self.parsed.error(f"cannot differentiate `{owner}.append(...)`: `{owner}` may share its list "
                                    "with another variable, which would change too", self.current,
                                    hint=f"build a new list instead: {owner} = [*{owner}, value].")
        value = self.atom(call.args[0])
        old = self.load(owner)
        listed = gast.List(elts=[gast.Starred(value=old, ctx=gast.Load()), value], ctx=gast.Load())
        self.emit(syntax.assign(self.new_name(owner), listed))

    def not_borrowed(self, user_name: str, what: str, fix: str) -> None:
        """Refuse an in-place change, inside an inlined call, of a value the caller can see.

        The inlined body works on the caller's objects (its arguments, the
        enclosing function's variables); our copy-and-write would leave the
        caller's unchanged, where Python changes them.
        """
        if self.scopes and self.env.get(user_name) in self.borrowed[-1]:
            raise self.parsed.error(
                f"cannot differentiate {what} inside the inlined function `{self.inlined[-1]}`: "
                f"`{user_name}` is its argument or a variable of the function that calls it, and Python "
                "would change the caller's value in place, which the derivative would not see",
                self.current, hint=f"work on a copy ({fix}) and return the result.")

    # -- functions of the function's own ------------------------------------------
    def define_local(self, name: str, node) -> None:
        """``def g(...)`` or ``g = lambda ...``: remembered to inline where called.

        Default values are evaluated here, as Python does when it runs the
        ``def``; the body is read where it is called, in the scope it was
        defined in.
        """
        args = node.args
        params = [a.id for a in args.posonlyargs + args.args]
        defaults = {}
        for p, d in zip(params[len(params) - len(args.defaults):], args.defaults):
            defaults[p] = self.atom(d)
        for a, d in zip(args.kwonlyargs, args.kw_defaults):
            if d is not None:
                defaults[a.id] = self.atom(d)
        self.env.pop(name, None)   # the name now holds the function, not the variable it held
        self.local_fns[name] = LocalFn(node, len(self.scopes), defaults)

    def local_fn(self, name: str):
        """The function of our own ``name`` holds here, or None; refused where that depends on the path."""
        fn = self.local_fns.get(name)
        if fn is not None and fn.node is None:
            raise self.parsed.error(
                f"cannot differentiate the call to `{name}`: `{name}` is defined differently on different "
                "paths through the function (in a branch or a loop), so which body runs is decided at run time",
                self.current, hint=f"define `{name}` once, before any branch or loop, and choose inside it.")
        return fn

    def local_fn_as_value(self, name: str) -> None:
        """``fs = [inner]``, ``return inner``, ``minimize_scalar(inner)``: refused, naming it."""
        fn = self.local_fns.get(name)
        if fn is None:
            return
        what = "lambda" if isinstance(fn.node, gast.Lambda) else "function"
        raise self.parsed.error(
            f"cannot differentiate `{name}` used as a value: tangentish inlines the {what} `{name}` defined "
            "inside the function where it is called directly, and a derivative cannot follow it into a "
            "list, a dict, a return value or another function's argument", self.current,
            hint=f"call `{name}(...)` directly, or define it at module level so it is an ordinary function.")

    def join_local_fns(self, before, paths) -> None:
        """After a branch or a loop: a name bound to different functions on different paths is ambiguous.

        ``before``: the functions before it; ``paths``: after each way through
        it (the branches; no iteration and some iterations).
        """
        joined = {}
        for name in set().union(*paths):
            entries = [p.get(name) for p in paths]
            nodes = {id(e.node) if e is not None else None for e in entries}
            if name not in before:
                nodes.discard(None)   # defined on one path only: the other would fail in Python too
            if nodes == {None}:
                continue
            known = [e for e in entries if e is not None]
            if len(nodes) == 1 and None not in nodes:
                joined[name] = known[0]
            else:
                joined[name] = known[0].ambiguous()
        self.local_fns = joined

    def loop_local_fns(self, user_body) -> None:
        """A loop body that rebinds a function of ours: before that, each iteration sees another one."""
        rebound = set()
        for n in gast.walk(gast.Module(body=list(user_body), type_ignores=[])):
            if isinstance(n, gast.FunctionDef):
                rebound.add(n.name)
            elif isinstance(n, (gast.Assign, gast.AugAssign, gast.AnnAssign, gast.For)):
                targets = n.targets if isinstance(n, gast.Assign) else [n.target]
                rebound |= syntax.stored_names(targets)
        for name in rebound & set(self.local_fns):
            self.local_fns[name] = self.local_fns[name].ambiguous()

    def inline(self, fn, call, hint: Optional[str]):
        """A lambda or def of the function's own, called here: its body, with arguments bound."""
        name_called = call.func.id
        node = fn.node
        if id(node) in self.inlining:
            raise self.parsed.error(f"cannot differentiate the recursive call to `{name_called}`",
                                    call, hint="write the recursion as a loop.")
        args = node.args
        params = [a.id for a in args.posonlyargs + args.args]
        keyword_only = [a.id for a in args.kwonlyargs]
        positional_only = {a.id for a in args.posonlyargs}
        if len(call.args) > len(params) or args.vararg or args.kwarg or \
                any(isinstance(a, gast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            raise self.parsed.error(f"cannot inline the call to `{name_called}`", call,
                                    hint="give it plain parameters and call it with plain arguments.")
        for k in call.keywords:
            if k.arg in params[:len(call.args)] or k.arg in positional_only or k.arg not in params + keyword_only \
                    or sum(j.arg == k.arg for j in call.keywords) > 1:
                raise self.parsed.error(f"`{name_called}` got an unexpected or repeated argument `{k.arg}`",
                                        call)
        # arguments are evaluated in the caller's scope, in the order written
        values = dict(zip(params, [self.atom(a) for a in call.args]))
        values.update({k.arg: self.atom(k.value) for k in call.keywords})
        for p in params + keyword_only:
            if p not in values:
                if p not in fn.defaults:
                    raise self.parsed.error(f"`{name_called}` is missing argument `{p}`", call)
                values[p] = fn.defaults[p]
        saved, saved_fns = dict(self.env), dict(self.local_fns)
        saved_frozen = dict(self.frozen)
        if fn.level < len(self.scopes):   # the body reads the scope it was defined in, not the caller's
            self.env, self.local_fns = dict(self.scopes[fn.level][0]), dict(self.scopes[fn.level][1])
        self.scopes.append((saved, saved_fns))
        for p, v in values.items():
            self.local_fns.pop(p, None)
            if isinstance(v, gast.Name):
                self.env[p] = v.id
            else:
                self.emit(syntax.assign(self.new_name(p), v))
        self.borrowed.append(set(self.env.values()))
        self.inlined.append(name_called)
        self.inlining.add(id(node))
        try:
            if isinstance(node, gast.Lambda):
                result = self.atom(node.body, hint)
            else:
                name = self.namer.fresh(hint or node.name)
                body, checks = restructure(self.parsed, [syntax.copy_node(s) for s in node.body],
                                           self.namer.fresh, lambda: name)
                self.break_checks |= checks
                body = self._returns_to(body, name)
                self.block(body, into=True)
                result = self.load(name)
        finally:
            self.inlining.discard(id(node))
            self.scopes.pop()
            self.borrowed.pop()
            self.inlined.pop()
        self.env, self.local_fns, self.frozen = saved, saved_fns, saved_frozen
        return result

    def _returns_to(self, body, name):
        if body and isinstance(body[-1], gast.Return):
            value = body[-1].value if body[-1].value is not None else syntax.const(None)
            body = body[:-1] + [syntax.assign(name, value)]
        return body
