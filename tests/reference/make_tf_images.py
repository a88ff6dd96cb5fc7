"""Generates tests/reference/tf_images.json: small PNG/BMP/JPEG files of every kind
(bytes stored as hex) and what TF 1.x's decode_png / decode_bmp / extract_jpeg_shape /
is_jpeg give for them (tests/test_records.py).

Needs TensorFlow and Pillow; run by hand from the repo root:
    python tests/reference/make_tf_images.py
"""
import io
import json
import os
import struct
import zlib

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402
from PIL import Image  # noqa: E402

tf.disable_v2_behavior()
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tf_images.json")
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2))


def pil_bytes(img, fmt, **kw):
    b = io.BytesIO()
    img.save(b, format=fmt, **kw)
    return b.getvalue()


def interlaced_png(rgb):
    """An Adam7-interlaced 8-bit RGB PNG (Pillow does not write them); filters Sub/Up
    alternate so both paths are read."""
    h, w, _ = rgb.shape
    raw = b""
    for k, (x0, y0, dx, dy) in enumerate(ADAM7):
        part = rgb[y0::dy, x0::dx]
        if part.size == 0:
            continue
        prev = np.zeros(part.shape[1] * 3, np.int64)
        for y, row in enumerate(part.reshape(part.shape[0], -1).astype(np.int64)):
            kind = (k + y) % 3
            if kind == 0:
                filt = row
            elif kind == 1:
                filt = row - np.concatenate([np.zeros(3, np.int64), row[:-3]])
            else:
                filt = row - prev
            raw += bytes([kind]) + (filt % 256).astype(np.uint8).tobytes()
            prev = row

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 1))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def images():
    rng = np.random.default_rng(11)
    rgb = rng.integers(0, 256, (5, 7, 3)).astype(np.uint8)
    rgba = rng.integers(0, 256, (5, 7, 4)).astype(np.uint8)
    grey = rng.integers(0, 256, (6, 5)).astype(np.uint8)
    pngs = {
        "rgb": pil_bytes(Image.fromarray(rgb), "PNG", optimize=True),
        "rgba": pil_bytes(Image.fromarray(rgba), "PNG"),
        "grey": pil_bytes(Image.fromarray(grey), "PNG"),
        "grey_alpha": pil_bytes(Image.merge("LA", [Image.fromarray(rgba[..., 0].copy()),
                                                   Image.fromarray(rgba[..., 1].copy())]),
                                "PNG"),
        "bits1": pil_bytes(Image.fromarray(grey > 128).convert("1"), "PNG"),
        "grey16": pil_bytes(Image.fromarray(grey.astype(np.uint16) * 251), "PNG"),
        "palette": pil_bytes(Image.fromarray(rgb).quantize(6), "PNG"),
        "palette_trns": pil_bytes(Image.fromarray(rgb).quantize(6), "PNG",
                                  transparency=bytes([0, 128, 255, 40])),
        "interlaced": interlaced_png(rgb),
    }
    bmps = {"rgb24": pil_bytes(Image.fromarray(rgb), "BMP"),
            "palette8": pil_bytes(Image.fromarray(rgb).quantize(5), "BMP")}
    jpeg = pil_bytes(Image.fromarray(rgb), "JPEG", quality=90)
    return pngs, bmps, jpeg


def main():
    pngs, bmps, jpeg = images()
    ref = {"tf_version": tf.__version__, "png": {}, "bmp": {}}
    with tf.Session() as sess:
        for name, data in pngs.items():
            d = {"hex": data.hex()}
            for ch in (0, 1, 3, 4):
                v = sess.run(tf.image.decode_png(data, channels=ch))
                d[f"ch{ch}"] = {"shape": list(v.shape), "values": v.ravel().tolist()}
            v = sess.run(tf.image.decode_png(data, dtype=tf.uint16))
            d["u16"] = {"shape": list(v.shape), "values": v.ravel().tolist()}
            ref["png"][name] = d
        for name, data in bmps.items():
            d = {"hex": data.hex()}
            for ch in (0, 3):
                v = sess.run(tf.io.decode_bmp(data, channels=ch))
                d[f"ch{ch}"] = {"shape": list(v.shape), "values": v.ravel().tolist()}
            ref["bmp"][name] = d
        ref["jpeg"] = {"hex": jpeg.hex(),
                       "shape": sess.run(tf.io.extract_jpeg_shape(jpeg)).tolist(),
                       "is_jpeg": [bool(sess.run(tf.io.is_jpeg(x)))
                                   for x in (jpeg, pngs["rgb"], b"")]}
    with open(OUT, "w") as f:
        json.dump(ref, f, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
