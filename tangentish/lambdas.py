"""Lambdas: which ``lambda`` on a line is the function we were given, as a def.

``inspect`` gives a lambda's whole line (or the start of the statement it is
in), which may hold several lambdas and may be a fragment of a call spanning
lines.  We trim the text until it parses, keep the lambdas that start on the
function's first line, and pick the one whose compiled code matches: same
arguments, names and constants, then, to tell ``x - y`` from ``y - x``, the
same bytecode.  When two candidates still differ we refuse rather than guess.
"""
from __future__ import annotations

import ast
import re
import types

import gast

from . import syntax
from .bytecode import same_bytecode
from .errors import TransformError


def _candidate_sources(source: str):
    """The lambda's lines may be a fragment (inside a call spanning lines): trim until it parses.

    Returns the text that parses, or None.
    """
    lines = source.splitlines()
    for end in range(len(lines), 0, -1):
        text = "\n".join(lines[:end])
        for attempt in [text, "(" + text + "\n)", *_closers_trimmed(text)]:
            try:
                gast.parse(attempt)
            except SyntaxError:
                continue
            return attempt
    return None


def _closers_trimmed(text: str):
    """``text`` with trailing ``,`` and closing brackets of an enclosing call removed, one at a time."""
    text = text.rstrip()
    while text and text[-1] in ",)]}":
        text = text[:-1].rstrip()
        yield text


def find_lambda(fn, source: str, filename: str, start: int) -> gast.FunctionDef:
    """Pick the lambda on its line whose code matches ``fn``'s, and make it a def."""
    code = fn.__code__
    text = _candidate_sources(source)
    if text is None:
        raise TransformError("cannot parse the line that defines this lambda", filename=filename,
                             lineno=start, function="<lambda>",
                             hint="give the function a name with def.")
    lambdas = [n for n in gast.walk(gast.parse(text)) if isinstance(n, gast.Lambda)]
    on_line = [lam for lam in lambdas if lam.lineno + start - 1 == code.co_firstlineno] or lambdas
    matches = [lam for lam in on_line if _same_code(lam, code)]
    if len({syntax.to_source(m) for m in matches}) > 1:   # x - y and y - x: same names and constants
        matches = [lam for lam in matches if same_bytecode(lam, code, names=True)]
    # several identical lambdas on one line have the same derivative: any of them will do
    if not matches or len({syntax.to_source(m) for m in matches}) > 1:
        raise TransformError(
            "cannot tell which lambda on this line is the one to differentiate" if matches else
            "cannot find this lambda's source on its line", filename=filename,
            lineno=code.co_firstlineno, function="<lambda>",
            hint="give the function a name with def, or put each lambda on its own line.")
    lam = matches[0]
    node = gast.FunctionDef(name="<lambda>", args=lam.args, body=[gast.Return(value=lam.body)],
                            decorator_list=[], returns=None, type_comment=None, type_params=[])
    gast.copy_location(node, lam)
    node.body[0].lineno = lam.lineno
    return node


_NESTED_QUALNAME = re.compile(r"(^|\.)<(lambda|listcomp|setcomp|dictcomp|genexpr)>$")


def _same_code(lam: gast.Lambda, code) -> bool:
    """Does compiling ``lam`` give ``code``'s arguments, names and constants?

    Free variables compile as globals here, so names are compared as one set.
    """
    try:
        module = compile(ast.Expression(syntax.to_ast(lam)), "<lambda>", "eval")
    except SyntaxError:
        return False
    mine = next((c for c in module.co_consts if isinstance(c, types.CodeType)), None)
    if mine is None:
        return False

    def consts(c):   # before 3.11 a nested lambda's or comprehension's qualname is a constant too
        return [k for k in c.co_consts if not isinstance(k, types.CodeType) and k is not None
                and not (isinstance(k, str) and _NESTED_QUALNAME.search(k))]

    return (mine.co_varnames[:mine.co_argcount] == code.co_varnames[:code.co_argcount]
            and set(mine.co_names) | set(mine.co_freevars) == set(code.co_names) | set(code.co_freevars)
            and consts(mine) == consts(code))
