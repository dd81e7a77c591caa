"""The public API: ``grad``, ``value_and_grad`` and friends.

Each returns a callable object that transforms the user's function on first
use (then caches), calls the generated code, and gives back gradients shaped
like the inputs: a Python float for a float, float32 for float32.  The object
shows its generated source: ``.source``, ``print``-able, highlighted in
Jupyter.
"""
from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from typing import Callable, Optional, Union

import numpy as np

from . import pipeline
from .complexity import is_complex_value
from .errors import INTEGER_WRT, TangentishError, TransformError, note_generated_line
from .runtime import refuse_integer_result
from .runtime import untree as _untree


_FLOAT_TYPES = frozenset({float, np.float64, np.float32, complex, np.complex128})


def integer_valued(x) -> bool:
    """Is ``x`` a bool or integer (or a container holding one)?  Differentiating by it allows an integer result."""
    if type(x) is float:
        return False
    dtype = getattr(x, "dtype", None)   # arrays and NumPy scalars: their dtype says
    if dtype is not None and not isinstance(x, (dict, list, tuple)):
        return getattr(dtype, "kind", "") in "biu"
    if isinstance(x, (bool, int, np.bool_, np.integer)):
        return True
    if isinstance(x, dict):
        return any(integer_valued(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return any(integer_valued(v) for v in x)
    return False


class integer_scope:
    """While active, generated code accepts an integer result when one of ``xs`` is integer-valued."""

    def __init__(self, xs):
        self.on = any(integer_valued(x) for x in xs)
        self.token = None

    def __enter__(self):
        if self.on:
            self.token = INTEGER_WRT.set(True)
        return self

    def __exit__(self, *exc):
        if self.token is not None:
            INTEGER_WRT.reset(self.token)
        return False


def refuse_integer(value, xs, api: str, where: dict) -> None:
    """A bool or integer result of ``api`` (jvp, vjp, jacobian, ...) is refused at the user's return line."""
    with integer_scope(xs):
        try:
            refuse_integer_result(value, api)
        except TransformError as e:
            raise (e.located(**where) if where else e) from None


def complex_positions(args) -> tuple:
    """The positions of complex arguments (a plain loop: this runs on every call, and most are floats)."""
    for a in args:
        if type(a) is not float and is_complex_value(a):
            return tuple(i for i, a in enumerate(args) if is_complex_value(a))
    return ()


def untree(g, x):
    """A container gradient as plain containers of the argument's structure, leaves matched."""
    g = _untree(g)
    if isinstance(g, dict) and isinstance(x, dict):
        return {k: match_input(g[k], x[k]) for k in g}
    if isinstance(g, (list, tuple)) and isinstance(x, (list, tuple)) and len(g) == len(x):
        items = [match_input(a, b) for a, b in zip(g, x)]
        return type(g)(*items) if hasattr(g, "_fields") else type(g)(items)
    return g


Wrt = Union[int, str, Sequence[Union[int, str]]]


def _as_tuple(wrt: Wrt):
    if isinstance(wrt, (list, tuple)):
        return tuple(wrt), True
    return (wrt,), False


def match_input(g, x):
    """Give gradient ``g`` the kind of ``x``: float for a Python float, ``x``'s float dtype."""
    if type(x) is float and type(g) in (float, np.float64):   # the scalar fast path
        return float(g)
    if isinstance(g, (dict, list, tuple)):
        return untree(g, x)
    if isinstance(g, np.ndarray) and not g.flags.writeable:
        g = np.array(g)   # a broadcast view (the adjoint of a sum) becomes an array the user can write
    if isinstance(x, (float, int)) and not isinstance(x, (bool, np.generic)):
        if np.ndim(g) == 0:   # a real input of a complex computation gets the real part
            return float(np.real(g))
        return np.real(g)
    dtype = getattr(x, "dtype", None)
    if dtype is not None and (np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.complexfloating)):
        if np.iscomplexobj(g) and np.issubdtype(dtype, np.floating):
            g = np.real(g)   # (a complex input keeps a real adjoint's dtype too: np.real(x)'s is complex)
        g_dtype = getattr(g, "dtype", None)   # (not `!= dtype` on None: np.dtype(None) is float64)
        if g_dtype is None or g_dtype != dtype:   # (a GPU or dask array converts itself: no np.asarray)
            g = g.astype(dtype, copy=False) if hasattr(g, "astype") else np.asarray(g).astype(dtype, copy=False)
        if np.ndim(x) == 0 and isinstance(x, np.generic):
            return g[()]
        if isinstance(x, np.ndarray) and not isinstance(g, np.ndarray):
            return np.asarray(g)
    return g


class Transformed:
    """Base of the callables ``grad`` and friends return."""

    _mode = "grad"

    def __init__(self, fn: Callable, wrt: Wrt = 0, target: Optional[str] = None):
        self.fn = fn
        self.wrt, self._many = _as_tuple(wrt)
        self.target = target
        pipeline.retarget.target_named(target)   # an unknown or missing target fails here, not on first call
        self._derivative: Optional[pipeline.Derivative] = None
        self._index = None
        functools.update_wrapper(self, fn, updated=())

    # -- building -------------------------------------------------------------
    @property
    def derivative(self) -> pipeline.Derivative:
        if self._derivative is not None and self._derivative.is_stale():
            self._derivative = None   # a helper was redefined, or a global rebound: transform anew
        if self._derivative is None:
            self._derivative = self._build()
        return self._derivative

    def _build(self) -> pipeline.Derivative:
        return pipeline.retargeted(pipeline.reverse_derivative(self.fn, self.wrt, self._mode), self.target)

    @property
    def source(self) -> str:
        """The generated derivative, as Python source (with any derivatives it calls)."""
        return self.derivative.full_source()

    @property
    def __tangentish_generated__(self):
        return self.derivative.function

    # -- calling --------------------------------------------------------------
    def _positions(self, args, kwargs):
        """The arguments differentiated with respect to, in ``wrt`` order."""
        index = self._index
        if index is None:
            code = self.derivative.function.__code__
            params = list(code.co_varnames[:code.co_argcount])
            index = self._index = [(params.index(w) if isinstance(w, str) else w % len(params))
                                   for w in self.wrt]
            self._params = params
            defaults = self.derivative.function.__defaults__ or ()
            self._defaults = dict(zip(params[len(params) - len(defaults):], defaults))
        n = len(args)
        if n > max(index):
            return [args[i] for i in index]
        # a differentiated argument passed by keyword, or left at its default
        return [args[i] if i < n else kwargs.get(self._params[i], self._defaults.get(self._params[i]))
                for i in index]

    def _grads(self, grads, args, kwargs):
        index = self._index
        if not self._many and index is not None and index[0] < len(args):   # the common, fast path
            return match_input(grads, args[index[0]])
        xs = self._positions(args, kwargs)
        if self._many:
            if len(self.wrt) == 1:
                grads = (grads,)
            return tuple(match_input(g, x) for g, x in zip(grads, xs))
        return match_input(grads, xs[0])

    def _reverse_for(self, args):
        """The reverse derivative for these arguments: complex ones need the complex convention's transform."""
        d = self.derivative   # (checks that no helper it was built from was redefined since)
        complex_args = complex_positions(args)
        if complex_args:   # complex values follow the dL/da + i dL/db convention: another transform
            d = pipeline.retargeted(
                pipeline.reverse_derivative(self.fn, self.wrt, self._mode, complex_args), self.target)
        return d

    def _run(self, args, kwargs):
        d = self._reverse_for(args)
        d.refresh()
        token = None
        for a in args:   # (floats first: this runs on every call)
            if type(a) not in _FLOAT_TYPES and integer_valued(a):   # is an integer argument differentiated?
                if any(integer_valued(x) for x in self._positions(args, kwargs)):
                    token = INTEGER_WRT.set(True)   # then an integer result is allowed
                break
        else:
            if kwargs and any(integer_valued(x) for x in self._positions(args, kwargs)):
                token = INTEGER_WRT.set(True)
        try:
            return d.function(*args, **kwargs)
        except TransformError as e:   # raised by a runtime check: point at the user's code
            if e.filename is not None:
                raise
            raise e.located(**d.where) from None
        except Exception as e:        # e.g. NumPy's shape errors: say which generated line, whose function
            note_generated_line(e, self.fn)
            raise
        finally:
            if token is not None:
                INTEGER_WRT.reset(token)

    def __call__(self, *args, **kwargs):
        return self._grads(self._run(args, kwargs), args, kwargs)

    # -- display --------------------------------------------------------------
    def __repr__(self) -> str:
        return f"<tangentish.{self._mode} of {getattr(self.fn, '__qualname__', self.fn)}>"

    def __str__(self) -> str:
        return self.source

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.source)

    def _repr_html_(self) -> str:
        try:
            from pygments import highlight
            from pygments.formatters import HtmlFormatter
            from pygments.lexers import PythonLexer
        except ImportError:
            return f"<pre>{html.escape(self.source)}</pre>"
        return highlight(self.source, PythonLexer(), HtmlFormatter(noclasses=True))


class Grad(Transformed):
    _mode = "grad"


class ValueAndGrad(Transformed):
    _mode = "value_and_grad"

    def __call__(self, *args, **kwargs):
        value, grads = self._run(args, kwargs)
        return value, self._grads(grads, args, kwargs)


class WithFixed:
    """A transform of a bound method or ``functools.partial``: the function, its fixed arguments first.

    ``tg.grad(model.loss)`` differentiates ``Model.loss`` with ``self`` passed
    in front; positions in ``wrt`` count the caller's arguments, as before.
    """

    def __init__(self, transformed: Transformed, args: tuple, kwargs: dict):
        self.transformed, self.args, self.kwargs = transformed, args, kwargs
        functools.update_wrapper(self, transformed.fn, updated=())

    def __call__(self, *args, **kwargs):
        return self.transformed(*self.args, *args, **{**self.kwargs, **kwargs})

    def __getattr__(self, name):   # .source, .derivative, _repr_html_ ...
        return getattr(self.transformed, name)

    def __repr__(self) -> str:
        return repr(self.transformed)

    def __str__(self) -> str:
        return str(self.transformed)


def _fixed_arguments(fn):
    """``(function, fixed args, fixed kwargs)`` of a bound method or a partial, else None."""
    import inspect
    import types
    if inspect.ismethod(fn) and isinstance(fn.__func__, types.FunctionType):
        return fn.__func__, (fn.__self__,), {}
    if isinstance(fn, functools.partial):
        inner = _fixed_arguments(fn.func)
        if inner is not None:
            return inner[0], inner[1] + fn.args, {**inner[2], **fn.keywords}
        return fn.func, fn.args, dict(fn.keywords)
    return None


def _check_positions_after_fixed(fn, inner, fixed: int, wrts) -> None:
    """``wrt`` positions count the caller's arguments: say so in those terms when one is out of range."""
    code = getattr(inner, "__code__", None)
    if code is None:
        return
    names = list(code.co_varnames[:code.co_argcount])
    visible, bound = names[fixed:], ", ".join(f"`{n}`" for n in names[:fixed])
    for w in wrts:
        if isinstance(w, int) and not isinstance(w, bool) and not -len(visible) <= w < len(visible):
            spelled = getattr(fn, "__qualname__", None) or getattr(inner, "__qualname__", "the function")
            verb = "is" if fixed == 1 else "are"
            raise TransformError(
                f"wrt={w} is out of range: `{spelled}` takes {len(visible)} positional argument(s) "
                f"({', '.join(visible) or 'none'}) once {bound} {verb} bound",
                filename=code.co_filename, lineno=code.co_firstlineno, function=inner.__name__,
                hint="count wrt positions from the first argument you pass, or name them (wrt=\"x\").")


def _as_python(fn):
    """A ufunc with a rule (``np.tanh``, ``scipy.special.expit``) as a Python function calling it.

    ``tg.elementwise_grad(np.tanh)`` then differentiates ``def tanh(x): return np.tanh(x)``.
    """
    from . import registry, templates
    from .parse import register_source
    if not isinstance(fn, np.ufunc) or fn.nout != 1 or fn.nin not in (1, 2):
        return fn
    templates.load_builtin()
    if fn not in registry.REVERSE and fn not in registry.FORWARD:
        return fn
    spelled = registry.display_name(fn)
    if "." not in spelled:
        return fn
    params = "x" if fn.nin == 1 else "x, y"
    filename = f"<tangentish: {spelled}>"
    source = f"def {fn.__name__}({params}):\n    return {spelled}({params})\n"
    register_source(filename, source)
    root, module = spelled.split(".")[0], spelled.rsplit(".", 1)[0]
    namespace = {"np": np} if root == "np" else {root: __import__(module)}   # scipy.special: scipy
    exec(compile(source, filename, "exec"), namespace)
    return namespace[fn.__name__]


def _check_wrt(cls, wrt, options) -> None:
    """``wrt`` names arguments: positions or names.  ``jvp(f, primals, tangents)`` (JAX's form) is refused."""
    items = wrt if isinstance(wrt, (list, tuple)) else (wrt,)
    if all((isinstance(w, int) and not isinstance(w, bool)) or isinstance(w, str) for w in items) and \
            all(o is None or isinstance(o, str) for o in options[:1]):
        return
    api = cls.__name__.lower()
    got = type(wrt).__name__ + ("" if not isinstance(wrt, (list, tuple)) else
                                " of " + ", ".join(sorted({type(w).__name__ for w in items})))
    if api in ("jvp", "hvp"):
        how = (f"tangentish.{api}(f)(*args, *tangents): f's arguments, then one tangent per "
               "differentiated argument (not JAX's jvp(f, primals, tangents))")
    elif api == "vjp":
        how = "value, pullback = tangentish.vjp(f)(*args); pullback(u) (not JAX's vjp(f, *primals))"
    else:
        how = f"tangentish.{api}(f)(*args), with wrt a position or a parameter name"
    raise TransformError(f"wrt, {api}'s second argument, says which argument(s) to differentiate by (a "
                         f"position or a parameter name, or a tuple of them), not a {got}",
                         hint=f"call it as {how}.")


def _decorator(cls, fn, wrt, *options):
    if fn is None:
        return lambda f: _decorator(cls, f, wrt, *options)
    if not callable(fn):
        raise TangentishError(f"{cls.__name__.lower()} needs a function, got {type(fn).__name__}")
    _check_wrt(cls, wrt, options if cls.__name__ != "Jacobian" else ())
    fn = _as_python(fn)
    fixed = _fixed_arguments(fn)
    if fixed is not None:
        inner, args, kwargs = fixed
        wrts, many = _as_tuple(wrt)
        _check_positions_after_fixed(fn, inner, len(args), wrts)
        shifted = tuple(w + len(args) if isinstance(w, int) and w >= 0 else w for w in wrts)
        return WithFixed(cls(inner, shifted if many else shifted[0], *options), args, kwargs)
    return cls(fn, wrt, *options)


def grad(fn: Optional[Callable] = None, wrt: Wrt = 0, target: Optional[str] = None):
    """The gradient of scalar-valued ``fn`` with respect to argument(s) ``wrt``.

    ``wrt`` is a position or a parameter name, or a tuple of them (then a tuple
    of gradients is returned).  Usable as ``@grad``, ``grad(f)`` or
    ``@grad(wrt=("w", "b"))``.  ``target="cupy"`` (or ``"dask"``) gives the same
    derivative written for that array library; pass it arrays of that library.
    """
    return _decorator(Grad, fn, wrt, target)


def value_and_grad(fn: Optional[Callable] = None, wrt: Wrt = 0, target: Optional[str] = None):
    """Like `grad`, but returns ``(fn(*args), gradient)`` from one forward sweep."""
    return _decorator(ValueAndGrad, fn, wrt, target)
