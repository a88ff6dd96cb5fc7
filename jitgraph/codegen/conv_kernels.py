"""Numba kernels for convolution: reached as `K.<name>` from generated code, because
`codegen/kernels.py` re-exports this module (and this module re-exports the pooling and
depthwise kernels beside it).

All tensors are NHWC; filters are [kh, kw, in, out]. A convolution is a product of the
patch matrix [n*oh*ow, kh*kw*c] with the filter [kh*kw*c, o], but the patch matrix is
never built whole: it is built one tile of rows at a time into one buffer that stays in
cache (`CONV_TILE_ELEMS`), and each tile's product is written by BLAS straight into its
rows of the output (`np.dot(a, b, out)`), so no result is copied or added.
On the CNN benchmark's 5x5x32->64 layer (AMD EPYC, one core) the whole-batch patch matrix
(40 MB of fresh pages) took longer to build than its product; per tile the patches cost
~1-2 ms of a 16 ms convolution, the rest is BLAS at ~80-90 GFLOP/s (TF's oneDNN reaches
~110). 3x3 stride-1 layers of 32+ channels skip the patches: Winograd (winograd_kernels.py)
does 2.25x fewer multiply-adds.

Sizes, padding and dilation are resolved here at run time (a signature holds ranks, not
sizes), with TF's rule: SAME gives out = ceil(in / stride) and pads pad_total // 2 before
the rest after, over the dilated window (k - 1) * d + 1.
Names start with `conv_`/`pool_`/`depthwise_` so they never collide with `kernels.py`.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from jitgraph.codegen.conv_geometry import conv_out_pad
from jitgraph.codegen.depthwise_kernels import *  # noqa: F401,F403 - K.depthwise_*
from jitgraph.codegen.pool_kernels import *  # noqa: F401,F403 - K.pool_*
from jitgraph.codegen.winograd_kernels import wino_conv3x3, wino_filter_grad3x3

_CONV_OPTS = dict(cache=True, nogil=True, error_model="numpy",
                  fastmath={"reassoc", "contract", "arcp", "nsz", "afn"})

# Patch-tile size in elements (float32: 1 MiB, this CPU's L2). Measured in CPU time on the
# benchmark's shapes (5x5x32->64 at 14x14, 3x3x64->64 at 32x32, 5x5x1->32 at 28x28),
# 2**17..2**19 were within noise of each other for the forward product and the filter
# gradient; 2**14 was 1.3x slower (small products), 2**20 up to 1.3x slower for the
# filter gradient (the tile no longer stays in cache while BLAS reads it transposed).
CONV_TILE_ELEMS = 1 << 18
CONV_FILTER_TILE_ELEMS = 1 << 18
# The stride-1 input gradient as a correlation with the flipped filter is a product with
# `c` columns and no scatter; measured (CPU time) it beat the product plus col2im only from
# c = 128 (28.7 vs 29.8 ms), tied at 64, and lost below (18.3 vs 16.3 ms at c = 32: a
# narrow product runs BLAS below its best).
CONV_FLIP_MIN_DEPTH = 64
# 3x3 stride-1 correlations at least this deep in and out go to Winograd F(2x2, 3x3), and
# their filter gradients to F(3x3, 2x2) (winograd_kernels.py). CPU time on the VGG
# benchmark's layers, forward: 64->64 at 32x32 20.0 ms vs 30.7 by patches, 64->128 at
# 16x16 11.0 vs 14.1, 128->128 17.0 vs 29.6 (TF 1.x with oneDNN: 22.0, 11.8, 22.2); filter
# gradient: 28.6 vs 39.8, 12.6 vs 17.6, 23.9 vs 32.9 (TF 28.5, 14.5, 23.6). Shallow inputs
# (3 channels) keep the patch product: 16 products over so few channels are too thin.
CONV_WINOGRAD_MIN_DEPTH = 32


@njit(**_CONV_OPTS)
def conv_tile_rows(m, k, elems):
    """Output rows per tile: `elems` patch entries, at least 8 rows, at most all `m`."""
    return max(1, min(m, max(8, elems // max(k, 1))))


@njit(**_CONV_OPTS)
def conv_patches(x, cols, r0, r1, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw):
    """Rows r0..r1 (flat (image, i, j) output positions) of the patch matrix of the NHWC
    batch `x` into `cols[:r1 - r0]`, zeros over the padding; a row is (di, dj, channel).
    (b, i, j) are stepped, not divided out per row: for a 1-channel image a row is 25
    values, and three divisions per row cost as much as the copy. x keeps its 4 indices,
    each checked non-negative before use: with a flat index LLVM cannot prove it so, keeps
    numpy's negative-index wraparound in the loop and the copy ran 4.5x slower."""
    n, h, w, c = x.shape
    b = r0 // (oh * ow)
    i = (r0 // ow) % oh
    j = r0 % ow
    for row in range(r1 - r0):
        for di in range(kh):
            y = i * sh - ph + di * dh
            for dj in range(kw):
                xx = j * sw - pw + dj * dw
                o = (di * kw + dj) * c
                if y < 0 or y >= h or xx < 0 or xx >= w:
                    for ch in range(c):
                        cols[row, o + ch] = 0
                else:
                    for ch in range(c):
                        cols[row, o + ch] = x[b, y, xx, ch]
        j += 1
        if j == ow:
            j = 0
            i += 1
            if i == oh:
                i = 0
                b += 1


@njit(**_CONV_OPTS)
def conv_col2im(dx, cols, r0, r1, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw):
    """The adjoint of `conv_patches`: adds rows r0..r1 of a patch-shaped gradient into
    the NHWC `dx`."""
    n, h, w, c = dx.shape
    b = r0 // (oh * ow)
    i = (r0 // ow) % oh
    j = r0 % ow
    for row in range(r1 - r0):
        for di in range(kh):
            y = i * sh - ph + di * dh
            if y < 0 or y >= h:
                continue
            for dj in range(kw):
                xx = j * sw - pw + dj * dw
                if xx < 0 or xx >= w:
                    continue
                o = (di * kw + dj) * c
                for ch in range(c):
                    dx[b, y, xx, ch] += cols[row, o + ch]
        j += 1
        if j == ow:
            j = 0
            i += 1
            if i == oh:
                i = 0
                b += 1


@njit(**_CONV_OPTS)
def conv_corr(x, fm, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw):
    """[n*oh*ow, o] = patches(x) @ fm for x [n, h, w, c] and fm [kh*kw*c, o], with the
    window's top-left at (i*sh - ph, j*sw - pw); one tile of patch rows at a time."""
    n, h, w, c = x.shape
    k, o = fm.shape
    m = n * oh * ow
    out = np.empty((m, o), x.dtype)
    if m == 0 or o == 0:
        return out
    if k == 0:
        out[:] = 0
        return out
    if kh == 1 and kw == 1 and sh == 1 and sw == 1 and ph == 0 and pw == 0 \
            and oh == h and ow == w:
        np.dot(np.ascontiguousarray(x).reshape((m, c)), fm, out)  # 1x1: one product
        return out
    if kh == 3 and kw == 3 and sh == 1 and sw == 1 and dh == 1 and dw == 1 \
            and c >= CONV_WINOGRAD_MIN_DEPTH and o >= CONV_WINOGRAD_MIN_DEPTH:
        return wino_conv3x3(x, fm.reshape((3, 3, c, o)), oh, ow, ph, pw)
    t = conv_tile_rows(m, k, CONV_TILE_ELEMS)
    cols = np.empty((t, k), x.dtype)
    for r0 in range(0, m, t):
        r1 = min(r0 + t, m)
        conv_patches(x, cols, r0, r1, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw)
        np.dot(cols[:r1 - r0], fm, out[r0:r1])
    return out


@njit(**_CONV_OPTS)
def conv2d_fwd(x, f, sh, sw, dh, dw, same):
    """Conv2D: x [n, h, w, c] * f [kh, kw, c, o] -> [n, oh, ow, o]."""
    n, h, w, c = x.shape
    kh, kw, fc, o = f.shape
    if fc != c:
        raise ValueError("Conv2D: input depth must be evenly divisible by filter depth")
    oh, ph = conv_out_pad(h, (kh - 1) * dh + 1, sh, same)
    ow, pw = conv_out_pad(w, (kw - 1) * dw + 1, sw, same)
    fm = np.ascontiguousarray(f).reshape((kh * kw * c, o))
    return conv_corr(x, fm, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw).reshape((n, oh, ow, o))


@njit(**_CONV_OPTS)
def conv_flip(f):
    """[kh, kw, o, c]: f rotated by 180 degrees with in/out channels swapped, the filter
    whose forward correlation is a stride-1 convolution's input gradient."""
    kh, kw, c, o = f.shape
    g = np.empty((kh, kw, o, c), f.dtype)
    for a in range(kh):
        for b in range(kw):
            for p in range(c):
                for q in range(o):
                    g[a, b, q, p] = f[kh - 1 - a, kw - 1 - b, p, q]
    return g


@njit(**_CONV_OPTS)
def conv2d_bprop_input(sizes, f, dy, sh, sw, dh, dw, same):
    """Conv2DBackpropInput: the gradient wrt the input of shape `sizes` (an int vector).
    At stride 1 it is a forward correlation of dy with the flipped filter (no scatter);
    strided, each tile's patch gradient is scattered back (col2im)."""
    n, h = np.int64(sizes[0]), np.int64(sizes[1])
    w, c = np.int64(sizes[2]), np.int64(sizes[3])
    kh, kw, fc, o = f.shape
    oh, ph = conv_out_pad(h, (kh - 1) * dh + 1, sh, same)
    ow, pw = conv_out_pad(w, (kw - 1) * dw + 1, sw, same)
    if fc != c or dy.shape[0] != n or dy.shape[1] != oh or dy.shape[2] != ow \
            or dy.shape[3] != o:
        raise ValueError("Conv2DBackpropInput: sizes of input, filter and out_backprop "
                         "do not match")
    if sh == 1 and sw == 1 and c >= CONV_FLIP_MIN_DEPTH:
        g = conv_flip(f).reshape((kh * kw * o, c))
        dx = conv_corr(dy, g, h, w, kh, kw, 1, 1, dh, dw, (kh - 1) * dh - ph,
                       (kw - 1) * dw - pw)
        return dx.reshape((n, h, w, c))
    dx = np.zeros((n, h, w, c), dy.dtype)
    m, k = n * oh * ow, kh * kw * c
    if m == 0 or k == 0 or o == 0:
        return dx
    dyf = np.ascontiguousarray(dy).reshape((m, o))
    fmt = np.ascontiguousarray(f).reshape((k, o)).T
    t = conv_tile_rows(m, k, CONV_TILE_ELEMS)
    cols = np.empty((t, k), dy.dtype)
    for r0 in range(0, m, t):
        r1 = min(r0 + t, m)
        np.dot(dyf[r0:r1], fmt, cols[:r1 - r0])
        conv_col2im(dx, cols, r0, r1, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw)
    return dx


@njit(**_CONV_OPTS)
def conv2d_bprop_filter(x, sizes, dy, sh, sw, dh, dw, same):
    """Conv2DBackpropFilter: the gradient wrt a filter of shape `sizes` (an int vector):
    the sum over tiles of patches(tile)^T @ dy(tile)."""
    n, h, w, c = x.shape
    kh, kw, o = np.int64(sizes[0]), np.int64(sizes[1]), np.int64(sizes[3])
    oh, ph = conv_out_pad(h, (kh - 1) * dh + 1, sh, same)
    ow, pw = conv_out_pad(w, (kw - 1) * dw + 1, sw, same)
    if np.int64(sizes[2]) != c or dy.shape[0] != n or dy.shape[1] != oh \
            or dy.shape[2] != ow or dy.shape[3] != o:
        raise ValueError("Conv2DBackpropFilter: sizes of input, filter and out_backprop "
                         "do not match")
    m, k = n * oh * ow, kh * kw * c
    dwm = np.zeros((k, o), dy.dtype)
    if m == 0 or k == 0 or o == 0:
        return dwm.reshape((kh, kw, c, o))
    if kh == 3 and kw == 3 and sh == 1 and sw == 1 and dh == 1 and dw == 1 \
            and c >= CONV_WINOGRAD_MIN_DEPTH and o >= CONV_WINOGRAD_MIN_DEPTH:
        return wino_filter_grad3x3(x, np.ascontiguousarray(dy), ph, pw)
    dyf = np.ascontiguousarray(dy).reshape((m, o))
    t = conv_tile_rows(m, k, CONV_FILTER_TILE_ELEMS)
    cols = np.empty((t, k), x.dtype)
    part = np.empty((k, o), x.dtype)
    for r0 in range(0, m, t):
        r1 = min(r0 + t, m)
        conv_patches(x, cols, r0, r1, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw)
        if r0 == 0:
            np.dot(cols[:r1 - r0].T, dyf[r0:r1], dwm)
        else:
            np.dot(cols[:r1 - r0].T, dyf[r0:r1], part)
            dwm += part
    return dwm.reshape((kh, kw, c, o))
