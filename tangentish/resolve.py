"""Resolve: what callable does a normalized expression apply, and to which arguments?

Operators, method calls and attributes all map to one key in the rule tables,
so ``x.sum(axis=0)``, ``np.sum(x, axis=0)`` and ``sum`` imported from numpy
share one template, while the generated forward sweep keeps the user's spelling.
"""
from __future__ import annotations

import builtins
import inspect
import operator
import types
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set

import gast
import numpy as np

from . import callables, registry, runtime, syntax
from .equivalents import hashable, numpy_equivalent

BINOPS = {
    gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
    gast.Div: operator.truediv, gast.Pow: operator.pow, gast.MatMult: operator.matmul,
    gast.Mod: operator.mod, gast.FloorDiv: operator.floordiv,
    gast.BitAnd: operator.and_, gast.BitOr: operator.or_, gast.BitXor: operator.xor,
    gast.LShift: operator.lshift, gast.RShift: operator.rshift,
}
UNARYOPS = {gast.USub: operator.neg, gast.UAdd: operator.pos, gast.Not: operator.not_,
            gast.Invert: operator.invert}

#: methods whose function has another name, or lives in the runtime (``.astype`` on any NumPy)
METHOD_FUNCTIONS = {"flatten": np.ravel, "conj": np.conjugate, "conjugate": np.conjugate,
                    "astype": runtime.astype, "item": runtime.item}
#: methods taking ``*shape``/``*axes``/``*index`` where the function takes one tuple
VARARG_METHODS = {"reshape", "transpose", "item"}
#: attributes that are differentiable functions of the array
ARRAY_ATTRIBUTES = {"T": np.transpose, "mT": runtime.mT, "real": np.real, "imag": np.imag}
#: array attributes with no rule (a namedtuple field is read with the getattr rule instead)
UNRULED_ATTRIBUTES = {"flat", "base", "ctypes", "data", "device"}
#: conversions that cast when given a dtype: ``np.asarray(x, float)`` is ``x.astype(float)``
CASTING_CONVERSIONS = {np.array, np.asarray, np.asanyarray}
#: scalar types called as conversions: ``np.float64(x)`` is ``x.astype(np.float64)``
SCALAR_TYPES = {np.float64, np.float32, np.float16, np.longdouble}
#: attributes that carry no derivative
INERT_ATTRIBUTES = {"shape", "size", "ndim", "dtype", "itemsize", "nbytes", "strides", "flags"}
#: global values whose items are plain data: ``TABLE[i]`` is a constant of the function
PLAIN_DATA = (np.ndarray, np.generic, list, tuple, dict, str, bytes, int, float, complex, range, type(None))
#: index objects that join arrays -> the runtime function with their rule (``np.r_[items]``)
INDEX_JOINS = {id(np.r_): runtime.r_items, id(np.c_): runtime.c_items}


def index_join_key(obj):
    """The rule key of an index object that joins arrays (``np.r_``, ``np.c_``), else None."""
    key = INDEX_JOINS.get(id(obj))
    if key is not None and obj is (np.r_ if key is runtime.r_items else np.c_):
        return key
    return None


@dataclass
class Op:
    """One primitive application: ``key(*args, **kwargs)``, spelled ``label`` by the user."""

    kind: str                    # "rule", "user", "nondiff", "copy", "literal", "unknown"
    key: object = None
    args: List[gast.AST] = field(default_factory=list)
    kwargs: Dict[str, gast.AST] = field(default_factory=dict)
    label: str = ""
    why: str = ""                # "library": a library function without a rule (refused)


def is_function_like(obj) -> bool:
    return isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, np.ufunc)) or callable(obj)


class Resolver:
    """Looks names up in the user's namespace; ``locals`` are the function's variables."""

    def __init__(self, namespace: Dict[str, object], locals_: Set[str]):
        self.namespace = namespace
        self.locals = locals_

    def lookup(self, node) -> object:
        """The Python object a global expression (``np.linalg.inv``) denotes, or None."""
        if isinstance(node, gast.Name):
            if node.id in self.locals:
                return None
            if node.id in self.namespace:
                return self.namespace[node.id]
            return getattr(builtins, node.id, None)
        if isinstance(node, gast.Attribute):
            base = self.lookup(node.value)
            if base is None:
                return None
            return getattr(base, node.attr, None)
        return None

    def is_local_value(self, node) -> bool:
        """Is ``node`` rooted in a local variable (so ``.attr`` is an array method)?"""
        while isinstance(node, (gast.Attribute, gast.Subscript)):
            node = node.value
        return isinstance(node, gast.Name) and node.id in self.locals

    def op_of(self, expr) -> Op:
        """Classify the right-hand side of a normalized assignment."""
        if isinstance(expr, gast.Name):
            return Op("copy", args=[expr], label=expr.id) if expr.id in self.locals else Op("literal")
        if isinstance(expr, gast.Constant):
            return Op("literal")
        if isinstance(expr, gast.BinOp):
            return self._rule(BINOPS[type(expr.op)], [expr.left, expr.right], {}, _op_label(expr.op))
        if isinstance(expr, gast.UnaryOp):
            return self._rule(UNARYOPS[type(expr.op)], [expr.operand], {}, _op_label(expr.op))
        if isinstance(expr, (gast.Compare, gast.BoolOp)):
            return Op("nondiff", label="comparison")
        if isinstance(expr, gast.JoinedStr):
            return Op("nondiff", label="f-string")
        if isinstance(expr, gast.Subscript):
            if not self.is_local_value(expr.value):
                return self._global_index(expr)
            return self._rule(operator.getitem, [expr.value, expr.slice], {}, "indexing")
        if isinstance(expr, gast.Attribute):
            if not self.is_local_value(expr.value):
                return Op("literal")
            if expr.attr in INERT_ATTRIBUTES:
                return Op("nondiff", label="." + expr.attr)
            if expr.attr in ARRAY_ATTRIBUTES:
                return self._rule(ARRAY_ATTRIBUTES[expr.attr], [expr.value], {}, "." + expr.attr)
            if expr.attr in UNRULED_ATTRIBUTES:
                return Op("unknown", label="." + expr.attr)
            # a field of a namedtuple (or another record): structural, like params["W"]
            return self._rule(getattr, [expr.value, syntax.const(expr.attr)], {}, "." + expr.attr)
        if isinstance(expr, gast.Call):
            return self._call(expr)
        if isinstance(expr, (gast.Tuple, gast.List, gast.Dict)):
            return Op("container", label=type(expr).__name__.lower())
        return Op("unknown", label=type(expr).__name__)

    def _global_index(self, expr: gast.Subscript) -> Op:
        """``np.r_[items]`` joins arrays (a rule); ``TABLE[i]`` of global data is a constant.

        Any other global object indexed with the function's values (``np.s_[x]``,
        ``np.mgrid[0:n]``, an object with its own ``__getitem__``) runs code
        tangentish does not read: refused when a derivative flows through it.
        """
        label = (syntax.dotted_name(expr.value) or "global") + "[...]"
        obj = self.lookup(expr.value)
        key = index_join_key(obj)
        if key is not None and isinstance(expr.slice, gast.Name):
            return self._rule(key, [expr.slice], {}, label)
        if not (syntax.loaded_names(expr.slice) & self.locals) or isinstance(obj, PLAIN_DATA):
            return Op("literal")
        return Op("unknown", obj, [expr.slice], {}, label, why="index")

    def _call(self, call: gast.Call) -> Op:
        kwargs = {k.arg: k.value for k in call.keywords if k.arg is not None}
        if any(k.arg is None for k in call.keywords) or any(isinstance(a, gast.Starred) for a in call.args):
            return Op("unknown", label=syntax.to_source(call.func) + "(*args/**kwargs)")
        func = call.func
        if isinstance(func, gast.Attribute) and self.is_local_value(func.value):
            return self._method(func.value, func.attr, list(call.args), kwargs)
        obj = self.lookup(func)
        label = syntax.to_source(func)
        if obj is None:
            return Op("unknown", label=label)
        obj = numpy_equivalent(obj, len(call.args) + len(kwargs))
        if obj is np.arange and (len(call.args) + len(kwargs) == 1 or "dtype" in kwargs):
            # arange(stop) counts 0, 1, ...: constant wherever it has a derivative (its rule is for start, step);
            # with a dtype the values may be rounded: a zero derivative only if integer, else refused
            if len(call.args) + len(kwargs) == 1:
                return Op("nondiff", obj, list(call.args), kwargs, label)
            return Op("unknown", obj, list(call.args), kwargs, label + "(..., dtype=...)")
        if obj in (builtins.max, builtins.min) and len(call.args) == 2 and not kwargs:
            obj = np.maximum if obj is builtins.max else np.minimum
        if callable(getattr(obj, "freeze", None)) and type(obj).__module__.startswith("scipy.stats"):
            # freezing a distribution: its methods read the arguments instead (desugar.thaw)
            return Op("nondiff", obj, list(call.args), kwargs, label)
        if hashable(obj) and obj in SCALAR_TYPES and len(call.args) == 1 and not kwargs:
            return self._rule(runtime.astype, [call.args[0], func], {}, label)
        if hashable(obj) and obj in CASTING_CONVERSIONS and (len(call.args) > 1 or "dtype" in kwargs):
            return self._rule(runtime.astype, list(call.args), kwargs, label)
        return self._rule(obj, list(call.args), kwargs, label)

    def _method(self, receiver, method: str, args, kwargs) -> Op:
        label = "." + method
        if method in VARARG_METHODS and (len(args) > 1 or (len(args) == 1 and isinstance(args[0], gast.Constant)
                                                           and method != "item")):
            args = [syntax.tuple_(args)]
        fn = METHOD_FUNCTIONS.get(method) or getattr(np, method, None)
        if fn is None:
            return Op("unknown", label=label)
        return self._rule(fn, [receiver] + args, kwargs, label)

    def _rule(self, key, args, kwargs, label) -> Op:
        if hashable(key):
            if key in registry.PRIMITIVES or key in registry.REVERSE or key in registry.FORWARD:
                return Op("rule", key, args, kwargs, label)
            if key in registry.NONDIFF:
                return Op("nondiff", key, args, kwargs, label)
        if isinstance(key, type) and key in (int, bool, str, range, len, type, isinstance):
            return Op("nondiff", key, args, kwargs, label)
        if hasattr(key, "__tangentish_generated__"):
            return Op("user", key, args, kwargs, label)
        policy = callables.source_policy(key)
        if policy == "refused":   # library code without a rule: never read as if the user wrote it
            return Op("unknown", key, args, kwargs, label, why="library")
        if isinstance(key, types.FunctionType):
            return Op("user", key, args, kwargs, label)
        wrapper = callables.callee_function(key)   # model.loss(x), partial(f, a=1)(x), layer(x)
        if wrapper is not None:
            return Op("user", wrapper, args, kwargs, label)
        return Op("unknown", key, args, kwargs, label)


def bound_arguments(fn, args, kwargs) -> Optional[List[tuple]]:
    """``[(parameter name, argument node)]`` of a call to user function ``fn``, in parameter order.

    Lets a derivative be taken with respect to an argument passed by keyword
    (generated code passes seeds that way: ``dinner_dz(z, dinner=ds)``).  None
    when ``fn``'s signature cannot bind the call as written.
    """
    target = getattr(fn, "__tangentish_generated__", None) if hasattr(type(fn), "__tangentish_generated__") \
        else fn
    try:
        bound = inspect.signature(target).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return None
    return [(name, node) for name, node in bound.arguments.items() if isinstance(node, gast.AST)]


def _op_label(op) -> str:
    return {gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/", gast.Pow: "**",
            gast.MatMult: "@", gast.Mod: "%", gast.FloorDiv: "//", gast.USub: "unary -",
            gast.UAdd: "unary +", gast.Not: "not", gast.Invert: "~"}.get(type(op), type(op).__name__)
