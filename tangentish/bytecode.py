"""Does this source compile to the code that runs?  The last word on "is this the function?".

``inspect`` finds source by file name and first line.  That is a guess where
the name is shared or the file changed: every ``exec`` of a string and (from
Python 3.13) ``python -c`` are all ``<string>``, and a module edited after
import still reads as the new text.  Differentiating that text would give the
derivative of some other function, so we compile the node we found the way
the running function was compiled -- inside a function that declares its free
variables, with its ``__future__`` flags -- and compare bytecode.
"""
from __future__ import annotations
import __future__

import ast
import dis
import types
from typing import Optional

from . import syntax

_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag


def compiled_like(node, code: types.CodeType) -> Optional[types.CodeType]:
    """The code object of ``node`` (a gast FunctionDef or Lambda) compiled as ``code`` was, or None."""
    inner = syntax.to_ast(node)
    if isinstance(inner, ast.Lambda):
        inner = ast.Return(value=inner)
    cells = [ast.Assign(targets=[ast.Name(id=v, ctx=ast.Store())], value=ast.Constant(value=None))
             for v in code.co_freevars]
    if isinstance(inner, ast.FunctionDef) and inner.name not in code.co_freevars:
        cells.insert(0, ast.Global(names=[inner.name]))   # a module-level def calling itself: a global
    outer = ast.FunctionDef(name="enclosing", args=ast.arguments(
        posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
        body=cells + [inner] + ([ast.Return(value=ast.Constant(value=None))] if not cells else []),
        decorator_list=[], returns=None, type_params=[])
    tree = ast.fix_missing_locations(ast.Module(body=[outer], type_ignores=[]))
    try:
        module = compile(tree, code.co_filename, "exec", flags=code.co_flags & _FUTURE_FLAGS,
                         dont_inherit=True)
    except (SyntaxError, TypeError, ValueError):
        return None
    enclosing = next(c for c in module.co_consts if isinstance(c, types.CodeType))
    return next((c for c in enclosing.co_consts if isinstance(c, types.CodeType)), None)


def same_bytecode(node, code: types.CodeType, names: bool = False) -> bool:
    """Does ``node`` compile to ``code``'s instructions (and, with ``names``, its name tables)?

    Instructions are compared by what they do with which name or constant
    (`_steps`), not byte for byte: the same text compiles to ``LOAD_METHOD``
    or ``LOAD_ATTR`` depending on whether the module imported the name.
    Name tables tell ``a - b`` from ``b - a`` in lambdas; they are left out
    for defs because a method's ``self.__x`` is mangled by its class.
    """
    if any(n.startswith("@py_assert") for n in code.co_varnames + code.co_names):
        return True   # pytest rewrote this module's asserts: its code is not its text's
    mine = compiled_like(node, code)
    if mine is None:
        return False
    if names and not all(getattr(mine, f) == getattr(code, f) for f in ("co_names", "co_varnames")):
        return False
    return _steps(mine) == _steps(code)


#: instructions whose presence depends on how a call or attribute was compiled, not on the text
_INCIDENTAL = {"CACHE", "NOP", "EXTENDED_ARG", "RESUME", "PUSH_NULL", "PRECALL", "KW_NAMES",
               "COPY_FREE_VARS", "MAKE_CELL"}
_SAME = {"LOAD_METHOD": "LOAD_ATTR", "CALL_METHOD": "CALL", "CALL_FUNCTION": "CALL",
         "CALL_FUNCTION_KW": "CALL_KW", "LOAD_FAST_CHECK": "LOAD_FAST",
         "LOAD_FAST_AND_CLEAR": "LOAD_FAST", "RETURN_CONST": "RETURN_VALUE"}


def _steps(code: types.CodeType) -> list:
    """(operation, name/constant/operator) pairs of ``code``; jump offsets and call plumbing left out."""
    out = []
    for ins in dis.get_instructions(code):
        if ins.opname in _INCIDENTAL:
            continue
        op = _SAME.get(ins.opname, ins.opname)
        if "JUMP" in op or op.startswith("POP_JUMP") or op in ("FOR_ITER", "SEND", "SETUP_FINALLY"):
            out.append((op.split("_")[0], None))
        elif isinstance(ins.argval, types.CodeType):
            out.append((op, ins.argval.co_name))
        elif op == "RETURN_VALUE":
            out.append((op, None))
        elif op.startswith("CALL"):
            out.append(("CALL", None))
        elif isinstance(ins.argval, str) and "<locals>." in ins.argval:
            # before 3.11 a nested def's qualname is a constant: C.f.<locals>.inner vs f.<locals>.inner
            out.append((op, ins.argval.rsplit("<locals>.", 1)[1]))
        else:
            out.append((op, ins.argval if isinstance(ins.argval, (str, int, float, complex, bytes,
                                                                   tuple, frozenset, type(None)))
                        else repr(ins.argval)))
    return out
