"""Horovod's gradient compression: what travels between ranks (`hvd.Compression`)."""
from __future__ import annotations

from jitgraph.framework import dtypes
from jitgraph.ops.math_ops import cast


class Compressor:
    """Interface: `compress(tensor) -> (tensor, ctx)`, `decompress(tensor, ctx) -> tensor`."""

    @staticmethod
    def compress(tensor):
        raise NotImplementedError

    @staticmethod
    def decompress(tensor, ctx):
        raise NotImplementedError


class NoneCompressor(Compressor):
    """Tensors travel as they are."""

    @staticmethod
    def compress(tensor):
        return tensor, None

    @staticmethod
    def decompress(tensor, ctx):
        return tensor


class FP16Compressor(Compressor):
    """Floating-point tensors travel as float16 (half the bytes; sums lose precision)."""

    @staticmethod
    def compress(tensor):
        if tensor.dtype.is_floating and tensor.dtype != dtypes.float16:
            return cast(tensor, dtypes.float16), tensor.dtype
        return tensor, tensor.dtype

    @staticmethod
    def decompress(tensor, ctx):
        if ctx is not None and tensor.dtype != ctx:
            return cast(tensor, ctx)
        return tensor


class Compression:
    """The compressors by name: `hvd.Compression.none` (default), `hvd.Compression.fp16`."""

    none = NoneCompressor
    fp16 = FP16Compressor
