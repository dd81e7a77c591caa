"""Joining and splitting: ``concatenate stack hstack vstack dstack column_stack append`` and the splits.

A joining function takes a list of arrays; its rule writes ``d[arrays] += pieces``
where ``pieces`` is one adjoint per list entry (the transformer hands each
entry its own piece).  A split returns a list, whose adjoint arrives as one
adjoint per piece (zeros for pieces the function never used), and joins them
back.  All are linear: the forward rule joins or splits the tangents.
Helper defaults need not match a primitive's: where they differ (``append``
joins flattened arrays by default) the argument is passed positionally, so
it is never dropped from the generated call.
"""
import numpy as np

from tangentish.registry import adjoint, d, linear, t, tangent
from tangentish.runtime import c_items, r_items, unconcatenate, unstack, unstack_like


@linear(np.concatenate)
@adjoint(np.concatenate)
def concatenate(y, arrays, axis=0):
    d[arrays] += unconcatenate(d[y], arrays, axis=axis)


@linear(r_items)   # np.r_[a, b], normalized to np.r_[items] with items = (a, b)
@adjoint(r_items)
def r_(y, items):
    d[items] += unconcatenate(d[y], items, how="r_")


@linear(c_items)   # np.c_[a, b]
@adjoint(c_items)
def c_(y, items):
    d[items] += unconcatenate(d[y], items, how="c_")


@linear(np.hstack)
@adjoint(np.hstack)
def hstack(y, tup):
    d[tup] += unconcatenate(d[y], tup, how="hstack")


@linear(np.vstack)
@adjoint(np.vstack)
def vstack(y, tup):
    d[tup] += unconcatenate(d[y], tup, how="vstack")


@linear(np.dstack)
@adjoint(np.dstack)
def dstack(y, tup):
    d[tup] += unconcatenate(d[y], tup, how="dstack")


@linear(np.column_stack)
@adjoint(np.column_stack)
def column_stack(y, tup):
    d[tup] += unconcatenate(d[y], tup, how="column_stack")


@linear(np.stack)
@adjoint(np.stack)
def stack(y, arrays, axis=0):
    d[arrays] += unstack_like(d[y], arrays, axis=axis)


@linear(np.unstack, unstack)
@adjoint(np.unstack, unstack)
def unstack_rule(y, x, axis=0):
    d[x] += np.stack(d[y], axis=axis)


@adjoint(np.append)
def append(y, arr, values, axis=None):
    d[arr] += unconcatenate(d[y], [arr, values], axis)[0]
    d[values] += unconcatenate(d[y], [arr, values], axis)[1]


@tangent(np.append)
def append(y, arr, values, axis=None):
    t[y] += np.append(t[arr], np.zeros_like(values), axis=axis)
    t[y] += np.append(np.zeros_like(arr), t[values], axis=axis)


@linear(np.split, np.array_split)
@adjoint(np.split, np.array_split)
def split(y, ary, indices_or_sections, axis=0):
    d[ary] += np.concatenate(d[y], axis=axis)


@linear(np.hsplit)
@adjoint(np.hsplit)
def hsplit(y, ary, indices_or_sections):
    d[ary] += np.hstack(d[y])


@linear(np.vsplit)
@adjoint(np.vsplit)
def vsplit(y, ary, indices_or_sections):
    d[ary] += np.vstack(d[y])


@linear(np.dsplit)
@adjoint(np.dsplit)
def dsplit(y, ary, indices_or_sections):
    d[ary] += np.dstack(d[y])
