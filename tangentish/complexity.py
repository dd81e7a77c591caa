"""Complexity analysis: which variables may hold complex values.

Most rules are written for real numbers: the adjoint of ``z = x * y`` is
``dz * y``.  For complex values the convention (the gradient of a real loss
is dL/da + i dL/db for z = a + ib) needs ``dz * conj(y)``.  For a
holomorphic primitive that is exactly ``conj(rule(conj(dz)))``, so reverse
mode wraps a real rule that way wherever a complex value may flow through it,
and leaves the real code people read every day untouched.

The analysis may over-approximate (wrapping a rule applied to real values
changes nothing), never under-approximate: a value is complex if a primitive
makes it so (the FFT family, a complex literal, ``dtype=complex``), if a
complex global or argument flows into it, or if any operand is complex,
unless the primitive returns real values (``np.real``, ``np.abs``, ...).
"""
from __future__ import annotations

import operator
import types
from typing import Iterable, Set

import gast
import numpy as np

from . import registry, runtime
from .activity import propagate
from .resolve import Resolver, hashable

_fft = np.fft
#: primitives whose result is complex even for real arguments
COMPLEX_OUT = {_fft.fft, _fft.ifft, _fft.fft2, _fft.ifft2, _fft.fftn, _fft.ifftn,
               _fft.rfft, _fft.rfft2, _fft.rfftn, _fft.ihfft}
#: primitives whose result is real even for complex arguments (their rules handle complex input)
REAL_OUT = {np.real, np.imag, np.absolute, np.fabs, np.angle, _fft.irfft, _fft.irfft2, _fft.irfftn,
            _fft.hfft, np.linalg.norm, abs, np.var, np.std, runtime.real_product}
#: rules already written for complex values, or real-coefficient linear maps (conj changes nothing)
COMPLEX_SAFE = COMPLEX_OUT | REAL_OUT | {
    np.conjugate, np.vdot, _fft.fftshift, _fft.ifftshift,
    np.add, np.subtract, np.negative, np.positive, operator.add, operator.sub, operator.neg,
    operator.pos, operator.getitem, np.sum, np.mean, np.reshape, np.ravel, np.transpose,
    np.squeeze, np.expand_dims, np.copy, np.array, np.asarray, np.concatenate, np.stack,
    np.where, runtime.unbroadcast, runtime.unreduce, runtime.unindex, runtime.tree_add,
}
for _name in ("vecdot", "hstack", "vstack", "swapaxes", "moveaxis", "flip", "roll", "broadcast_to",
              "split", "array_split", "hsplit", "vsplit", "dsplit"):
    if hasattr(np, _name):
        COMPLEX_SAFE.add(getattr(np, _name))
if hasattr(np.linalg, "vecdot"):   # sum(conj(x1) * x2): its rule is written for complex values
    COMPLEX_SAFE.add(np.linalg.vecdot)
for _name in ("vector_norm", "matrix_norm"):   # real results; their rules are np.linalg.norm's
    if hasattr(np.linalg, _name):
        REAL_OUT.add(getattr(np.linalg, _name))
        COMPLEX_SAFE.add(getattr(np.linalg, _name))
#: real-only rules: differentiating them at a complex value is an error, not a guess
COMPLEX_REFUSE = {np.maximum, np.minimum, np.clip, np.max, np.amax, np.min, np.amin, np.sort,
                  np.linalg.cholesky, np.linalg.eigh, np.linalg.eigvalsh, np.linalg.svd,
                  np.linalg.qr, np.linalg.slogdet, np.linalg.pinv, np.linalg.lstsq}


def is_complex_value(obj) -> bool:
    """A complex number or complex array (checked on every call, so cheap for floats)."""
    t = type(obj)
    if t is float or t is int:
        return False
    return isinstance(obj, complex) or getattr(getattr(obj, "dtype", None), "kind", "") == "c"


def holds_complex(obj, depth: int = 4) -> bool:
    """``obj`` is complex, or a list/tuple/dict (or a plain object's attributes) holding a complex value.

    What the complex analysis asks of a value read from the user's namespace
    (``L[0] * x`` with a global ``L = [1j * a, b]``). Saying yes for a real
    value only costs speed (the complex convention is right for real values
    too); saying no for a complex one would be a wrong derivative.
    """
    if is_complex_value(obj):
        return True
    if depth <= 0:
        return False
    if isinstance(obj, (list, tuple)):
        return any(holds_complex(v, depth - 1) for v in obj)
    if isinstance(obj, dict):
        return any(holds_complex(v, depth - 1) for v in obj.values())
    if isinstance(obj, (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
        return False
    attrs = getattr(obj, "__dict__", None)
    return isinstance(attrs, dict) and any(holds_complex(v, depth - 1) for v in attrs.values())


def complex_names(body, params: Iterable[str], resolver: Resolver) -> Set[str]:
    """Names in ``body`` that may hold complex values, given complex parameters ``params``."""
    def flows(expr, found):
        return _may_be_complex(expr, found, resolver)
    return propagate(body, params, flows, flows)


def _may_be_complex(expr, found: Set[str], resolver: Resolver) -> bool:
    op = resolver.op_of(expr)
    if op.kind in ("nondiff",):
        return False
    key = op.key
    if op.kind == "rule" and hashable(key):
        if key in COMPLEX_OUT:
            return True
        if key in REAL_OUT:
            return False
    for node in gast.walk(expr):
        if isinstance(node, gast.Constant) and isinstance(node.value, complex):
            return True
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            if node.id in found:
                return True
            if node.id not in resolver.locals:
                value = resolver.namespace.get(node.id)
                if value is complex or holds_complex(value) or _complex_dtype(value):
                    return True
        if isinstance(node, gast.Attribute) and node.attr.startswith("complex"):
            return True
    return False


def _complex_dtype(value) -> bool:
    try:
        return isinstance(value, type) and issubclass(value, np.complexfloating)
    except TypeError:
        return False


#: template files whose rules are written for complex values (see their docstrings)
COMPLEX_TEMPLATE_FILES = ("fft", "complex")
COMPLEX_SAFE.update({runtime.real_like, runtime.irfft_transpose, runtime.phase, runtime.phase_project,
                     runtime.tuple_of, runtime.unconcatenate, runtime.rejoin})


def refuses_complex(key) -> bool:
    """Is ``key``'s rule for real values only (in both modes)?"""
    return hashable(key) and (key in COMPLEX_REFUSE or key in registry.REAL_ONLY)


def needs_wrap(key) -> bool:
    """Must a rule for ``key`` be wrapped as conj(rule(conj(dz))) at complex values?"""
    if not hashable(key):
        return True
    rule = registry.REVERSE.get(key)
    module = getattr(rule, "__module__", "") or ""
    if module.rsplit(".", 1)[-1] in COMPLEX_TEMPLATE_FILES:
        return False
    return key not in COMPLEX_SAFE and not registry.is_user_rule(rule)
