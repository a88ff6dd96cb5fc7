"""Accurate sums for generated code (`K.sum_rows`, `K.sum_mid`, `K.prefix_split`) and NaN-keeping
max/min (`K.max_rows`, `K.min_rows`); `kernels.py` re-exports them.

A float32 sum accumulated term by term loses about n/2 ulps: 10^7 terms of 0.1 came
out 9% off. Accumulating every term in float64 fixes that but halves the SIMD width
(a 4M-element sum ran 40% slower). These kernels add short blocks in the input's
own type, where the vectorizer keeps several partial sums, and carry the block
totals in float64: as accurate as a float64 loop (~1e-7 relative) at float32 speed.
They return float64 so a mean divides before rounding; the caller casts.
"""
from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["sum_rows", "sum_mid", "prefix_split", "max_rows", "min_rows"]

_OPTS = dict(cache=True, nogil=True, error_model="numpy",
             fastmath={"reassoc", "contract", "arcp", "nsz", "afn"})

# Terms per float32 block along a contiguous row: the vectorizer splits one block
# over 32-64 partial sums, so each carries a few dozen rounding errors at most.
ROW_BLOCK = 1024
# Rows per block when whole rows are summed into a row of partials (column sums):
# each partial takes this many float32 additions before it is flushed.
COL_BLOCK = 32


@njit(inline="always", **_OPTS)
def _run_total(v):
    # Indexed from 0 over a slice: with a variable start Numba's negative-index check
    # stays in the loop and blocks vectorization (8x slower).
    part = v.dtype.type(0)
    for i in range(v.shape[0]):
        part = part + v[i]
    return part


@njit(**_OPTS)
def sum_rows(x):
    """Sums of the rows of a 2-D float array, as float64 `[rows]`."""
    n = x.shape[1]
    out = np.empty(x.shape[0], np.float64)
    for r in range(x.shape[0]):
        row = x[r]
        total = 0.0
        for b in range(0, n, ROW_BLOCK):
            total += _run_total(row[b:b + ROW_BLOCK])
        out[r] = total
    return out


@njit(**_OPTS)
def sum_mid(x):
    """Sum over axis 1 of a 3-D float array `[pre, n, post]`, as float64 `[pre, post]`.

    Whole rows of `post` are added into a float32 row of partials (contiguous, so it
    vectorizes), flushed into float64 every COL_BLOCK rows; the last rows go straight
    into float64.
    """
    pre, n, post = x.shape
    out = np.zeros((pre, post), np.float64)
    part = np.zeros(post, x.dtype)
    full = n // COL_BLOCK
    for a in range(pre):
        acc = out[a]
        for b in range(full):
            for i in range(COL_BLOCK):
                row = x[a, b * COL_BLOCK + i]
                for j in range(post):
                    part[j] = part[j] + row[j]
            for j in range(post):
                acc[j] += part[j]
                part[j] = 0
        for i in range(full * COL_BLOCK, n):
            row = x[a, i]
            for j in range(post):
                acc[j] += row[j]
    return out


@njit(**_OPTS)
def prefix_split(src_shape, like_shape):
    """`(n, post)` when summing an array of `src_shape` down to `like_shape` (its
    broadcast source) sums only leading dims: a `[1, n, post]` view for `sum_mid`.
    `(-1, -1)` when a summed dim sits between kept ones."""
    lead = len(src_shape) - len(like_shape)
    z = 0
    while z < len(like_shape) and like_shape[z] == 1:
        z += 1
    post = 1
    for j in range(z, len(like_shape)):
        if like_shape[j] != src_shape[lead + j]:
            return -1, -1
        post *= like_shape[j]
    n = 1
    for j in range(lead + z):
        n *= src_shape[j]
    return n, post


# Max/min keep a NaN from any position, as numpy does. A running `acc = f(acc, v)` with
# a NaN test does not vectorize (3x slower than a plain max), but the same test applied
# lane by lane to a small array of running extremes does: one vector select per chunk.
LANES = 64


@njit(inline="always", **_OPTS)
def _nan_max(a, b):
    return a if a >= b or a != a else b


@njit(inline="always", **_OPTS)
def _nan_min(a, b):
    return a if a <= b or a != a else b


@njit(**_OPTS)
def max_rows(x, init):
    """Max of each row of a 2-D array (`init` for an empty row), NaN winning."""
    rows, n = x.shape
    out = np.empty(rows, x.dtype)
    lanes = np.empty(LANES, x.dtype)
    full = n - n % LANES
    for r in range(rows):
        row = x[r]
        lanes[:] = init
        for b in range(0, full, LANES):
            chunk = row[b:b + LANES]
            for j in range(LANES):
                lanes[j] = _nan_max(lanes[j], chunk[j])
        tail = row[full:]
        for j in range(tail.shape[0]):
            lanes[j] = _nan_max(lanes[j], tail[j])
        m = lanes[0]
        for j in range(1, LANES):
            m = _nan_max(m, lanes[j])
        out[r] = m
    return out


@njit(**_OPTS)
def min_rows(x, init):
    """Min of each row of a 2-D array (`init` for an empty row), NaN winning."""
    rows, n = x.shape
    out = np.empty(rows, x.dtype)
    lanes = np.empty(LANES, x.dtype)
    full = n - n % LANES
    for r in range(rows):
        row = x[r]
        lanes[:] = init
        for b in range(0, full, LANES):
            chunk = row[b:b + LANES]
            for j in range(LANES):
                lanes[j] = _nan_min(lanes[j], chunk[j])
        tail = row[full:]
        for j in range(tail.shape[0]):
            lanes[j] = _nan_min(lanes[j], tail[j])
        m = lanes[0]
        for j in range(1, LANES):
            m = _nan_min(m, lanes[j])
        out[r] = m
    return out
