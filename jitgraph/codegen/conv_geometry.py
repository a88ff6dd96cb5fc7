"""TF's output size and padding of one spatial dim, shared by the conv, depthwise and
pooling kernels (compiled, so they can call it at run time)."""
from __future__ import annotations

from numba import njit


@njit(cache=True, nogil=True, error_model="numpy")
def conv_out_pad(n, k, s, same):
    """(output size, padding before) of one spatial dim for a window of k (dilated)."""
    if same:
        out = (n + s - 1) // s
        return out, max((out - 1) * s + k - n, 0) // 2
    if n < k:
        raise ValueError("Computed output size would be negative (VALID padding, "
                         "window larger than input)")
    return (n - k) // s + 1, 0
