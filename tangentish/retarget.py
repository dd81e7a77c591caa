"""Retarget: the same derivative on CuPy (a GPU) or dask arrays, by swapping the array namespace.

Generated code is written against NumPy.  For another target the module
source of a finished derivative (with the derivatives it calls) is rewritten:

* every name that refers to NumPy or one of its modules (``np``, ``numpy``,
  ``np.linalg`` under any alias) now refers to the target (``cp``,
  ``cp.linalg``), and a function imported from NumPy (``from numpy import
  exp``) becomes the target's (``cp.exp``);
* SciPy modules with a counterpart on the target (``cupyx.scipy.special``)
  are swapped too; the others are left alone;
* the runtime helpers are imported from the target's copy of the runtime
  (``tangentish.on_cupy``), the same helpers with ``np`` bound to CuPy.

The result is ordinary source, shown by ``.source`` and runnable on its own.
Arrays the user's function reads from globals or closures are used as they
are: put them on the device yourself (``cupy.asarray``).
"""
from __future__ import annotations

import ast
import importlib
import sys
import types
from dataclasses import dataclass
from typing import Dict, Optional

from .errors import TangentishError


@dataclass(frozen=True)
class Target:
    name: str
    alias: str                  # what the main module is called in generated code
    modules: Dict[str, str]     # NumPy/SciPy module -> the target's module
    runtime: str                # where generated code imports its helpers from
    install: str                # what to install when the library is missing


TARGETS = {
    "cupy": Target("cupy", "cp", {
        "numpy": "cupy", "numpy.linalg": "cupy.linalg", "numpy.fft": "cupy.fft",
        "numpy.random": "cupy.random", "scipy.special": "cupyx.scipy.special",
        "scipy.linalg": "cupyx.scipy.linalg",
    }, "tangentish.on_cupy", 'pip install "tangentish[cupy]" (CuPy needs a CUDA GPU)'),
    "dask": Target("dask", "da", {
        "numpy": "dask.array", "numpy.linalg": "dask.array.linalg", "numpy.fft": "dask.array.fft",
        "numpy.random": "dask.array.random",
    }, "tangentish.on_dask", 'pip install "tangentish[dask]"'),
}

_RUNTIME = "tangentish.runtime"


def target_named(name: Optional[str]) -> Optional[Target]:
    """The Target for ``target=name`` (None for NumPy), or a TangentishError naming the choices."""
    if name in (None, "numpy"):
        return None
    if name not in TARGETS:
        raise TangentishError(f"unknown target {name!r}; the targets are 'numpy', "
                              + ", ".join(repr(t) for t in TARGETS))
    target = TARGETS[name]
    main = target.modules["numpy"]
    try:
        importlib.import_module(main)
    except ImportError as e:
        raise TangentishError(f"target={name!r} needs {main}, which is not installed ({e}); "
                              f"{target.install}") from None
    return target


def retarget_source(source: str, namespace: Dict[str, object], target: Target) -> str:
    """``source`` (a generated module) rewritten to run on ``target``; see the module docstring.

    The rewrite edits the text in place (names at the positions the AST gives,
    import lines whole), so comments and layout stay as they were.
    """
    tree = ast.parse(source)
    lines = source.split("\n")
    imports: Dict[str, Optional[str]] = {}     # module -> the name it is imported as
    renamer = _Renamer(namespace, target, imports)
    dropped = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == _RUNTIME:
            lines[stmt.lineno - 1] = lines[stmt.lineno - 1].replace(_RUNTIME, target.runtime, 1)
        elif isinstance(stmt, ast.Import):
            kept = [a for a in stmt.names if _swap(a.name, target) is None]
            if len(kept) < len(stmt.names):
                lines[stmt.lineno - 1] = ast.unparse(ast.Import(names=kept)) if kept else ""
                dropped.add(stmt.lineno - 1)
        else:
            renamer.visit(stmt)
    for (row, col, end), text in sorted(renamer.edits.items(), reverse=True):
        line = lines[row - 1].encode("utf-8")      # AST columns count UTF-8 bytes (a name like σ is two)
        lines[row - 1] = (line[:col] + text.encode("utf-8") + line[end:]).decode("utf-8")
    head = [ast.unparse(ast.Import(names=[ast.alias(name=m, asname=a)])) for m, a in sorted(imports.items())]
    lines = head + [line for i, line in enumerate(lines) if not (i in dropped and not line)]
    return "\n".join(lines)


def _swap(module: str, target: Target) -> Optional[str]:
    return target.modules.get(module)


class _Renamer(ast.NodeVisitor):
    """Finds names bound to NumPy (or swapped SciPy) modules and functions; records the target's text."""

    def __init__(self, namespace: Dict[str, object], target: Target, imports: Dict[str, Optional[str]]):
        self.namespace, self.target, self.imports = namespace, target, imports
        self.local: set = set()
        self.edits: Dict[tuple, str] = {}    # (line, first column, end column) -> new text

    def visit_FunctionDef(self, node):
        saved = self.local
        self.local = saved | {a.arg for a in node.args.args + node.args.kwonlyargs} | {
            n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        self.generic_visit(node)
        self.local = saved

    def visit_Attribute(self, node):
        """``scipy.special`` written out (``import scipy.special``): swap the whole chain."""
        obj = self._resolve(node)
        if isinstance(obj, types.ModuleType):
            swapped = _swap(obj.__name__, self.target)
            if swapped is not None:
                self._edit(node, self._module_expr(swapped))
                return
        self.generic_visit(node)

    def _edit(self, node, replacement: ast.expr) -> None:
        if node.lineno == node.end_lineno:   # generated code keeps a name on one line
            self.edits[(node.lineno, node.col_offset, node.end_col_offset)] = ast.unparse(replacement)

    def _resolve(self, node):
        if isinstance(node, ast.Name):
            if node.id in self.local:
                return None
            return self.namespace.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self._resolve(node.value)
            return getattr(base, node.attr, None) if isinstance(base, types.ModuleType) else None
        return None

    def visit_Name(self, node):
        if not isinstance(node.ctx, ast.Load) or node.id in self.local:
            return
        replacement = self._reference(self.namespace.get(node.id))
        if replacement is not None:
            self._edit(node, replacement)

    def _reference(self, obj) -> Optional[ast.expr]:
        if isinstance(obj, types.ModuleType):
            swapped = _swap(obj.__name__, self.target)
            return None if swapped is None else self._module_expr(swapped)
        home = _numpy_home(obj)
        if home is None:
            return None
        module, name = home
        swapped = _swap(module, self.target)
        if swapped is None:
            return None
        return ast.Attribute(value=self._module_expr(swapped), attr=name, ctx=ast.Load())

    def _module_expr(self, module: str) -> ast.expr:
        """``cp`` for the target's main module, ``cp.linalg`` for its submodules, else the full path."""
        main = self.target.modules["numpy"]
        if module == main or module.startswith(main + "."):
            self.imports[main] = self.target.alias
            expr: ast.expr = ast.Name(id=self.target.alias, ctx=ast.Load())
            rest = module[len(main) + 1:].split(".") if module != main else []
        else:
            self.imports[module] = None
            expr = ast.Name(id=module.split(".")[0], ctx=ast.Load())
            rest = module.split(".")[1:]
        for part in rest:
            expr = ast.Attribute(value=expr, attr=part, ctx=ast.Load())
        return expr


def _numpy_home(obj):
    """(module, name) when ``obj`` is a public function of NumPy or of a SciPy module we swap."""
    name = getattr(obj, "__name__", None)
    if not isinstance(name, str) or isinstance(obj, (type, types.ModuleType)):
        return None
    for module in ("numpy", "numpy.linalg", "numpy.fft", "scipy.special", "scipy.linalg"):
        mod = sys.modules.get(module)
        if mod is not None and getattr(mod, name, None) is obj:
            return module, name
    return None
