"""Winograd F(2x2, 3x3) for the 3x3 stride-1 convolutions (`conv_corr` hands them over):
each 2x2 block of outputs comes from a 4x4 input tile through 16 products of [tiles, c]
by [c, o] instead of 36, 2.25x fewer multiply-adds than the patch product. The tiles are
transformed in blocks that stay in cache (`WINO_TILE_ELEMS`), as the patches are.

    U = G g G^T (the filter, once per call), V = B^T d B (each input tile),
    M = V . U (16 products over channels), Y = A^T M A (each 2x2 output block).

Float32 error stays at a few ulps of the sums: the transforms only add, subtract and
halve (G's 1/2 entries), and every tile is a plain sum of 16 products' values.
"""
from __future__ import annotations

import numpy as np
from numba import njit

_WINO_OPTS = dict(cache=True, nogil=True, error_model="numpy",
                  fastmath={"reassoc", "contract", "arcp", "nsz", "afn"})

# B^T's rows as (first tap, second tap, sign of the second): d0 - d2, d1 + d2, d2 - d1,
# d1 - d3.
_TAPS = ((0, 2, -1.0), (1, 2, 1.0), (2, 1, -1.0), (1, 3, -1.0))

# Transformed-tile block: 16 * tiles * channels entries (float32: 1 MiB).
WINO_TILE_ELEMS = 1 << 18


@njit(**_WINO_OPTS)
def wino_filter(f):
    """U [16, c, o] = G f G^T for a [3, 3, c, o] filter."""
    _, _, c, o = f.shape
    u = np.empty((16, c, o), f.dtype)
    t = np.empty((4, 3), f.dtype)
    half = f.dtype.type(0.5)
    for p in range(c):
        for q in range(o):
            for j in range(3):  # t = G f: rows of the 4x3 product
                g0, g1, g2 = f[0, j, p, q], f[1, j, p, q], f[2, j, p, q]
                t[0, j] = g0
                t[1, j] = (g0 + g1 + g2) * half
                t[2, j] = (g0 - g1 + g2) * half
                t[3, j] = g2
            for i in range(4):  # U = t G^T
                g0, g1, g2 = t[i, 0], t[i, 1], t[i, 2]
                u[i * 4 + 0, p, q] = g0
                u[i * 4 + 1, p, q] = (g0 + g1 + g2) * half
                u[i * 4 + 2, p, q] = (g0 - g1 + g2) * half
                u[i * 4 + 3, p, q] = g2
    return u


@njit(**_WINO_OPTS)
def wino_input(x, v, t0, t1, th, tw, ph, pw):
    """V[:, k, :] = B^T d B for tiles t0..t1 (flat (image, tile row, tile col)) of the NHWC
    batch x; d is the 4x4 window at (2*ti - ph, 2*tj - pw), zeros outside the image."""
    n, h, w, c = x.shape
    d = np.empty((4, 4, c), x.dtype)
    for k in range(t1 - t0):
        t = t0 + k
        b = t // (th * tw)
        ti = (t // tw) % th
        tj = t % tw
        for a in range(4):
            y = 2 * ti - ph + a
            for e in range(4):
                xx = 2 * tj - pw + e
                if y < 0 or y >= h or xx < 0 or xx >= w:
                    for ch in range(c):
                        d[a, e, ch] = 0
                else:
                    for ch in range(c):
                        d[a, e, ch] = x[b, y, xx, ch]
        # V[i, j] = sum over B^T's two taps of row i and of column j: one pass per entry,
        # 4 loads and a store over contiguous channels, so LLVM's overlap checks stay few
        # and the loop vectorizes (one pass over all 16 ran 6x slower).
        for xi in range(16):
            i = xi // 4
            j = xi % 4
            a0, a1, sa = _TAPS[i]
            e0, e1, se = _TAPS[j]
            for ch in range(c):
                v[xi, k, ch] = (d[a0, e0, ch] + se * d[a0, e1, ch]) \
                    + sa * (d[a1, e0, ch] + se * d[a1, e1, ch])


@njit(**_WINO_OPTS)
def wino_output(mm, out, t0, t1, th, tw, oh, ow):
    """Y = A^T M A for tiles t0..t1 into the flat output rows [(b*oh + i)*ow + j, o]."""
    o = out.shape[1]
    for k in range(t1 - t0):
        t = t0 + k
        b = t // (th * tw)
        ti = (t // tw) % th
        tj = t % tw
        i0, j0 = 2 * ti, 2 * tj
        r00 = (b * oh + i0) * ow + j0
        right = j0 + 1 < ow
        down = i0 + 1 < oh
        for q in range(o):
            # rows: A^T M (2x4)
            s0 = mm[0, k, q] + mm[4, k, q] + mm[8, k, q]
            s1 = mm[1, k, q] + mm[5, k, q] + mm[9, k, q]
            s2 = mm[2, k, q] + mm[6, k, q] + mm[10, k, q]
            s3 = mm[3, k, q] + mm[7, k, q] + mm[11, k, q]
            e0 = mm[4, k, q] - mm[8, k, q] - mm[12, k, q]
            e1 = mm[5, k, q] - mm[9, k, q] - mm[13, k, q]
            e2 = mm[6, k, q] - mm[10, k, q] - mm[14, k, q]
            e3 = mm[7, k, q] - mm[11, k, q] - mm[15, k, q]
            out[r00, q] = s0 + s1 + s2
            if right:
                out[r00 + 1, q] = s1 - s2 - s3
            if down:
                out[r00 + ow, q] = e0 + e1 + e2
                if right:
                    out[r00 + ow + 1, q] = e1 - e2 - e3


@njit(**_WINO_OPTS)
def wino_conv3x3(x, f, oh, ow, ph, pw):
    """[n*oh*ow, o]: the stride-1 correlation of x [n, h, w, c] with f [3, 3, c, o]."""
    n, h, w, c = x.shape
    o = f.shape[3]
    th, tw = (oh + 1) // 2, (ow + 1) // 2
    tiles = n * th * tw
    out = np.empty((n * oh * ow, o), x.dtype)
    u = wino_filter(f)
    blk = max(1, min(tiles, WINO_TILE_ELEMS // (16 * max(c, o))))
    v = np.empty((16, blk, c), x.dtype)
    mm = np.empty((16, blk, o), x.dtype)
    for t0 in range(0, tiles, blk):
        t1 = min(t0 + blk, tiles)
        wino_input(x, v, t0, t1, th, tw, ph, pw)
        for xi in range(16):
            np.dot(v[xi, :t1 - t0], u[xi], mm[xi, :t1 - t0])
        wino_output(mm, out, t0, t1, th, tw, oh, ow)
    return out


# -- the filter gradient: Winograd F(3x3, 2x2) ------------------------------------------------
# dW[di, dj] sums, over 2x2 blocks of dy, the correlation of each block with the 4x4 input
# tile under it: a 3x3 output from a 2x2 "filter", F(3, 2), whose input transform is the
# forward's B^T with its last row negated (-d1 + d3). So `wino_input` builds both, and the
# sign goes on the dy side: D = s_i s_j (G2 dy G2^T), s = (1, 1, 1, -1). The 16 products
# V[xi]^T . D[xi] sum over tiles; dW = A3^T M A3 once at the end.
_G2 = ((1.0, 0.0), (0.5, 0.5), (0.5, -0.5), (0.0, 1.0))
_SIGN = (1.0, 1.0, 1.0, -1.0)


@njit(**_WINO_OPTS)
def wino_dy(dy, dd, t0, t1, th, tw):
    """D[:, k, :] for tiles t0..t1: the 2x2 block of dy at (2*ti, 2*tj), zeros past its
    edge, transformed (one pass per entry, so each loop vectorizes over channels)."""
    n, oh, ow, o = dy.shape
    e = np.empty((4, o), dy.dtype)
    for k in range(t1 - t0):
        t = t0 + k
        b = t // (th * tw)
        ti = (t // tw) % th
        tj = t % tw
        for a in range(2):
            for f in range(2):
                y, xx = 2 * ti + a, 2 * tj + f
                if y < oh and xx < ow:
                    for q in range(o):
                        e[a * 2 + f, q] = dy[b, y, xx, q]
                else:
                    for q in range(o):
                        e[a * 2 + f, q] = 0
        for xi in range(16):
            i = xi // 4
            j = xi % 4
            s = _SIGN[i] * _SIGN[j]
            c00 = s * _G2[i][0] * _G2[j][0]
            c01 = s * _G2[i][0] * _G2[j][1]
            c10 = s * _G2[i][1] * _G2[j][0]
            c11 = s * _G2[i][1] * _G2[j][1]
            for q in range(o):
                dd[xi, k, q] = c00 * e[0, q] + c01 * e[1, q] + c10 * e[2, q] + c11 * e[3, q]


@njit(**_WINO_OPTS)
def wino_filter_grad3x3(x, dy, ph, pw):
    """[3, 3, c, o]: the gradient of a 3x3 stride-1 convolution of x [n, h, w, c] whose
    output gradient is dy [n, oh, ow, o] (window top-left at (i - ph, j - pw))."""
    n, h, w, c = x.shape
    oh, ow, o = dy.shape[1], dy.shape[2], dy.shape[3]
    th, tw = (oh + 1) // 2, (ow + 1) // 2
    tiles = n * th * tw
    blk = max(1, min(tiles, WINO_TILE_ELEMS // (16 * max(c, o))))
    v = np.empty((16, blk, c), x.dtype)
    dd = np.empty((16, blk, o), x.dtype)
    mm = np.zeros((16, c, o), x.dtype)
    part = np.empty((c, o), x.dtype)
    for t0 in range(0, tiles, blk):
        t1 = min(t0 + blk, tiles)
        wino_input(x, v, t0, t1, th, tw, ph, pw)
        wino_dy(dy, dd, t0, t1, th, tw)
        for xi in range(16):
            np.dot(v[xi, :t1 - t0].T, dd[xi, :t1 - t0], part)
            mm[xi] += part
    dw = np.empty((3, 3, c, o), x.dtype)
    for p in range(c):
        for q in range(o):
            for j in range(4):  # r = A3^T M: rows m0+m1+m2, m1-m2, m1+m2+m3
                m0, m1 = mm[j, p, q], mm[4 + j, p, q]
                m2, m3 = mm[8 + j, p, q], mm[12 + j, p, q]
                part_r0 = m0 + m1 + m2
                part_r1 = m1 - m2
                part_r2 = m1 + m2 + m3
                if j == 0:
                    r00, r10, r20 = part_r0, part_r1, part_r2
                elif j == 1:
                    r01, r11, r21 = part_r0, part_r1, part_r2
                elif j == 2:
                    r02, r12, r22 = part_r0, part_r1, part_r2
                else:
                    r03, r13, r23 = part_r0, part_r1, part_r2
            dw[0, 0, p, q] = r00 + r01 + r02
            dw[0, 1, p, q] = r01 - r02
            dw[0, 2, p, q] = r01 + r02 + r03
            dw[1, 0, p, q] = r10 + r11 + r12
            dw[1, 1, p, q] = r11 - r12
            dw[1, 2, p, q] = r11 + r12 + r13
            dw[2, 0, p, q] = r20 + r21 + r22
            dw[2, 1, p, q] = r21 - r22
            dw[2, 2, p, q] = r21 + r22 + r23
    return dw
