"""Lossless image formats read in numpy: PNG and BMP decoding, JPEG sniffing.

PNG: every bit depth and colour type, palettes (with tRNS), Adam7 interlacing; a row's
filter is undone in numpy where it is linear (None, Sub, Up) and byte by byte otherwise
(Average, Paeth). Channel changes are libpng's, as TF's decoder asks for them (grey to
RGB repeats the value, RGB to grey uses libpng's fixed-point weights, alpha is dropped or
added with TF's filler). BMP: uncompressed 24/32-bit and 8-bit files, as TF reads them.
"""
from __future__ import annotations

import struct
import zlib

import numpy as np

_SIG = b"\x89PNG\r\n\x1a\n"
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
          (0, 1, 1, 2))  # (x0, y0, dx, dy) of each interlace pass
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


class ImageError(ValueError):
    pass


def is_png(data: bytes) -> bool:
    return data[:8] == _SIG


def is_jpeg(data: bytes) -> bool:
    return data[:3] == b"\xff\xd8\xff"


def is_bmp(data: bytes) -> bool:
    return data[:2] == b"BM"


def is_gif(data: bytes) -> bool:
    return data[:3] == b"GIF"


# -- PNG ---------------------------------------------------------------------------------------
def _chunks(data):
    pos = 8
    while pos + 8 <= len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if len(body) < n:
            raise ImageError("Invalid PNG data, size " + str(len(data)))
        yield kind, body
        pos += 12 + n
        if kind == b"IEND":
            return


def _unfilter(raw, height, row_bytes, bpp):
    """The image bytes of `height` filtered rows of `row_bytes` bytes."""
    out = np.zeros((height, row_bytes), dtype=np.uint8)
    data = np.frombuffer(raw, np.uint8)
    if len(data) < height * (row_bytes + 1):
        raise ImageError("Invalid PNG data: image data too short")
    rows = data[:height * (row_bytes + 1)].reshape(height, row_bytes + 1)
    prev = np.zeros(row_bytes, dtype=np.uint8)
    for y in range(height):
        kind, line = rows[y, 0], rows[y, 1:]
        if kind == 0:
            cur = line.copy()
        elif kind == 2:
            cur = line + prev
        elif kind == 1:  # Sub: a running sum per byte position within the pixel
            cur = np.empty(row_bytes, np.uint8)
            for c in range(bpp):
                cur[c::bpp] = np.cumsum(line[c::bpp], dtype=np.uint64).astype(np.uint8)
        elif kind in (3, 4):
            cur = _unfilter_row(line.tolist(), prev.tolist(), bpp, kind)
        else:
            raise ImageError(f"Invalid PNG data: unknown filter type {kind}")
        out[y] = cur
        prev = out[y]
    return out


def _unfilter_row(line, prev, bpp, kind):
    cur = line[:]
    for i in range(len(cur)):
        a = cur[i - bpp] if i >= bpp else 0
        b = prev[i]
        if kind == 3:
            cur[i] = (cur[i] + ((a + b) >> 1)) & 0xFF
        else:
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            cur[i] = (cur[i] + pred) & 0xFF
    return np.array(cur, dtype=np.uint8)


def _samples(rows, width, depth, channels):
    """[h, w, channels] samples (uint8 or uint16) of unfiltered rows."""
    h = rows.shape[0]
    if depth == 16:
        v = rows.reshape(h, -1).view(">u2").astype(np.uint16)
        return v[:, :width * channels].reshape(h, width, channels)
    if depth == 8:
        return rows[:, :width * channels].reshape(h, width, channels)
    bits = np.unpackbits(rows, axis=1).reshape(h, -1, depth)
    weights = (1 << np.arange(depth - 1, -1, -1)).astype(np.uint8)
    v = (bits * weights).sum(axis=2).astype(np.uint8)
    return v[:, :width * channels].reshape(h, width, channels)


def decode_png(data: bytes, channels: int = 0, dtype=np.uint8) -> np.ndarray:
    """[height, width, channels] pixels of a PNG (channels 0: the file's own)."""
    if not is_png(data):
        raise ImageError("Invalid PNG header, data size " + str(len(data)))
    ihdr, palette, trns, idat = None, None, None, []
    for kind, body in _chunks(data):
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body[:13])
        elif kind == b"PLTE":
            palette = np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif kind == b"tRNS":
            trns = body
        elif kind == b"IDAT":
            idat.append(body)
    if ihdr is None:
        raise ImageError("Invalid PNG data: no IHDR chunk")
    width, height, depth, color, _, _, interlace = ihdr
    if color not in _CHANNELS:
        raise ImageError(f"Invalid PNG data: color type {color}")
    n = _CHANNELS[color]
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as e:
        raise ImageError(f"Invalid PNG data: {e}") from None
    bpp = max(1, n * depth // 8)
    if not interlace:
        row_bytes = (width * n * depth + 7) // 8
        img = _samples(_unfilter(raw, height, row_bytes, bpp), width, depth, n)
    else:
        img = np.zeros((height, width, n), np.uint16 if depth == 16 else np.uint8)
        pos = 0
        for x0, y0, dx, dy in _ADAM7:
            w = (width - x0 + dx - 1) // dx if width > x0 else 0
            h = (height - y0 + dy - 1) // dy if height > y0 else 0
            if not w or not h:
                continue
            row_bytes = (w * n * depth + 7) // 8
            size = h * (row_bytes + 1)
            part = _samples(_unfilter(raw[pos:pos + size], h, row_bytes, bpp), w, depth, n)
            img[y0::dy, x0::dx] = part
            pos += size
    if color in (0, 4) and depth < 8:  # grey scaled to 8 bits, as libpng expands it
        img = (img.astype(np.uint16) * (255 // ((1 << depth) - 1))).astype(np.uint8)
    if color == 3:
        if palette is None:
            raise ImageError("Invalid PNG data: palette image without PLTE")
        idx = img[..., 0]
        rgb = palette[np.minimum(idx, len(palette) - 1)]
        if trns is not None:
            alpha = np.full(256, 255, np.uint8)
            alpha[:len(trns)] = np.frombuffer(trns, np.uint8)[:256]
            img = np.concatenate([rgb, alpha[idx][..., None]], axis=-1)
        else:
            img = rgb
    return _convert(img, channels, dtype, depth)


def _to_dtype(v, dtype):
    if v.dtype == np.uint16 and dtype == np.uint8:
        return (v >> 8).astype(np.uint8)  # libpng's strip_16 keeps the high byte
    if v.dtype == np.uint8 and dtype == np.uint16:
        return v.astype(np.uint16) * 257
    return v


def _convert(img, channels, dtype, depth):
    """Pixels with `channels` (0: as they are) of `dtype`, as libpng transforms them for
    TF: an added alpha is TF's filler, (1 << the file's bit depth) - 1."""
    dtype = np.dtype(dtype)
    filler = np.array((1 << depth) - 1, np.uint16 if depth == 16 else np.uint8)
    img, filler = _to_dtype(img, dtype), _to_dtype(filler, dtype)
    have = img.shape[-1]
    if channels in (0, have):
        return np.ascontiguousarray(img)
    color, alpha = img[..., :3] if have >= 3 else img[..., :1], (
        img[..., -1:] if have in (2, 4) else None)
    if channels in (1, 2) and color.shape[-1] == 3:
        color = _rgb_to_grey(color)
    elif channels in (3, 4) and color.shape[-1] == 1:
        color = np.repeat(color, 3, axis=-1)
    if channels in (2, 4):
        if alpha is None:
            alpha = np.full(color.shape[:-1] + (1,), filler, img.dtype)
        return np.ascontiguousarray(np.concatenate([color, alpha], axis=-1))
    return np.ascontiguousarray(color)


def _rgb_to_grey(rgb):
    """libpng's rgb_to_gray for TF's weights (0.299, 0.587): PNG fixed point (1e5) turned
    into 15-bit fixed point by truncation, blue the rest, the sum truncated."""
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    rc, gc = 29900 * 32768 // 100000, 58700 * 32768 // 100000
    bc = 32768 - rc - gc
    grey = (rc * r + gc * g + bc * b) >> 15
    same = (r == g) & (g == b)
    return np.where(same, r, grey).astype(rgb.dtype)[..., None]


# -- BMP ---------------------------------------------------------------------------------------
def decode_bmp(data: bytes, channels: int = 0) -> np.ndarray:
    """[height, width, channels] RGB(A) pixels of an uncompressed BMP."""
    if not is_bmp(data) or len(data) < 54:
        raise ImageError("Malformed BMP: too short or bad magic")
    offset = struct.unpack("<I", data[10:14])[0]
    width, height = struct.unpack("<ii", data[18:26])
    bpp, compression = struct.unpack("<HI", data[28:34])
    if compression not in (0, 3):
        raise ImageError("Only uncompressed BMP files are supported")
    top_down = height < 0
    height = abs(height)
    if bpp in (24, 32):
        n = bpp // 8
        row = (width * n + 3) // 4 * 4
        px = np.frombuffer(data, np.uint8, count=row * height, offset=offset)
        px = px.reshape(height, row)[:, :width * n].reshape(height, width, n)
        img = px[..., [2, 1, 0] + ([3] if n == 4 else [])]  # BGR(A) -> RGB(A)
    elif bpp == 8:  # TF reads the palette indices as grey levels (the palette unused)
        row = (width + 3) // 4 * 4
        idx = np.frombuffer(data, np.uint8, count=row * height, offset=offset)
        img = idx.reshape(height, row)[:, :width, None]
    else:
        raise ImageError(f"{bpp} bits per pixel is not supported")
    if not top_down:
        img = img[::-1]
    return _convert(np.ascontiguousarray(img), channels, np.uint8, 8)


# -- JPEG sniffing -----------------------------------------------------------------------------
def jpeg_shape(data: bytes):
    """(height, width, components) from a JPEG's frame header."""
    if not is_jpeg(data):
        raise ImageError("Not a JPEG file")
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ImageError("Invalid JPEG data: bad marker")
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (n,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[pos + 5:pos + 9])
            return h, w, data[pos + 9]
        pos += 2 + n
    raise ImageError("Invalid JPEG data: no frame header")
