"""Callables that are not plain Python functions, given a plain function to differentiate.

Users hand ``grad`` bound methods (``grad(model.loss)``), ``functools.partial``
objects, objects with ``__call__``, and NumPy/math functions that already have
a rule (``grad(np.sin)``).  None of these has source of its own, but each is
one call of something that does (or of a primitive with a rule).  So instead
of teaching every pass about them, we write that call as a tiny Python
function with source::

    def model_loss(x):                     # for grad(model.loss)
        return Model.loss(self, x)         # self: the model, read at call time

and differentiate it: the user's method becomes an ordinary callee (its own
derivative, its own source lines in errors), ``self`` an inactive constant,
and ``np.sin`` an ordinary primitive with a template.  The wrapper's source is
registered with linecache, so it reads like any other function in ``.source``
and in tracebacks.
"""
from __future__ import annotations

import functools
import inspect
import itertools
import math
import os
import sys
import sysconfig
import types
import weakref
from typing import Callable, Dict, List, Optional, Set

from . import registry
from .equivalents import hashable, numpy_equivalent
from .errors import TransformError

_counter = itertools.count(1)

#: library functions whose Python source tangentish may differentiate as if it were user code.
#: Empty on purpose: an entry needs a test proving that its source gives the right derivative
#: (tests/test_library_policy.py), because library code is full of what source transformation
#: misreads (index objects, ``np.asarray`` round trips, in-place writes, dispatch on types).
LIBRARY_SOURCE_ALLOWED: Set[Callable] = set()


def _library_roots() -> tuple:
    """Directories whose Python files are library code: the standard library, site-packages, NumPy, SciPy."""
    roots = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(os.path.realpath(path))
    for name in ("numpy", "scipy"):
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            roots.add(os.path.realpath(os.path.dirname(module.__file__)))
    roots.update(os.path.realpath(p) for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages"))
    return tuple(sorted(r.rstrip(os.sep) + os.sep for r in roots))


_LIBRARY_ROOTS = _library_roots()
_OWN_ROOT = os.path.realpath(os.path.dirname(os.path.abspath(__file__))) + os.sep


def is_library_file(filename: Optional[str]) -> bool:
    """Is ``filename`` a file of an installed library (stdlib, site-packages, NumPy, SciPy)?

    Decided by where the file lies, not by a list of names; tangentish's own files are not
    library code to it (its runtime helpers are differentiated by rules or by their source).
    """
    if not filename or filename.startswith("<"):
        return False
    path = os.path.realpath(filename)
    if path.startswith(_OWN_ROOT):
        return False
    return path.startswith(_LIBRARY_ROOTS)


def library_function(fn) -> bool:
    """Is ``fn`` a Python function (or method) defined in library code, not in the user's?"""
    target = fn.__func__ if isinstance(fn, types.MethodType) else fn
    code = getattr(target, "__code__", None)
    if code is not None and os.path.isabs(code.co_filename):
        return is_library_file(code.co_filename)
    # compiled (Cython) code names a relative .pyx: the module it belongs to says where it lies
    name = getattr(target, "__module__", None)
    if not name and isinstance(fn, types.MethodType):
        name = type(fn.__self__).__module__
    module = sys.modules.get(name or "")
    return module is not None and is_library_file(getattr(module, "__file__", None))


def source_policy(fn) -> str:
    """How a callable met in a user function gets its derivative (the library-source policy).

    ``"rule"``: a rule, zero derivative or reasoned refusal in the tables, directly or through an
    equivalence (``np.row_stack`` is ``np.vstack``); ``"allowed"``: library source on the proven
    allow-list `LIBRARY_SOURCE_ALLOWED`; ``"refused"``: a library function with none of those (a
    TransformError names it at the user's line); ``"source"``: the user's own Python code;
    ``"none"``: anything else (a C function or object without a rule: refused by the passes).
    """
    if has_rule(fn):
        return "rule"
    if hashable(fn) and fn in LIBRARY_SOURCE_ALLOWED:
        return "allowed"
    if isinstance(fn, (types.FunctionType, types.MethodType)):
        if library_function(fn):
            return "refused"
        target = fn.__func__ if isinstance(fn, types.MethodType) else fn
        return "source" if hasattr(target, "__code__") else "none"
    call = getattr(type(fn), "__call__", None)
    if isinstance(call, types.FunctionType) and not isinstance(fn, type):
        return "refused" if library_function(call) else "source"
    if isinstance(fn, functools.partial):
        return source_policy(fn.func)
    module = getattr(fn, "__module__", None) or type(fn).__module__ or ""
    if module.split(".")[0] in ("numpy", "scipy"):
        return "refused"
    return "none"


def as_function(fn: Callable) -> Optional[types.FunctionType]:
    """A Python function with source that calls ``fn``, or None when ``fn`` needs none.

    None for a plain user function (it is parsed as it is) and for callables
    we have nothing to say about (the caller reports those).
    """
    if hasattr(fn, "__tangentish_generated__"):   # grad(f) itself: parse reads the code it generated
        return None
    if isinstance(fn, types.FunctionType):
        return _primitive_call(fn) if has_rule(fn) else None
    if isinstance(fn, types.MethodType):
        return _method_call(fn)
    if isinstance(fn, functools.partial):
        return _partial_call(fn)
    if has_rule(fn):
        return _primitive_call(fn)
    call = getattr(type(fn), "__call__", None)
    if isinstance(call, types.FunctionType) and not isinstance(fn, type):
        return _method_call(types.MethodType(call, fn))
    return None


#: wrappers made for callables met inside user functions, so each is transformed once
_made: weakref.WeakValueDictionary[tuple, types.FunctionType] = weakref.WeakValueDictionary()


def callee_function(obj) -> Optional[types.FunctionType]:
    """The wrapper for a method, partial or callable object that a user function calls, or None.

    The same object (a bound method is made anew at each attribute access, so
    it is keyed by function and receiver) gives the same wrapper, so its
    derivative is cached like any callee's.  NumPy's and SciPy's own callable
    objects (``np.vectorize``) are left to the caller's error.
    """
    if isinstance(obj, (type, types.FunctionType)) or not callable(obj):
        return None
    if type(obj).__module__.split(".")[0] in ("numpy", "scipy") or source_policy(obj) == "refused":
        return None
    key = (id(obj.__func__), id(obj.__self__)) if isinstance(obj, types.MethodType) else (id(obj),)
    wrapper = _made.get(key)
    if wrapper is None:
        try:
            wrapper = as_function(obj)
        except TransformError:   # *args and the like: the caller explains the call it cannot follow
            return None
        if wrapper is None:
            return None
        _made[key] = wrapper
    return wrapper


def user_site(wrapper) -> Optional[dict]:
    """``filename``/``lineno``/``function`` of the user function a wrapper calls, for run-time errors.

    A "returns a vector" error about ``grad(model.loss)`` should point at
    ``def loss``, not at the one-line wrapper.  None for anything else.
    """
    target = getattr(wrapper, "__tangentish_calls__", None)
    while isinstance(target, functools.partial):
        target = target.func
    if isinstance(target, types.MethodType):
        target = target.__func__
    elif target is not None and not isinstance(target, types.FunctionType):
        target = getattr(type(target), "__call__", None)
    if not isinstance(target, types.FunctionType) or has_rule(target):
        return None
    code = target.__code__
    return dict(filename=code.co_filename, lineno=code.co_firstlineno, function=target.__name__)


def has_rule(fn) -> bool:
    """Does ``fn`` differentiate by its entry in the rule tables rather than by its source?

    A rule, a zero derivative (``np.round``; not ``len``, whose "gradient"
    would only hide a mistake) or a refusal with its reason
    (``np.linalg.eig``): never NumPy's own source.
    """
    if not hashable(fn):
        return False
    key = numpy_equivalent(fn)
    return (key in registry.REVERSE or key in registry.FORWARD or key in registry.PRIMITIVES
            or key in registry.UNSUPPORTED
            or (key in registry.NONDIFF and getattr(key, "__module__", None) != "builtins"))


def _method_call(method: types.MethodType) -> Optional[types.FunctionType]:
    func, owner = method.__func__, method.__self__
    if not isinstance(func, types.FunctionType):
        return None
    cls = owner if isinstance(owner, type) else type(owner)
    receiver = cls.__name__ if owner is cls else "self"
    ns: Dict[str, object] = {receiver: owner}
    if getattr(cls, func.__name__, None) is func and cls.__name__.isidentifier():
        ns[cls.__name__] = cls
        callee = f"{cls.__name__}.{func.__name__}"
    else:   # a classmethod, or a function stored under another name
        callee = _bind(ns, func.__name__ + "_function", func)
    label = cls.__name__.lower()
    name = label if func.__name__ == "__call__" else f"{label}_{func.__name__}"
    if name == cls.__name__:
        name += "_call"
    kind = "classmethod" if owner is cls else "bound method"
    return _write(name, method, func, callee, [receiver], {}, ns, f"{cls.__name__}.{func.__name__} ({kind})")


def _partial_call(p: functools.partial) -> Optional[types.FunctionType]:
    func = p.func
    if not isinstance(func, types.FunctionType) or has_rule(func):
        func = as_function(func) or func
    if not (isinstance(func, types.FunctionType) or hasattr(func, "__tangentish_generated__")):
        return None
    ns: Dict[str, object] = {}
    callee = _bind(ns, func.__name__, func)
    fixed = [_bind(ns, f"{func.__name__}_arg{i}", v) for i, v in enumerate(p.args)]
    keywords = {k: _bind(ns, f"{k}_value", v) for k, v in p.keywords.items()}
    bound = [repr(v) if type(v) in (int, float, bool, str) else "..." for v in p.args]
    bound += [f"{k}={v!r}" if type(v) in (int, float, bool, str) else f"{k}=..." for k, v in p.keywords.items()]
    return _write(f"{func.__name__}_partial", p, func, callee, fixed, keywords, ns,
                  f"functools.partial({', '.join([func.__name__] + bound)})")


def _primitive_call(fn: Callable) -> types.FunctionType:
    ns: Dict[str, object] = {}
    spelled = _spelling(fn, ns)
    name = getattr(fn, "__name__", "primitive")
    return _write(name if name.isidentifier() else "primitive", fn, fn, spelled, [], {}, ns, spelled,
                  required_only=True)


def _spelling(fn: Callable, ns: Dict[str, object]) -> str:
    """``np.sin``, ``math.exp``, ``scipy.special.expit``: the dotted name a user would write."""
    dotted = registry.display_name(fn)
    root, _, rest = dotted.partition(".")
    module = sys.modules.get("numpy" if root == "np" else root)
    if rest and module is not None:
        obj = module
        for part in rest.split("."):
            obj = getattr(obj, part, None)
        if obj is fn:
            ns[root] = module
            return dotted
    return _bind(ns, getattr(fn, "__name__", "primitive") + "_primitive", fn)


def _bind(ns: Dict[str, object], name: str, value) -> str:
    """Put ``value`` in ``ns`` under ``name`` (made unique); the name, or the literal it is."""
    if type(value) in (bool, int, str, type(None)) or (type(value) is float and math.isfinite(value)):
        return repr(value)
    while name in ns:
        name += "_"
    ns[name] = value
    return name


def _parameters(fn: Callable, what: Callable, required_only: bool) -> Optional[List[inspect.Parameter]]:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        nin = getattr(fn, "nin", None)   # a ufunc on a NumPy without text signatures
        if nin is None:
            return None
        names = ["x"] if nin == 1 else [f"x{i + 1}" for i in range(nin)]
        return [inspect.Parameter(n, inspect.Parameter.POSITIONAL_ONLY) for n in names]
    out = []
    for p in signature.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or (p.kind == p.KEYWORD_ONLY and p.default is p.empty):
            code = getattr(what, "__code__", None)
            raise TransformError(
                f"cannot differentiate `{getattr(what, '__qualname__', what)}`: it takes "
                f"{'*' if p.kind == p.VAR_POSITIONAL else '**' if p.kind == p.VAR_KEYWORD else ''}"
                f"{p.name}{' (keyword-only, no default)' if p.kind == p.KEYWORD_ONLY else ''}",
                filename=getattr(code, "co_filename", None), lineno=getattr(code, "co_firstlineno", None),
                function=getattr(what, "__name__", None),
                hint="list the parameters explicitly, or wrap the call in a def that does.")
        if p.kind == p.KEYWORD_ONLY:
            continue   # keeps its default (or the value a partial gave it)
        if required_only and p.default is not p.empty:
            break
        out.append(p)
    return out


def _write(name: str, fn: Callable, what: Callable, callee: str, fixed: List[str],
           keywords: Dict[str, str], ns: Dict[str, object], shown: str, required_only: bool = False):
    """Compile ``def name(params): return callee(*fixed, *params, **keywords)`` with source."""
    params = _parameters(fn, what, required_only)
    if params is None:
        return None
    taken = set(ns) | set(keywords)
    if any(p.name in taken or not p.name.isidentifier() for p in params):
        return None
    written, defaults = [], []
    for p in params:
        if p.default is p.empty:
            written.append(p.name)
        else:
            written.append(f"{p.name}={_bind(ns, p.name + '_default', p.default)}")
            defaults.append(p.default)
    arguments = fixed + [p.name for p in params] + [f"{k}={v}" for k, v in keywords.items()]
    source = (f"def {name}({', '.join(written)}):\n"
              f"    return {callee}({', '.join(arguments)})\n")
    filename = f"<tangentish: call of {getattr(what, '__qualname__', name)} #{next(_counter)}>"
    from .parse import register_source  # parse calls this module: import at use, not at load
    register_source(filename, source)
    scope: Dict[str, object] = {}
    exec(compile(source, filename, "exec"), ns, scope)
    wrapper = scope[name]
    wrapper.__defaults__ = tuple(defaults) or None
    wrapper.__tangentish_calls__ = fn
    wrapper.__tangentish_shown__ = shown
    return wrapper
