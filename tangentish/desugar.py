"""Desugar: expressions and statements that hide other statements, normalized as those.

* ``a if c else b`` becomes an ``if`` statement assigning one name;
* a comprehension becomes a loop building a list (``terms_3 = [*terms_2, pow]``),
  so ``sum(f(x) for x in xs)`` is a loop and a builtin ``sum``;
* ``xs.append(v)`` on a local list becomes ``xs_2 = [*xs, v]``;
* a lambda or ``def`` of the function's own is inlined where it is called,
  its arguments bound to its parameters (closures just read the caller's names);
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


class Desugar:
    """Mixin of `normalize.Normalizer`."""

    def write_item(self, target, value):
        """``z[i] = v`` as ``z_2 = z.copy(); z_2[i] = v``: the old ``z`` stays readable."""
        if not isinstance(target.value, gast.Name):
            raise self.parsed.error(f"cannot differentiate a write into "
                                    f"`{syntax.to_source(target)}`", self.current,
                                    hint="index one local array: z[i, j] = v.")
        owner = target.value.id
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
        value = self.atom(call.args[0])
        old = self.load(owner)
        listed = gast.List(elts=[gast.Starred(value=old, ctx=gast.Load()), value], ctx=gast.Load())
        self.emit(syntax.assign(self.new_name(owner), listed))

    def inline(self, fn, call, hint: Optional[str]):
        """A lambda or def of the function's own, called here: its body, with arguments bound."""
        if id(fn) in self.inlining:
            raise self.parsed.error(f"cannot differentiate the recursive call to `{call.func.id}`",
                                    call, hint="write the recursion as a loop.")
        args = fn.args
        params = [a.id for a in args.args]
        defaults = dict(zip(params[len(params) - len(args.defaults):], args.defaults))
        if len(call.args) > len(params) or args.vararg or args.kwarg:
            raise self.parsed.error(f"cannot inline the call to `{call.func.id}`", call,
                                    hint="give it positional parameters only.")
        bound = dict(zip(params, call.args))
        bound.update({k.arg: k.value for k in call.keywords})
        values = {}
        for p in params:
            if p not in bound and p not in defaults:
                raise self.parsed.error(f"`{call.func.id}` is missing argument `{p}`", call)
            values[p] = self.atom(bound.get(p, defaults.get(p)))
        saved = dict(self.env)
        for p, v in values.items():
            if isinstance(v, gast.Name):
                self.env[p] = v.id
            else:
                self.emit(syntax.assign(self.new_name(p), v))
        self.inlining.add(id(fn))
        try:
            if isinstance(fn, gast.Lambda):
                result = self.atom(fn.body, hint)
            else:
                name = self.namer.fresh(hint or fn.name)
                body, checks = restructure(self.parsed, [syntax.copy_node(s) for s in fn.body],
                                           self.namer.fresh, lambda: name)
                self.break_checks |= checks
                body = self._returns_to(body, name)
                self.block(body, into=True)
                result = self.load(name)
        finally:
            self.inlining.discard(id(fn))
        self.env = saved
        return result

    def _returns_to(self, body, name):
        if body and isinstance(body[-1], gast.Return):
            value = body[-1].value if body[-1].value is not None else syntax.const(None)
            body = body[:-1] + [syntax.assign(name, value)]
        return body
