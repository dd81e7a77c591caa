"""The ``math`` module: functions of Python floats.

Most share the rule of their NumPy twin (``math.exp`` is ``np.exp``; see
resolve.py).  ``math.log`` is its own primitive because of its second,
optional argument, the base.
"""
import math

from tangentish.registry import adjoint, d, t, tangent


@adjoint(math.log)
def log(y, x, base=math.e):
    d[x] += d[y] / (x * math.log(base))
    d[base] += -d[y] * y / (base * math.log(base))


@tangent(math.log)
def log_tangent(y, x, base=math.e):
    t[y] += t[x] / (x * math.log(base))
    t[y] += -t[base] * y / (base * math.log(base))
