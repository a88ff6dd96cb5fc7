"""`tf.summary.image` and `tf.summary.audio`: batches of images as PNGs and of sounds as
WAVs inside a Summary, as TF 1.x's ImageSummary and AudioSummaryV2 ops write them.

Floats become uint8 pixels as TF scales them (per image: all non-negative -> the largest
is 255; any negative -> 0.0 is 128 and the largest magnitude is 127 away), non-finite
pixels take `bad_color`; audio is clipped to [-1, 1] and written as 16-bit PCM.
"""
from __future__ import annotations

import struct
import zlib

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.framework.graph import GraphKeys
from jitgraph.ops.constant import constant, convert_to_tensor
from jitgraph.ops.registry import register
from jitgraph.summary._proto import pb
from jitgraph.summary.summary_ops import (_as_bytes, _collect, _create_named_by_scope,
                                          _string_scalar, _summary_scope)

_HOST = "encodes images (PNG) and sounds (WAV) into a Summary protocol buffer"


# -- encoders --------------------------------------------------------------------------------
def png(image: np.ndarray) -> bytes:
    """An 8-bit PNG of an [h, w, c] uint8 array (c = 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA)."""
    h, w, c = image.shape
    color = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    rows = np.zeros((h, 1 + w * c), dtype=np.uint8)  # each row: filter 0, then its bytes
    rows[:, 1:] = image.reshape(h, w * c)

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows.tobytes()))
            + chunk(b"IEND", b""))


def wav(samples: np.ndarray, sample_rate: int) -> bytes:
    """A 16-bit PCM WAV of [frames, channels] float samples in [-1, 1]."""
    frames, channels = samples.shape
    pcm = np.clip(np.round(np.clip(samples, -1.0, 1.0) * 32768.0), -32768, 32767)
    data = pcm.astype("<i2").tobytes()
    return (b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
            + b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, sample_rate,
                                    sample_rate * channels * 2, channels * 2, 16)
            + b"data" + struct.pack("<I", len(data)) + data)


def to_uint8(image: np.ndarray, bad_color: np.ndarray) -> np.ndarray:
    """One [h, w, c] image as TF's ImageSummary makes its pixels."""
    if image.dtype == np.uint8:
        return image
    x = image.astype(np.float32)
    finite = np.isfinite(x).all(axis=-1)
    good = x[finite]
    lo = float(good.min()) if good.size else np.inf
    hi = float(good.max()) if good.size else -np.inf
    if lo < 0:
        top = max(abs(lo), abs(hi))
        scale, offset = (0.0 if top < 1e-6 else 127.0 / top), 128.0
    else:
        scale, offset = (0.0 if hi < 1e-6 else 255.0 / hi), 0.0
    with np.errstate(invalid="ignore"):
        out = (x * np.float32(scale) + np.float32(offset)).astype(np.uint8)
    out[~finite] = bad_color[:x.shape[-1]]
    return out


# -- kernels ---------------------------------------------------------------------------------
def _tag_of(t):
    return _as_bytes(np.asarray(t, dtype=object)[()]).decode()


def _image_np(k, tag, tensor, bad_color):
    tag = _tag_of(tag)
    x = np.asarray(tensor)
    if x.ndim != 4 or x.shape[-1] not in (1, 3, 4):
        raise errors.InvalidArgumentError(
            None, k.op, f"Tensor must be 4-D with last dim 1, 3, or 4, not "
                        f"[{','.join(str(d) for d in x.shape)}]")
    many = k.attrs["max_images"] > 1
    bad = np.asarray(bad_color, dtype=np.uint8).ravel()
    sp = pb("summary_pb2")
    s = sp.Summary()
    for i in range(min(x.shape[0], k.attrs["max_images"])):
        pixels = to_uint8(x[i], bad)
        h, w, c = pixels.shape
        img = sp.Summary.Image(height=h, width=w, colorspace=c,
                               encoded_image_string=png(pixels))
        s.value.add(tag=f"{tag}/image/{i}" if many else f"{tag}/image", image=img)
    return _string_scalar(s.SerializeToString())


def _audio_np(k, tag, tensor, sample_rate):
    tag = _tag_of(tag)
    x = np.asarray(tensor, dtype=np.float32)
    if x.ndim == 2:
        x = x[:, :, None]
    if x.ndim != 3:
        raise errors.InvalidArgumentError(
            None, k.op, f"sample_rate must be a scalar and tensor must be 2-D or 3-D, got "
                        f"tensor of shape [{','.join(str(d) for d in np.shape(tensor))}]")
    rate = float(np.asarray(sample_rate))
    if rate <= 0:
        raise errors.InvalidArgumentError(None, k.op, "sample_rate must be > 0")
    many = k.attrs["max_outputs"] > 1
    sp = pb("summary_pb2")
    s = sp.Summary()
    for i in range(min(x.shape[0], k.attrs["max_outputs"])):
        a = sp.Summary.Audio(sample_rate=rate, num_channels=x.shape[2],
                             length_frames=x.shape[1],
                             encoded_audio_string=wav(x[i], int(rate)),
                             content_type="audio/wav")
        s.value.add(tag=f"{tag}/audio/{i}" if many else f"{tag}/audio", audio=a)
    return _string_scalar(s.SerializeToString())


def _scalar_out(s):
    return [()]


register("ImageSummary", shape=_scalar_out, numpy=_image_np, host=_HOST, stateful=True)
register("AudioSummaryV2", shape=_scalar_out, numpy=_audio_np, host=_HOST, stateful=True)


# -- the tf.summary API ---------------------------------------------------------------------
def image(name, tensor, max_outputs=3, collections=None, family=None):
    """`tf.summary.image`: up to `max_outputs` images of a [batch, h, w, c] tensor
    (c = 1, 3 or 4; uint8, or floats scaled to uint8) as PNGs."""
    with _summary_scope(name, family) as (g, tag, scope):
        x = convert_to_tensor(tensor)
        if x.dtype not in (dtypes.uint8, dtypes.float32, dtypes.float16, dtypes.float64):
            raise TypeError(f"Value passed to parameter 'tensor' has DataType {x.dtype.name} "
                            "not in list of allowed values: uint8, float32, float16, float64")
        if x.shape.ndims is not None and x.shape.ndims != 4:
            raise ValueError(f"Shape must be rank 4 but is rank {x.shape.ndims}")
        tag_t = constant(tag, dtype=dtypes.string, name="tag")
        bad = constant(np.array([255, 0, 0, 255], np.uint8), name="bad_color")
        val = _create_named_by_scope(g, scope, "ImageSummary", [tag_t, x, bad],
                                     {"T": x.dtype, "max_images": int(max_outputs)})
    _collect(val, collections, [GraphKeys.SUMMARIES])
    return val


def audio(name, tensor, sample_rate, max_outputs=3, collections=None, family=None):
    """`tf.summary.audio`: up to `max_outputs` clips of a [batch, frames(, channels)]
    float tensor in [-1, 1] as 16-bit WAVs at `sample_rate` Hz."""
    with _summary_scope(name, family) as (g, tag, scope):
        x = convert_to_tensor(tensor, dtype=dtypes.float32)
        rate = convert_to_tensor(sample_rate, dtype=dtypes.float32, name="sample_rate")
        tag_t = constant(tag, dtype=dtypes.string, name="tag")
        val = _create_named_by_scope(g, scope, "AudioSummaryV2", [tag_t, x, rate],
                                     {"max_outputs": int(max_outputs)})
    _collect(val, collections, [GraphKeys.SUMMARIES])
    return val


__all__ = ["audio", "image"]
