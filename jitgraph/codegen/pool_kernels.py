"""Numba kernels for max and average pooling (NHWC) and their gradients: plain loops with
channels innermost, over contiguous memory. Re-exported by `conv_kernels.py`."""
from __future__ import annotations

import numpy as np
from numba import njit

from jitgraph.codegen.conv_geometry import conv_out_pad

# Same flags as kernels.py but without "nnan"/"ninf": a window max starts at -inf.
_POOL_OPTS = dict(cache=True, nogil=True, error_model="numpy",
                  fastmath={"reassoc", "contract", "arcp", "nsz", "afn"})


@njit(**_POOL_OPTS)
def pool_max(x, kh, kw, sh, sw, same):
    """MaxPool over [kh, kw] windows; padding never wins (every window holds an element)."""
    n, h, w, c = x.shape
    oh, ph = conv_out_pad(h, kh, sh, same)
    ow, pw = conv_out_pad(w, kw, sw, same)
    out = np.empty((n, oh, ow, c), x.dtype)
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    out[b, i, j, ch] = -np.inf
                for di in range(kh):
                    y = i * sh - ph + di
                    if y < 0 or y >= h:
                        continue
                    for dj in range(kw):
                        xx = j * sw - pw + dj
                        if xx < 0 or xx >= w:
                            continue
                        for ch in range(c):
                            v = x[b, y, xx, ch]
                            if v > out[b, i, j, ch]:
                                out[b, i, j, ch] = v
    return out


@njit(**_POOL_OPTS)
def pool_max_grad(x, ym, dy, kh, kw, sh, sw, same):
    """MaxPoolGrad: each window's gradient goes to its max (`ym`, MaxPool's output); on
    ties to the first one (row-major in the window), as TF does. A mask of the channels
    already served keeps the loop over contiguous channels branch-free (it vectorizes),
    and windows that do not overlap store instead of accumulate: 2x faster than
    tracking each channel's arg-max."""
    n, h, w, c = x.shape
    oh, ph = conv_out_pad(h, kh, sh, same)
    ow, pw = conv_out_pad(w, kw, sw, same)
    overlap = kh > sh or kw > sw
    dx = np.zeros((n, h, w, c), dy.dtype)
    done = np.empty(c, np.bool_)
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                done[:] = False
                for di in range(kh):
                    y = i * sh - ph + di
                    if y < 0 or y >= h:
                        continue
                    for dj in range(kw):
                        xx = j * sw - pw + dj
                        if xx < 0 or xx >= w:
                            continue
                        if overlap:
                            for ch in range(c):
                                hit = not done[ch] and x[b, y, xx, ch] == ym[b, i, j, ch]
                                dx[b, y, xx, ch] += dy[b, i, j, ch] if hit else 0
                                done[ch] = done[ch] or hit
                        else:
                            for ch in range(c):
                                hit = not done[ch] and x[b, y, xx, ch] == ym[b, i, j, ch]
                                dx[b, y, xx, ch] = dy[b, i, j, ch] if hit else 0
                                done[ch] = done[ch] or hit
    return dx


@njit(**_POOL_OPTS)
def pool_avg(x, kh, kw, sh, sw, same):
    """AvgPool: the mean over each window's elements inside the input (TF's SAME rule)."""
    n, h, w, c = x.shape
    oh, ph = conv_out_pad(h, kh, sh, same)
    ow, pw = conv_out_pad(w, kw, sw, same)
    out = np.zeros((n, oh, ow, c), x.dtype)
    for b in range(n):
        for i in range(oh):
            y0, y1 = max(i * sh - ph, 0), min(i * sh - ph + kh, h)
            for j in range(ow):
                x0, x1 = max(j * sw - pw, 0), min(j * sw - pw + kw, w)
                for y in range(y0, y1):
                    for xx in range(x0, x1):
                        for ch in range(c):
                            out[b, i, j, ch] += x[b, y, xx, ch]
                inv = 1.0 / max((y1 - y0) * (x1 - x0), 1)
                for ch in range(c):
                    out[b, i, j, ch] *= inv
    return out


@njit(**_POOL_OPTS)
def pool_avg_grad(sizes, dy, kh, kw, sh, sw, same):
    """AvgPoolGrad: spreads each output's gradient evenly over its window's elements."""
    n, h, w, c = np.int64(sizes[0]), np.int64(sizes[1]), np.int64(sizes[2]), np.int64(sizes[3])
    oh, ph = conv_out_pad(h, kh, sh, same)
    ow, pw = conv_out_pad(w, kw, sw, same)
    if dy.shape[0] != n or dy.shape[1] != oh or dy.shape[2] != ow or dy.shape[3] != c:
        raise ValueError("AvgPoolGrad: orig_input_shape and grad do not match")
    dx = np.zeros((n, h, w, c), dy.dtype)
    for b in range(n):
        for i in range(oh):
            y0, y1 = max(i * sh - ph, 0), min(i * sh - ph + kh, h)
            for j in range(ow):
                x0, x1 = max(j * sw - pw, 0), min(j * sw - pw + kw, w)
                inv = 1.0 / max((y1 - y0) * (x1 - x0), 1)
                for y in range(y0, y1):
                    for xx in range(x0, x1):
                        for ch in range(c):
                            dx[b, y, xx, ch] += dy[b, i, j, ch] * inv
    return dx
