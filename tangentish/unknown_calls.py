"""Why a call has no derivative, said in terms of what the user wrote.

The reverse and forward passes meet the same dead end (a callable with neither
a rule nor source); this module words it once, by what the callee is: a
variable of the function (known only at run time), a C function, an object
with ``__call__``, a call with ``*args`` unpacking, or a name that is not
defined.  Rules missing from tangentish's own NumPy coverage are worded by
the passes themselves.
"""
from __future__ import annotations

import types
from typing import Tuple

import gast

from . import syntax
from .resolve import Op, Resolver

_RULE_HINT = ("mark it @tangentish.primitive and register a rule with @tangentish.{decorator}, or "
              "write it with NumPy functions tangentish knows (docs/primitives.md).")


def explain(op: Op, value, resolver: Resolver, decorator: str) -> Tuple[str, str]:
    """(message, hint) for the statement value ``value`` whose op has no derivative."""
    what = f"`{op.label}`" if op.label else "this expression"
    func = value.func if isinstance(value, gast.Call) else None
    if op.why == "library":
        return library_refusal(op, decorator)
    if op.why == "index":
        kind = type(op.key).__name__
        return (f"cannot differentiate through {what}: indexing a global {kind} object with the "
                "function's values runs its own `__getitem__`, which tangentish does not read "
                "(np.r_ and np.c_ of arrays and numbers are the index objects with rules)",
                "write the computation with functions that have rules (np.concatenate, np.stack, "
                "np.arange), or index an array.")
    if op.label.endswith("(*args/**kwargs)"):
        return (f"cannot differentiate the call {what}: arguments unpacked with * or ** cannot be "
                "matched to parameters before the call runs",
                "pass the arguments one by one (f(a, b) rather than f(*args)).")
    if isinstance(func, gast.Lambda):
        return ("cannot differentiate a lambda called where it is written",
                "assign it to a name first (sq = lambda y: y * y, then sq(x)): named lambdas are inlined.")
    if func is not None and resolver.is_local_value(func):
        root = func
        while isinstance(root, (gast.Attribute, gast.Subscript)):
            root = root.value
        message = (f"cannot differentiate through {what}: `{root.id}` is a variable of the function, "
                   "so which function it calls is known only when it runs (tangentish reads each "
                   "callee's source when it transforms)")
        if root.id in ("self", "cls"):
            method = func.attr if isinstance(func, gast.Attribute) and func.value is root else "__call__"
            return message, (f"call the method through its class, ClassName.{method}({root.id}, ...): "
                             "that names one function, whose source tangentish reads.")
        return message, ("call the function by its module-level name, or capture it in a closure "
                         "(def make_loss(g): def loss(x): return g(x) ...), which tangentish can read.")
    if func is not None and op.key is None and op.kind == "unknown":
        name = syntax.dotted_name(func)
        if name is not None:
            return (f"cannot differentiate through {what}: `{name}` is not defined where the function "
                    "was defined (no such global, closure variable or builtin)",
                    "define or import it at module level before differentiating.")
    key = op.key
    if isinstance(key, (types.BuiltinFunctionType, types.BuiltinMethodType)):
        return (f"cannot differentiate through {what}: it is a C function with no gradient rule "
                "(and no Python source to read)", _RULE_HINT.format(decorator=decorator))
    if key is not None and not isinstance(key, (type, types.FunctionType)) and callable(key):
        return (f"cannot differentiate through {what}: it is a {type(key).__name__} object, not a "
                "function tangentish can read",
                "call a Python function or method instead, or " + _RULE_HINT.format(decorator=decorator))
    return (f"cannot differentiate through {what}: it is not a Python function with source",
            _RULE_HINT.format(decorator=decorator))


def library_refusal(op: Op, decorator: str) -> Tuple[str, str]:
    """(message, hint) for a library function with no rule: its source is not read as user code."""
    from . import registry
    name = registry.display_name(op.key)
    what = f"`{op.label}`" if op.label else "this call"
    return (f"cannot differentiate through {what} ({name}): it is library code with no gradient rule, "
            "and tangentish does not differentiate a library's Python source as if it were yours "
            "(its internals, such as index objects and in-place writes, would give wrong numbers)",
            f"register a rule with @tangentish.{decorator}({name}) (see docs/primitives.md), or write "
            "the computation with NumPy functions tangentish knows.")
