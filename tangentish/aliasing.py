"""Aliasing: which user variables may share an array with another.

Normalization turns ``z[i] = v`` into ``z_2 = z.copy(); z_2[i] = v`` and
``h += b`` into ``h_2 = h + b``.  That is exactly Python's meaning unless some
other variable holds the same array (``w = z``, ``row = A[0]``, an element of
a list): then Python's in-place update shows through the other name and ours
would not, and the derivative would be of a different function.  So we track,
conservatively and per user name, which variables may be shared, and refuse
an in-place update of one with a TransformError and a hint (copy it first).
"""
from __future__ import annotations

from typing import Iterable, Optional, Set

import gast
import numpy as np

from . import syntax

#: calls that may return (a view of) their first argument
VIEW_FUNCTIONS = {"reshape", "ravel", "transpose", "squeeze", "expand_dims", "asarray", "view",
                  "swapaxes", "moveaxis", "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_to",
                  "real", "imag", "diagonal", "asanyarray"}


#: calls that always return a new array
ALLOCATING = {"copy", "array", "zeros", "zeros_like", "ones", "ones_like", "empty", "empty_like",
              "full", "full_like", "arange", "linspace", "unindex", "unassign", "one_like"}


#: NumPy functions that write into an argument: as a bare statement their effect is invisible
#: to the derivative, so they are refused (a silent zero gradient otherwise)
IN_PLACE_FUNCTIONS = {np.copyto: "np.copyto", np.fill_diagonal: "np.fill_diagonal", np.put: "np.put",
                      np.place: "np.place", np.putmask: "np.putmask",
                      getattr(np, "put_along_axis", None): "np.put_along_axis"}
IN_PLACE_HINTS = {
    "np.fill_diagonal": "build the matrix instead: A = A + np.diag(values).",
    "np.copyto": "assign the new array to a name: A = np.array(values).",
    "ufunc.at": "accumulate with a new array instead, e.g. z = z + np.bincount(index, weights=v, "
                "minlength=len(z)), or a loop of z[i] += v[k].",
    "out=": "assign the result to a name instead: y = np.exp(x).",
}


def in_place_call(call, namespace) -> Optional[str]:
    """What in ``call`` (a bare statement) writes into an argument: ``"np.fill_diagonal"``, ``"out="``..."""
    if not isinstance(call, gast.Call):
        return None
    if any(k.arg == "out" for k in call.keywords):
        return "out="
    func = call.func
    if isinstance(func, gast.Attribute) and func.attr == "at" and isinstance(_lookup(func.value, namespace),
                                                                             np.ufunc):
        return "ufunc.at"
    obj = _lookup(func, namespace)
    try:
        return IN_PLACE_FUNCTIONS.get(obj)
    except TypeError:   # unhashable
        return None


def _lookup(node, namespace):
    if isinstance(node, gast.Name):
        return namespace.get(node.id)
    if isinstance(node, gast.Attribute):
        base = _lookup(node.value, namespace)
        return None if base is None else getattr(base, node.attr, None)
    return None


class Aliases:
    def __init__(self, params: Iterable[str]):
        self.params = set(params)
        self.shared: Set[str] = set()     # user names that may share memory with another local
        self.callers: Set[str] = set(params)   # names still holding the caller's array (x, not x = x.copy())

    def _roots(self, expr, locals_) -> Set[str]:
        """Local names whose memory ``expr``'s value may be (part of)."""
        if isinstance(expr, gast.Name):
            return {expr.id} & locals_
        if isinstance(expr, (gast.Subscript, gast.Attribute)):
            return self._roots(expr.value, locals_)
        if isinstance(expr, gast.Starred):
            return self._roots(expr.value, locals_)
        if isinstance(expr, (gast.Tuple, gast.List)):
            return set().union(*[self._roots(e, locals_) for e in expr.elts]) if expr.elts else set()
        if isinstance(expr, gast.Dict):
            return set().union(*[self._roots(v, locals_) for v in expr.values]) if expr.values else set()
        if isinstance(expr, gast.IfExp):
            return self._roots(expr.body, locals_) | self._roots(expr.orelse, locals_)
        if isinstance(expr, gast.Call):
            func = expr.func
            name = func.attr if isinstance(func, gast.Attribute) else getattr(func, "id", "")
            if name in ALLOCATING:
                return set()
            if name in VIEW_FUNCTIONS:
                roots = set()
                if isinstance(func, gast.Attribute):
                    roots |= self._roots(func.value, locals_)
                if expr.args:
                    roots |= self._roots(expr.args[0], locals_)
                return roots
            if isinstance(func, gast.Name) and func.id not in ("len", "float", "int", "range", "sum",
                                                               "abs", "min", "max"):
                # a function of the user's may hand back one of its arguments
                if not isinstance(func, gast.Attribute):
                    return set().union(*[self._roots(a, locals_) for a in expr.args]) if expr.args else set()
        return set()

    def assigned(self, targets: Set[str], value, locals_: Set[str]) -> None:
        """``targets = value`` was just normalized; ``locals_`` are the user's local names."""
        self.callers -= targets
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Name) and \
                value.func.id in ("dict", "list") and len(value.args) == 1 and not value.keywords:
            value = gast.List(elts=[value.args[0]], ctx=gast.Load())   # dict(params): a new container
        if isinstance(value, (gast.List, gast.Tuple, gast.Dict)):
            # a new container: the container is its own, but it now holds its elements too
            self.shared |= self._roots(value, set(locals_) | self.params)
            self.shared -= targets
            return
        roots = self._roots(value, set(locals_) | self.params)
        if roots:
            self.shared |= targets | (roots - self.params)
            if roots & self.params:
                self.shared |= targets
        else:
            self.shared -= targets

    def fresh(self, name: str) -> None:
        """``name`` now holds an array of its own (after our copy-and-write)."""
        self.shared.discard(name)

    def in_loop(self, body, locals_: Set[str]) -> None:
        """Names a loop body makes shared are shared from its first iteration on."""
        for stmt in body:
            for n in gast.walk(stmt):
                if isinstance(n, gast.Assign):
                    targets = syntax.stored_names(n.targets)
                    roots = self._roots(n.value, set(locals_) | self.params | targets)
                    if roots:
                        self.shared |= targets | (roots - self.params)
                elif isinstance(n, gast.For):
                    self.shared |= syntax.stored_names(n.target)

    def may_share(self, name: str) -> bool:
        return name in self.shared or name in self.callers
