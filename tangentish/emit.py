"""Emit: generated functions -> readable source -> compiled functions.

The source starts with the imports it needs (``import numpy as np``,
``from tangentish.runtime import unbroadcast``), so it runs on its own once the
user's own names are defined.  It is registered with ``linecache`` under a
name like ``<tangentish: dloss_dw>``, so tracebacks through generated code
show the generated line and ``inspect.getsource`` works on it (which is what
lets ``grad(grad(f))`` parse generated code again).  The compiled code also
frees each temporary after its last use (see ``release``).
"""
from __future__ import annotations

import ast
import itertools
import re
import types
from dataclasses import dataclass
from typing import Dict, List

import gast

from . import runtime, syntax
from .parse import register_source
from .release import add_releases

_counter = itertools.count(1)
_COMMENT = re.compile(r"^(\s*)" + syntax.COMMENT + r"\('([^']*)'\)$", re.M)


@dataclass
class Emitted:
    source: str          # the whole generated module
    function: types.FunctionType
    filename: str
    namespace: dict
    user_refs: List[str]  # user globals the code reads (refreshed before calls)


def imports_for(fn: gast.FunctionDef, namespace: Dict[str, object]) -> List[str]:
    """Import lines for the modules and runtime helpers ``fn`` refers to."""
    free = syntax.loaded_names(fn) - syntax.stored_names(fn) - {a.id for a in fn.args.args}
    modules, helpers = [], []
    for name in sorted(free):
        obj = namespace.get(name)
        if isinstance(obj, types.ModuleType):
            real = obj.__name__
            modules.append(f"import {real}" if real == name else f"import {real} as {name}")
        elif obj is not None and getattr(runtime, name, None) is obj and name in runtime.__all__:
            helpers.append(name)
    lines = modules
    if helpers:
        lines.append(f"from tangentish.runtime import {', '.join(helpers)}")
    return lines


def function_source(fn: gast.FunctionDef) -> str:
    text = syntax.to_source(fn)
    return _COMMENT.sub(lambda m: f"{m.group(1)}# {m.group(2)}", text)


def emit(fn: gast.FunctionDef, namespace: Dict[str, object], bound: Dict[str, object],
         user_namespace: Dict[str, object], prelude: str = "") -> Emitted:
    """Compile ``fn`` in a namespace holding the user's names plus ``bound`` ones."""
    ns = dict(namespace)
    ns.update(bound)
    body = function_source(fn)
    header = "\n".join(imports_for(fn, ns))
    parts = [p for p in (header, prelude, body) if p]
    source = "\n\n\n".join(parts) + "\n"
    free = syntax.loaded_names(fn) - syntax.stored_names(fn)
    user_refs = sorted(n for n in free if n in user_namespace and n not in bound)
    return compile_source(source, fn.name, ns, user_refs)


def compile_source(source: str, name: str, ns: Dict[str, object], user_refs: List[str]) -> Emitted:
    """Register ``source`` with linecache, compile it (with releases) into ``ns``; function ``name``."""
    filename = f"<tangentish: {name} #{next(_counter)}>"
    register_source(filename, source)
    code = compile(add_releases(ast.parse(source, filename)), filename, "exec")
    exec(code, ns)
    return Emitted(source, ns[name], filename, ns, user_refs)
