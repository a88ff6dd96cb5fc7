"""`tf.nn.top_k`, `tf.nn.in_top_k`, `tf.sort`/`tf.argsort`: host ops (numpy's sort)."""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.registry import make_op, make_tensor, register


def _top_k_order(x, k):
    # Largest first; among equal values the lower index first, as TF.
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, order, -1), order.astype(np.int32)


def _top_k_np(k, x, kk):
    kk = int(kk)
    if kk > x.shape[-1]:
        raise errors.InvalidArgumentError(
            None, k.op, f"input must have at least k columns. Had {x.shape[-1]}, needed {kk}")
    return _top_k_order(x, kk)


def _top_k_shape(s):
    x, kv = s.shapes[0], s.const(1)
    if x is None:
        return [None, None]
    out = tuple(x[:-1]) + ((int(kv) if kv is not None else None),)
    return [out, out]


def _top_k_grad(op, dv, di):
    from jitgraph.ops.array_ops import expand_dims, shape
    from jitgraph.ops.manip_ops import one_hot
    from jitgraph.ops.reduction_ops import reduce_sum
    x, idx = op.inputs[0], op.outputs[1]
    n = x.shape.as_list()[-1]
    if n is None:
        n = shape(x)[-1]
    hot = one_hot(idx, n, dtype=dv.dtype)  # [..., k, n]
    return [reduce_sum(expand_dims(dv, -1) * hot, axis=-2), None]


register("TopKV2", shape=_top_k_shape, numpy=_top_k_np, grad=_top_k_grad,
         host="sorting runs in numpy (stable order, ties as TF breaks them)")


def top_k(input, k=1, sorted=True, name=None):  # noqa: A002
    """(values, indices) of the `k` largest entries along the last dimension."""
    x = convert_to_tensor(input)
    kt = convert_to_tensor(k, dtype=dtypes.int32)
    op = make_op("TopKV2", [x, kt], [x.dtype, dtypes.int32], {"sorted": sorted},
                 name=name or "TopKV2")
    return op.outputs[0], op.outputs[1]


def _in_top_k_np(k, predictions, targets):
    kk = k.attrs["k"]
    rows = np.arange(predictions.shape[0])
    target_val = predictions[rows, targets]
    larger = (predictions > target_val[:, None]).sum(axis=1)
    ok = (larger < kk) & np.isfinite(target_val)
    return ok


register("InTopKV2", shape=lambda s: [None if s.shapes[1] is None else s.shapes[1]],
         numpy=_in_top_k_np, host="sorting runs in numpy (ties as TF counts them)")


def in_top_k(predictions, targets, k, name=None):
    """Whether each target's prediction is among the `k` largest of its row (ties count in)."""
    p = convert_to_tensor(predictions)
    t = convert_to_tensor(targets)
    return make_tensor("InTopKV2", [p, t], dtypes.bool, {"k": int(k)}, name=name or "InTopKV2")


def sort(values, axis=-1, direction="ASCENDING", name=None):
    x = convert_to_tensor(values)
    return make_tensor("Sort", [x], x.dtype, {"axis": axis, "direction": direction},
                       name=name or "sort")


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    x = convert_to_tensor(values)
    return make_tensor("ArgSort", [x], dtypes.int32, {"axis": axis, "direction": direction},
                       name=name or "argsort")


def _sorted_idx(x, attrs):
    key = -x if attrs["direction"] == "DESCENDING" else x
    return np.argsort(key, axis=attrs["axis"], kind="stable")


_SORT_HOST = "sorting runs in numpy (stable order, NaNs placed as TF places them)"
register("Sort", shape=lambda s: [s.shapes[0]], host=_SORT_HOST,
         numpy=lambda k, x: np.take_along_axis(x, _sorted_idx(x, k.attrs), k.attrs["axis"]))
register("ArgSort", shape=lambda s: [s.shapes[0]], host=_SORT_HOST,
         numpy=lambda k, x: _sorted_idx(x, k.attrs).astype(np.int32))
