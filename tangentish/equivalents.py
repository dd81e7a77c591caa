"""Callables that share another's rule: ``abs`` is ``np.absolute``, ``math.exp`` is ``np.exp``.

One table, read by the resolver (calls inside a function) and by callables.py
(a function passed to ``grad`` directly), so both agree on what has a rule.
"""
from __future__ import annotations

import builtins
import math
from typing import Optional

import numpy as np

#: builtins that behave as a NumPy function of their argument
BUILTIN_FUNCTIONS = {abs: np.absolute}
#: ``math`` functions of floats share the rule of their NumPy twin (``math.exp`` -> ``np.exp``);
#: the forward sweep keeps ``math.exp(x)``, so values stay Python floats
_MATH_TWINS = {"exp": "exp", "expm1": "expm1", "log1p": "log1p", "log2": "log2",
               "log10": "log10", "sqrt": "sqrt", "cbrt": "cbrt", "exp2": "exp2", "pow": "power",
               "sin": "sin", "cos": "cos", "tan": "tan", "asin": "arcsin", "acos": "arccos",
               "atan": "arctan", "atan2": "arctan2", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
               "asinh": "arcsinh", "acosh": "arccosh", "atanh": "arctanh", "hypot": "hypot",
               "fabs": "fabs", "copysign": "copysign", "fmod": "fmod", "degrees": "degrees",
               "radians": "radians", "floor": "floor", "ceil": "ceil", "trunc": "trunc",
               "isnan": "isnan", "isinf": "isinf", "isfinite": "isfinite"}
MATH_FUNCTIONS = {getattr(math, m): getattr(np, n) for m, n in _MATH_TWINS.items()
                  if hasattr(math, m) and hasattr(np, n)}
MATH_FUNCTIONS[math.fsum] = builtins.sum
try:   # the special functions' twins live in SciPy, an optional dependency
    import scipy.special as _sp
    MATH_FUNCTIONS.update({math.erf: _sp.erf, math.erfc: _sp.erfc, math.gamma: _sp.gamma,
                           math.lgamma: _sp.gammaln})
except ImportError:
    pass
#: ... but only with this many arguments (``math.log`` has its own rule, for its base)
MATH_ARITY = {math.hypot: 2}


#: library functions that are another function under an old or second name: they share its rule
#: (``np.row_stack`` is ``np.vstack``), instead of their source being read as user code
LIBRARY_ALIASES = {}
for _old, _new in (("row_stack", "vstack"),):
    if hasattr(np, _old) and hasattr(np, _new) and getattr(np, _old) is not getattr(np, _new):
        LIBRARY_ALIASES[getattr(np, _old)] = getattr(np, _new)


def numpy_equivalent(obj, nargs: Optional[int] = None):
    """The key whose rule ``obj`` shares (``abs`` -> ``np.absolute``, ``math.exp`` -> ``np.exp``)."""
    if not hashable(obj):
        return obj
    if obj in MATH_FUNCTIONS:
        arity = MATH_ARITY.get(obj)
        return obj if arity is not None and nargs not in (None, arity) else MATH_FUNCTIONS[obj]
    if obj in LIBRARY_ALIASES:
        return LIBRARY_ALIASES[obj]
    return BUILTIN_FUNCTIONS.get(obj, obj)


def hashable(obj) -> bool:
    try:
        hash(obj)
    except TypeError:
        return False
    return True
