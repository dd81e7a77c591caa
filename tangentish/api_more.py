"""Products and matrices of derivatives: ``jvp``, ``vjp``, ``hvp``, ``jacobian``, ``hessian``.

All of them are built from the two transforms: ``jvp`` is forward mode,
``vjp`` reverse mode with the seed as a parameter, ``hvp`` forward mode over
the generated gradient (so the Hessian is never formed), ``hessian`` that HVP
against each basis vector, and ``jacobian`` whichever of ``jvp``/``vjp`` needs
fewer sweeps.  Each object shows the code it runs in ``.source``.
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from . import pipeline
from .api import Grad, Transformed, Wrt, _decorator, complex_positions, integer_scope, match_input, refuse_integer
from .complexity import is_complex_value
from .errors import GradientShapeError, TangentishError, TransformError, note_generated_line


def check_like(v, x, what: str, name: str = "") -> None:
    """Raise GradientShapeError unless ``v`` has the structure and shapes of ``x``.

    Messages read ``{what} `{name}` ...``; ``name`` grows a path in containers (``p['b']``).
    """
    label = f"{what} `{name}`" if name else what
    if isinstance(x, dict):
        if not isinstance(v, dict) or set(v) != set(x):
            raise GradientShapeError(f"{label} must be a dict with keys {sorted(x)}, like its primal "
                                     f"value; got {type(v).__name__}"
                                     + (f" with keys {sorted(v)}" if isinstance(v, dict) else ""))
        for k in x:
            check_like(v[k], x[k], what, f"{name}[{k!r}]")
        return
    if isinstance(x, (list, tuple)):
        if not isinstance(v, (list, tuple)) or len(v) != len(x):
            got = f"{type(v).__name__} of length {len(v)}" if isinstance(v, (list, tuple)) else type(v).__name__
            raise GradientShapeError(f"{label} must be a {type(x).__name__} of length {len(x)}, like "
                                     f"its primal value; got {got}")
        for i, (a, b) in enumerate(zip(v, x)):
            check_like(a, b, what, f"{name}[{i}]")
        return
    if isinstance(v, (dict, list, tuple)) and not isinstance(x, np.ndarray):
        raise GradientShapeError(f"{label} is a {type(v).__name__}, but its primal value is "
                                 f"{type(x).__name__}")
    if np.shape(v) != np.shape(x):
        raise GradientShapeError(f"{label} has shape {np.shape(v)}, but its primal value has shape "
                                 f"{np.shape(x)}; it must have the same shape")


def _run(d: pipeline.Derivative, args, kwargs, extra):
    """Call generated ``d``; a TransformError raised at run time points at the user's code."""
    try:
        return d.function(*args, **kwargs, **extra)
    except TransformError as e:
        if e.filename is not None:
            raise
        while d.upstream is not None:   # hvp: the gradient it differentiates knows the user's line
            d = d.upstream
        raise e.located(**d.where) if d.where else e from None
    except Exception as e:
        note_generated_line(e, d.user_fn)
        raise


def _user_where(d: pipeline.Derivative) -> dict:
    """The user's return line for a derivative of a derivative (hvp over grad): the innermost's."""
    while d.upstream is not None:
        d = d.upstream
    return d.where


def _split(args, k: int, name: str):
    if len(args) <= k and k:
        raise TangentishError(f"{name}(f) is called as {name}(f)(*args, v): f's arguments, then "
                              f"{k} tangent(s), one per differentiated argument; got "
                              f"{len(args)} positional argument(s)")
    return args[:len(args) - k], args[len(args) - k:]


def _basis(x):
    """Unit vectors shaped like ``x`` (in its float dtype), one per element."""
    if isinstance(x, (dict, list, tuple)):
        raise TangentishError(f"jacobian and hessian differentiate with respect to an array or a "
                              f"number, not a {type(x).__name__}; use jvp or vjp for containers, or "
                              f"pass the array itself")
    dtype = getattr(x, "dtype", None)
    dtype = dtype if dtype is not None and np.issubdtype(dtype, np.floating) else np.float64
    shape = np.shape(x)
    for i in range(int(np.prod(shape, dtype=int))):
        e = np.zeros(shape, dtype)
        e.flat[i] = 1
        yield e


class _CalledDifferently:
    """For objects whose generated code takes other arguments than the object itself.

    ``vjp(f)(x)`` returns a closure, ``jacobian(f)(x)`` and ``hessian(f)(x)``
    loop over basis vectors, so their generated functions (which take a seed or
    tangent too) do not compute what calling the object does: differentiating
    them again must not pretend they do.
    """

    _instead = ""

    @property
    def __tangentish_generated__(self):
        raise TransformError(f"cannot differentiate a tangentish.{self._mode} object: its generated "
                             f"code takes a seed or tangent besides the function's arguments",
                             hint=self._instead)


class Jvp(Transformed):
    """``jvp(f)(*args, v)`` -> ``(f(*args), J v)``, from one forward sweep."""

    _mode = "jvp"
    _forward_mode = "jvp"

    def _build(self) -> pipeline.Derivative:
        return pipeline.retargeted(pipeline.forward_derivative(self.fn, self.wrt, self._forward_mode), self.target)

    def _tangent_call(self, args, kwargs, tangents, what="jvp"):
        d = self.derivative
        complex_args = complex_positions(args)
        if complex_args:   # real-only rules refuse complex values, as in reverse mode
            d = self._for_complex(d, complex_args)
        d.refresh()
        params = self._param_names()
        xs = self._positions(args, kwargs)
        for x, v, w in zip(xs, tangents, self.wrt):
            check_like(v, x, f"{what}: the tangent for", w if isinstance(w, str) else params[w])
        with integer_scope(xs):
            return _run(d, args, kwargs, dict(zip(d.tangents, tangents)))

    def _for_complex(self, d, complex_args):
        return pipeline.retargeted(pipeline.forward_derivative(self.fn, self.wrt, self._forward_mode, complex_args),
                                   self.target)

    def _param_names(self):
        code = self.derivative.function.__code__
        return list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])

    def __call__(self, *args, **kwargs):
        primals, tangents = _split(args, len(self.wrt), "jvp")
        value, tangent = self._tangent_call(primals, kwargs, tangents)
        refuse_integer(value, self._positions(primals, kwargs), "jvp", self.derivative.where)
        return value, match_input(tangent, value)


class Vjp(_CalledDifferently, Transformed):
    """``vjp(f)(*args)`` -> ``(f(*args), pullback)``; ``pullback(u)`` is ``uᵀ J``."""

    _mode = "vjp"
    _instead = "differentiate grad(f) or jvp(f) instead, or the function itself."

    def _build(self) -> pipeline.Derivative:
        """The forward half (shown in ``.source`` with the backward half it feeds)."""
        return self._halves().forward

    def _halves(self, args=()) -> pipeline.Split:
        """The forward and backward halves; complex arguments get grad's convention (and its refusals)."""
        complex_args = complex_positions(args)
        if complex_args:
            return pipeline.split_derivative(self.fn, self.wrt, complex_args)
        halves = getattr(self, "_split", None)
        if halves is None or halves.is_stale():
            halves = self._split = pipeline.split_derivative(self.fn, self.wrt)
        return halves

    @property
    def source(self) -> str:
        """The forward half, the backward half, and the halves of every function they call."""
        halves = self._halves()
        if self.target:
            return "\n\n".join(pipeline.retargeted(h, self.target).full_source()
                                 for h in (halves.forward, halves.backward))
        return halves.full_source()

    def _forward(self, args, kwargs):
        """``(value, saved)``: the user's statements run here, once; each pullback reuses ``saved``."""
        halves = self._halves(args)
        forward = pipeline.retargeted(halves.forward, self.target)
        backward = pipeline.retargeted(halves.backward, self.target)
        forward.refresh()
        backward.refresh()
        xs = self._positions(args, kwargs)
        with integer_scope(xs):
            value, saved = _run(forward, args, kwargs, {})
        refuse_integer(value, xs, self._mode, halves.forward.where)
        again = halves.again_from(args, kwargs)

        def backward_half(u):
            with integer_scope(xs):
                return _run(backward, (saved, u), again, {})
        return value, saved, backward_half

    def __call__(self, *args, **kwargs):
        value, saved, backward = self._forward(args, kwargs)

        def pullback(u):
            check_like(u, value, "vjp: the cotangent")
            return self._grads(backward(u), args, kwargs)
        pullback.__doc__ = f"uᵀ J for {getattr(self.fn, '__name__', 'f')} at the given arguments."
        return value, pullback


class ElementwiseGrad(Transformed):
    """The derivative of an elementwise function at every element: reverse mode seeded with ones.

    Its generated code takes the function's own arguments, so it nests:
    ``elementwise_grad(elementwise_grad(f))`` is the second derivative on a grid.
    """

    _mode = "elementwise"

    def __init__(self, fn: Callable, wrt: Wrt = 0, target: Optional[str] = None):
        super().__init__(fn, wrt, target)
        self._probed = set()

    def __call__(self, *args, **kwargs):
        xs = self._positions(args, kwargs)
        key = [(getattr(x, "shape", None), getattr(x, "dtype", None), type(x)) for x in xs]
        key = key[0] if len(key) == 1 else tuple(key)
        if key in self._probed:
            return super().__call__(*args, **kwargs)
        grads = self._probed_call(args, kwargs, xs)
        if grads is None:   # a target, a container, a complex value, or an output shaped unlike the inputs
            grads = super().__call__(*args, **kwargs)
            self._probe(args, kwargs, xs, grads if self._many else (grads,))
        self._probed.add(key)
        return grads

    def _probed_call(self, args, kwargs, xs):
        """The first call for these shapes: one forward sweep, two backward sweeps (seeds 1 and a random ``u``).

        For an elementwise function the Jacobian is diagonal, so ``Jᵀ u`` is the
        elementwise derivative times ``u``; the user's statements run once (the
        forward half), as in any derivative call.  None where this cannot
        apply (then ``_probe`` checks with a jvp).
        """
        if self.target is not None or kwargs:
            return None
        real = (float, np.ndarray, np.floating)
        if not all(isinstance(x, real) and not is_complex_value(x) for x in xs):
            return None
        value, pullback = Vjp(self.fn, tuple(self.wrt))(*args)
        if not isinstance(value, real) or is_complex_value(value) \
                or any(np.shape(value) != np.shape(x) for x in xs):
            return None
        dtype = value.dtype if isinstance(value, (np.ndarray, np.floating)) else np.float64
        u = _probe_vector(value, dtype, np.random.default_rng(12345))
        one = np.ones(np.shape(value), dtype)
        if not np.shape(value):
            one = one[()] if isinstance(value, np.generic) else 1.0
        grads = pullback(one)
        probes = pullback(u)
        for g, p in zip(grads, probes):
            self._refuse_unless(np.asarray(p), np.asarray(g) * u, dtype, "a vjp")
        return grads if self._many else grads[0]

    def _refuse_unless(self, got, expected, dtype, what: str) -> None:
        """Refuse the function unless ``got`` (a random sweep) is the elementwise derivative times the seed."""
        tol = 1e-3 if np.dtype(dtype).itemsize < 8 else 1e-7
        same = got.shape == expected.shape
        finite = np.isfinite(expected) & np.isfinite(got) if same else True
        if same and np.allclose(np.where(finite, got, 0), np.where(finite, expected, 0),
                                rtol=tol, atol=tol * (1 + np.max(np.abs(got), initial=0))):
            return
        where = self.derivative.where
        name = getattr(self.fn, "__name__", "f")
        how = ('has shape ' + str(got.shape) + ', not its input shape ' + str(expected.shape) if not same
               else 'at one element depends on other input elements')
        raise TransformError(
            f"elementwise_grad needs an elementwise function, but `{name}` is not one: its output "
            f"{how} ({what} at a random vector disagrees with the elementwise derivative), so the "
            "sum of each column of the Jacobian it would return is not a derivative of each element",
            hint="use tangentish.jacobian(f) for the whole Jacobian, or tangentish.vjp(f) for "
                 "uᵀ J with the u you mean.", **where)

    def _probe(self, args, kwargs, xs, grads) -> None:
        """Refuse a function that is not elementwise: one jvp at a random tangent ``u`` must be ``g * u``.

        For an elementwise function the Jacobian is diagonal, so ``J u`` equals
        the elementwise derivative times ``u``; for any other (``np.sum(v) * v``)
        the reverse sweep's ``Jᵀ 1`` is not an elementwise derivative at all.
        Used where ``_probed_call`` cannot be (an output shaped unlike its inputs,
        containers, keyword arguments): there it is a second derivative call,
        and the function runs once more, inside the jvp.
        """
        if self.target is not None:
            return
        rng = np.random.default_rng(12345)
        for w, x, g in zip(self.wrt, xs, grads):
            if not isinstance(x, (float, np.ndarray, np.floating)) or is_complex_value(x):
                continue
            dtype = x.dtype if isinstance(x, (np.ndarray, np.floating)) else np.float64
            u = _probe_vector(x, dtype, rng)
            try:
                _, ju = Jvp(self.fn, w)(*args, u, **kwargs)
            except TransformError:   # no forward rule somewhere: the probe cannot tell, the result stands
                continue
            self._refuse_unless(np.asarray(ju), np.asarray(g) * u, dtype, "a jvp")


def _probe_vector(like, dtype, rng):
    """A random seed shaped like ``like``, entries of size 0.5 to 1.5 and random sign, of ``like``'s kind."""
    shape = np.shape(like)
    u = (rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)).astype(dtype)
    if not shape:
        return u[()] if isinstance(like, np.generic) else float(u)
    return u


class Hvp(Jvp):
    """``hvp(f)(*args, v)`` -> H v: forward mode over the generated gradient, H never formed."""

    _mode = "hvp"
    _forward_mode = "tangent"

    def __init__(self, fn: Callable, wrt: Wrt = 0):
        super().__init__(fn, wrt)
        if len(self.wrt) != 1:
            raise TangentishError(f"{type(self).__name__.lower()} differentiates with respect to one "
                                  "argument; give wrt a single position or name")
        self.gradient = Grad(fn, self.wrt[0])

    def _build(self) -> pipeline.Derivative:
        return pipeline.forward_derivative(self.gradient, self.wrt, "tangent")

    def _for_complex(self, d, complex_args):
        return d   # forward over the gradient, which picks its complex transform itself

    def __call__(self, *args, **kwargs):
        primals, tangents = _split(args, 1, "hvp")
        x = self._positions(primals, kwargs)[0]
        return match_input(self._tangent_call(primals, kwargs, tangents, "hvp"), x)


class Hessian(_CalledDifferently, Hvp):
    """The Hessian of a scalar function, one HVP per input element (forward over reverse)."""

    _mode = "hessian"
    _instead = "for third derivatives use jacobian(hvp(f)) or grad(grad(grad(f)))."

    def __call__(self, *args, **kwargs):
        value = self.fn(*args, **kwargs)
        refuse_integer(value, self._positions(args, kwargs), "hessian", _user_where(self.derivative))
        if np.ndim(value) != 0 or isinstance(value, (dict, list, tuple)):
            raise TangentishError(
                f"hessian needs a scalar-valued function, but `{getattr(self.fn, '__name__', 'f')}` "
                f"returned {_describe(value)}. Hint: use jacobian(f) for the first derivative of a "
                f"vector function, or reduce its output to a scalar first.")
        x = self._positions(args, kwargs)[0]
        cols = _sweeps(self.derivative, args, kwargs, self.derivative.tangents[0], _basis(x))
        shape = np.shape(x)
        H = np.stack(cols, axis=-1).reshape(shape + shape) if cols else np.zeros(shape + shape)
        return match_input(H, x)   # a float for a float, float32 for float32


class Jacobian(_CalledDifferently, Transformed):
    """The Jacobian, shaped ``output.shape + input.shape``.

    ``mode="auto"`` runs forward mode (one sweep per input element) when the
    input is no larger than the output, reverse mode (one per output element)
    otherwise; ``"fwd"``/``"rev"`` force one.
    """

    _mode = "jacobian"
    _instead = "use hessian(f) or jacobian(grad(f)) for second derivatives."

    def __init__(self, fn: Callable, wrt: Wrt = 0, mode: str = "auto"):
        super().__init__(fn, wrt)
        if mode not in ("auto", "fwd", "rev"):
            raise TangentishError(f"jacobian mode must be 'auto', 'fwd' or 'rev', not {mode!r}")
        self.mode = mode
        self.forward = Jvp(fn, self.wrt[0])
        self.forward._forward_mode = "tangent"
        self.reverse = Vjp(fn, self.wrt[0])
        self.last = None

    def _build(self) -> pipeline.Derivative:
        return (self.last or (self.reverse if self.mode == "rev" else self.forward)).derivative

    @property
    def source(self) -> str:
        return (self.last or (self.reverse if self.mode == "rev" else self.forward)).source

    def __call__(self, *args, **kwargs):
        if self._many:
            return tuple(Jacobian(self.fn, w, self.mode)(*args, **kwargs) for w in self.wrt)
        if self.mode == "fwd":   # (forward mode runs the function once per column anyway)
            value = self.fn(*args, **kwargs)
        else:   # the forward half runs the user's statements once, gives the value and the output shape
            value, saved, backward = self.reverse._forward(args, kwargs)
        x = self._positions(args, kwargs)[0]
        refuse_integer(value, [x], "jacobian", self.forward.derivative.where)
        out_shape, in_shape = np.shape(value), np.shape(x)
        mode = self.mode
        if mode == "auto":
            mode = "fwd" if np.prod(in_shape, dtype=int) <= np.prod(out_shape, dtype=int) else "rev"
        complex_args = complex_positions(args)
        if mode == "fwd":
            self.last = self.forward
            d = self.forward.derivative
            if complex_args:   # real-only rules refuse complex values, as everywhere
                d = self.forward._for_complex(d, complex_args)
            cols = _sweeps(d, args, kwargs, d.tangents[0], _basis(x))
            J = np.stack(cols, axis=-1) if cols else np.zeros(out_shape + (0,))
        else:   # one forward sweep, then one backward sweep per output element
            self.last = self.reverse
            rows = [np.asarray(backward(u if out_shape else u[()])) for u in _basis(value)]
            J = np.stack(rows, axis=0) if rows else np.zeros((0,) + in_shape)
            if complex_args:
                J = np.conj(J)
        self._derivative = None
        return match_input(J.reshape(out_shape + in_shape), x)


def _sweeps(d: pipeline.Derivative, args, kwargs, param: str, seeds) -> list:
    """One call of generated function ``d`` per seed (tangent or cotangent ``param``)."""
    d.refresh()
    with integer_scope(args):
        return [np.asarray(_run(d, args, kwargs, {param: s})) for s in seeds]


def _describe(value) -> str:
    if isinstance(value, (dict, list, tuple)):
        return f"a {type(value).__name__}"
    return f"an array of shape {np.shape(value)}"


def jvp(fn: Optional[Callable] = None, wrt: Wrt = 0, target: Optional[str] = None):
    """Forward mode: ``jvp(f)(*args, v)`` returns ``(f(*args), J v)``.

    Pass one tangent per ``wrt`` argument after ``f``'s own arguments; each has
    the shape (and container structure) of its argument.
    """
    return _decorator(Jvp, fn, wrt, target)


def vjp(fn: Optional[Callable] = None, wrt: Wrt = 0, target: Optional[str] = None):
    """Reverse mode: ``value, pullback = vjp(f)(*args)``; ``pullback(u)`` is ``uᵀ J``.

    ``u`` has the shape of ``f``'s output, which may be any array.
    """
    return _decorator(Vjp, fn, wrt, target)


def elementwise_grad(fn: Optional[Callable] = None, wrt: Wrt = 0, target: Optional[str] = None):
    """The derivative of an elementwise ``fn`` at every element (a vjp with a seed of ones)."""
    return _decorator(ElementwiseGrad, fn, wrt, target)


def hvp(fn: Optional[Callable] = None, wrt: Wrt = 0):
    """Hessian-vector product ``hvp(f)(*args, v)`` = H v, without forming H."""
    return _decorator(Hvp, fn, wrt)


def hessian(fn: Optional[Callable] = None, wrt: Wrt = 0):
    """The Hessian of scalar ``fn``, shaped ``x.shape + x.shape`` (forward over reverse)."""
    return _decorator(Hessian, fn, wrt)


def jacobian(fn: Optional[Callable] = None, wrt: Wrt = 0, mode: str = "auto"):
    """The Jacobian of ``fn``, shaped ``output.shape + input.shape``; see `Jacobian` for ``mode``."""
    return _decorator(Jacobian, fn, wrt, mode)
