"""Reading and writing array elements, checked against finite differences."""
import numpy as np
import pytest
from fdcheck import check

import tangentish as tg

rng = np.random.default_rng(1)
V = rng.normal(size=6)
M = rng.normal(size=(4, 5))
T3 = rng.normal(size=(2, 3, 4))


def int_index(x):
    return x[0] * x[2] + x[-1] ** 2


def negative_index(x):
    return np.sin(x[-2]) * x[-1]


def slice_with_step(x):
    return np.sum(x[::2] * x[1::2])


def reversed_slice(x):
    return np.sum(x[::-1] * np.arange(6.0))


def multi_dim_index(A):
    return A[1, 2] * A[0, 0] + np.sum(A[2, :] ** 2) + np.sum(A[:, 1:3])


def three_dim(T):
    return np.sum(T[1, ::2, -1] * T[0, 1, :2])


def row_then_element(A):
    row = A[1]
    return row[0] * row[3]


def fancy_repeated(x):
    idx = np.array([0, 2, 2, 5])
    return np.sum(x[idx] ** 2)


def list_as_index(x):
    return np.sum(x[[1, 1, 3]] * 2.0)


def boolean_mask(x):
    return np.sum(x[x > 0] ** 2)


def mask_argument(x, mask):
    return np.sum(np.exp(x[mask]))


def int_array_argument(x, idx):
    return np.sum(x[idx] * x[idx])


def write_element(x):
    n = x.shape[0]
    z = np.zeros(n)
    z[0] = x[1] * 2.0
    z[3] = np.sin(x[2])
    return np.sum(z * x)


def write_in_loop(x):
    z = np.zeros(len(x))
    for i in range(len(x)):
        z[i] = x[i] ** 2 + i
    return np.sum(np.sin(z))


def overwrite_element(x):
    y = x * 2.0
    y[1] = 5.0
    y[2] = x[0] * x[3]
    return np.sum(y ** 2)


def copy_then_augassign_slice(x):
    y = x.copy()
    y[1:] *= 2
    return np.sum(y * x)


def augassign_element(x):
    y = x * 1.0
    y[0] += x[1] * 3.0
    y[-1] -= 1.0
    return np.sum(y ** 2)


def write_row(A, v):
    B = A.copy()
    B[2] = v
    return np.sum(B ** 3)


def write_broadcast(A, s):
    B = A * 1.0
    B[:, 0] = s
    return np.sum(np.tanh(B))


def cumulative_by_writes(x):
    c = np.zeros(x.shape)
    c[0] = x[0]
    for i in range(1, x.shape[0]):
        c[i] = c[i - 1] + x[i]
    return np.sum(c ** 2)


def non_diff_attributes(x):
    n = x.size + x.ndim + len(x)
    if x.dtype == np.float64:
        n = n + 1
    return np.sum(x) * n / x.shape[0]


def shape_in_arithmetic(A):
    rows, cols = A.shape
    return np.sum(A) / (rows * cols)


def index_by_loop_variable(x):
    s = 0.0
    for i in range(1, len(x) - 1):
        s = s + (x[i + 1] - x[i - 1]) ** 2
    return s


CASES = [
    (int_index, (V,)), (negative_index, (V,)), (slice_with_step, (V,)), (reversed_slice, (V,)),
    (multi_dim_index, (M,)), (three_dim, (T3,)), (row_then_element, (M,)),
    (fancy_repeated, (V,)), (list_as_index, (V,)), (boolean_mask, (V,)),
    (mask_argument, (V, V > 0.2)), (int_array_argument, (V, np.array([1, 1, 4]))),
    (write_element, (V,)), (write_in_loop, (V,)), (overwrite_element, (V,)),
    (copy_then_augassign_slice, (V,)), (augassign_element, (V,)),
    (write_broadcast, (M, 0.5)), (cumulative_by_writes, (V,)),
    (non_diff_attributes, (V,)), (shape_in_arithmetic, (M,)), (index_by_loop_variable, (V,)),
]


@pytest.mark.parametrize("f, args", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_indexing(f, args):
    check(f, *args)


def test_write_row_both():
    check(write_row, M, V[:5], wrt=(0, 1))


def test_write_broadcast_scalar():
    check(write_broadcast, M, 0.5, wrt=1)


def test_repeated_index_accumulates():
    g = tg.grad(fancy_repeated)(V)
    assert np.isclose(g[2], 4 * V[2]) and g[1] == 0.0


def test_write_source_copies_then_writes():
    src = tg.grad(write_element).source
    assert "z_2 = z.copy()" in src and "z_2[0] = " in src
    assert "unassign(" in src
