"""Python builtins users call on differentiated values: ``sum``, ``float``, ``max``/``min`` of a list.

``abs`` maps to ``np.absolute`` and two-argument ``max(a, b)`` / ``min(a, b)``
to ``np.maximum`` / ``np.minimum`` (see resolve.py); ``int``, ``round`` and
``len`` carry no derivative.
"""
import builtins

from tangentish.registry import adjoint, d, linear, nondifferentiable
from tangentish.runtime import extremum_index, sum_adjoint, unattr, unindex, unreduce


@linear(builtins.sum)
@adjoint(builtins.sum)
def sum(y, iterable, start=0):
    d[iterable] += sum_adjoint(d[y], iterable)
    d[start] += d[y]


@linear(builtins.float)
@adjoint(builtins.float)
def float(y, x=0.0):
    d[x] += unreduce(d[y], x)


@adjoint(builtins.max, builtins.min)
def max(y, iterable):
    d[iterable] += unindex(d[y], iterable, extremum_index(iterable, y))


@adjoint(builtins.getattr)
def getattr(y, obj, name):
    d[obj] += unattr(d[y], obj, name)


nondifferentiable(builtins.round, builtins.int, builtins.bool)
