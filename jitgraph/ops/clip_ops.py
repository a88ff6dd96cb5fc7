"""Norms and gradient clipping: `tf.norm`, `tf.global_norm`, `tf.clip_by_norm`,
`tf.clip_by_global_norm`, `tf.clip_by_average_norm` (TF 1.x's formulas, as graph ops)."""
from __future__ import annotations

from jitgraph.framework import dtypes
from jitgraph.ops import math_ops
from jitgraph.ops.array_ops import identity, stack
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.reduction_ops import reduce_max, reduce_sum


def _scope(name, default):
    from jitgraph.ops.api import name_scope
    return name_scope(name, default)


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None, keep_dims=None):  # noqa: A002
    """The vector norm of `tensor` (over all elements, or `axis`): euclidean, 1, 2 or inf."""
    keep = bool(keepdims if keepdims is not None else keep_dims)
    with _scope(name, "norm") as scope:
        x = convert_to_tensor(tensor)
        if ord in ("euclidean", "fro", 2, 2.0):
            return math_ops.sqrt(reduce_sum(math_ops.square(x), axis, keepdims=keep),
                                 name=scope)
        if ord in (1, 1.0):
            return identity(reduce_sum(math_ops.abs(x), axis, keepdims=keep), name=scope)
        if ord == float("inf"):
            return identity(reduce_max(math_ops.abs(x), axis, keepdims=keep), name=scope)
        raise ValueError(f"'ord' must be a supported vector norm, got {ord}")


def global_norm(t_list, name=None):
    """sqrt(sum of l2_loss(t) * 2 over `t_list`); None entries are skipped."""
    ts = [convert_to_tensor(t) for t in t_list if t is not None]
    if not ts:
        raise ValueError("t_list must contain at least one Tensor")
    with _scope(name, "global_norm") as scope:
        sq = [reduce_sum(math_ops.square(t)) for t in ts]
        return math_ops.sqrt(reduce_sum(stack(sq)), name=scope)


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """t * clip_norm / max(l2norm(t), clip_norm)."""
    with _scope(name, "clip_by_norm") as scope:
        t = convert_to_tensor(t)
        l2sum = reduce_sum(math_ops.square(t), axes, keepdims=True)
        clip = math_ops.cast(convert_to_tensor(clip_norm), t.dtype)
        l2norm = math_ops.sqrt(math_ops.maximum(l2sum, 1e-30 if t.dtype.is_floating else 1))
        return math_ops.truediv(t * clip, math_ops.maximum(l2norm, clip), name=scope)


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """Scales every tensor by clip_norm / max(global_norm, clip_norm); returns
    (clipped list, the global norm). None entries stay None."""
    t_list = list(t_list)
    with _scope(name, "clip_by_global_norm"):
        g = global_norm(t_list) if use_norm is None else convert_to_tensor(use_norm)
        clip = math_ops.cast(convert_to_tensor(clip_norm), g.dtype)
        scale = clip * math_ops.minimum(1.0 / g, 1.0 / clip)
        out = []
        for i, t in enumerate(t_list):
            if t is None:
                out.append(None)
                continue
            t = convert_to_tensor(t)
            out.append(identity(t * math_ops.cast(scale, t.dtype), name=f"_{i}"))
        return out, g


def clip_by_average_norm(t, clip_norm, name=None):
    """t * clip_norm / max(l2norm(t) / n, clip_norm), n = the number of elements."""
    from jitgraph.ops.array_ops import size
    with _scope(name, "clip_by_average_norm") as scope:
        t = convert_to_tensor(t)
        n = math_ops.cast(size(t), t.dtype)
        l2 = math_ops.sqrt(reduce_sum(math_ops.square(t)))
        clip = math_ops.cast(convert_to_tensor(clip_norm), t.dtype)
        return math_ops.truediv(t * clip, math_ops.maximum(l2 / n, clip), name=scope)


def count_nonzero(input_tensor, axis=None, keepdims=None, dtype=dtypes.int64, name=None,
                  reduction_indices=None, keep_dims=None):
    """How many entries are not zero (along `axis`)."""
    axis = axis if axis is not None else reduction_indices
    keep = bool(keepdims if keepdims is not None else keep_dims)
    with _scope(name, "count_nonzero") as scope:
        x = convert_to_tensor(input_tensor)
        nz = math_ops.cast(math_ops.not_equal(x, math_ops.cast(0, x.dtype)), dtypes.int64)
        return math_ops.cast(reduce_sum(nz, axis, keepdims=keep), dtypes.as_dtype(dtype),
                             name=scope)
