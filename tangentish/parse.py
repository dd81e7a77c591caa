"""Parse: from a Python function object to a gast tree and the namespace it runs in.

Finds the source however the function was defined (module, nested function,
Jupyter cell, ``python file.py``, an inline ``lambda`` among others on its
line) and records where each node came from, so later errors point at the
user's line.  Decorators are dropped: we differentiate the function body.
"""
from __future__ import annotations

import ast
import builtins
import inspect
import linecache
import textwrap
import types
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional

import gast

from . import syntax
from .errors import TransformError


@dataclass
class Parsed:
    """A user function ready for normalization."""

    fn: Callable
    node: gast.FunctionDef
    filename: str
    line_offset: int            # file line = node.lineno + line_offset
    namespace: Dict[str, object] = field(default_factory=dict)
    is_lambda: bool = False

    @property
    def name(self) -> str:
        return self.node.name

    def where(self, node=None) -> dict:
        """``filename``/``lineno``/``function`` keywords for a TransformError at ``node``."""
        line = getattr(node, "lineno", None) if node is not None else None
        if line is None:
            line = self.node.lineno
        return dict(filename=self.filename, lineno=line + self.line_offset,
                    function=getattr(self.fn, "__name__", self.name))

    def error(self, message: str, node=None, hint: Optional[str] = None) -> TransformError:
        return TransformError(message, hint=hint, **self.where(node))


def parse(fn: Callable) -> Parsed:
    """Parse ``fn`` (a Python function, or a function tangentish generated)."""
    generated = getattr(fn, "__tangentish_generated__", None)
    if generated is not None:   # a tangentish derivative: differentiate the code it generated
        return parse(generated)
    if not isinstance(fn, types.FunctionType):
        raise _not_python(fn)
    code = fn.__code__
    filename = code.co_filename
    if getattr(fn, "__wrapped__", None) is not None:
        raise _wrapper(fn)
    try:
        lines, start = inspect.getsourcelines(fn)
    except (OSError, TypeError) as e:
        raise TransformError(
            f"cannot read the source of `{fn.__qualname__}` ({e})", filename=filename,
            lineno=code.co_firstlineno, function=fn.__name__,
            hint="tangentish reads source code: define the function in a file or a notebook "
                 "cell, not with exec() or an interactive prompt without history.") from None
    start = max(start, 1)
    source = textwrap.dedent("".join(lines))
    if fn.__name__ == "<lambda>":
        node = _find_lambda(fn, source, filename, start)
        is_lambda = True
    else:
        node = _parse_def(source, fn, filename, start)
        is_lambda = False
    node.decorator_list = []
    parsed = Parsed(fn=fn, node=node, filename=filename, line_offset=start - 1,
                    namespace=namespace_of(fn), is_lambda=is_lambda)
    return parsed


class Namespace(dict):
    """The user's names, remembering which ones the transformer read (``read``: name -> value).

    Those values shaped the derivative (``helper`` was inlined, ``ACT`` was
    np.tanh): if the user rebinds one, the derivative is stale.
    """

    def __init__(self, *args):
        super().__init__(*args)
        self.read: Dict[str, object] = {}

    def __getitem__(self, name):
        value = super().__getitem__(name)
        self.read.setdefault(name, value)
        return value

    def get(self, name, default=None):
        if name in self:
            return self[name]
        return default


def namespace_of(fn: Callable) -> Dict[str, object]:
    """The globals of ``fn`` overlaid with its closure's current values."""
    ns = Namespace(fn.__globals__)
    if fn.__closure__:
        for var, cell in zip(fn.__code__.co_freevars, fn.__closure__):
            try:
                ns[var] = cell.cell_contents
            except ValueError:  # cell not filled yet (a later-defined nested function)
                pass
    return ns


def _not_python(fn) -> TransformError:
    what = getattr(fn, "__name__", repr(fn))
    if isinstance(fn, (types.BuiltinFunctionType, types.BuiltinMethodType)) or getattr(builtins, what, None) is fn:
        kind = "a builtin"
    elif callable(fn) and not isinstance(fn, types.FunctionType):
        kind = f"a {type(fn).__name__} object, not a Python function"
    else:
        kind = "not a Python function"
    return TransformError(
        f"cannot differentiate `{what}`: it is {kind}, so there is no Python source to transform",
        hint="wrap it in a Python function (def f(x): return np.sin(x)), or register a rule for "
             "it with @tangentish.primitive and @tangentish.adjoint.")


def _wrapper(fn) -> TransformError:
    """A decorator replaced the function: its source is not the code that runs."""
    inner = fn.__wrapped__
    code = getattr(inner, "__code__", fn.__code__)
    return TransformError(
        f"cannot differentiate `{fn.__qualname__}`: a decorator replaced it with a wrapper "
        f"(`{fn.__code__.co_name}` in {fn.__code__.co_filename}), whose effect on the value "
        f"cannot be read from `{getattr(inner, '__name__', '?')}`'s source",
        filename=code.co_filename, lineno=code.co_firstlineno, function=fn.__name__,
        hint=f"differentiate the undecorated function: tangentish.grad({fn.__name__}.__wrapped__) "
             f"if the wrapper leaves the value unchanged, or drop the decorator.")


def _parse_def(source: str, fn, filename: str, start: int) -> gast.FunctionDef:
    try:
        module = gast.parse(source)
    except SyntaxError as e:
        raise TransformError(f"cannot parse the source of `{fn.__name__}`: {e.msg}",
                             filename=filename, lineno=start + (e.lineno or 1) - 1,
                             function=fn.__name__) from None
    code = fn.__code__
    for node in module.body:
        if isinstance(node, (gast.FunctionDef, gast.AsyncFunctionDef)) and node.name == code.co_name:
            if isinstance(node, gast.AsyncFunctionDef):
                raise TransformError("cannot differentiate an `async def` function", filename=filename,
                                     lineno=start, function=fn.__name__,
                                     hint="make it an ordinary def.")
            _check_matches_code(node, fn, filename, start)
            return node
    raise TransformError(f"found no definition of `{fn.__name__}` in its source", filename=filename,
                         lineno=start, function=fn.__name__)


def _check_matches_code(node: gast.FunctionDef, fn, filename: str, start: int) -> None:
    """The source must be the running function's: a file edited since import is not."""
    code = fn.__code__
    a = node.args
    written = [p.id for p in a.posonlyargs + a.args + a.kwonlyargs]
    running = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    if written != running:
        raise TransformError(
            f"the source of `{fn.__name__}` does not match the running function: it takes "
            f"({', '.join(running)}) but the source reads ({', '.join(written)})",
            filename=filename, lineno=start, function=fn.__name__,
            hint="the file was probably edited after it was imported: reload the module "
                 "(importlib.reload) or re-run the cell.")


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


def _find_lambda(fn, source: str, filename: str, start: int) -> gast.FunctionDef:
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

    def consts(c):
        return [k for k in c.co_consts if not isinstance(k, types.CodeType) and k is not None]

    return (mine.co_varnames[:mine.co_argcount] == code.co_varnames[:code.co_argcount]
            and set(mine.co_names) | set(mine.co_freevars) == set(code.co_names) | set(code.co_freevars)
            and consts(mine) == consts(code))


def register_source(filename: str, source: str) -> None:
    """Put generated source into linecache so tracebacks and inspect can read it."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
