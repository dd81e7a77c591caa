"""Callables that share another's rule: ``abs`` is ``np.absolute``, ``math.exp`` is ``np.exp``.

One table, read by the resolver (calls inside a function) and by callables.py
(a function passed to ``grad`` directly), so both agree on what has a rule.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np

#: builtins that behave as a NumPy function of their argument
BUILTIN_FUNCTIONS = {abs: np.absolute}
#: ``math`` functions on Python floats: the same derivative as the NumPy ufunc
#: (the forward sweep keeps ``math.exp(x)``, so values stay Python floats)
MATH_FUNCTIONS = {
    math.exp: np.exp, math.log: np.log, math.sqrt: np.sqrt, math.log1p: np.log1p,
    math.expm1: np.expm1, math.log2: np.log2, math.log10: np.log10, math.pow: np.power,
    math.sin: np.sin, math.cos: np.cos, math.tan: np.tan, math.asin: np.arcsin,
    math.acos: np.arccos, math.atan: np.arctan, math.atan2: np.arctan2, math.sinh: np.sinh,
    math.cosh: np.cosh, math.tanh: np.tanh, math.asinh: np.arcsinh, math.acosh: np.arccosh,
    math.atanh: np.arctanh, math.fabs: np.absolute, math.hypot: np.hypot,
    math.degrees: np.degrees, math.radians: np.radians, math.copysign: np.copysign,
    math.fmod: np.fmod, math.floor: np.floor, math.ceil: np.ceil, math.trunc: np.trunc,
    math.isfinite: np.isfinite, math.isnan: np.isnan, math.isinf: np.isinf,
}
#: ... but only with this many arguments: ``math.log(x, base)`` is not ``np.log(x, out)``
MATH_ARITY = {math.log: 1, math.hypot: 2}


def numpy_equivalent(obj, nargs: Optional[int] = None):
    """The key whose rule ``obj`` shares (``abs`` -> ``np.absolute``, ``math.exp`` -> ``np.exp``)."""
    if not hashable(obj):
        return obj
    if obj in MATH_FUNCTIONS:
        arity = MATH_ARITY.get(obj)
        return obj if arity is not None and nargs not in (None, arity) else MATH_FUNCTIONS[obj]
    return BUILTIN_FUNCTIONS.get(obj, obj)


def hashable(obj) -> bool:
    try:
        hash(obj)
    except TypeError:
        return False
    return True
