"""`tf.reverse_sequence`: each row's first `seq_lengths[i]` steps reversed (the backward
half of a bidirectional RNN over sequences of different lengths)."""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.registry import make_tensor, register, same_shape


def _reverse_sequence_np(k, x, lengths):
    seq, batch = k.attrs["seq_dim"], k.attrs["batch_dim"]
    x = np.asarray(x)
    out = np.array(x, copy=True)
    lengths = np.asarray(lengths).reshape(-1)
    if lengths.size != x.shape[batch]:
        raise ValueError(f"Length of seq_lengths != input.dims({batch}), ({lengths.size} vs. "
                         f"{x.shape[batch]})")
    for b, n in enumerate(lengths):
        if not 0 <= n <= x.shape[seq]:
            raise ValueError(f"seq_lens({b}) > input.dims({seq})" if n > x.shape[seq]
                             else f"seq_lens({b}) < 0")
        src = [slice(None)] * x.ndim
        src[batch], src[seq] = b, slice(int(n) - 1, None, -1) if n else slice(0, 0)
        dst = [slice(None)] * x.ndim
        dst[batch], dst[seq] = b, slice(0, int(n))
        out[tuple(dst)] = x[tuple(src)]
    return out


def _reverse_sequence_grad(op, dy):
    return [reverse_sequence(dy, op.inputs[1], seq_axis=op.attrs["seq_dim"],
                             batch_axis=op.attrs["batch_dim"]), None]


register("ReverseSequence", shape=same_shape, numpy=_reverse_sequence_np,
         grad=_reverse_sequence_grad,
         host="no compiled form yet: a reversal whose length differs per row")


def reverse_sequence(input, seq_lengths, seq_axis=None, batch_axis=None, name=None,  # noqa: A002
                     seq_dim=None, batch_dim=None):
    """`tf.reverse_sequence`: reverses `input[b, :seq_lengths[b]]` along `seq_axis` for
    each `b` along `batch_axis` (0 unless given); the rest is copied."""
    x = convert_to_tensor(input)
    lengths = convert_to_tensor(seq_lengths)
    if lengths.dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"seq_lengths must be int32 or int64, got {lengths.dtype.name}")
    seq = seq_axis if seq_axis is not None else seq_dim
    batch = batch_axis if batch_axis is not None else (batch_dim or 0)
    if seq is None:
        raise ValueError("seq_axis (seq_dim) is required")
    r = x.shape.ndims
    if r is not None:
        seq, batch = seq % r if seq < 0 else seq, batch % r if batch < 0 else batch
        if seq == batch or not (0 <= seq < r and 0 <= batch < r):
            raise ValueError(f"seq_dim ({seq}) and batch_dim ({batch}) must differ and lie in "
                             f"[0, {r})")
    return make_tensor("ReverseSequence", [x, lengths], x.dtype,
                       {"seq_dim": seq, "batch_dim": batch}, name=name or "ReverseSequence")
