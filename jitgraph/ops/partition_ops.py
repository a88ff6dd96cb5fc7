"""Ops whose output shapes depend on the data: `tf.dynamic_partition` (rows of `data`
split by partition number) and `tf.dynamic_stitch` (slices merged by index), and
`tf.math.cumprod` beside `cumsum`. All run on the host (see each `host=`); their
gradients are TF's, built from one another.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.ops.constant import convert_n, convert_to_tensor
from jitgraph.ops.registry import make_op, make_tensor, register, same_shape


# -- dynamic_partition ----------------------------------------------------------------------
def _partition_shape(s):
    d, p = s.shapes
    n = s.attrs["num_partitions"]
    if d is None or p is None:
        return [None] * n
    return [(None,) + tuple(d[len(p):])] * n


def _partition_np(k, data, parts):
    data, parts = np.asarray(data), np.asarray(parts)
    n = k.attrs["num_partitions"]
    bad = (parts < 0) | (parts >= n)
    if np.any(bad):
        i = int(np.argmax(bad.ravel()))
        raise errors.InvalidArgumentError(
            None, k.op, f"partitions[{i}] = {parts.ravel()[i]} is not in [0, {n})")
    rows = data.reshape((parts.size,) + data.shape[parts.ndim:])
    flat = parts.ravel()
    return [np.ascontiguousarray(rows[flat == i]) for i in range(n)]


def _partition_grad(op, *dys):
    from jitgraph.ops.array_ops import reshape, shape, size, zeros_like
    from jitgraph.ops.manip_ops import range_
    data, parts = op.inputs
    n = op.attrs["num_partitions"]
    original = reshape(range_(size(parts)), shape(parts))
    where = dynamic_partition(original, parts, n)
    grads = [dy if dy is not None else zeros_like(t) for dy, t in zip(dys, op.outputs)]
    return [reshape(dynamic_stitch(where, grads), shape(data)), None]


register("DynamicPartition", shape=_partition_shape, numpy=_partition_np,
         grad=_partition_grad, host="its output sizes are counted from the data")


def dynamic_partition(data, partitions, num_partitions, name=None):
    """`tf.dynamic_partition`: `num_partitions` tensors; the i-th holds the slices of
    `data` whose entry in `partitions` is i, in order."""
    data = convert_to_tensor(data, name="data")
    parts = convert_to_tensor(partitions, name="partitions")
    if parts.dtype != dtypes.int32:
        raise TypeError(f"Value passed to parameter 'partitions' has DataType "
                        f"{parts.dtype.name} not in list of allowed values: int32")
    n = int(num_partitions)
    op = make_op("DynamicPartition", [data, parts], [data.dtype] * n,
                 {"num_partitions": n}, name=name or "DynamicPartition")
    return list(op.outputs)


# -- dynamic_stitch -------------------------------------------------------------------------
def _stitch_shape(s):
    n = len(s.shapes) // 2
    idx, data = s.shapes[:n], s.shapes[n:]
    for i, d in zip(idx, data):
        if i is not None and d is not None:
            return [(None,) + tuple(d[len(i):])]
    return [None]


def _stitch_np(k, *args):
    n = len(args) // 2
    idx = [np.asarray(i).ravel() for i in args[:n]]
    data = [np.asarray(d) for d in args[n:]]
    size = max((int(i.max()) + 1 for i in idx if i.size), default=0)
    inner = next((d.shape[np.asarray(args[j]).ndim:] for j, d in enumerate(data)), ())
    out = np.zeros((size,) + inner, data[0].dtype if data else np.float32)
    for i, d in zip(idx, data):  # later lists win on a repeated index, as in TF
        out[i] = d.reshape((i.size,) + inner)
    return out


def _stitch_grad(op, dy):
    from jitgraph.ops.manip_ops import gather
    n = len(op.inputs) // 2
    return [None] * n + [gather(dy, i) for i in op.inputs[:n]]


register("DynamicStitch", shape=_stitch_shape, numpy=_stitch_np, grad=_stitch_grad,
         host="its output size is the largest index in the data")


def dynamic_stitch(indices, data, name=None):
    """`tf.dynamic_stitch`: merged[indices[m][i]] = data[m][i] (later lists win)."""
    idx = convert_n(list(indices))
    data = convert_n(list(data))
    if len(idx) != len(data):
        raise ValueError(f"List argument 'indices' to 'DynamicStitch' Op with length "
                         f"{len(idx)} must match length {len(data)} of argument 'data'.")
    return make_tensor("DynamicStitch", idx + data, data[0].dtype,
                       name=name or "DynamicStitch")


# -- cumprod --------------------------------------------------------------------------------
def _cumprod_np(k, x):
    a = k.attrs["axis"]
    x = np.asarray(x)
    if k.attrs["reverse"]:
        x = np.flip(x, a)
    out = np.cumprod(x, axis=a, dtype=x.dtype)
    if k.attrs["exclusive"]:  # shift by one: the first is the empty product
        lead = [slice(None)] * x.ndim
        lead[a] = slice(0, 1)
        out = np.concatenate([np.ones_like(x[tuple(lead)]), np.delete(out, -1, axis=a)], a)
    if k.attrs["reverse"]:
        out = np.flip(out, a)
    return np.ascontiguousarray(out)


def _cumprod_grad(op, dy):
    # TF's: cumsum(prod * dy) in the other direction, over x (undefined at zeros, as TF).
    from jitgraph.ops.manip_ops import cumsum
    x = op.inputs[0]
    at = op.attrs
    s = cumsum(op.outputs[0] * dy, at["axis"], exclusive=at["exclusive"],
               reverse=not at["reverse"])
    return [s / x]


register("Cumprod", shape=same_shape, numpy=_cumprod_np, grad=_cumprod_grad,
         host="no emitter yet (exclusive/reverse scans along any axis, as Cumsum)")


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """`tf.math.cumprod`: running products along `axis` (exclusive: each excludes
    itself)."""
    from jitgraph.ops.manip_ops import _static_int
    t = convert_to_tensor(x, name="x")
    a = _static_int(axis)
    r = t.shape.ndims
    if r is not None:
        if not -r <= a < r:
            raise ValueError(f"Expected axis in the range [{-r}, {r}), but got {a}")
        a %= r
    return make_tensor("Cumprod", [t], t.dtype, {"axis": a, "exclusive": bool(exclusive),
                                                 "reverse": bool(reverse)},
                       name=name or "Cumprod")


__all__ = ["cumprod", "dynamic_partition", "dynamic_stitch"]
