"""``import numpy as np`` inside the function body: bound once, when we transform.

Users import inside a function to keep a script self-contained.  An import
binds a name to a module (or to a module's attribute) and does the same thing
every time it runs, so we run it once at transform time, put the name in the
namespace the function's other names are looked up in, and drop the
statement: ``np.sin`` after ``import numpy as np`` in the body then resolves
like a module-level ``np``, and the generated module imports it at its top.
"""
from __future__ import annotations

import importlib

import gast

from . import syntax
from .parse import Parsed


def bind_import(stmt, parsed: Parsed) -> None:
    """Run ``stmt`` (an Import or ImportFrom) into ``parsed.namespace``, or raise TransformError."""
    if isinstance(stmt, gast.ImportFrom) and (stmt.level or any(a.name == "*" for a in stmt.names)):
        raise parsed.error("cannot differentiate a function with a relative or `*` import in its body",
                           stmt, hint="move the import to module level.")
    assigned = syntax.stored_names(parsed.node.body) | {a.id for a in parsed.node.args.args}
    bindings = {}
    for alias in stmt.names:
        bound = alias.asname or alias.name.split(".")[0]
        if bound in assigned:
            raise parsed.error(f"cannot differentiate a function that both imports and assigns `{bound}`",
                               stmt, hint="give the imported module a name of its own.")
        try:
            bindings[bound] = _imported(stmt, alias)
        except (ImportError, AttributeError) as e:
            raise parsed.error(f"the import in the function body fails: {e}", stmt,
                               hint="fix the import (it would fail when the function runs, too).") from None
    parsed.namespace.update(bindings)


def _imported(stmt, alias):
    """The object ``alias`` binds: what ``import a.b as c`` / ``import a.b`` / ``from a import b`` give."""
    if isinstance(stmt, gast.Import):
        module = importlib.import_module(alias.name)
        if alias.asname:
            return module
        return importlib.import_module(alias.name.split(".")[0])
    module = importlib.import_module(stmt.module)
    try:
        return getattr(module, alias.name)
    except AttributeError:   # a submodule not imported yet
        return importlib.import_module(f"{stmt.module}.{alias.name}")
