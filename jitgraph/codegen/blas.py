"""One BLAS product for every compiled kernel (matmul, convolution).

Its thread count is not chosen here: it is a library global that compiled code cannot
set per call; jitgraph.runtime.threads sets it per run from the plan's largest product.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, error_model="numpy")
def blas_dot(a, b, ta, tb):
    """a @ b for 2-D float arrays, either side transposed. A transposed operand is passed
    as an F-ordered view: BLAS reads it as is, with no copy. Empty results need no BLAS."""
    n = a.shape[1] if ta else a.shape[0]
    m = b.shape[0] if tb else b.shape[1]
    k = a.shape[0] if ta else a.shape[1]
    if n == 0 or k == 0 or m == 0:
        return np.zeros((n, m), a.dtype)
    ac, bc = np.ascontiguousarray(a), np.ascontiguousarray(b)
    if ta and tb:
        return np.dot(ac.T, bc.T)
    if ta:
        return np.dot(ac.T, bc)
    if tb:
        return np.dot(ac, bc.T)
    return np.dot(ac, bc)
