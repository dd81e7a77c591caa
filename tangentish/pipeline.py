"""The pipeline, end to end: parse -> fence -> normalize -> reverse/forward -> optimize -> emit.

Each step is its own module; this one only calls them in order and caches the
result.  Calls to other user functions are differentiated by the same
pipeline, recursively, and reused.
"""
from __future__ import annotations

import types
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

import gast

from . import callables, fence, forward, optimize, retarget, reverse, templates
from . import emit as emit_pass
from .cache import cached
from .normalize import normalize
from .parse import parse

_MISSING = object()
_RUNTIME_IMPORT = "from tangentish.runtime import "


@dataclass
class Derivative:
    """A compiled derivative function and everything needed to show or re-read it."""

    name: str
    function: types.FunctionType
    source: str                  # this function's own module source
    seed: Optional[str]          # name of the seed parameter (vjp) or variable
    emitted: emit_pass.Emitted
    user_fn: Callable
    callees: List[Derivative] = field(default_factory=list)
    _refresh: List[Tuple[str, object, object]] = field(default_factory=list)
    #: where run-time errors about the result point: the user's ``return`` line
    where: Dict[str, object] = field(default_factory=dict)
    tangents: List[str] = field(default_factory=list)   # forward mode: the tangent parameters
    keyword_only: bool = False                           # ... and whether they are keyword-only
    upstream: Optional[Derivative] = None              # the derivative this one differentiates
    targets: Dict[str, Derivative] = field(default_factory=dict)   # this one on CuPy, dask (cache)
    #: the function parsed and the defaults tuple it had: defaults are baked into the code
    defaults_of: Tuple[object, object] = (None, None)

    def full_source(self) -> str:
        """This function with every derivative it calls, as one runnable module."""
        imports: List[str] = []
        helpers: List[str] = []
        bodies: List[str] = []
        for d in self._all():
            head, _, body = _split_imports(d.source)
            for line in head:
                if line.startswith(_RUNTIME_IMPORT):
                    helpers += [h for h in line[len(_RUNTIME_IMPORT):].split(", ") if h not in helpers]
                elif line not in imports:
                    imports.append(line)
            if body not in bodies:
                bodies.append(body)
        if helpers:
            imports.append(_RUNTIME_IMPORT + ", ".join(sorted(helpers)))
        return "\n".join(imports) + ("\n\n\n" if imports else "") + "\n\n\n".join(bodies) + "\n"

    def _all(self) -> List[Derivative]:
        out: List[Derivative] = []
        for c in self.callees:
            for d in c._all():
                if d not in out:
                    out.append(d)
        out.append(self)
        return out

    def is_current(self) -> bool:
        """Do the user's names still mean the functions and modules this code was built from?

        Values (arrays, numbers) are re-read before each call by `refresh`, but
        a name that now holds another function (``helper`` redefined, ``act =
        np.sin`` after ``act = np.tanh``) chose the rules and callee derivatives
        of the backward sweep: running on would pair a new forward value with
        the old derivative.  Such a derivative must be built again.
        """
        ns = self.emitted.namespace
        for name, value in self._current_values():
            old = ns.get(name, _MISSING)
            if value is not old and (_chooses_code(old) or _chooses_code(value)):
                return False
        return ((self.upstream is None or self.upstream.is_current()) and self._same_defaults()
                and all(c.is_current() for c in self.callees))

    def _same_defaults(self) -> bool:
        fn, defaults = self.defaults_of
        return fn is None or getattr(fn, "__defaults__", None) is defaults

    def _current_values(self):
        for name, cell, globs in self._refresh:
            if cell is not None:
                try:
                    yield name, cell.cell_contents
                except ValueError:
                    continue
            else:
                value = globs.get(name, _MISSING)
                if value is not _MISSING:
                    yield name, value

    def refresh(self) -> bool:
        """Re-read the user's globals and closure cells the code uses (they may have changed).

        False when one now holds another function or module (see `is_current`):
        the caller must build the derivative again rather than run this one.
        """
        if (self.upstream is not None and not self.upstream.refresh()) or not self._same_defaults():
            return False
        ns = self.emitted.namespace
        for name, value in self._current_values():
            old = ns.get(name, _MISSING)
            if old is not value:
                if _chooses_code(old) or _chooses_code(value):
                    return False
                ns[name] = value
        return all(c.refresh() for c in self.callees)


def _chooses_code(value) -> bool:
    """A function, class or module: a name holding one decided which code was generated."""
    return value is not _MISSING and (callable(value) or isinstance(value, types.ModuleType))


def _split_imports(source: str):
    lines = source.strip("\n").split("\n")
    head = []
    while lines and (lines[0].startswith("import ") or lines[0].startswith("from ") or not lines[0].strip()):
        line = lines.pop(0)
        if line.strip():
            head.append(line)
    return head, None, "\n".join(lines).strip("\n")


def _refresh_list(fn: Callable, refs: Sequence[str], namespace: Dict[str, object]):
    """``(name, cell, globals)`` to re-read before each call, for the user names the code reads.

    Names the transform bound itself (an ``import`` in the body, a default's
    value) are not the module's globals: re-reading a global of that name
    would swap in some other object.
    """
    cells = {}
    if getattr(fn, "__closure__", None):
        cells = dict(zip(fn.__code__.co_freevars, fn.__closure__))
    globs = getattr(fn, "__globals__", {})
    return [(name, cells.get(name), globs) for name in refs
            if name in cells or globs.get(name, _MISSING) is namespace.get(name, _MISSING)]


def prepare(fn: Callable):
    """Parse, fence and normalize ``fn``."""
    templates.load_builtin()
    parsed = parse(fn)
    fence.check(parsed)
    return normalize(parsed)


_WRT_HINT = "name the arguments to differentiate by position (wrt=0, wrt=(0, 1)) or by name (wrt=\"x\")."


def wrt_names(unit, wrt: Sequence) -> List[str]:
    """Parameter names for ``wrt`` given as positions or names."""
    from .errors import TransformError
    names = []
    for w in wrt:
        if isinstance(w, str):
            if w not in unit.params:
                raise TransformError(f"wrt={w!r} is not a parameter of `{unit.parsed.shown_name}`; its "
                                     f"parameters are {', '.join(unit.params) or '(none)'}",
                                     hint=_WRT_HINT, **unit.parsed.where())
            names.append(w)
        elif isinstance(w, int) and not isinstance(w, bool):
            if not -len(unit.params) <= w < len(unit.params):
                raise TransformError(f"wrt={w} is out of range: `{unit.parsed.shown_name}` takes "
                                     f"{len(unit.params)} positional parameter(s)",
                                     hint=_WRT_HINT, **unit.parsed.where())
            names.append(unit.params[w])
        else:
            raise TransformError(f"wrt must hold parameter positions or names, not {w!r}",
                                 hint=_WRT_HINT, **unit.parsed.where())
    return names


def reverse_derivative(fn: Callable, wrt: Tuple, mode: str, complex_args: Tuple = ()) -> Derivative:
    """The cached reverse-mode derivative of ``fn``.

    ``complex_args`` are the positions of arguments that hold complex values
    (the rules applied to them are then wrapped for the complex convention).
    """
    return cached(fn, ("reverse", wrt, mode, complex_args),
                  lambda: _build_reverse(fn, wrt, mode, complex_args), Derivative.is_current)


#: user functions being transformed right now (a call back into one is recursion)
_building: List[Callable] = []


def _build_reverse(fn: Callable, wrt: Tuple, mode: str, complex_args: Tuple = ()) -> Derivative:
    _building.append(fn)
    try:
        return _build_reverse_unit(fn, wrt, mode, complex_args)
    finally:
        _building.remove(fn)


def _build_reverse_unit(fn: Callable, wrt: Tuple, mode: str, complex_args: Tuple = ()) -> Derivative:
    unit = prepare(fn)
    names = wrt_names(unit, wrt)
    complex_params = [unit.params[i] for i in complex_args if i < len(unit.params)]
    callees: List[Derivative] = []

    def callee(user_fn, positions, binder, complex_positions=()):
        if user_fn in _building:
            from .errors import TransformError
            raise TransformError(f"cannot differentiate the recursive call to "
                                 f"`{getattr(user_fn, '__name__', user_fn)}`",
                                 hint="write the recursion as a loop.")
        d = reverse_derivative(user_fn, tuple(positions), "vjp", tuple(complex_positions))
        if d not in callees:
            callees.append(d)
        return binder(d.name, d.function), d.seed

    binder = reverse.GlobalBinder(unit)
    node, seed = reverse.transform(unit, names, mode, callee, binder, complex_params)
    user_names = unit.local_names() - {seed}
    node = optimize.optimize(node, protected=user_names)
    emitted = emit_pass.emit(node, unit.parsed.namespace, binder.bound, unit.parsed.namespace)
    where = _return_site(unit)
    return _finish(Derivative(node.name, emitted.function, emitted.source, seed, emitted, fn, callees,
                              _refresh_list(unit.parsed.fn, emitted.user_refs, unit.parsed.namespace), where), unit.parsed.fn)


def _return_site(unit) -> Dict[str, object]:
    """Where run-time errors about the result point: the user's last ``return`` line."""
    if callables.user_site(unit.parsed.fn) is not None:   # grad(model.loss): at `def loss`
        return unit.parsed.where()
    returns = [n for n in gast.walk(unit.parsed.node) if isinstance(n, gast.Return)]
    return unit.parsed.where(max(returns, key=lambda r: r.lineno) if returns else None)


#: generated function -> its Derivative, so a derivative of generated code can refresh through it
_by_function: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _finish(d: Derivative, parsed_fn: Callable) -> Derivative:
    """Remember ``d`` by its function; link it to the derivative it differentiates, if any."""
    _by_function[d.function] = d
    d.upstream = _by_function.get(parsed_fn)
    d.defaults_of = (parsed_fn, getattr(parsed_fn, "__defaults__", None))
    return d


def forward_derivative(fn: Callable, wrt: Tuple, mode: str) -> Derivative:
    """The cached forward-mode derivative of ``fn`` (``mode``: ``"jvp"`` or ``"tangent"``)."""
    return cached(fn, ("forward", wrt, mode), lambda: _build_forward(fn, wrt, mode), Derivative.is_current)


#: user functions whose forward derivative is being built (a call back into one is recursion)
_building_forward: List[Callable] = []


def _build_forward(fn: Callable, wrt: Tuple, mode: str) -> Derivative:
    _building_forward.append(fn)
    try:
        return _build_forward_unit(fn, wrt, mode)
    finally:
        _building_forward.remove(fn)


def _build_forward_unit(fn: Callable, wrt: Tuple, mode: str) -> Derivative:
    unit = prepare(fn)
    names = wrt_names(unit, wrt)
    callees: List[Derivative] = []

    def callee(user_fn, positions, binder):
        if user_fn in _building_forward:
            from .errors import TransformError
            raise TransformError(f"cannot differentiate the recursive call to "
                                 f"`{getattr(user_fn, '__name__', user_fn)}`",
                                 hint="write the recursion as a loop.")
        d = forward_derivative(user_fn, tuple(positions), "jvp")
        if d not in callees:
            callees.append(d)
        return binder(d.name, d.function), d.tangents, d.keyword_only

    binder = reverse.GlobalBinder(unit)
    node, tangents, keyword_only = forward.transform(unit, names, mode, callee, binder)
    node = optimize.optimize(node, protected=unit.local_names())
    emitted = emit_pass.emit(node, unit.parsed.namespace, binder.bound, unit.parsed.namespace)
    where = _return_site(unit)
    d = Derivative(node.name, emitted.function, emitted.source, None, emitted, fn, callees,
                   _refresh_list(unit.parsed.fn, emitted.user_refs, unit.parsed.namespace), where, tangents=tangents,
                   keyword_only=keyword_only)
    return _finish(d, unit.parsed.fn)


def retargeted(d: Derivative, target: Optional[str]) -> Derivative:
    """``d`` (with the derivatives it calls) rewritten for another array library, once per target.

    The rewritten module is compiled into one namespace, which holds the user
    names of ``d`` and of every callee, refreshed before each call as usual.
    """
    found = retarget.target_named(target)
    if found is None:
        return d
    if found.name not in d.targets:
        namespace: Dict[str, object] = {}
        refresh: List[Tuple[str, object, object]] = []
        for part in d._all():
            namespace.update(part.emitted.namespace)
            refresh += [r for r in part._refresh if r not in refresh]
        source = retarget.retarget_source(d.full_source(), namespace, found)
        emitted = emit_pass.compile_source(source, d.name, namespace, [r[0] for r in refresh])
        moved = Derivative(d.name, emitted.function, source, d.seed, emitted, d.user_fn, [], refresh,
                           d.where, tangents=d.tangents, keyword_only=d.keyword_only, upstream=d.upstream)
        _by_function[moved.function] = moved
        d.targets[found.name] = moved
    return d.targets[found.name]
