"""Python builtins users call on differentiated values: ``sum``, ``float``, ``max``/``min`` of a list.

``abs`` maps to ``np.absolute`` and two-argument ``max(a, b)`` / ``min(a, b)``
to ``np.maximum`` / ``np.minimum`` (see resolve.py); ``int``, ``round`` and
``len`` carry no derivative.
"""
import builtins

from tangentish.registry import adjoint, d, linear, nondifferentiable, t, tangent
from tangentish.runtime import extremum_index, sum_adjoint, unattr, unbroadcast, unindex, unlist, unreduce


@linear(builtins.sum)
@adjoint(builtins.sum)
def sum(y, iterable, start=0):
    d[iterable] += sum_adjoint(d[y], iterable)
    d[start] += unbroadcast(d[y], start)


@tangent(builtins.sum)   # linear, but in both arguments: @linear would drop t[start]
def sum_tangent(y, iterable, start=0):
    t[y] += builtins.sum(t[iterable])   # spelled out: generated code may have a local named `sum`
    t[y] += t[start]


@linear(builtins.float)
@adjoint(builtins.float)
def float(y, x=0.0):
    d[x] += unreduce(d[y], x)


@linear(builtins.dict)   # dict(params): a new dict holding the same values
@adjoint(builtins.dict)
def dict(y, x):
    d[x] += d[y]


@linear(builtins.list, builtins.tuple)   # list(xs), tuple(xs), list(array): its rows
@adjoint(builtins.list, builtins.tuple)
def list(y, x):
    d[x] += unlist(d[y], x)


@adjoint(builtins.max, builtins.min)
def max(y, iterable):
    d[iterable] += unindex(d[y], iterable, extremum_index(iterable, y))


@tangent(builtins.max, builtins.min)
def max_tangent(y, iterable):
    t[y] += t[iterable][extremum_index(iterable, y)]


@linear(builtins.getattr)   # forward: getattr(tobj, name), a namedtuple field of the tangent
@adjoint(builtins.getattr)
def getattr(y, obj, name):
    d[obj] += unattr(d[y], obj, name)


nondifferentiable(builtins.round, builtins.int, builtins.bool)
