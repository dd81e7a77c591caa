"""``check_grads``: compare generated derivatives against central finite differences.

For users checking their own rules (``@tangentish.adjoint``) as much as for
us.  Along a random direction ``v`` of one argument, forward mode must match
``(f(x + εv) - f(x - εv)) / 2ε``, and reverse mode must satisfy
``⟨u, J v⟩ = ⟨Jᵀ u, v⟩`` for a random cotangent ``u``.  With ``order=2`` the
generated derivative functions are themselves checked the same way, which
exercises the rules of the runtime helpers (grad of grad, HVPs).  A failure
says which argument, which mode and order, the direction, and by how much.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Sequence, Union

import numpy as np

from . import pipeline
from .errors import TangentishError, TransformError


class GradientCheckError(TangentishError, AssertionError):
    """A derivative disagrees with finite differences; attributes say where and by how much."""

    def __init__(self, message: str, mode: str, order: int, argument, direction, error: float,
                 tolerance: float, derivative=None, reference=None, cotangent=None):
        super().__init__(message)
        self.mode, self.order, self.argument = mode, order, argument
        self.direction, self.error, self.tolerance = direction, error, tolerance
        # what was compared: the derivative's numbers and the finite differences' (forward:
        # J v flattened; reverse: [<J^T u, v>] and [<u, J v>], u the random ``cotangent``)
        self.derivative, self.reference, self.cotangent = derivative, reference, cotangent


# ---- values as flat vectors ----------------------------------------------------------


def _flat(tree) -> np.ndarray:
    if isinstance(tree, dict):
        parts = [_flat(tree[k]) for k in sorted(tree)]
    elif isinstance(tree, (list, tuple)):
        parts = [_flat(v) for v in tree]
    else:
        return np.ravel(np.asarray(tree, dtype=np.result_type(np.asarray(tree).dtype, float)))
    return np.concatenate(parts) if parts else np.zeros(0)


def _map(fn, tree):
    if isinstance(tree, dict):
        return {k: _map(fn, v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        items = [_map(fn, v) for v in tree]
        return type(tree)(*items) if hasattr(tree, "_fields") else type(tree)(items)
    return fn(tree)


def _random_like(tree, rng):
    def one(x):
        if np.ndim(x) == 0 and not isinstance(x, np.ndarray):
            return float(rng.standard_normal())
        return rng.standard_normal(np.shape(x))
    return _map(one, tree)


def _axpy(x, a, v):
    """``x + a v`` for values that may be containers."""
    if isinstance(x, dict):
        return {k: _axpy(x[k], a, v[k]) for k in x}
    if isinstance(x, (list, tuple)):
        items = [_axpy(p, a, q) for p, q in zip(x, v)]
        return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)
    return x + a * v


def _as_float64(x):
    def one(v):
        if isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.floating):
            return v.astype(np.float64)
        if isinstance(v, np.floating):
            return float(v)
        return v
    return _map(one, x)


def _is_float_like(x) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, float):
        return True
    if isinstance(x, dict):      # parameters in a container: checked when every leaf is a float
        return bool(x) and all(_is_float_like(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return bool(x) and all(_is_float_like(v) for v in x)
    return isinstance(x, (np.ndarray, np.floating)) and np.issubdtype(np.asarray(x).dtype, np.floating)


# ---- the check ----------------------------------------------------------------------------


def check_grads(fn: Callable, *args, modes: Sequence[str] = ("fwd", "rev"), order: int = 2,
                wrt: Union[int, Sequence[int], None] = None, eps: float = 1e-6, rtol: float = 1e-5,
                atol: float = 1e-6, directions: int = 1, seed: int = 0, **kwargs) -> None:
    """Raise `GradientCheckError` unless ``fn``'s derivatives match finite differences.

    ``modes`` picks forward (``"fwd"``) and/or reverse (``"rev"``) mode; ``order``
    how many times to differentiate; ``wrt`` the argument position or positions
    to check (default: every float or float-array argument).  Inputs are checked in
    float64.  Returns None when everything agrees.
    """
    bad = [m for m in modes if m not in ("fwd", "rev")]
    if bad or not modes:
        raise TangentishError(f"check_grads modes are 'fwd' and 'rev', got {tuple(modes)!r}")
    if order < 1:
        raise TangentishError(f"check_grads order must be at least 1, got {order}")
    args = [_as_float64(a) for a in args]
    kwargs = {k: _as_float64(v) for k, v in kwargs.items()}
    if wrt is None:
        positions = [i for i, a in enumerate(args) if _is_float_like(a)]
    elif isinstance(wrt, (int, np.integer)) and not isinstance(wrt, bool):
        positions = [int(wrt)]           # wrt=0 as grad(f, wrt=0) takes it
    elif isinstance(wrt, (list, tuple, range)):
        positions = list(wrt)
    else:
        positions = [wrt]                # refused just below, with the positions it could name
    for i in positions:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not -len(args) <= i < len(args):
            raise TangentishError(f"check_grads wrt must name argument positions 0..{len(args) - 1}, "
                                  f"got {wrt!r}")
    positions = [int(i) % len(args) for i in positions]
    if not positions:
        raise TangentishError("check_grads found no float argument to check; pass wrt=(positions,)")
    checker = _Checker(np.random.default_rng(seed), eps, rtol, atol, directions,
                       getattr(fn, "__name__", "f"))
    for i in positions:
        checker.check(fn, args, kwargs, i, list(modes), order, level=1)
    if checker.unbuilt:
        raise checker.unbuilt[0]


class _Checker:
    def __init__(self, rng, eps, rtol, atol, directions, name):
        self.rng, self.eps, self.rtol, self.atol = rng, eps, rtol, atol
        self.directions, self.name = directions, name
        self.unbuilt: List[TransformError] = []

    def check(self, fn, args, kwargs: Dict, i: int, modes, order: int, level: int) -> None:
        x = args[i]
        for k in range(self.directions):
            v = _random_like(x, self.rng)
            fd = self.difference(fn, args, kwargs, i, v)
            for mode in modes:
                derivative = self.build(fn, i, mode)
                if derivative is None:
                    continue
                if mode == "fwd":
                    extra = {derivative.tangents[0]: v}
                    got = _flat(derivative.function(*args, **kwargs, **extra))
                    self.compare(got, fd, "forward mode (J v)", mode, level, i, v, None)
                else:
                    u = _random_like(fn(*args, **kwargs), self.rng)
                    extra = {derivative.seed: u}
                    g = derivative.function(*args, **kwargs, **extra)
                    got = np.dot(_flat(g), _flat(v))
                    self.compare(np.array([got]), np.array([np.dot(_flat(u), fd)]),
                                 "reverse mode (<u, J v>)", mode, level, i, v, u)
                if order > 1:
                    self.check(derivative.function, args, {**kwargs, **extra}, i, modes, order - 1,
                               level + 1)

    def build(self, fn, i: int, mode: str):
        try:
            if mode == "fwd":
                return pipeline.forward_derivative(fn, (i,), "tangent")
            return pipeline.reverse_derivative(fn, (i,), "vjp")
        except TransformError as e:
            self.unbuilt.append(e)
            return None

    def difference(self, fn, args, kwargs, i, v) -> np.ndarray:
        def at(a):
            moved = list(args)
            moved[i] = _axpy(args[i], a, v)
            return _flat(fn(*moved, **kwargs))
        return (at(self.eps) - at(-self.eps)) / (2 * self.eps)

    def compare(self, got, fd, what, mode, level, i, v, u) -> None:
        err = float(np.max(np.abs(got - fd))) if got.size else 0.0
        if got.shape != fd.shape:
            err = float("inf")
        scale = float(np.max(np.abs(fd))) if fd.size else 0.0
        tol = self.atol + self.rtol * max(scale, float(np.max(np.abs(got))) if got.size else 0.0)
        if err <= tol:
            return
        nth = {1: "first", 2: "second", 3: "third"}.get(level, f"order-{level}")
        raise GradientCheckError(
            f"check_grads: the {nth} derivative of `{self.name}` with respect to argument {i} "
            f"disagrees with central finite differences in {what}: largest difference {err:.3g} "
            f"(tolerance {tol:.3g}); derivative {_show(got)} vs finite differences {_show(fd)}, "
            f"along the random direction v = {_show(_flat(v))}",
            mode, level, i, v, err, tol, derivative=got, reference=fd, cotangent=u)


def _show(a: np.ndarray) -> str:
    a = np.asarray(a)
    if a.size == 1:
        return f"{a.reshape(())[()]:.6g}"
    return np.array2string(a, precision=4, threshold=6)
