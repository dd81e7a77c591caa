"""Readable, collision-free names for everything the transformer introduces.

One `Namer` per generated function, seeded with every name already in use
(the user's, the namespace's, the helpers'), so a new name never shadows
anything.  Adjoints are ``d`` + name, tangents ``t`` + name, temporaries
are named after their primitive; collisions get ``_2``, ``_3``.  Asking twice
for the adjoint of the same variable gives the same answer.
"""
from __future__ import annotations

import builtins
import keyword
from collections.abc import Iterable
from typing import Dict, Set

OPERATOR_NAMES = {
    "Add": "add", "Sub": "diff", "Mult": "prod", "Div": "ratio", "Pow": "power",
    "MatMult": "matmul", "Mod": "mod", "FloorDiv": "quot", "USub": "neg", "UAdd": "pos",
}


#: temporaries named after a builtin would shadow it (``sum = np.sum(x)``): these read better
BUILTIN_TEMP_NAMES = {"sum": "total", "max": "largest", "min": "smallest", "abs": "magnitude",
                      "pow": "power", "round": "rounded", "len": "length", "divmod": "quot_rem"}


def temp_base(name: str) -> str:
    """The base name of a temporary holding the result of ``name(...)``: never a builtin's name."""
    if name in BUILTIN_TEMP_NAMES:
        return BUILTIN_TEMP_NAMES[name]
    if hasattr(builtins, name):
        return name + "_value"
    return name


class Namer:
    def __init__(self, taken: Iterable[str] = ()):
        self.taken: Set[str] = set(taken)
        self._adjoints: Dict[str, str] = {}
        self._tangents: Dict[str, str] = {}

    def reserve(self, names: Iterable[str]) -> None:
        self.taken.update(names)

    def fresh(self, base: str) -> str:
        base = _identifier(base)
        if base not in self.taken:
            self.taken.add(base)
            return base
        stem = base
        k = 2
        while f"{stem}_{k}" in self.taken:
            k += 1
        out = f"{stem}_{k}"
        self.taken.add(out)
        return out

    def adjoint(self, var: str) -> str:
        """``dx`` for ``x`` (always the same answer for the same variable)."""
        if var not in self._adjoints:
            self._adjoints[var] = self.fresh("d" + var)
        return self._adjoints[var]

    def tangent(self, var: str) -> str:
        if var not in self._tangents:
            self._tangents[var] = self.fresh("t" + var)
        return self._tangents[var]


def _identifier(text: str) -> str:
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in text).strip("_") or "v"
    if out[0].isdigit():
        out = "v" + out
    if keyword.iskeyword(out):
        out += "_"
    return out
