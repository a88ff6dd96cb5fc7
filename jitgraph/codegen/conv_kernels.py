"""Numba kernels for convolution and pooling: reached as `K.<name>` from generated code,
because `codegen/kernels.py` re-exports this module.

All tensors are NHWC; filters are [kh, kw, in, out]. Convolutions are im2col + one
BLAS product (`np.dot`) over the whole batch; pooling is plain loops. Sizes and padding
are computed here at run time (a signature holds ranks, not sizes), with TF's rule:
SAME gives out = ceil(in / stride) and pads pad_total // 2 before, the rest after.
Names start with `conv_`/`pool_` so they never collide with `kernels.py`.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from jitgraph.codegen.blas import blas_dot

# Same flags as kernels.py but without "nnan"/"ninf": a window max starts at -inf.
_CONV_OPTS = dict(cache=True, nogil=True, error_model="numpy",
                  fastmath={"reassoc", "contract", "arcp", "nsz", "afn"})


@njit(**_CONV_OPTS)
def conv_out_pad(n, k, s, same):
    """(output size, padding before) of one spatial dim."""
    if same:
        out = (n + s - 1) // s
        return out, max((out - 1) * s + k - n, 0) // 2
    if n < k:
        raise ValueError("Computed output size would be negative (VALID padding, "
                         "window larger than input)")
    return (n - k) // s + 1, 0


# Images per im2col block: the patch matrix of one block stays around 1 MiB, in cache
# while BLAS reads it, instead of one batch-sized matrix streaming through memory.
CONV_BLOCK_ELEMS = 1 << 18


@njit(**_CONV_OPTS)
def conv_block(n, oh, ow, k):
    return max(1, min(n, CONV_BLOCK_ELEMS // max(oh * ow * k, 1)))


@njit(**_CONV_OPTS)
def conv_im2col(x, b0, b1, kh, kw, sh, sw, ph, pw, oh, ow):
    """[(b1-b0)*oh*ow, kh*kw*c] patches of images b0..b1 of x (zeros over the padding)."""
    n, h, w, c = x.shape
    cols = np.zeros(((b1 - b0) * oh * ow, kh * kw * c), x.dtype)
    for b in range(b0, b1):
        for i in range(oh):
            for j in range(ow):
                r = ((b - b0) * oh + i) * ow + j
                for di in range(kh):
                    y = i * sh - ph + di
                    if y < 0 or y >= h:
                        continue
                    for dj in range(kw):
                        xx = j * sw - pw + dj
                        if xx < 0 or xx >= w:
                            continue
                        base = (di * kw + dj) * c
                        for ch in range(c):
                            cols[r, base + ch] = x[b, y, xx, ch]
    return cols


@njit(**_CONV_OPTS)
def conv_col2im(dx, cols, b0, kh, kw, sh, sw, ph, pw, oh, ow):
    """The adjoint of im2col: adds each patch entry of images b0.. back into dx."""
    n, h, w, c = dx.shape
    for r in range(cols.shape[0]):
        b = b0 + r // (oh * ow)
        i = (r // ow) % oh
        j = r % ow
        for di in range(kh):
            y = i * sh - ph + di
            if y < 0 or y >= h:
                continue
            for dj in range(kw):
                xx = j * sw - pw + dj
                if xx < 0 or xx >= w:
                    continue
                base = (di * kw + dj) * c
                for ch in range(c):
                    dx[b, y, xx, ch] += cols[r, base + ch]


@njit(**_CONV_OPTS)
def conv2d_fwd(x, f, sh, sw, same):
    """Conv2D: x [n, h, w, c] * f [kh, kw, c, o] -> [n, oh, ow, o]."""
    n, h, w, c = x.shape
    kh, kw, fc, o = f.shape
    if fc != c:
        raise ValueError("Conv2D: input depth must be evenly divisible by filter depth")
    oh, ph = conv_out_pad(h, kh, sh, same)
    ow, pw = conv_out_pad(w, kw, sw, same)
    fm = np.ascontiguousarray(f).reshape((kh * kw * c, o))
    out = np.empty((n * oh * ow, o), x.dtype)
    step = conv_block(n, oh, ow, kh * kw * c)
    for b0 in range(0, n, step):
        b1 = min(b0 + step, n)
        cols = conv_im2col(x, b0, b1, kh, kw, sh, sw, ph, pw, oh, ow)
        out[b0 * oh * ow:b1 * oh * ow] = blas_dot(cols, fm, False, False)
    return out.reshape((n, oh, ow, o))


@njit(**_CONV_OPTS)
def conv2d_bprop_input(sizes, f, dy, sh, sw, same):
    """Conv2DBackpropInput: the gradient wrt the input of shape `sizes` (an int vector)."""
    n, h = np.int64(sizes[0]), np.int64(sizes[1])
    w, c = np.int64(sizes[2]), np.int64(sizes[3])
    kh, kw, fc, o = f.shape
    oh, ph = conv_out_pad(h, kh, sh, same)
    ow, pw = conv_out_pad(w, kw, sw, same)
    if fc != c or dy.shape[0] != n or dy.shape[1] != oh or dy.shape[2] != ow \
            or dy.shape[3] != o:
        raise ValueError("Conv2DBackpropInput: sizes of input, filter and out_backprop "
                         "do not match")
    dym = np.ascontiguousarray(dy).reshape((n * oh * ow, o))
    fm = np.ascontiguousarray(f).reshape((kh * kw * c, o))
    dx = np.zeros((n, h, w, c), dy.dtype)
    step = conv_block(n, oh, ow, kh * kw * c)
    for b0 in range(0, n, step):
        b1 = min(b0 + step, n)
        dcols = blas_dot(dym[b0 * oh * ow:b1 * oh * ow], fm, False, True)
        conv_col2im(dx, dcols, b0, kh, kw, sh, sw, ph, pw, oh, ow)
    return dx


@njit(**_CONV_OPTS)
def conv2d_bprop_filter(x, sizes, dy, sh, sw, same):
    """Conv2DBackpropFilter: the gradient wrt a filter of shape `sizes` (an int vector)."""
    n, h, w, c = x.shape
    kh, kw, o = np.int64(sizes[0]), np.int64(sizes[1]), np.int64(sizes[3])
    oh, ph = conv_out_pad(h, kh, sh, same)
    ow, pw = conv_out_pad(w, kw, sw, same)
    if np.int64(sizes[2]) != c or dy.shape[0] != n or dy.shape[1] != oh \
            or dy.shape[2] != ow or dy.shape[3] != o:
        raise ValueError("Conv2DBackpropFilter: sizes of input, filter and out_backprop "
                         "do not match")
    dym = np.ascontiguousarray(dy).reshape((n * oh * ow, o))
    dw = np.zeros((kh * kw * c, o), dy.dtype)
    step = conv_block(n, oh, ow, kh * kw * c)
    for b0 in range(0, n, step):
        b1 = min(b0 + step, n)
        cols = conv_im2col(x, b0, b1, kh, kw, sh, sw, ph, pw, oh, ow)
        dw += blas_dot(cols, np.ascontiguousarray(dym[b0 * oh * ow:b1 * oh * ow]),
                          True, False)
    return dw.reshape((kh, kw, c, o))


# -- pooling ------------------------------------------------------------------------------
@njit(**_CONV_OPTS)
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


@njit(**_CONV_OPTS)
def pool_max_grad(x, dy, kh, kw, sh, sw, same):
    """MaxPoolGrad: each window's gradient goes to its max; on ties to the first one
    (row-major in the window), as TF does. Channels run innermost, over contiguous memory."""
    n, h, w, c = x.shape
    oh, ph = conv_out_pad(h, kh, sh, same)
    ow, pw = conv_out_pad(w, kw, sw, same)
    dx = np.zeros((n, h, w, c), dy.dtype)
    best = np.empty(c, x.dtype)
    at = np.empty((c, 2), np.int64)
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                first = True
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
                            if first or v > best[ch]:
                                best[ch] = v
                                at[ch, 0] = y
                                at[ch, 1] = xx
                        first = False
                for ch in range(c):
                    dx[b, at[ch, 0], at[ch, 1], ch] += dy[b, i, j, ch]
    return dx


@njit(**_CONV_OPTS)
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


@njit(**_CONV_OPTS)
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
