"""Parameter defaults as the running function holds them, not as its source spells them.

A default is evaluated once, where the ``def`` runs: ``def f(x, k=k)`` inside
a loop keeps each pass's ``k``, and ``def f(x, n=n)`` inside another function
reads a variable that is no closure cell of ``f``.  Re-evaluating the source's
expression in the function's globals would give the last ``k`` (a silently
wrong derivative) or a NameError, so each default is replaced by the value
``fn.__defaults__`` holds: written out when it is a plain literal, else bound
to a name (``f_default``) in the namespace the generated code runs in.
"""
from __future__ import annotations

import math
from typing import Callable, Dict

import gast

from . import syntax

_LITERALS = (bool, int, float, complex, str, bytes, type(None))


def bind_defaults(node: gast.FunctionDef, fn: Callable, namespace: Dict[str, object]) -> bool:
    """Rewrite ``node``'s positional defaults to ``fn``'s values; False if their count differs."""
    written = node.args.defaults
    values = getattr(fn, "__defaults__", None) or ()
    if len(written) != len(values):
        return False
    if not values:
        return True
    params = [a.id for a in node.args.posonlyargs + node.args.args][-len(values):]
    taken = syntax.names_in(node) | set(namespace)
    bound = []
    for param, value in zip(params, values):
        literal = _literal(value)
        if literal is None:
            name = param + "_default"
            while name in taken:
                name += "_"
            taken.add(name)
            namespace[name] = value
            literal = syntax.name(name)
        bound.append(gast.copy_location(literal, written[len(bound)]))
    node.args.defaults = bound
    return True


def _literal(value):
    """A node spelling ``value`` exactly, or None when it is not a plain literal."""
    if isinstance(value, tuple) and type(value) is tuple:
        items = [_literal(v) for v in value]
        return None if any(i is None for i in items) else syntax.tuple_(items)
    if type(value) not in _LITERALS:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, complex) and not (math.isfinite(value.real) and math.isfinite(value.imag)):
        return None
    return syntax.const(value)
