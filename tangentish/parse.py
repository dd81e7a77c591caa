"""Parse: from a Python function object to a gast tree and the namespace it runs in.

Finds the source however the function was defined (module, nested function,
Jupyter cell, ``python file.py``, an inline ``lambda`` among others on its
line) and records where each node came from, so later errors point at the
user's line.  Decorators are dropped: we differentiate the function body.
"""
from __future__ import annotations

import builtins
import inspect
import linecache
import textwrap
import types
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional

import gast

from . import callables, registry
from .bytecode import same_bytecode
from .defaults import bind_defaults
from .errors import TransformError
from .lambdas import find_lambda


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

    @property
    def shown_name(self) -> str:
        """How messages name the function: ``Model.loss (bound method)`` for a wrapper we wrote."""
        return getattr(self.fn, "__tangentish_shown__", None) or self.name

    def where(self, node=None) -> dict:
        """``filename``/``lineno``/``function`` keywords for a TransformError at ``node``."""
        if node is None:
            site = callables.user_site(self.fn)   # a wrapper we wrote: point at the user's def
            if site is not None:
                return site
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
    wrapper = callables.as_function(fn)   # a bound method, partial, np.sin, ...: one call of it
    if wrapper is not None:
        return parse(wrapper)
    if not isinstance(fn, types.FunctionType):
        raise _not_python(fn)
    if callables.source_policy(fn) == "refused":
        raise _library(fn)
    code = fn.__code__
    filename = code.co_filename
    if getattr(fn, "__wrapped__", None) is not None:
        raise _wrapper(fn)
    try:
        lines, start = inspect.getsourcelines(fn)
    except (OSError, TypeError) as e:
        raise TransformError(
            f"cannot read the source of `{fn.__qualname__}` ({e}{_no_source_because(filename)})",
            filename=filename, lineno=code.co_firstlineno, function=fn.__name__,
            hint=_NO_SOURCE_HINT) from None
    start = max(start, 1)
    source = textwrap.dedent("".join(lines))
    if fn.__name__ == "<lambda>":
        node = find_lambda(fn, source, filename, start)
        is_lambda = True
    else:
        node = _parse_def(source, fn, filename, start)
        is_lambda = False
    node.decorator_list = []
    _mangle_private_names(node, fn)
    namespace = namespace_of(fn)
    if not bind_defaults(node, fn, namespace):
        raise _edited(fn, filename, start, "default values")
    parsed = Parsed(fn=fn, node=node, filename=filename, line_offset=start - 1,
                    namespace=namespace, is_lambda=is_lambda)
    return parsed


_NO_SOURCE_HINT = ("tangentish reads source code: define the function in a .py file or a notebook "
                   "cell (python -c, piped stdin, exec() of a string and the plain python prompt "
                   "keep no source).")


def _no_source_because(filename: str) -> str:
    """Why a function compiled from ``filename`` has no readable source, when we can tell."""
    return {"<string>": ": it was compiled from a string (python -c or exec)",
            "<stdin>": ": it was typed at the prompt or piped to python"}.get(filename, "")


def _mangle_private_names(node: gast.FunctionDef, fn) -> None:
    """Write ``self.__w`` in a method of ``C`` as Python ran it: ``self._C__w``.

    Python mangles ``__name`` inside a class body when it compiles; the
    generated derivative is compiled outside any class, where ``self.__w``
    would look up another attribute (an AttributeError at best).
    """
    parts = fn.__qualname__.split(".")[:-1]
    classes = [p for i, p in enumerate(parts)   # a name not followed by <locals> is a class
               if p != "<locals>" and (i + 1 == len(parts) or parts[i + 1] != "<locals>")]
    owner = classes[-1].lstrip("_") if classes else ""
    if not owner:
        return

    def mangled(name: str) -> str:
        return f"_{owner}{name}" if name.startswith("__") and not name.endswith("__") else name
    for n in gast.walk(node):
        if isinstance(n, gast.Attribute):
            n.attr = mangled(n.attr)
        elif isinstance(n, gast.Name):
            n.id = mangled(n.id)


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
    module = getattr(fn, "__module__", None) or type(fn).__module__ or ""
    if module.split(".")[0] in ("numpy", "scipy"):
        hint = (f"tangentish has no gradient rule for it: register one with @tangentish.adjoint"
                f"({registry.display_name(fn)}), or compute it from supported functions "
                "(docs/primitives.md).")
    elif getattr(fn, "__wrapped__", None) is not None:   # functools.lru_cache and other wrappers
        hint = (f"differentiate the function it wraps: tangentish.grad({what}.__wrapped__), if the "
                "wrapper leaves the value unchanged.")
    else:
        hint = ("wrap it in a Python function (def f(x): return np.sin(x)), or register a rule for "
                "it with @tangentish.primitive and @tangentish.adjoint.")
    return TransformError(
        f"cannot differentiate `{what}`: it is {kind}, so there is no Python source to transform",
        hint=hint)


def _library(fn) -> TransformError:
    """A library's Python function without a rule: its source is not the user's to transform."""
    name = registry.display_name(fn)
    return TransformError(
        f"cannot differentiate `{name}`: it is library code ({fn.__code__.co_filename}) with no "
        "gradient rule, and tangentish does not differentiate a library's Python source as if it "
        "were yours", hint=f"register a rule with @tangentish.adjoint({name}) (docs/primitives.md), "
                           "or write the computation with NumPy functions tangentish knows.")


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
    if filename.startswith("<") and filename.endswith(">"):
        # a pseudo-file (<string>, <stdin>): the text Python keeps under that name is another
        # program's (Python 3.13 keeps the `python -c` command as <string>, which is also the name
        # of every exec() of a string), so this function's own source is not there to read
        raise TransformError(
            f"cannot read the source of `{fn.__qualname__}` (the text kept for {filename} is not its "
            f"definition{_no_source_because(filename)})",
            filename=filename, function=fn.__name__,   # no line: it would quote the other program
            hint=_NO_SOURCE_HINT)
    raise TransformError(f"found no definition of `{fn.__name__}` in its source", filename=filename,
                         lineno=start, function=fn.__name__)


def _check_matches_code(node: gast.FunctionDef, fn, filename: str, start: int) -> None:
    """The source must be the running function's: a file edited since import, or another
    ``<string>`` (exec, python -c) at the same line, is not."""
    code = fn.__code__
    a = node.args
    written = [p.id for p in a.posonlyargs + a.args + a.kwonlyargs]
    running = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    if written != running:
        raise _edited(fn, filename, start, f"parameters: it takes ({', '.join(running)}) but the "
                                           f"source reads ({', '.join(written)})")
    # code we generated is compiled with `del`s of spent temporaries its shown source leaves out
    if not filename.startswith("<tangentish") and not same_bytecode(node, code):
        raise _edited(fn, filename, start, "code (the text found at its file and line compiles to "
                                           "other instructions)")


def _edited(fn, filename: str, start: int, what: str) -> TransformError:
    return TransformError(
        f"the source of `{fn.__name__}` does not match the running function's {what}",
        filename=filename, lineno=start, function=fn.__name__,
        hint="the file was probably edited after it was imported: reload the module "
             "(importlib.reload) or re-run the cell.")


def register_source(filename: str, source: str) -> None:
    """Put generated source into linecache so tracebacks and inspect can read it."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
