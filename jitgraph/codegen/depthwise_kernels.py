"""Numba kernels for depthwise convolution (NHWC): x [n, h, w, c] with a filter
[kh, kw, c, m] gives [n, oh, ow, c*m], output channel ch*m + q from input channel ch
alone. Each (output position, window offset) is one pass over c*m contiguous values,
which LLVM vectorizes; there is no product for BLAS to do. Re-exported by
`conv_kernels.py`."""
from __future__ import annotations

import numpy as np
from numba import njit

from jitgraph.codegen.conv_geometry import conv_out_pad

_DW_OPTS = dict(cache=True, nogil=True, error_model="numpy",
                fastmath={"reassoc", "contract", "arcp", "nsz", "afn"})


@njit(**_DW_OPTS)
def depthwise_fwd(x, f, sh, sw, dh, dw, same):
    """DepthwiseConv2dNative."""
    n, h, w, c = x.shape
    kh, kw, fc, m = f.shape
    if fc != c:
        raise ValueError("DepthwiseConv2dNative: input depth must equal filter depth")
    oh, ph = conv_out_pad(h, (kh - 1) * dh + 1, sh, same)
    ow, pw = conv_out_pad(w, (kw - 1) * dw + 1, sw, same)
    out = np.zeros((n, oh, ow, c * m), x.dtype)
    fm = np.ascontiguousarray(f).reshape((kh, kw, c * m))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for di in range(kh):
                    y = i * sh - ph + di * dh
                    if y < 0 or y >= h:
                        continue
                    for dj in range(kw):
                        xx = j * sw - pw + dj * dw
                        if xx < 0 or xx >= w:
                            continue
                        for ch in range(c):
                            v = x[b, y, xx, ch]
                            for q in range(m):
                                out[b, i, j, ch * m + q] += v * fm[di, dj, ch * m + q]
    return out


@njit(**_DW_OPTS)
def depthwise_bprop_input(sizes, f, dy, sh, sw, dh, dw, same):
    """DepthwiseConv2dNativeBackpropInput: the gradient wrt an input of shape `sizes`."""
    n, h = np.int64(sizes[0]), np.int64(sizes[1])
    w, c = np.int64(sizes[2]), np.int64(sizes[3])
    kh, kw, fc, m = f.shape
    oh, ph = conv_out_pad(h, (kh - 1) * dh + 1, sh, same)
    ow, pw = conv_out_pad(w, (kw - 1) * dw + 1, sw, same)
    if fc != c or dy.shape[0] != n or dy.shape[1] != oh or dy.shape[2] != ow \
            or dy.shape[3] != c * m:
        raise ValueError("DepthwiseConv2dNativeBackpropInput: sizes of input, filter and "
                         "out_backprop do not match")
    dx = np.zeros((n, h, w, c), dy.dtype)
    fm = np.ascontiguousarray(f).reshape((kh, kw, c * m))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for di in range(kh):
                    y = i * sh - ph + di * dh
                    if y < 0 or y >= h:
                        continue
                    for dj in range(kw):
                        xx = j * sw - pw + dj * dw
                        if xx < 0 or xx >= w:
                            continue
                        for ch in range(c):
                            acc = dx[b, y, xx, ch]
                            for q in range(m):
                                acc += dy[b, i, j, ch * m + q] * fm[di, dj, ch * m + q]
                            dx[b, y, xx, ch] = acc
    return dx


@njit(**_DW_OPTS)
def depthwise_bprop_filter(x, sizes, dy, sh, sw, dh, dw, same):
    """DepthwiseConv2dNativeBackpropFilter: the gradient wrt a filter of shape `sizes`."""
    n, h, w, c = x.shape
    kh, kw, m = np.int64(sizes[0]), np.int64(sizes[1]), np.int64(sizes[3])
    oh, ph = conv_out_pad(h, (kh - 1) * dh + 1, sh, same)
    ow, pw = conv_out_pad(w, (kw - 1) * dw + 1, sw, same)
    if np.int64(sizes[2]) != c or dy.shape[0] != n or dy.shape[1] != oh \
            or dy.shape[2] != ow or dy.shape[3] != c * m:
        raise ValueError("DepthwiseConv2dNativeBackpropFilter: sizes of input, filter and "
                         "out_backprop do not match")
    df = np.zeros((kh, kw, c * m), dy.dtype)
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for di in range(kh):
                    y = i * sh - ph + di * dh
                    if y < 0 or y >= h:
                        continue
                    for dj in range(kw):
                        xx = j * sw - pw + dj * dw
                        if xx < 0 or xx >= w:
                            continue
                        for ch in range(c):
                            v = x[b, y, xx, ch]
                            for q in range(m):
                                df[di, dj, ch * m + q] += v * dy[b, i, j, ch * m + q]
    return df.reshape((kh, kw, c, m))
