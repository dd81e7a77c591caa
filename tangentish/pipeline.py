"""The pipeline, end to end: parse -> fence -> normalize -> reverse/forward -> optimize -> emit.

Each step is its own module; this one only calls them in order and caches the
result.  Calls to other user functions are differentiated by the same
pipeline, recursively, and reused.
"""
from __future__ import annotations

import inspect
import types
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

import gast
import numpy as np

from . import callables, fence, forward, optimize, retarget, reverse, templates
from . import emit as emit_pass
from .cache import cached
from .complexity import holds_complex
from .normalize import normalize
from .parse import parse

_MISSING = object()


@dataclass(frozen=True)
class DataKind:
    """What the transform read off a data global (an array, a number): whether it was complex.

    Data is read again on every call, but whether it is complex shapes the
    derivative (the complex convention's conjugates): rebinding ``A`` from a
    real to a complex array needs another transform.
    """

    complex: bool


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
    #: (name, closure cell or None, globals, value) of the user's names the transform resolved
    bindings: List[Tuple[str, object, object, object]] = field(default_factory=list)
    #: the function parsed and the defaults tuple it had: defaults are baked into the code
    defaults_of: Tuple[object, object] = (None, None)

    def is_stale(self) -> bool:
        """Has the user rebound a name this derivative was built from (a helper redefined in a cell)?"""
        for name, cell, globs, value in self.bindings:
            try:
                now = cell.cell_contents if cell is not None else globs.get(name, _MISSING)
            except ValueError:
                continue
            if type(value) is DataKind:
                if now is not _MISSING and holds_complex(now) != value.complex:
                    return True
            elif now is not value:
                return True
        if self.callees and any(c.is_stale() for c in self.callees):   # (no generator on the common path)
            return True
        fn, defaults = self.defaults_of   # defaults are written into the code: replaced ones are news
        if fn is not None and getattr(fn, "__defaults__", None) is not defaults:
            return True
        return self.upstream is not None and self.upstream.is_stale()

    def full_source(self) -> str:
        """This function with every derivative it calls, as one runnable module."""
        return module_source(self._all())

    def _all(self) -> List[Derivative]:
        out: List[Derivative] = []
        for c in self.callees:
            for d in c._all():
                if d not in out:
                    out.append(d)
        out.append(self)
        return out

    def refresh(self) -> None:
        """Re-read the user's globals and closure cells the code uses (they may have changed)."""
        if self.upstream is not None:
            self.upstream.refresh()
        ns = self.emitted.namespace
        for name, cell, globs in self._refresh:
            if cell is not None:
                try:
                    value = cell.cell_contents
                except ValueError:
                    continue
            else:
                value = globs.get(name, _MISSING)
                if value is _MISSING:
                    continue
            if ns.get(name, _MISSING) is not value:
                ns[name] = value
        for c in self.callees:
            c.refresh()


def module_source(parts: List[Derivative]) -> str:
    """Generated functions ``parts`` (callees first) as one runnable module."""
    imports: List[str] = []
    helpers: List[str] = []
    bodies: List[str] = []
    for d in parts:
        head, _, body = _split_imports(d.source)
        for line in head:
            if line.startswith(_RUNTIME_IMPORT):
                helpers += [h for h in line[len(_RUNTIME_IMPORT):].split(", ") if h not in helpers]
            elif line not in imports:
                imports.append(line)
        for name in [d.name] + _other_names(d, parts):
            named = body if name == d.name else body.replace(f"def {d.name}(", f"def {name}(", 1)
            if named not in bodies:
                bodies.append(named)
    if helpers:
        imports.append(_RUNTIME_IMPORT + ", ".join(sorted(helpers)))
    return "\n".join(imports) + ("\n\n\n" if imports else "") + "\n\n\n".join(bodies) + "\n"


def _other_names(d: Derivative, parts: List[Derivative]) -> List[str]:
    """Names other than its own under which callers call ``d`` (two callees both named
    ``dhelper_dx`` are told apart as ``dhelper_dx_2`` in the caller's namespace)."""
    names: List[str] = []
    for p in parts:
        for name, value in p.emitted.namespace.items():
            if value is d.function and name != d.name and name not in names:
                names.append(name)
    return names


def _split_imports(source: str):
    lines = source.strip("\n").split("\n")
    head = []
    while lines and (lines[0].startswith("import ") or lines[0].startswith("from ") or not lines[0].strip()):
        line = lines.pop(0)
        if line.strip():
            head.append(line)
    return head, None, "\n".join(lines).strip("\n")


def _bindings(parsed) -> List[Tuple[str, object, object, object]]:
    """The names the transform read from the user's namespace, and what they held then.

    Data (arrays, numbers) is read again on every call and shapes the
    derivative only by being complex or not (a `DataKind`), so rebinding it to
    another value of its kind is no reason to transform again.
    """
    read = getattr(parsed.namespace, "read", {})
    data = (np.ndarray, np.generic, int, float, complex, str, bool)
    out = []
    for name, cell, globs in _refresh_list(parsed.fn, sorted(read), parsed.namespace):
        value = read[name]
        if not isinstance(value, data):
            out.append((name, cell, globs, value))   # a function, module, container...: by identity
        if not isinstance(value, (types.ModuleType, type, types.FunctionType)):   # and a container's
            out.append((name, cell, globs, DataKind(holds_complex(value))))      # contents by kind
    return out


def _refresh_list(fn: Callable, refs: Sequence[str], namespace: Dict[str, object]):
    """``(name, cell, globals)`` to re-read before each call, for the user names the code reads.

    Names the transform bound itself (an ``import`` in the body, a default's
    value) are not the module's globals: re-reading a global of that name
    would swap in some other object (and call the derivative stale forever).
    """
    cells = {}
    if getattr(fn, "__closure__", None):
        cells = dict(zip(fn.__code__.co_freevars, fn.__closure__))
    globs = getattr(fn, "__globals__", {})
    return [(name, cells.get(name), globs) for name in refs
            if name in cells or globs.get(name, _MISSING) is dict.get(namespace, name, _MISSING)]


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
            if w in unit.keyword_params:
                raise TransformError(f"wrt={w!r} names a keyword-only parameter of `{unit.parsed.name}`; "
                                     "only positional parameters can be differentiated",
                                     hint=f"make `{w}` an ordinary parameter (before the `*`).",
                                     **unit.parsed.where())
            if w not in unit.params:
                raise TransformError(f"wrt={w!r} is not a parameter of `{unit.parsed.name}`; its "
                                     f"parameters are {', '.join(unit.params) or '(none)'}",
                                     hint=_WRT_HINT, **unit.parsed.where())
            names.append(w)
        elif isinstance(w, int) and not isinstance(w, bool):
            if not -len(unit.params) <= w < len(unit.params):
                raise TransformError(f"wrt={w} is out of range: `{unit.parsed.name}` takes "
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
                  lambda: _build_reverse(fn, wrt, mode, complex_args), Derivative.is_stale)


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
        halves = split_derivative(user_fn, tuple(positions), tuple(complex_positions))
        for d in (halves.forward, halves.backward):
            if d not in callees:
                callees.append(d)
        return (binder(halves.forward.name, halves.forward.function),
                binder(halves.backward.name, halves.backward.function), halves.again)

    binder = reverse.GlobalBinder(unit)
    node, seed = reverse.transform(unit, names, mode, callee, binder, complex_params)
    bindings = _bindings(unit.parsed)
    user_names = unit.local_names() - {seed}
    node = optimize.optimize(node, protected=user_names)
    where = _return_site(unit)
    refs = lambda e: _refresh_list(unit.parsed.fn, e.user_refs, unit.parsed.namespace)  # noqa: E731
    if mode == "split":
        forward_fn, backward_fn, again = reverse.split(node, seed, unit.namer, unit.node.name)
        halves = []
        for part, part_seed in ((forward_fn, None), (backward_fn, seed)):
            emitted = emit_pass.emit(part, unit.parsed.namespace, binder.bound, unit.parsed.namespace)
            halves.append(_finish(Derivative(part.name, emitted.function, emitted.source, part_seed, emitted, fn,
                                             callees, refs(emitted), where, bindings=bindings), unit.parsed.fn))
        return Split(*halves, again=again)
    emitted = emit_pass.emit(node, unit.parsed.namespace, binder.bound, unit.parsed.namespace)
    return _finish(Derivative(node.name, emitted.function, emitted.source, seed, emitted, fn, callees,
                              refs(emitted), where, bindings=bindings),
                   unit.parsed.fn)


@dataclass(eq=False)
class Split:
    """A user function cut in two: ``forward(*args) -> (value, saved)``, ``backward(saved, seed) -> grads``.

    A caller's forward sweep calls ``forward`` (the user's statements run there,
    once) and keeps ``saved``; its backward sweep calls ``backward``, which runs
    no user code.  ``vjp`` runs ``forward`` once and each pullback ``backward``.
    """

    forward: Derivative
    backward: Derivative
    again: List[str] = field(default_factory=list)   # parameters the backward half takes again
    _signature: Optional[inspect.Signature] = field(default=None, init=False, repr=False)

    def again_from(self, args, kwargs) -> Dict[str, object]:
        """The parameters the backward half reads, from the arguments the forward half was called with."""
        if not self.again:
            return {}
        if self._signature is None:   # (once: this runs on every vjp call)
            self._signature = inspect.signature(self.forward.function)
        bound = self._signature.bind(*args, **kwargs)
        return {n: bound.arguments[n] for n in self.again if n in bound.arguments}

    def is_stale(self) -> bool:
        return self.forward.is_stale()

    def full_source(self) -> str:
        parts = self.forward._all()
        return module_source(parts + [d for d in self.backward._all() if d not in parts])


def split_derivative(fn: Callable, wrt: Tuple, complex_args: Tuple = ()) -> Split:
    """The cached forward and backward halves of ``fn``'s derivative with respect to ``wrt``."""
    return cached(fn, ("reverse", wrt, "split", complex_args),
                  lambda: _build_reverse(fn, wrt, "split", complex_args), Split.is_stale)


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


def forward_derivative(fn: Callable, wrt: Tuple, mode: str, complex_args: Tuple = ()) -> Derivative:
    """The cached forward-mode derivative of ``fn`` (``mode``: ``"jvp"`` or ``"tangent"``).

    ``complex_args``: positions of arguments holding complex values (real-only rules refuse them).
    """
    key = ("forward", wrt, mode) if not complex_args else ("forward", wrt, mode, complex_args)
    return cached(fn, key, lambda: _build_forward(fn, wrt, mode, complex_args), Derivative.is_stale)


#: user functions whose forward derivative is being built (a call back into one is recursion)
_building_forward: List[Callable] = []


def _build_forward(fn: Callable, wrt: Tuple, mode: str, complex_args: Tuple = ()) -> Derivative:
    _building_forward.append(fn)
    try:
        return _build_forward_unit(fn, wrt, mode, complex_args)
    finally:
        _building_forward.remove(fn)


def _build_forward_unit(fn: Callable, wrt: Tuple, mode: str, complex_args: Tuple = ()) -> Derivative:
    unit = prepare(fn)
    names = wrt_names(unit, wrt)
    complex_params = [unit.params[i] for i in complex_args if i < len(unit.params)]
    callees: List[Derivative] = []

    def callee(user_fn, positions, binder, complex_positions=()):
        if user_fn in _building_forward:
            from .errors import TransformError
            raise TransformError(f"cannot differentiate the recursive call to "
                                 f"`{getattr(user_fn, '__name__', user_fn)}`",
                                 hint="write the recursion as a loop.")
        d = forward_derivative(user_fn, tuple(positions), "jvp", tuple(complex_positions))
        if d not in callees:
            callees.append(d)
        return binder(d.name, d.function), d.tangents, d.keyword_only

    binder = reverse.GlobalBinder(unit)
    node, tangents, keyword_only = forward.transform(unit, names, mode, callee, binder, complex_params)
    bindings = _bindings(unit.parsed)
    node = optimize.optimize(node, protected=unit.local_names())
    emitted = emit_pass.emit(node, unit.parsed.namespace, binder.bound, unit.parsed.namespace)
    where = _return_site(unit)
    d = Derivative(node.name, emitted.function, emitted.source, None, emitted, fn, callees,
                   _refresh_list(unit.parsed.fn, emitted.user_refs, unit.parsed.namespace), where, tangents=tangents,
                   keyword_only=keyword_only, bindings=bindings)
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
        bindings: List[Tuple[str, object, object, object]] = []
        for part in d._all():
            namespace.update(part.emitted.namespace)
            refresh += [r for r in part._refresh if r not in refresh]
            bindings += [b for b in part.bindings if b not in bindings]
        source = retarget.retarget_source(d.full_source(), namespace, found)
        emitted = emit_pass.compile_source(source, d.name, namespace, [r[0] for r in refresh])
        moved = Derivative(d.name, emitted.function, source, d.seed, emitted, d.user_fn, [], refresh,
                           d.where, tangents=d.tangents, keyword_only=d.keyword_only, upstream=d.upstream,
                           bindings=bindings)
        _by_function[moved.function] = moved
        d.targets[found.name] = moved
    return d.targets[found.name]
