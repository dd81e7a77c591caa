"""Rules for the runtime helpers themselves, so generated code is differentiable again.

``grad(grad(f))`` differentiates code that calls ``unbroadcast`` and friends;
each helper is linear in its first argument, so its adjoint is its transpose.
Rule functions here are named ``<helper>_adjoint``/``<helper>_tangent``: a rule
named like its helper would rebind the helper's name in this module, and the
rule bodies below call the helpers themselves.
"""
import builtins

import numpy as np

from tangentish.registry import adjoint, d, linear, nondifferentiable, t, tangent
from tangentish.runtime import (
    balanced_eq,
    cast_like,
    checked_like,
    count,
    extremum_index,
    extremum_mask,
    inverse_perm,
    matmul_da,
    matmul_db,
    mT,
    one_like,
    ones_like,
    replace_zero,
    sum_adjoint,
    tree_add,
    unassign,
    unattr,
    unbroadcast,
    unindex,
    unreduce,
    untree,
    zeros_like,
)


@linear(unbroadcast)
@adjoint(unbroadcast)
def unbroadcast_adjoint(r, g, like):
    d[g] += np.broadcast_to(d[r], np.shape(g))


@linear(np.broadcast_to)
@adjoint(np.broadcast_to)
def broadcast_to_adjoint(y, array, shape):
    d[array] += unbroadcast(d[y], array)


@linear(unreduce)
@adjoint(unreduce)
def unreduce_adjoint(r, g, x, axis=None, keepdims=False):
    d[g] += np.reshape(np.sum(d[r], axis=axis, keepdims=keepdims), np.shape(g))


@linear(unindex)
@adjoint(unindex)
def unindex_adjoint(r, g, x, index):
    d[g] += d[r][index]


@linear(mT)
@adjoint(mT)
def mT_adjoint(y, x):
    d[x] += mT(d[y])


@linear(cast_like)
@adjoint(cast_like)
def cast_like_adjoint(y, g, x):
    d[g] += d[y]


@adjoint(replace_zero)
def replace_zero_adjoint(y, x, value):
    d[x] += d[y] * (x != 0)


@tangent(replace_zero)   # not linear: replace_zero(tx, value) would put `value` where tx is 0
def replace_zero_tangent(y, x, value):
    t[y] += t[x] * (x != 0)


@linear(checked_like)
@adjoint(checked_like)
def checked_like_adjoint(y, g, x, rule):
    d[g] += d[y]


@adjoint(tree_add)
def tree_add_adjoint(z, a, b):
    d[a] += d[z]
    d[b] += d[z]


@tangent(tree_add)
def tree_add_tangent(z, a, b):
    t[z] += t[a]
    t[z] += t[b]


@adjoint(matmul_da)
def matmul_da_adjoint(r, g, a, b):
    d[g] += np.reshape(np.matmul(d[r], b), np.shape(g))
    d[b] += matmul_db(g, d[r], b)


@tangent(matmul_da)
def matmul_da_tangent(r, g, a, b):
    t[r] += matmul_da(t[g], a, b)
    t[r] += matmul_da(g, a, t[b])


@adjoint(matmul_db)
def matmul_db_adjoint(r, g, a, b):
    d[g] += np.reshape(np.matmul(a, d[r]), np.shape(g))
    d[a] += matmul_da(g, a, d[r])


@tangent(matmul_db)
def matmul_db_tangent(r, g, a, b):
    t[r] += matmul_db(t[g], a, b)
    t[r] += matmul_db(g, t[a], b)


@linear(unassign)
@adjoint(unassign)
def unassign_adjoint(r, g, index):
    d[g] += unassign(d[r], index)


@linear(sum_adjoint)
@adjoint(sum_adjoint)
def sum_adjoint_adjoint(r, g, x):
    d[g] += builtins.sum(d[r])   # spelled out: generated code may have a local named `sum`


@linear(unattr)
@adjoint(unattr)
def unattr_adjoint(r, g, x, name):
    d[g] += getattr(d[r], name)


nondifferentiable(untree, extremum_index)
nondifferentiable(one_like, ones_like, count, zeros_like, extremum_mask, balanced_eq, inverse_perm)
