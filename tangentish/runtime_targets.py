"""The runtime helpers on another array library: the same source, with ``np`` bound to it.

Code retargeted to CuPy or dask imports its helpers from ``tangentish.on_cupy``
or ``tangentish.on_dask``.  Those modules are ``tangentish.runtime`` and the
helper modules it re-exports, executed a second time from their own files in
a namespace where ``np`` is the target library.  So ``np.zeros`` in a helper
makes a GPU (or dask) array, ``isinstance(g, np.ndarray)`` asks about the
target's arrays, and no helper is written twice.

Like the rest of the runtime, this imports nothing of the transformer.
"""
from __future__ import annotations

import ast
import importlib
import os
import types
from typing import Dict

import numpy



def _parts(here: str) -> list:
    """The modules that make up ``tangentish.runtime``, in the order they must run.

    Read from ``runtime.py`` itself (``runtime`` first, then each module it
    star-imports, in its order), so a helper module added there is loaded here
    too: no second list to keep in step.
    """
    path = os.path.join(here, "runtime.py")
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    return ["runtime"] + [s.module for s in tree.body
                          if isinstance(s, ast.ImportFrom) and s.level == 1 and any(a.name == "*" for a in s.names)]

#: NumPy names the helpers use for dtypes, constants and shapes rather than to make or
#: compute arrays; taken from NumPy when the target library does not have them itself.
_FROM_NUMPY = frozenset({
    "dtype", "issubdtype", "result_type", "promote_types", "can_cast", "floating", "complexfloating",
    "integer", "signedinteger", "unsignedinteger", "number", "inexact", "generic", "bool_",
    "float16", "float32", "float64", "complex64", "complex128", "int32", "int64",
    "finfo", "iinfo", "ndim", "shape", "size", "pi", "e", "inf", "nan", "newaxis", "errstate",
    "iscomplexobj", "isrealobj", "isscalar", "ndarray",
})


class ArrayNamespace(types.ModuleType):
    """``np`` for the retargeted helpers: the target library, plus NumPy's dtype vocabulary."""

    def __init__(self, library: types.ModuleType):
        super().__init__(library.__name__)
        self.library = library

    def __getattr__(self, name: str):
        try:
            return getattr(self.library, name)
        except AttributeError:
            if name in _FROM_NUMPY:
                return getattr(numpy, name)
            raise AttributeError(f"{self.library.__name__} has no `{name}`, which a tangentish "
                                 f"runtime helper needs on this target") from None


_loaded: Dict[str, dict] = {}


def helpers_for(library: str, module_name: str) -> dict:
    """The runtime helpers with ``np`` bound to ``library`` (imported by name), as a namespace."""
    if library not in _loaded:
        ns = {"__name__": module_name, "np": ArrayNamespace(importlib.import_module(library))}
        here = os.path.dirname(os.path.abspath(__file__))
        for part in _parts(here):
            path = os.path.join(here, part + ".py")
            with open(path, encoding="utf-8") as f:
                tree = ast.parse(f.read(), path)
            tree.body = [s for s in tree.body if not _wiring(s)]
            exec(compile(tree, path, "exec"), ns)
        from . import runtime
        ns["__all__"] = list(runtime.__all__)
        _loaded[library] = ns
    return _loaded[library]


def _wiring(stmt: ast.stmt) -> bool:
    """Statements that tie the runtime modules to NumPy and to each other (all four share one namespace)."""
    if isinstance(stmt, ast.Import):
        return any(a.name == "numpy" for a in stmt.names)
    if isinstance(stmt, ast.ImportFrom):
        return stmt.level > 0 or stmt.module == "__future__"
    if isinstance(stmt, (ast.Assign, ast.AugAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        return any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets)
    return False
