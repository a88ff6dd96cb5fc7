"""Compiled loops for index-driven ops (`K.segment_reduce`, `K.gather_nd`, `K.scatter_nd`):
segment reductions, gathers and scatters by N-d indices. Each works on 2-D views (rows x
the trailing slice) so one compiled form serves every rank. An out-of-range index raises
ValueError; the session re-runs the stage on the interpreter for TF's message."""
from __future__ import annotations

import numpy as np
from numba import njit

_OPTS = dict(cache=True, nogil=True, error_model="numpy")

# Segment modes, as `segment_ops` passes them.
SUM, PROD, MAX, MIN, MEAN = 0, 1, 2, 3, 4


@njit(**_OPTS)
def segment_reduce(data, ids, n, mode, init, empty):
    """out[s] = reduce(data[i] for ids[i] == s); rows of no id get `empty`; ids < 0 are
    dropped (unsorted segments)."""
    inner = data.shape[1]
    out = np.full((n, inner), init, data.dtype)
    count = np.zeros(n, np.int64)
    for i in range(ids.shape[0]):
        s = ids[i]
        if s < 0:
            continue
        if s >= n:
            raise ValueError("segment id out of range")
        count[s] += 1
        for j in range(inner):
            v = data[i, j]
            if mode == 0 or mode == 4:
                out[s, j] += v
            elif mode == 1:
                out[s, j] *= v
            elif mode == 2:
                if v > out[s, j] or v != v:
                    out[s, j] = v
            elif v < out[s, j] or v != v:
                out[s, j] = v
    for s in range(n):
        if count[s] == 0:
            for j in range(inner):
                out[s, j] = empty
        elif mode == 4:
            for j in range(inner):
                out[s, j] = out[s, j] / count[s]
    return out


@njit(**_OPTS)
def flat_rows(idx, dims):
    """Row numbers of N-d indices `idx` (m x k) into leading dims `dims` (row-major)."""
    m, k = idx.shape
    rows = np.empty(m, np.int64)
    for i in range(m):
        r = 0
        for j in range(k):
            v = idx[i, j]
            if v < 0 or v >= dims[j]:
                raise ValueError("index out of range")
            r = r * dims[j] + v
        rows[i] = r
    return rows


@njit(**_OPTS)
def gather_rows(params, rows):
    out = np.empty((rows.shape[0], params.shape[1]), params.dtype)
    for i in range(rows.shape[0]):
        for j in range(params.shape[1]):
            out[i, j] = params[rows[i], j]
    return out


@njit(**_OPTS)
def scatter_rows(out, rows, updates, mode):
    """In place: out[rows[i]] (update 0, add 1, sub 2, mul 3, div 4, max 5, min 6)
    updates[i], in order (a repeated row takes the last update, or combines them)."""
    for i in range(rows.shape[0]):
        r = rows[i]
        for j in range(out.shape[1]):
            u = updates[i, j]
            if mode == 0:
                out[r, j] = u
            elif mode == 1:
                out[r, j] += u
            elif mode == 2:
                out[r, j] -= u
            elif mode == 3:
                out[r, j] *= u
            elif mode == 4:
                out[r, j] /= u
            elif mode == 5:
                out[r, j] = max(out[r, j], u)
            else:
                out[r, j] = min(out[r, j], u)
    return out
