"""Products: ``einsum tensordot inner outer vdot kron cross vecdot`` and numpy.linalg's spellings.

All are bilinear, and each adjoint is itself a contraction: `einsum_spec`
gives the einsum that contracts the output's adjoint with the other
operand, and `einsum_spread` puts the result back on repeated indices
(``'ii->'``) and along indices only that operand had.  einsum takes one to
three operands here (more are refused: contract them in steps).
"""
import numpy as np

from tangentish.registry import adjoint, d, t, tangent
from tangentish.runtime import (
    einsum2,
    einsum_spec,
    einsum_spread,
    inner_subscripts,
    kron_shape,
    kron_subscripts,
    matmul_da,
    matmul_db,
    no_derivative,
    tensordot_subscripts,
    unbroadcast,
)


@adjoint(np.einsum, einsum2)
def einsum(y, subscripts, a, b=None, c=None, *, optimize=False):
    """Up to three operands; the sublist form (``np.einsum(m, [0, 1], [1, 0])``) is read as this string form."""
    d[a] += einsum_spread(einsum2(einsum_spec(subscripts, 0), d[y], b, c=c), subscripts, a, 0)
    d[b] += einsum_spread(einsum2(einsum_spec(subscripts, 1), d[y], a, c=c), subscripts, b, 1)
    d[c] += einsum_spread(einsum2(einsum_spec(subscripts, 2), d[y], a, b), subscripts, c, 2)
    d[subscripts] += no_derivative("np.einsum with a differentiated first operand whose index lists are "
                                   "not literals", d[y])


@tangent(np.einsum, einsum2)
def einsum(y, subscripts, a, b=None, c=None, *, optimize=False):
    t[y] += einsum2(subscripts, t[a], b, c=c)
    t[y] += einsum2(subscripts, a, t[b], c=c)
    t[y] += einsum2(subscripts, a, b, t[c])
    t[y] += no_derivative("np.einsum with a differentiated first operand whose index lists are "
                          "not literals", t[subscripts])


@adjoint(np.tensordot, np.linalg.tensordot)
def tensordot(y, a, b, axes=2):
    spec = tensordot_subscripts(a, b, axes)
    d[a] += einsum_spread(einsum2(einsum_spec(spec, 0), d[y], b), spec, a, 0)
    d[b] += einsum_spread(einsum2(einsum_spec(spec, 1), d[y], a), spec, b, 1)


@tangent(np.tensordot, np.linalg.tensordot)
def tensordot(y, a, b, axes=2):
    t[y] += np.tensordot(t[a], b, axes=axes)
    t[y] += np.tensordot(a, t[b], axes=axes)


@adjoint(np.inner)
def inner(y, a, b):
    spec = inner_subscripts(a, b)
    d[a] += einsum_spread(einsum2(einsum_spec(spec, 0), d[y], b), spec, a, 0)
    d[b] += einsum_spread(einsum2(einsum_spec(spec, 1), d[y], a), spec, b, 1)


@tangent(np.inner)
def inner(y, a, b):
    t[y] += np.inner(t[a], b)
    t[y] += np.inner(a, t[b])


@adjoint(np.outer, np.linalg.outer)
def outer(y, a, b):
    d[a] += np.reshape(d[y] @ np.ravel(b), np.shape(a))
    d[b] += np.reshape(np.ravel(a) @ d[y], np.shape(b))


@tangent(np.outer, np.linalg.outer)
def outer(y, a, b):
    t[y] += np.outer(t[a], b)
    t[y] += np.outer(a, t[b])


@adjoint(np.vdot)
def vdot(y, a, b):
    """vdot(a, b) = sum(conj(a) * b) over the flattened arrays."""
    d[a] += np.reshape(np.conj(d[y]) * b, np.shape(a))
    d[b] += np.reshape(d[y] * a, np.shape(b))


@tangent(np.vdot)
def vdot(y, a, b):
    t[y] += np.vdot(t[a], b)
    t[y] += np.vdot(a, t[b])


@adjoint(np.vecdot, np.linalg.vecdot)
def vecdot(y, x1, x2, *, axis=-1):
    """vecdot(x1, x2) = sum(conj(x1) * x2, axis)."""
    d[x1] += unbroadcast(np.expand_dims(np.conj(d[y]), axis) * x2, x1)
    d[x2] += unbroadcast(np.expand_dims(d[y], axis) * x1, x2)


@tangent(np.vecdot, np.linalg.vecdot)
def vecdot(y, x1, x2, *, axis=-1):
    t[y] += np.vecdot(t[x1], x2, axis=axis)
    t[y] += np.vecdot(x1, t[x2], axis=axis)


@adjoint(np.kron)
def kron(y, a, b):
    spec = kron_subscripts(a, b)
    g = np.reshape(d[y], kron_shape(a, b))
    d[a] += einsum_spread(einsum2(einsum_spec(spec, 0), g, b), spec, a, 0)
    d[b] += einsum_spread(einsum2(einsum_spec(spec, 1), g, a), spec, b, 1)


@tangent(np.kron)
def kron(y, a, b):
    t[y] += np.kron(t[a], b)
    t[y] += np.kron(a, t[b])


@adjoint(np.cross)
def cross(z, a, b, *, axis=None):
    """<g, a x b> = <a, b x g> = <b, g x a>; three-vectors only."""
    d[a] += unbroadcast(np.cross(b, d[z], axis=axis), a)
    d[b] += unbroadcast(np.cross(d[z], a, axis=axis), b)


@tangent(np.cross)
def cross(z, a, b, *, axis=None):
    t[z] += np.cross(t[a], b, axis=axis)
    t[z] += np.cross(a, t[b], axis=axis)


@adjoint(np.linalg.cross)
def linalg_cross(z, x1, x2, axis=-1):
    d[x1] += unbroadcast(np.cross(x2, d[z], axis=axis), x1)
    d[x2] += unbroadcast(np.cross(d[z], x1, axis=axis), x2)


@tangent(np.linalg.cross)
def linalg_cross(z, x1, x2, axis=-1):
    t[z] += np.cross(t[x1], x2, axis=axis)
    t[z] += np.cross(x1, t[x2], axis=axis)


@adjoint(np.linalg.matmul)
def matmul(z, x1, x2):
    d[x1] += matmul_da(d[z], x1, x2)
    d[x2] += matmul_db(d[z], x1, x2)


@tangent(np.linalg.matmul)
def matmul(z, x1, x2):
    t[z] += t[x1] @ x2
    t[z] += x1 @ t[x2]
