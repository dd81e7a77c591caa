"""Runtime helpers of the shape, joining, FFT and product rules (re-exported by ``tangentish.runtime``).

Most are the transpose of a NumPy function (``untake`` of ``np.take``,
``unpad`` of ``np.pad``): they put an adjoint back where the function took
its values from.  The einsum helpers compute the index strings of the
contractions that make up every product's adjoint.
"""
import numpy as np

from .runtime import _tree_like, matmul_da, matmul_db, no_derivative, unbroadcast

__all__ = [
    "real_like", "axis_sizes", "all_axes", "leading_axes", "swap_norm", "irfft_transpose", "untake", "repeat_index",
    "untake_along_axis", "untile", "tile_reps", "unpad", "undiagonal", "undiag", "unconcatenate",
    "rejoin", "linspace_weights", "einsum_spec", "einsum_reduce_spec", "einsum_spread", "einsum2",
    "tensordot_subscripts", "inner_subscripts", "kron_subscripts", "kron_shape", "quantile_weights", "uncumsum",
    "undiff", "unpolyval", "unconvolve", "unstack_like", "resized", "dot_da", "dot_db", "r_items",
    "c_items",
]


def real_like(g, x):
    """``g``'s real part when ``x`` is real: dL/dx of a real input to a complex computation."""
    if np.iscomplexobj(g) and not np.iscomplexobj(x):
        return np.real(g)
    return g


def axis_sizes(a, axes=None):
    """The lengths of ``a`` along ``axes`` (all axes when None): the ``s=`` that undoes a crop."""
    shape = np.shape(a)
    return list(shape) if axes is None else [shape[i] for i in axes]


def all_axes(a, axes=None, s=None):
    """The axes an n-D FFT of ``a`` transforms: ``axes``, else the last ``len(s)``, else every axis."""
    if axes is not None:
        return axes
    n = np.ndim(a)
    return tuple(range(n)) if s is None else tuple(range(n - len(s), n))


def leading_axes(a, axes=None, s=None):
    """All of the transformed axes but the last: where irfftn runs a complex ifft."""
    return tuple(all_axes(a, axes, s))[:-1]


def resized(g, a):
    """``g`` cut or zero-padded at the end of each axis to ``a``'s shape.

    The transpose of what an FFT's ``n=``/``s=`` does to its input (``a`` is that input).
    """
    g = np.asarray(g)
    shape = np.shape(a)
    if g.shape == shape:
        return g
    out = np.zeros(shape, dtype=g.dtype)
    keep = tuple(slice(0, min(m, n)) for m, n in zip(g.shape, shape))
    out[keep] = g[keep]
    return out


def swap_norm(norm=None):
    """The FFT normalization scaling the other way ("backward" <-> "forward"), as hfft uses."""
    return {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}[norm]


def irfft_transpose(g, a, axis=-1, norm=None, keep_complex=False):
    """Adjoint of ``y = np.fft.irfft(a, n, axis, norm)`` for the half spectrum ``a``.

    irfft counts each coefficient but the first (and the Nyquist one for
    even n) twice, so the adjoint is those weights times ``conj(ifft(g))``
    cut to ``a``'s length.  ``keep_complex``: the result feeds the adjoint of
    irfftn's complex ifft along its other axes, so a real ``a`` must not take
    the real part yet.
    """
    n = np.shape(g)[axis]
    m = np.shape(a)[axis]
    full = np.moveaxis(np.conj(np.fft.ifft(g, axis=axis, norm=norm)), axis, -1)
    weights = np.full(n // 2 + 1, 2.0, dtype=full.real.dtype)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0
    out = np.zeros(full.shape[:-1] + (m,), dtype=full.dtype)
    k = min(m, n // 2 + 1)
    out[..., :k] = full[..., :k] * weights[:k]
    out = np.moveaxis(out, -1, axis)
    return out if keep_complex else real_like(out, a)


def untake(g, a, indices, axis=None):
    """Adjoint of ``y = np.take(a, indices, axis)``: ``g`` added back at ``indices`` (repeats add up)."""
    out = np.zeros(np.shape(a), dtype=np.result_type(g, 0.0))
    if axis is None:
        np.add.at(out.reshape(-1), np.ravel(indices), np.ravel(g))
        return out
    axis = axis % out.ndim
    index = (slice(None),) * axis + (indices,)
    np.add.at(out, index, g)
    return out


def repeat_index(a, repeats, axis=None):
    """The indices ``i`` with ``np.repeat(a, repeats, axis) == np.take(a, i, axis)``."""
    n = np.size(a) if axis is None else np.shape(a)[axis]
    return np.repeat(np.arange(n), repeats)


def untake_along_axis(g, arr, indices, axis=-1):
    """Adjoint of ``y = np.take_along_axis(arr, indices, axis)`` (and of sort, partition)."""
    out = np.zeros(np.shape(arr), dtype=np.result_type(g, 0.0))
    if axis is None:
        np.add.at(out.reshape(-1), np.ravel(indices), np.ravel(g))
        return out
    grid = list(np.ix_(*[np.arange(n) for n in np.shape(g)]))
    grid[axis % len(grid)] = np.broadcast_to(indices, np.shape(g))
    np.add.at(out, tuple(grid), g)
    return out


def untile(g, a, reps=None):
    """Adjoint of ``y = np.tile(a, reps)``: the sum of ``g``'s tiles, shaped like ``a``."""
    shape = np.shape(a)
    padded = (1,) * (np.ndim(g) - len(shape)) + tuple(shape)
    copies = tuple(n // m for n, m in zip(np.shape(g), padded))
    split = g.reshape(tuple(x for pair in zip(copies, padded) for x in pair))
    return split.sum(axis=tuple(range(0, 2 * len(padded), 2))).reshape(shape)


def tile_reps(g, a):
    """How many times ``a`` fits along each axis of ``g`` (the ``reps`` ``untile`` undid)."""
    padded = (1,) * (np.ndim(g) - np.ndim(a)) + tuple(np.shape(a))
    return tuple(n // m for n, m in zip(np.shape(g), padded))


def unpad(g, array, pad_width, mode="constant"):
    """Adjoint of ``y = np.pad(array, pad_width)`` with zeros: the middle of ``g``."""
    if mode != "constant":
        no_derivative(f"np.pad with mode={mode!r} (only mode='constant' has a rule)")
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (np.ndim(array), 2))
    return g[tuple(slice(lo, n - hi) for (lo, hi), n in zip(widths, np.shape(g)))]


def undiagonal(g, a, offset=0, axis1=0, axis2=1):
    """Adjoint of ``y = np.diagonal(a, offset, axis1, axis2)``: ``g`` on that diagonal of zeros."""
    out = np.zeros(np.shape(a), dtype=np.result_type(g, 0.0))
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    n = min(view.shape[-2] + min(offset, 0), view.shape[-1] - max(offset, 0))
    i = np.arange(max(n, 0))
    view[..., i - min(offset, 0), i + max(offset, 0)] = g
    return out


def undiag(g, v, k=0):
    """Adjoint of ``y = np.diag(v, k)``: the diagonal of ``g`` (vector ``v``) or ``g`` on a diagonal."""
    if np.ndim(v) == 1:
        return np.diagonal(g, k)
    return undiagonal(g, v, k)


def unconcatenate(g, arrays, axis=0, how="concatenate"):
    """Adjoint of joining ``arrays`` into ``y``: ``g`` cut back into one piece per array.

    ``how`` names the joining function (``"vstack"``, ``"column_stack"``...),
    which decides how each array was promoted and along which axis it went.
    The pieces come as a Tree list, so a second contribution adds to them
    (``dhs + unconcatenate(...)``) rather than lengthening the list.
    """
    if how in ("r_", "c_"):
        return _unjoin_index(g, arrays, how)
    if how == "concatenate" and axis is None:
        g = np.reshape(g, (-1,))
        flat = [np.reshape(a, (-1,)) for a in arrays]
        return _tree_like(arrays, [np.reshape(p, np.shape(a)) for p, a in zip(unconcatenate(g, flat), arrays)])
    promote = {"concatenate": np.asarray, "hstack": np.atleast_1d, "vstack": np.atleast_2d,
               "dstack": np.atleast_3d, "column_stack": _as_column}[how]
    promoted = [promote(a) for a in arrays]
    if how == "hstack":
        axis = 0 if promoted[0].ndim == 1 else 1
    elif how in ("vstack", "dstack", "column_stack"):
        axis = {"vstack": 0, "dstack": 2, "column_stack": 1}[how]
    cuts = np.cumsum([p.shape[axis] for p in promoted])[:-1]
    return _tree_like(arrays, [np.reshape(part, np.shape(a)) for part, a in zip(np.split(g, cuts, axis=axis), arrays)])


def unstack_like(g, arrays, axis=0):
    """Adjoint of ``np.stack(arrays, axis)``: the slices of ``g``, as a Tree list like ``arrays``."""
    return _tree_like(arrays, list(np.moveaxis(np.asarray(g), axis, 0)))


def r_items(items):
    """``np.r_[a, b]`` (normalized to ``np.r_[items]``, ``items`` the tuple ``(a, b)``): the rule's key."""
    return np.r_[items]


def c_items(items):
    """``np.c_[a, b]``, as `r_items` is ``np.r_``."""
    return np.c_[items]


def _index_promote(a, how):
    """Each array as ``np.r_`` (at least 1-D) or ``np.c_`` (at least 2-D, a vector as a column) joins it."""
    a = np.asarray(a)
    if how == "r_":
        return a.reshape(1) if a.ndim == 0 else a
    return a.reshape(a.shape + (1,) * (2 - a.ndim)) if a.ndim < 2 else a


def _unjoin_index(g, items, how):
    """Adjoint of ``np.r_[items]`` / ``np.c_[items]``: ``g`` cut back into one piece per item."""
    many = isinstance(items, tuple)
    arrays = list(items) if many else [items]
    for a in arrays:
        if isinstance(a, (list, tuple, dict, str, slice)):
            from tangentish.errors import TransformError
            raise TransformError(f"cannot differentiate np.{how}[...] of a {type(a).__name__}: only arrays "
                                 "and numbers are joined with a derivative",
                                 hint="convert it with np.asarray first, or use np.concatenate.")
    promoted = [_index_promote(a, how) for a in arrays]
    axis = 0 if how == "r_" else -1
    cuts = np.cumsum([p.shape[axis] for p in promoted])[:-1]
    pieces = [np.reshape(part, np.shape(a)) for part, a in zip(np.split(g, cuts, axis=axis), arrays)]
    return _tree_like(items, pieces) if many else pieces[0]


def rejoin(parts, g, axis=0, how="concatenate"):
    """Join ``parts`` the way ``how`` joined the arrays `unconcatenate` cut ``g`` for (its transpose)."""
    if how in ("r_", "c_"):
        index = np.r_ if how == "r_" else np.c_
        return np.reshape(index[tuple(parts) if isinstance(parts, (list, tuple)) else parts], np.shape(g))
    join = {"concatenate": np.concatenate, "hstack": np.hstack, "vstack": np.vstack,
            "dstack": np.dstack, "column_stack": np.column_stack}[how]
    joined = join(parts, axis=axis) if how == "concatenate" else join(parts)
    return np.reshape(joined, np.shape(g))


def uncumsum(g, a, axis=None):
    """Adjoint of ``y = np.cumsum(a, axis)``: the running sum of ``g`` from the other end, shaped like ``a``."""
    out = np.flip(np.cumsum(np.flip(g, axis=axis), axis=axis), axis=axis)
    return out if axis is not None else np.reshape(out, np.shape(a))


def quantile_weights(a, q, axis=None):
    """d quantile(a, q) / da for the default linear method: 1 - f and f on the two order
    statistics around position q (n - 1) = k + f, placed where they sit in ``a``."""
    if np.ndim(q) != 0:
        no_derivative("np.quantile of several q at once (call it once per q)")
    if axis is not None and np.ndim(axis) != 0:
        no_derivative("np.quantile over several axes (reshape them into one)")
    x = np.reshape(a, (-1,)) if axis is None else np.moveaxis(a, axis, -1)
    n = x.shape[-1]
    pos = float(q) * (n - 1)
    k = min(int(np.floor(pos)), n - 1)
    f = pos - k
    dtype = np.result_type(a, 0.0)
    sorted_weights = np.zeros(x.shape, dtype=dtype)
    sorted_weights[..., k] = 1.0 - f
    if k + 1 < n:
        sorted_weights[..., k + 1] += f
    weights = np.zeros(x.shape, dtype=dtype)
    np.put_along_axis(weights, np.argsort(x, axis=-1), sorted_weights, axis=-1)
    return np.reshape(weights, np.shape(a)) if axis is None else np.moveaxis(weights, -1, axis)


def linspace_weights(start, stop, num=50, endpoint=True):
    """The weights w_i of ``stop`` in ``np.linspace(start, stop, num, endpoint)``, as a column."""
    dtype = np.result_type(start, stop, 0.0)
    w = np.linspace(0.0, 1.0, num, endpoint=endpoint, dtype=dtype)
    return w.reshape((num,) + (1,) * len(np.broadcast_shapes(np.shape(start), np.shape(stop))))


def _as_column(a):
    a = np.asarray(a)
    return a.reshape(-1, 1) if a.ndim < 2 else a


# ---- einsum: every product's adjoint is another einsum ------------------------

def _einsum_parts(subscripts):
    """Input and output index lists of an einsum spec; ``'...'`` is the one token ``'.'``."""
    if not isinstance(subscripts, str):
        no_derivative("np.einsum in sublist form with index lists that are not literals "
                      "(write them out, or use the string form)")
    spec = subscripts.replace(" ", "").replace("...", ".")
    inputs, arrow, out = spec.partition("->")
    ins = [list(s) for s in inputs.split(",")]
    if not arrow:
        letters = [c for s in ins for c in s if c != "."]
        out = ("." if any("." in s for s in ins) else "") + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1))
    return ins, list(out)


def _einsum_text(tokens):
    return "".join(tokens).replace(".", "...")


def _einsum_kept(ins, out, i):
    others = set(out).union(*[set(s) for j, s in enumerate(ins) if j != i])
    kept = []
    for c in ins[i]:
        if c in others and c not in kept:
            kept.append(c)
    if "." in ins[i] and "." not in out:
        no_derivative("einsum summing over '...' (spell the summed axes out)")
    return kept


def einsum_spec(subscripts, i):
    """The spec of the einsum giving operand ``i``'s adjoint, for indices it shares.

    For ``'ij,jk->ik'`` and operand 0 that is ``'ik,jk->ij'``: contract the
    output's adjoint with the other operand.  `einsum_spread` then restores
    repeated and summed-away indices.
    """
    ins, out = _einsum_parts(subscripts)
    others = [_einsum_text(s) for j, s in enumerate(ins) if j != i]
    kept = _einsum_kept(ins, out, i)
    if "." not in ins[i] and "." in out:   # NumPy cannot sum '...' away: keep it, einsum_spread sums it
        kept = ["."] + kept
    return ",".join([_einsum_text(out)] + others) + "->" + _einsum_text(kept)


def einsum_reduce_spec(subscripts, i):
    """``'<operand i>-><its kept indices>'``: takes diagonals and sums lone indices (spread's transpose)."""
    ins, out = _einsum_parts(subscripts)
    return _einsum_text(ins[i]) + "->" + _einsum_text(_einsum_kept(ins, out, i))


def einsum_spread(r, subscripts, operand, i):
    """Operand ``i``'s adjoint from ``r`` over its kept indices (see `einsum_spec`).

    A repeated index (``'ii->'``) puts ``r`` on the diagonal, an index only
    this operand has (``'ij->i'``) copies ``r`` along it, and broadcasting in
    ``'...'`` is summed back (`unbroadcast`).
    """
    ins, out = _einsum_parts(subscripts)
    tokens, kept = ins[i], _einsum_kept(ins, out, i)
    if "." not in tokens and np.ndim(r) > len(kept):   # the output's '...', kept by einsum_spec
        r = np.sum(r, axis=tuple(range(np.ndim(r) - len(kept))))
    free = iter(c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                if c not in subscripts)
    shape = np.shape(operand)
    ell = len(shape) - (len(tokens) - 1) if "." in tokens else 0
    sizes, pos = {}, 0
    for c in tokens:
        if c != ".":
            sizes.setdefault(c, shape[pos])
        pos += ell if c == "." else 1
    dtype = np.result_type(r, 0.0)
    target, specs, factors, seen = [], [], [], set()
    for c in tokens:
        if c == "." or c not in seen:
            target.append(c)
            seen.add(c)
            if c != "." and c not in kept:
                specs.append(c)
                factors.append(np.ones(sizes[c], dtype=dtype))
        else:
            f = next(free)
            target.append(f)
            specs.append(c + f)
            factors.append(np.eye(sizes[c], dtype=dtype))
    if not factors and target == kept:
        return _unbroadcast_ellipsis(r, target, operand)
    spec = ",".join([_einsum_text(kept)] + specs) + "->" + _einsum_text(target)
    return _unbroadcast_ellipsis(np.einsum(spec, r, *factors), target, operand)


def _unbroadcast_ellipsis(r, tokens, operand):
    """Sum ``r`` (indexed by ``tokens``) down to ``operand``'s shape: its '...' may be shorter or broadcast.

    The '...' block sits where ``tokens`` puts it, not necessarily first, so
    it is moved to the front for `unbroadcast` and back.
    """
    shape = np.shape(operand)
    if "." not in tokens or tokens[0] == "." or np.shape(r) == shape:
        return unbroadcast(r, operand)
    p, fixed = tokens.index("."), len(tokens) - 1
    wide, narrow = np.ndim(r) - fixed, len(shape) - fixed
    r = np.moveaxis(r, list(range(p, p + wide)), list(range(wide)))
    front = shape[p:p + narrow] + shape[:p] + shape[p + narrow:]
    r = unbroadcast(r, np.broadcast_to(np.zeros((), dtype=np.result_type(r)), front))
    return np.moveaxis(np.asarray(r), list(range(narrow)), list(range(p, p + narrow)))


def einsum2(subscripts, a, b=None, c=None):
    """``np.einsum`` of one, two or three operands (the unused ones None), the form the einsum rules use."""
    operands = [x for x in (a, b, c) if x is not None]
    return np.einsum(subscripts, *operands)


def tensordot_subscripts(a, b, axes=2):
    """The einsum spec of ``np.tensordot(a, b, axes)``."""
    na, nb = np.ndim(a), np.ndim(b)
    if np.ndim(axes) == 0:
        axes = (list(range(na - axes, na)), list(range(axes)))
    ax_a, ax_b = ([axes[0]] if np.ndim(axes[0]) == 0 else list(axes[0]),
                  [axes[1]] if np.ndim(axes[1]) == 0 else list(axes[1]))
    ax_a, ax_b = [x % na for x in ax_a], [x % nb for x in ax_b]
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    sa = [next(letters) for _ in range(na)]
    sb = [next(letters) for _ in range(nb)]
    for x, y in zip(ax_a, ax_b):
        sb[y] = sa[x]
    out = [c for k, c in enumerate(sa) if k not in ax_a] + [c for k, c in enumerate(sb) if k not in ax_b]
    return "".join(sa) + "," + "".join(sb) + "->" + "".join(out)


def _dot_spec(a, b):
    """The einsum spec of ``np.dot(a, b)`` for an N-D ``b``: a's last axis with b's second to last."""
    return tensordot_subscripts(a, b, ([-1], [-2]))


def dot_da(g, a, b):
    """Adjoint of ``a`` in ``z = np.dot(a, b)``: as for ``a @ b`` while ``b`` has at most 2 axes.

    With an N-D ``b``, dot (unlike matmul) pairs every slice of ``a`` with every
    stack of ``b``: ``dot(a, b)[i, j, k] = sum_l a[i, l] b[j, l, k]``.
    """
    if np.ndim(b) <= 2 or np.ndim(a) == 0:
        return matmul_da(g, a, b)
    spec = _dot_spec(a, b)
    return einsum_spread(np.einsum(einsum_spec(spec, 0), g, b), spec, a, 0)


def dot_db(g, a, b):
    """Adjoint of ``b`` in ``z = np.dot(a, b)`` (see `dot_da`)."""
    if np.ndim(b) <= 2 or np.ndim(a) == 0:
        return matmul_db(g, a, b)
    spec = _dot_spec(a, b)
    return einsum_spread(np.einsum(einsum_spec(spec, 1), g, a), spec, b, 1)


def inner_subscripts(a, b):
    """The einsum spec of ``np.inner(a, b)`` (sum over the last axes)."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0:
        sa, sb = "abc"[:na], "def"[:nb]
        return f"{sa},{sb}->{sa}{sb}"
    return tensordot_subscripts(a, b, ([-1], [-1]))


def _kron_axes(a, b):
    """Per output axis of ``np.kron(a, b)``, which operands have it (the one with fewer axes lacks the first)."""
    na, nb = np.ndim(a), np.ndim(b)
    n = max(na, nb)
    return [(k >= n - na, k >= n - nb) for k in range(n)], n - na, n - nb


def kron_subscripts(a, b):
    """The einsum spec of ``np.kron(a, b)`` before its reshape: ``'ab,cd->acbd'``.

    NumPy prepends ones to the operand with fewer axes; those axes are just
    left out here (``'b,cd->cbd'`` for a vector and a matrix).
    """
    axes, skip_a, skip_b = _kron_axes(a, b)
    n = len(axes)
    sa, sb = "abcdefghijklm"[:n], "nopqrstuvwxyz"[:n]
    out = "".join((x if in_a else "") + (y if in_b else "") for x, y, (in_a, in_b) in zip(sa, sb, axes))
    return f"{sa[skip_a:]},{sb[skip_b:]}->{out}"


def kron_shape(a, b):
    """``np.kron(a, b)``'s shape with each axis split in two: (a0, b0, a1, b1, ...) (see `kron_subscripts`)."""
    axes, skip_a, skip_b = _kron_axes(a, b)
    sa = (1,) * skip_a + tuple(np.shape(a))
    sb = (1,) * skip_b + tuple(np.shape(b))
    return tuple(x for k, (in_a, in_b) in enumerate(axes) for x in ((sa[k],) if in_a else ()) + ((sb[k],) if in_b else ()))


def undiff(g, a, n=1, axis=-1):
    """Adjoint of ``np.diff(a, n, axis)``: each difference ``a[i+1] - a[i]`` sends ``g[i]`` back twice."""
    for _ in range(n):
        g = np.moveaxis(g, axis, -1)
        edge = np.zeros(np.shape(g)[:-1] + (1,), dtype=np.result_type(g, 0.0))
        g = np.moveaxis(np.concatenate([edge, g], -1) - np.concatenate([g, edge], -1), -1, axis)
    return g


def unpolyval(g, p, x):
    """Adjoint of ``np.polyval(p, x)`` w.r.t. the coefficients: ``sum(g * x**(N-1-i))`` for each ``p[i]``."""
    powers = np.vander(np.ravel(x), len(p)).astype(np.result_type(g, x, 0.0), copy=False)   # vander promotes
    return powers.T @ np.ravel(np.broadcast_to(g, np.shape(x)))


def unconvolve(g, a, v, mode="full"):
    """Adjoint of ``np.convolve(a, v, mode)`` w.r.t. ``a``: the full-length ``g`` correlated with ``v``.

    ``valid`` and ``same`` keep a window of the full convolution; ``g`` goes
    back into that window of zeros first.
    """
    m, n = len(a), len(v)
    full = np.zeros(m + n - 1, dtype=np.result_type(g, 0.0))
    start = {"full": 0, "valid": min(m, n) - 1, "same": (min(m, n) - 1) // 2}[mode]
    full[start:start + len(g)] = g
    return np.convolve(full, np.asarray(v)[::-1], "valid")   # a correlation without np.correlate's conj: the transpose
