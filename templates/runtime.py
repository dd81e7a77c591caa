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
    block_of,
    in_block,
    all_axes,
    axis_sizes,
    balanced_eq,
    broadcast_like,
    cast_like,
    checked_like,
    count,
    dot_da,
    dot_db,
    einsum2,
    einsum_reduce_spec,
    einsum_spec,
    einsum_spread,
    extremum_index,
    extremum_mask,
    inner_subscripts,
    inverse_perm,
    irfft_transpose,
    item,
    kron_shape,
    kron_subscripts,
    leading_axes,
    linspace_weights,
    matmul_da,
    matmul_db,
    mT,
    no_derivative,
    one_like,
    ones_like,
    phase,
    phase_project,
    power_exponent,
    quantile_weights,
    real_like,
    real_only,
    real_product,
    recast,
    rejoin,
    repeat_index,
    replace_zero,
    resized,
    sum_adjoint,
    swap_norm,
    sym,
    tensordot_subscripts,
    tile_reps,
    tree_add,
    tril_half,
    tuple_of,
    unassign,
    unattr,
    unbroadcast,
    uncast,
    unconcatenate,
    unconvolve,
    uncumsum,
    undiag,
    undiagonal,
    undiff,
    unindex,
    unitem,
    unlist,
    unpad,
    unpolyval,
    unreduce,
    unstack_like,
    untake,
    untake_along_axis,
    untile,
    untree,
    unwritten,
    written,
    zeros_like,
)


@linear(broadcast_like)
@adjoint(broadcast_like)
def broadcast_like_adjoint(r, v, like):
    d[v] += unbroadcast(d[r], v)


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
def unreduce_adjoint(r, g, x, axis=None, keepdims=False, where=True):
    d[g] += np.reshape(np.sum(d[r], axis=axis, keepdims=keepdims, where=where), np.shape(g))


@linear(unindex)
@adjoint(unindex)
def unindex_adjoint(r, g, x, index):
    d[g] += d[r][index]


@linear(unstack_like)
@adjoint(unstack_like)
def unstack_like_adjoint(y, g, arrays, axis=0):
    d[g] += np.stack(d[y], axis=axis)


@linear(undiff)
@adjoint(undiff)
def undiff_adjoint(y, g, a, n=1, axis=-1):
    d[g] += np.diff(d[y], n=n, axis=axis)


@adjoint(unpolyval)   # linear in g; p only gives the degree
def unpolyval_adjoint(y, g, p, x):
    d[g] += np.reshape(np.polyval(d[y], x), np.shape(g))
    d[x] += cast_like(unbroadcast(g * np.polyval(np.polyder(d[y]), x), x), x)


@tangent(unpolyval)
def unpolyval_tangent(y, g, p, x):
    t[y] += unpolyval(t[g], p, x)
    t[y] += cast_like(np.append(unpolyval(g * t[x], p[1:], x) * np.arange(len(p) - 1, 0, -1), 0.0), y)


@adjoint(unconvolve)   # bilinear in g and v
def unconvolve_adjoint(y, g, a, v, mode="full"):
    d[g] += np.convolve(d[y], v, mode=mode)
    d[v] += unconvolve(g, v, d[y], mode=mode)


@tangent(unconvolve)
def unconvolve_tangent(y, g, a, v, mode="full"):
    t[y] += unconvolve(t[g], a, v, mode=mode)
    t[y] += unconvolve(g, a, t[v], mode=mode)


@linear(written)
@adjoint(written)
def written_adjoint(y, g, index):
    d[g] += unwritten(d[y], g, index)


@linear(unwritten)
@adjoint(unwritten)
def unwritten_adjoint(y, g, like, index):
    d[g] += written(d[y], index)


@linear(uncast)
@adjoint(uncast)
def uncast_adjoint(y, g, x, dtype=None):
    d[g] += uncast(d[y], g, dtype=dtype)


@linear(recast)
@adjoint(recast)
def recast_adjoint(y, tx, dtype):
    d[tx] += uncast(d[y], tx, dtype)


@linear(unlist)
@adjoint(unlist)
def unlist_adjoint(y, g, x):
    d[g] += unlist(d[y], g)   # g is a list: the parts of d[y], as a list


@linear(unitem)
@adjoint(unitem)
def unitem_adjoint(y, g, x, index=None):
    d[g] += cast_like(np.asarray(item(d[y], index=index)), g)   # float32 stays float32


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


@adjoint(dot_da)
def dot_da_adjoint(r, g, a, b):
    d[g] += np.reshape(np.dot(d[r], b), np.shape(g))
    d[b] += dot_db(g, d[r], b)


@tangent(dot_da)
def dot_da_tangent(r, g, a, b):
    t[r] += dot_da(t[g], a, b)
    t[r] += dot_da(g, a, t[b])


@adjoint(dot_db)
def dot_db_adjoint(r, g, a, b):
    d[g] += np.reshape(np.dot(a, d[r]), np.shape(g))
    d[a] += dot_da(g, a, d[r])


@tangent(dot_db)
def dot_db_tangent(r, g, a, b):
    t[r] += dot_db(t[g], a, b)
    t[r] += dot_db(g, t[a], b)


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
    d[g] += broadcast_like(builtins.sum(d[r]), g)   # spelled out: generated code may have a local `sum`


@linear(unattr)
@adjoint(unattr)
def unattr_adjoint(r, g, x, name):
    d[g] += getattr(d[r], name)


@linear(tuple_of)
@adjoint(tuple_of)
def tuple_of_adjoint(r, items):
    d[items] += d[r]


@linear(sym)
@adjoint(sym)
def sym_adjoint(y, x):
    d[x] += sym(d[y])


@linear(tril_half)
@adjoint(tril_half)
def tril_half_adjoint(y, x):
    d[x] += tril_half(d[y])


@linear(real_like)
@adjoint(real_like)
def real_like_adjoint(y, g, x):
    d[g] += d[y]


@linear(irfft_transpose)
@adjoint(irfft_transpose)
def irfft_transpose_adjoint(r, g, a, axis=-1, norm=None, keep_complex=False):
    d[g] += np.fft.irfft(d[r], n=np.shape(g)[axis], axis=axis, norm=norm)


@linear(resized)
@adjoint(resized)
def resized_adjoint(r, g, a):
    d[g] += resized(d[r], g)


@linear(untake)
@adjoint(untake)
def untake_adjoint(r, g, a, indices, axis=None):
    d[g] += np.reshape(np.take(d[r], indices, axis=axis), np.shape(g))


@linear(untake_along_axis)
@adjoint(untake_along_axis)
def untake_along_axis_adjoint(r, g, arr, indices, axis=-1):
    d[g] += np.reshape(np.take_along_axis(np.reshape(d[r], np.shape(arr)), indices, axis), np.shape(g))


@linear(untile)
@adjoint(untile)
def untile_adjoint(r, g, a, reps=None):
    d[g] += np.tile(d[r], tile_reps(g, a))


@linear(unpad)
@adjoint(unpad)
def unpad_adjoint(r, g, array, pad_width, mode="constant"):
    d[g] += np.pad(d[r], pad_width)


@linear(undiagonal)
@adjoint(undiagonal)
def undiagonal_adjoint(r, g, a, offset=0, axis1=0, axis2=1):
    d[g] += unbroadcast(np.diagonal(d[r], offset, axis1, axis2), g)


@linear(undiag)
@adjoint(undiag)
def undiag_adjoint(r, g, v, k=0):
    d[g] += undiag(d[r], g, k)


@linear(unconcatenate)
@adjoint(unconcatenate)
def unconcatenate_adjoint(r, g, arrays, axis=0, how="concatenate"):
    d[g] += rejoin(d[r], g, axis=axis, how=how)


@linear(uncumsum)
@adjoint(uncumsum)
def uncumsum_adjoint(r, g, a, axis=None):
    d[g] += np.cumsum(d[r], axis=axis)


@linear(rejoin)
@adjoint(rejoin)
def rejoin_adjoint(r, parts, g, axis=0, how="concatenate"):
    d[parts] += unconcatenate(d[r], parts, axis=axis, how=how)


@linear(einsum_spread)
@adjoint(einsum_spread)
def einsum_spread_adjoint(s, r, subscripts, operand, i):
    d[r] += np.broadcast_to(einsum2(einsum_reduce_spec(subscripts, i), d[s]), np.shape(r))


@adjoint(phase)
def phase_adjoint(u, x):
    d[x] += phase_project(d[u], u, x)


@tangent(phase)
def phase_tangent(u, x):
    t[u] += phase_project(t[x], u, x)


@adjoint(phase_project)
def phase_project_adjoint(r, g, u, x):
    d[g] += phase_project(d[r], u, x)
    d[u] += real_only(d[r], x)
    d[x] += real_only(d[r], x)


@tangent(phase_project)
def phase_project_tangent(r, g, u, x):
    t[r] += phase_project(t[g], u, x)
    t[r] += real_only(t[u], x)
    t[r] += real_only(t[x], x)


nondifferentiable(untree, extremum_index, real_only)
nondifferentiable(one_like, ones_like, count, zeros_like, extremum_mask, balanced_eq, inverse_perm,
                  no_derivative, quantile_weights, axis_sizes, all_axes, leading_axes, swap_norm,
                  linspace_weights, repeat_index, tile_reps, einsum_spec, einsum_reduce_spec,
                  tensordot_subscripts, inner_subscripts, kron_subscripts, kron_shape)


@adjoint(real_product)
def real_product_adjoint(r, p, q):
    """r = Re(p conj(q)) = Re(conj(p) q): each factor's adjoint is the other times d[r]."""
    d[p] += real_like(unbroadcast(d[r] * q, p), p)
    d[q] += real_like(unbroadcast(d[r] * p, q), q)


@tangent(real_product)
def real_product_tangent(r, p, q):
    t[r] += real_product(t[p], q)
    t[r] += real_product(p, t[q])


@adjoint(power_exponent)
def power_exponent_adjoint(r, y):
    """Its value is y - 1 but for the single point y == 0, so its slope is 1 (second order of x ** y in y)."""
    d[y] += d[r]


@tangent(power_exponent)
def power_exponent_tangent(r, y):
    t[r] += t[y]


@linear(block_of)   # linear in g; the arrays give only the blocks' places
@adjoint(block_of)
def block_of_adjoint(r, g, k, a, b=None, c=None, e=None, f=None, h=None):
    d[g] += in_block(d[r], k, a, b=b, c=c, e=e, f=f, h=h)


@linear(in_block)
@adjoint(in_block)
def in_block_adjoint(r, tk, k, a, b=None, c=None, e=None, f=None, h=None):
    d[tk] += block_of(d[r], k, a, b=b, c=c, e=e, f=f, h=h)
