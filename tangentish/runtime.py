"""Helpers that generated derivative code calls; the only tangentish import of that code.

Each helper is short on purpose: it is read by users in generated source.  They
use array methods and ``numpy`` functions that CuPy and dask also provide, and
import nothing of the transformer, so an exported derivative runs with this
module alone.  Fast paths come first: in the common case (shapes already equal)
a helper costs one comparison.
"""
import numpy as np

__all__ = [
    "unbroadcast", "broadcast_like", "unreduce", "count", "one_like", "zeros_like", "tree_add", "mT",
    "matmul_da", "matmul_db", "replace_zero", "power_exponent", "unindex", "inverse_perm", "extremum_mask", "cast_like", "balanced_eq",
    "unassign", "sum_adjoint", "untree", "extremum_index", "unattr",
    "no_derivative", "tuple_of",
    "checked_like", "ones_like", 
]


# ---- structured adjoints -----------------------------------------------------
#
# The adjoint of a dict, list, tuple or namedtuple argument has the same
# structure.  Inside generated code such adjoints are `Tree` containers, whose
# ``+`` adds leaf by leaf, so ``dparams = dparams + unindex(dW, params, "W")``
# reads like the array case and can never concatenate two lists.  `untree`
# turns them back into plain containers before the user sees them.


class TreeDict(dict):
    """A dict adjoint: ``a + b`` adds values key by key."""

    def __add__(self, other):
        return tree_add(self, other)

    __radd__ = __iadd__ = __add__


class TreeList(list):
    """A list adjoint: ``a + b`` (and ``a += b``) adds element by element; slices stay TreeLists."""

    def __add__(self, other):
        return tree_add(self, other)

    __radd__ = __iadd__ = __add__

    def __getitem__(self, index):
        item = list.__getitem__(self, index)
        return TreeList(item) if isinstance(index, slice) else item


class TreeTuple(TreeList):
    """A tuple (or namedtuple) adjoint, kept as a list so a loop can add into one slot.

    ``kind`` is the user's tuple type; `untree` rebuilds it.
    """

    kind = tuple

    def __getattr__(self, attr):
        fields = getattr(self.kind, "_fields", ())
        if attr in fields:
            return self[fields.index(attr)]
        raise AttributeError(attr)

    def __getitem__(self, index):
        item = list.__getitem__(self, index)
        return _tree_tuple(item, tuple) if isinstance(index, slice) else item


def _tree_tuple(items, kind):
    out = TreeTuple(items)
    out.kind = kind
    return out


def _tree_like(x, items):
    """A Tree container shaped like ``x`` holding ``items`` (values for a dict)."""
    if isinstance(x, dict):
        return TreeDict(zip(x.keys(), items))
    if isinstance(x, TreeTuple) or isinstance(x, tuple):
        return _tree_tuple(items, getattr(x, "kind", type(x)))
    return TreeList(items)


def untree(g):
    """Plain dicts, lists, tuples and namedtuples again, for the user."""
    if isinstance(g, dict):
        return {k: untree(v) for k, v in g.items()}
    if isinstance(g, tuple) or "kind" in type(g).__dict__ or isinstance(g, TreeTuple):
        # (the class test also knows the TreeTuple of a retargeted runtime, a copy of this one)
        kind = getattr(g, "kind", type(g))
        items = [untree(v) for v in g]
        return kind(*items) if hasattr(kind, "_fields") else tuple(items)
    if isinstance(g, list):
        return [untree(v) for v in g]
    return g


_SCALARS = frozenset({float, int, np.float64, np.float32})


def unbroadcast(g, like):
    """Sum ``g`` over the axes that broadcasting added to ``like``.

    If ``z = x + y`` broadcast ``x`` from shape (3,) to (4, 3), then
    dL/dx = sum over axis 0 of dL/dz: the adjoint has the shape of ``x`` again.
    """
    if type(like) in _SCALARS and type(g) in _SCALARS:   # the scalar loop's fast path
        return g
    shape = np.shape(like)
    if np.shape(g) == shape:
        return g
    g = np.asarray(g) if not hasattr(g, "ndim") else g
    if not shape and g.ndim and not any(g.strides):
        # every element is the same (a broadcast scalar, e.g. after unreduce): sum is value * count
        return g.reshape(-1)[0] * g.size
    extra = g.ndim - len(shape)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if ones:
        g = g.sum(axis=ones, keepdims=True)
    return g if shape else g.reshape(())[()]


def broadcast_like(v, like):
    """The tangent ``v`` spread to ``like``'s shape (the forward-mode twin of `unbroadcast`).

    If ``z = x + c`` broadcast ``x`` from shape (3,) to (4, 3) and only ``x``
    moves, dz = dx repeated along axis 0: a tangent has its value's shape.
    """
    if isinstance(v, (dict, list, tuple)) or isinstance(like, (dict, list, tuple)):
        return v   # a container's tangent (the sum of two container adjoints) has its structure already
    shape = np.shape(like)
    if np.shape(v) == shape:
        return v
    return np.broadcast_to(v, shape)


def unreduce(g, x, axis=None, keepdims=False, where=True):
    """Spread the adjoint ``g`` of a reduction of ``x`` back over ``x``'s shape.

    ``y = x.sum(axis)`` copies each ``x`` element into one ``y`` element, so
    dL/dx is dL/dy broadcast back along the reduced ``axis``; elements that
    ``where`` leaves out of the reduction get zero.
    """
    if where is not True:
        return np.where(where, unreduce(g, x, axis, keepdims), 0.0).astype(np.result_type(g, 0.0), copy=False)
    shape = np.shape(x)
    if not keepdims and axis is not None and shape:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        axes = sorted(a % len(shape) for a in axes)
        g = np.asarray(g) if not hasattr(g, "reshape") else g
        g = g.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))
    if np.shape(g) == shape:
        return g
    return np.broadcast_to(g, shape)


def count(a, axis=None, keepdims=False, where=True):
    """How many elements of ``a`` each entry of ``np.mean(a, axis, where=where)`` averages."""
    shape = np.shape(a)
    if where is not True:
        n = np.sum(np.broadcast_to(where, shape), axis=axis, keepdims=keepdims)
        return n.astype(np.result_type(a, 0.0), copy=False)
    if axis is None:
        return int(np.prod(shape))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return int(np.prod([shape[i] for i in axes]))


_FLOAT_SCALARS = {float: 1.0, np.float64: np.float64(1.0), np.float32: np.float32(1.0)}
#: set by the API while it differentiates with respect to an integer or bool argument: only then
#: may the result be an integer (``grad(lambda n: n ** 3)(2)``); otherwise a bool or integer
#: result (``x > 0``, ``len(x)``, ``np.sum(x > 0)``) has no derivative and is refused
#: (it lives in errors.py, imported once, so the CuPy and dask copies of this module share it)
from tangentish.errors import INTEGER_WRT  # noqa: E402


def _integer_result(y) -> bool:
    """Is ``y`` a bool or an integer (Python, NumPy scalar, or an integer/bool array)?"""
    if isinstance(y, (bool, int, np.bool_, np.integer)):
        return True
    dtype = getattr(y, "dtype", None)
    return dtype is not None and getattr(dtype, "kind", "") in "biu" and hasattr(y, "shape")


def refuse_integer_result(y, api: str = "grad") -> None:
    """Raise unless ``y`` can carry a derivative: a bool, integer, string or None result has none."""
    if type(y) is float or getattr(getattr(y, "dtype", None), "kind", None) in ("f", "c"):
        return   # (the common case, first: this runs on every call)
    if y is None or isinstance(y, (str, bytes)):
        from tangentish.errors import TransformError
        raise TransformError(f"{api} needs a function whose result is a number or an array, but it "
                             f"returned {'None' if y is None else 'a ' + type(y).__name__}, which has no derivative",
                             hint="return the number (or array) to differentiate.")
    if _integer_result(y) and not INTEGER_WRT.get():
        from tangentish.errors import TransformError
        kind = "a bool" if isinstance(y, (bool, np.bool_)) or getattr(getattr(y, "dtype", None), "kind", "") == "b" \
            else "an integer"
        raise TransformError(
            f"{api} needs a function whose result is a floating-point (or complex) number, but it "
            f"returned {kind} ({type(y).__name__}{'' if np.ndim(y) == 0 else f' of shape {np.shape(y)}'}): "
            "a bool or integer result has no derivative",
            hint="return the float quantity to differentiate; a comparison or a count is a step "
                 "function, constant wherever it has a derivative.")


def one_like(y):
    """The seed dL/dL = 1, in ``y``'s float dtype; ``grad`` needs a scalar ``y``."""
    if type(y) in _FLOAT_SCALARS:
        return _FLOAT_SCALARS[type(y)]
    refuse_integer_result(y)
    if not _is_numeric(y) or np.ndim(y) != 0:
        from tangentish.errors import TransformError
        raise TransformError(
            f"grad needs a function that returns a scalar, but it returned {_described(y)}",
            hint="use tangentish.vjp or tangentish.jacobian for vector outputs, or reduce the "
                 "output (np.sum, np.mean) first." if isinstance(y, (tuple, list)) or np.ndim(y)
            else "return the number to differentiate.")
    dtype = getattr(y, "dtype", None)
    if dtype is not None and np.issubdtype(dtype, np.floating):
        return dtype.type(1.0)
    return 1.0


def _is_numeric(y) -> bool:
    return y.dtype.kind in "biufc" if isinstance(y, np.ndarray) else \
        isinstance(y, (int, float, complex, np.number, np.bool_))


def _described(y) -> str:
    """``an array of shape (2,)``, ``a tuple of 2 values``, ``a str``: what a function returned."""
    return (f"an array of shape {y.shape}" if isinstance(y, np.ndarray) else
            f"a {type(y).__name__} of {len(y)} values" if isinstance(y, (tuple, list)) else
            f"a {type(y).__name__}")


def ones_like(y):
    """The seed of ``elementwise_grad``: dL/dy = 1 at every element of ``y``, in its float dtype."""
    refuse_integer_result(y, "elementwise_grad")
    dtype = getattr(y, "dtype", None)
    if dtype is not None and np.issubdtype(dtype, np.floating):
        return np.ones_like(y)
    return np.ones(np.shape(y)) if np.ndim(y) else 1.0


def zeros_like(x):
    """A zero adjoint with the structure of ``x``: dicts, lists and tuples included.

    ``None`` (the placeholder of a temporary not set on this path, e.g. a loop
    iteration that took its ``continue`` branch) has no derivative: None.
    """
    if x is None:
        return None
    if isinstance(x, (str, bytes)):   # a result (or argument) that has no derivative
        refuse_integer_result(x, "differentiation")
    if isinstance(x, (dict, list, tuple)):
        return _tree_like(x, [zeros_like(v) for v in (x.values() if isinstance(x, dict) else x)])
    if isinstance(x, (bool, int, float, complex)):
        return 0.0 * x if not isinstance(x, bool) else 0.0
    if hasattr(x, "dtype") and not np.issubdtype(x.dtype, np.inexact):
        return np.zeros(np.shape(x))
    return x * 0 if not hasattr(x, "shape") else np.zeros_like(x)


def tree_add(a, b):
    """``a + b`` for adjoints that may be containers (summed leaf by leaf)."""
    if isinstance(a, dict):
        return TreeDict((k, tree_add(a[k], b[k])) for k in a)
    if isinstance(a, (list, tuple)):
        return _tree_like(a, [tree_add(u, v) for u, v in zip(a, b)])
    return a + b


def mT(x):
    """Matrix transpose of the last two axes (``x.T`` for a matrix, ``x`` for a vector)."""
    return x if np.ndim(x) < 2 else np.swapaxes(x, -1, -2)


def _promote(g, a, b):
    """Treat vector operands of ``a @ b`` as matrices, as matmul does."""
    a2 = a[None, :] if np.ndim(a) == 1 else a
    b2 = b[:, None] if np.ndim(b) == 1 else b
    if np.ndim(b) == 1:
        g = np.reshape(g, np.shape(g) + (1,))
    if np.ndim(a) == 1:
        g = np.expand_dims(g, -2)
    return g, a2, b2


def matmul_da(g, a, b):
    """Adjoint of ``a`` in ``z = a @ b`` (or ``np.dot``) given ``g`` = dL/dz: ``g @ b.T``, any ranks."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 2 and nb == 2:
        return g @ b.T
    if na == 2 and nb == 1:          # matrix @ vector: an outer product
        return np.outer(g, b)
    if na == 0 or nb == 0:
        return unbroadcast(g * b, a)
    g2, a2, b2 = _promote(g, np.asarray(a), np.asarray(b))
    da = unbroadcast(g2 @ mT(b2), a2)
    return da.reshape(np.shape(a))


def matmul_db(g, a, b):
    """Adjoint of ``b`` in ``z = a @ b`` (or ``np.dot``) given ``g`` = dL/dz: ``a.T @ g``, any ranks."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 2 and (nb == 2 or nb == 1):
        return a.T @ g
    if na == 0 or nb == 0:
        return unbroadcast(a * g, b)
    g2, a2, b2 = _promote(g, np.asarray(a), np.asarray(b))
    db = unbroadcast(mT(a2) @ g2, b2)
    return db.reshape(np.shape(b))


def extremum_mask(x, y, axis=None, keepdims=False):
    """Where ``x`` attains its max/min ``y``, split evenly among ties (sums to one)."""
    hit = (x == unreduce(y, x, axis, keepdims)) * _one(x)
    return hit / unreduce(np.sum(hit, axis=axis, keepdims=keepdims), x, axis, keepdims)


def balanced_eq(x, z, y):
    """1 where ``x`` is the winner of ``maximum(x, y)``, 0.5 on a tie, else 0."""
    one = _one(x)
    return (x == z) * one / (one + (x == y))


def _one(x):
    """1 in ``x``'s float dtype, so masks built from comparisons keep float32 float32."""
    return np.ones((), dtype=np.result_type(x, 0.0))[()]


def cast_like(g, x):
    """``g`` in ``x``'s float dtype: float32 inputs keep float32 adjoints."""
    dtype = getattr(x, "dtype", None)
    if dtype is None or getattr(g, "dtype", dtype) == dtype or not np.issubdtype(dtype, np.inexact):
        return g
    return g.astype(dtype) if hasattr(g, "astype") else dtype.type(g)


def power_exponent(y):
    """``y - 1``, the exponent of d(x ** y)/dx = y x ** (y - 1), but 1 where ``y`` is 0.

    ``x ** 0`` is constant, so its slope ``0 * x ** -1`` must be 0, not 0 * inf
    = nan at x = 0 (nor ZeroDivisionError for a Python float): with this
    exponent the slope is 0 * x there.
    """
    if np.ndim(y) == 0 and not isinstance(y, np.ndarray):
        return 1 if y == 0 else y - 1
    return np.where(y == 0, np.ones_like(y), y - 1)


def replace_zero(x, value):
    """``x`` with zeros replaced by ``value``: keeps log(x) finite where its factor is 0."""
    return np.where(x == 0, value, x)


def unindex(g, x, index):
    """Adjoint of ``y = x[index]``: ``g`` scattered into zeros shaped like ``x``.

    Repeated integer indices accumulate (``np.add.at``), as the chain rule asks.
    For a container ``x`` (``params["W"]``) the result is a Tree of zeros with
    ``g`` in slot ``index``.
    """
    if isinstance(x, (dict, list, tuple)):
        out = zeros_like(x)
        if isinstance(x, dict):
            out[index] = g
            return out
        items = list(out)
        if isinstance(index, slice):
            items[index] = list(g)
        else:
            items[index] = g
        return _tree_like(out, items)
    out = np.zeros(np.shape(x), dtype=np.result_type(g, 0.0))
    parts = index if isinstance(index, tuple) else (index,)
    if any(isinstance(p, (list, np.ndarray)) and np.asarray(p).dtype != bool for p in parts):
        np.add.at(out, index, g)
    else:
        out[index] += g
    return out


def inverse_perm(axes):
    """The permutation undoing ``np.transpose(x, axes)``."""
    return None if axes is None else tuple(np.argsort(axes))


def unassign(g, index):
    """Adjoint of the old array in ``z[index] = v``: ``g`` with ``g[index]`` zeroed.

    The write replaced those elements, so nothing flows back to what they held.
    """
    if isinstance(g, (list, dict)):
        out = _tree_like(g, list(g.values()) if isinstance(g, dict) else list(g))
        out[index] = zeros_like(g[index])
        return out
    out = np.array(g, dtype=np.result_type(g, float), copy=True)
    out[index] = 0
    return out


def sum_adjoint(g, x):
    """Adjoint of builtin ``sum(x)``: every element of a list (or row of an array) gets ``g``,
    summed back to its own shape where ``+`` broadcast it."""
    if isinstance(x, (list, tuple)):
        return _tree_like(x, [unbroadcast(g, v) for v in x])
    return unreduce(unbroadcast(g, x[0]) if len(x) else g, x, axis=0)


def extremum_index(xs, y):
    """Where builtin ``max(xs)`` / ``min(xs)`` found ``y`` (the first such place)."""
    return int(np.argmax(np.asarray([np.all(x == y) for x in xs])))


def unattr(g, x, name):
    """Adjoint of ``y = x.name`` for a namedtuple ``x``: zeros with ``g`` in field ``name``."""
    fields = getattr(x, "_fields", None) or getattr(getattr(x, "kind", None), "_fields", None)
    if fields is None:
        from tangentish.errors import TransformError
        raise TransformError(f"cannot differentiate with respect to a {type(x).__name__} object (read "
                             f"through `.{name}`): gradients exist for arrays, numbers and containers of them",
                             hint=f"pass the values in a dict ({{'{name}': obj.{name}}}) and differentiate that.")
    items = list(zeros_like(x))
    items[fields.index(name)] = g
    return _tree_tuple(items, getattr(x, "kind", type(x)))


def checked_like(g, x, rule):
    """``g``, after checking it has the shape of ``x``: a user rule's result must match its input."""
    if isinstance(x, (dict, list, tuple)):
        same = (isinstance(g, dict) and set(g) == set(x)) if isinstance(x, dict) else \
            (isinstance(g, (list, tuple)) and len(g) == len(x))
        if same:
            for k in (x if isinstance(x, dict) else range(len(x))):
                checked_like(g[k], x[k], rule)
            return g
    elif np.shape(g) == np.shape(x):
        return g
    from tangentish.errors import GradientShapeError
    what = f"a {type(x).__name__} of {len(x)}" if isinstance(x, (dict, list, tuple)) else f"shape {np.shape(x)}"
    got = f"a {type(g).__name__}" if isinstance(g, (dict, list, tuple)) else f"shape {np.shape(g)}"
    raise GradientShapeError(
        f"the custom rule `{rule}` gave a result of {got}, but it must have {what}, like the "
        f"value it is the derivative for. Hint: sum over broadcast axes (unbroadcast) or "
        f"reshape in the rule.")


def no_derivative(what, *unused):
    """Raise: the derivative asked for has no formula tangentish knows.

    Rules pass the adjoint or tangent they would have used as ``unused``, so
    the line is dropped (and nothing raises) when that value is zero.  A rule's
    ``d[p] += no_derivative(...)`` line never runs: the transformer refuses it
    at the user's line when ``p`` is active (templates.refusal_error); helpers
    call this at run time for refusals that depend on values (np.pad's mode).
    """
    from tangentish.errors import TangentishError
    raise TangentishError(f"no derivative of {what}: tangentish has no formula for it. Hint: "
                          "keep this argument constant, or register a rule with @tangentish.adjoint.")


def tuple_of(items):
    """A tuple-valued tangent (``qr``, ``eigh``): a TreeTuple, whose ``+`` adds entry by entry."""
    return TreeTuple(items)


# Helpers of the shape, FFT, product, linear-algebra and cast/write rules live in their own modules;
# generated code still imports every helper from here.
from .runtime_arrays import *  # noqa: E402,F401,F403
from .runtime_arrays import __all__ as _arrays_all  # noqa: E402
from .runtime_complex import *  # noqa: E402,F401,F403
from .runtime_complex import __all__ as _complex_all  # noqa: E402
from .runtime_linalg import *  # noqa: E402,F401,F403
from .runtime_linalg import __all__ as _linalg_all  # noqa: E402
from .runtime_values import *  # noqa: E402,F401,F403
from .runtime_values import __all__ as _values_all  # noqa: E402

__all__ += _arrays_all + _linalg_all + _complex_all + _values_all
