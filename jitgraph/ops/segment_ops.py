"""Segment reductions: `tf.segment_{sum,mean,prod,max,min}` (sorted ids, as many output rows
as the last id + 1) and `tf.unsorted_segment_{sum,prod,max,min}` (`num_segments` rows,
negative ids dropped), with `unsorted_segment_mean`/`unsorted_segment_sqrt_n` built from
them as TF builds them.

One compiled loop (`K.segment_reduce`) serves every op, rank and dtype on a 2-D view of
the data. Gradients are TF's: gathers of the output gradient by the ids.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.ops.constant import constant, convert_to_tensor
from jitgraph.ops.registry import make_tensor, register

# mode (as `K.segment_reduce` numbers them), numpy accumulator, identity
_MODES = {"Sum": (0, np.add, 0), "Prod": (1, np.multiply, 1), "Max": (2, np.maximum, "-inf"),
          "Min": (3, np.minimum, "inf"), "Mean": (4, np.add, 0)}


def _init(kind, dt):
    """The accumulator's start: 0/1, or the dtype's lowest/highest for max/min."""
    ident = _MODES[kind][2]
    dt = np.dtype(dt)
    if not isinstance(ident, str):
        return dt.type(ident)
    info = np.iinfo(dt) if dt.kind in "iu" else np.finfo(dt)  # TF's numeric_limits lowest()
    return dt.type(info.min if ident == "-inf" else info.max)


def _empty(kind, dt, is_sorted):
    # TF: an empty sorted max/min segment is 0; an unsorted one keeps the identity.
    if kind in ("Max", "Min") and is_sorted:
        return np.dtype(dt).type(0)
    return _init(kind, dt)


def _out_rows(k, ids, n):
    if n is not None:
        n = int(n)
        bad = ids[ids >= n]
        if bad.size:
            i = int(np.argmax(ids.ravel() >= n))
            raise errors.InvalidArgumentError(
                None, k.op, f"segment_ids[{i}] = {bad.ravel()[0]} is out of range [0, {n})")
        return n
    flat = ids.ravel()
    if flat.size and np.any(flat < 0):
        raise errors.InvalidArgumentError(None, k.op, "segment ids must be >= 0")
    if flat.size > 1 and np.any(flat[1:] < flat[:-1]):
        raise errors.InvalidArgumentError(None, k.op, "segment ids are not increasing")
    return int(flat[-1]) + 1 if flat.size else 0


def _segment_np(kind, is_sorted):
    mode, ufunc, _ = _MODES[kind]

    def kernel(k, data, ids, n=None):
        data, ids = np.asarray(data), np.asarray(ids)
        rows = _out_rows(k, ids, n)
        inner = data.shape[ids.ndim:]
        d2 = data.reshape((ids.size,) + inner)
        flat = ids.ravel()
        keep = flat >= 0
        out = np.full((rows,) + inner, _init(kind, data.dtype), data.dtype)
        with np.errstate(all="ignore"):
            ufunc.at(out, flat[keep], d2[keep])
            count = np.bincount(flat[keep], minlength=rows)[:rows]
            count = count.reshape((rows,) + (1,) * len(inner))
            if kind == "Mean":
                q = out / np.maximum(count, 1)
                out = q.astype(data.dtype) if data.dtype.kind == "f" else \
                    np.trunc(q).astype(data.dtype)
        return np.where(count == 0, _empty(kind, data.dtype, is_sorted), out).astype(data.dtype)
    return kernel


def _value_src(v, odt):
    v = np.asarray(v).item()
    if isinstance(v, float) and np.isinf(v):
        return f"{odt}({'-' if v < 0 else ''}np.inf)"
    return f"{odt}({v!r})"


def _segment_emit(kind, is_sorted):
    mode = _MODES[kind][0]

    def emit(g):
        data, ids = g.arr(0), g.arr(1)
        rd, ri = g.rank(0), g.rank(1)
        odt = g.odt()
        dt = g.op.outputs[0].dtype.as_numpy_dtype
        rows = " * ".join(f"{data}.shape[{i}]" for i in range(ri)) or "1"
        inner = " * ".join(f"{data}.shape[{i}]" for i in range(ri, rd)) or "1"
        d2, i1, n = g.tmp("d"), g.tmp("ids"), g.tmp("n")
        g.line(f"{d2} = np.ascontiguousarray({data}).reshape(({rows}, {inner}))", tag=True)
        g.line(f"{i1} = np.ascontiguousarray({ids}).reshape(({rows},)).astype(np.int64)")
        if is_sorted:
            g.line(f"for j in range(1, {i1}.shape[0]):")
            g.line(f"    if {i1}[j] < {i1}[j - 1]:")
            g.line("        raise ValueError(\"segment ids are not increasing\")")
            g.line(f"{n} = {i1}[{i1}.shape[0] - 1] + 1 if {i1}.shape[0] else 0")
        else:
            g.line(f"{n} = np.int64({g.s(2)})")
        red = g.tmp("seg")
        init, empty = _init(kind, dt), _empty(kind, dt, is_sorted)
        g.line(f"{red} = K.segment_reduce({d2}, {i1}, {n}, {mode}, {_value_src(init, odt)}, "
               f"{_value_src(empty, odt)})")
        dims = "".join(f"{data}.shape[{i}], " for i in range(ri, rd))
        g.out(f"{red}.reshape(({n}, {dims}))")
    return emit


def _segment_shape(is_sorted):
    def shape(s):
        data, ids = s.shapes[0], s.shapes[1]
        if data is None or ids is None:
            return [None]
        n = None
        if not is_sorted:
            v = s.const(2)
            n = None if v is None else int(v)
        return [(n,) + tuple(data[len(ids):])]
    return shape


def _gather_rows(dy, ids, data, unsorted):
    """dy[ids] shaped like `data`; rows of negative ids (dropped by an unsorted op) are 0."""
    from jitgraph.ops import math_ops
    from jitgraph.ops.array_ops import zeros_like
    from jitgraph.ops.manip_ops import gather
    if not unsorted:  # sorted ids are never negative
        return gather(dy, ids)
    zero = constant(0, dtype=ids.dtype)
    g = gather(dy, math_ops.maximum(ids, zero))
    valid = _trailing_ones(math_ops.greater_equal(ids, zero), ids, data)
    return math_ops.where(valid, g, zeros_like(g))


def _trailing_ones(t, ids, data):
    """`t` (shaped like ids) with a 1 dim per trailing dim of `data`, to broadcast on it."""
    from jitgraph.ops.array_ops import expand_dims, fill, rank, reshape, shape
    from jitgraph.ops.manip_ops import concat
    r_ids, r_data = ids.shape.ndims, data.shape.ndims
    if r_ids is not None and r_data is not None:
        extra = np.ones(r_data - r_ids, np.int32)
    else:  # ranks known only at run time, as TF builds it
        extra = fill(expand_dims(rank(data) - rank(ids), 0), 1)
    return reshape(t, concat([shape(t), extra], 0))


def _counts_like(data, ids, n, unsorted):
    """How many rows each segment holds, shaped to broadcast against the output."""
    from jitgraph.ops import math_ops
    from jitgraph.ops.array_ops import ones_like
    ones = math_ops.cast(ones_like(ids), data.dtype)
    cnt = unsorted_segment_sum(ones, ids, n) if unsorted else segment_sum(ones, ids)
    return _trailing_ones(cnt, ids, data)


def _sum_grad(op, dy):
    data, ids = op.inputs[:2]
    return [_gather_rows(dy, ids, data, len(op.inputs) == 3)] + [None] * (len(op.inputs) - 1)


def _mean_grad(op, dy):
    from jitgraph.ops import math_ops
    data, ids = op.inputs[:2]
    cnt = _counts_like(data, ids, None, False)
    scaled = dy / math_ops.maximum(cnt, constant(1, dtype=cnt.dtype))
    return [_gather_rows(scaled, ids, data, False), None]


def _minmax_grad(op, dy):
    # TF's _SegmentMinOrMaxGrad: the gradient goes to the selected rows, split among ties.
    from jitgraph.ops import math_ops
    from jitgraph.ops.array_ops import zeros_like
    data, ids = op.inputs[:2]
    unsorted = len(op.inputs) == 3
    n = op.inputs[2] if unsorted else None
    picked = _gather_rows(op.outputs[0], ids, data, unsorted)
    selected = math_ops.equal(data, picked)
    sel = math_ops.cast(selected, dy.dtype)
    count = unsorted_segment_sum(sel, ids, n) if unsorted else segment_sum(sel, ids)
    share = _gather_rows(dy / math_ops.maximum(count, constant(1, dtype=dy.dtype)), ids, data,
                         unsorted)
    return [math_ops.where(selected, share, zeros_like(share))] + [None] * (len(op.inputs) - 1)


_GRADS = {"Sum": _sum_grad, "Mean": _mean_grad, "Max": _minmax_grad, "Min": _minmax_grad}

for _kind in ("Sum", "Mean", "Prod", "Max", "Min"):
    register(f"Segment{_kind}", shape=_segment_shape(True), numpy=_segment_np(_kind, True),
             emit=_segment_emit(_kind, True), grad=_GRADS.get(_kind))
for _kind in ("Sum", "Prod", "Max", "Min"):
    register(f"UnsortedSegment{_kind}", shape=_segment_shape(False),
             numpy=_segment_np(_kind, False), emit=_segment_emit(_kind, False),
             grad=_GRADS.get(_kind))


def _check_ids(ids, op_name):
    if ids.dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"Value passed to parameter 'segment_ids' has DataType "
                        f"{ids.dtype.name} not in list of allowed values: int32, int64")


def _sorted(kind):
    def build(data, segment_ids, name=None):
        data = convert_to_tensor(data, name="data")
        ids = convert_to_tensor(segment_ids, name="segment_ids")
        _check_ids(ids, kind)
        if ids.shape.ndims not in (None, 1):
            raise ValueError(f"segment_ids should be a vector, got shape {ids.shape}")
        return make_tensor(f"Segment{kind}", [data, ids], data.dtype,
                           name=name or f"Segment{kind}")
    build.__name__ = f"segment_{kind.lower()}"
    build.__doc__ = (f"`tf.math.segment_{kind.lower()}`: the {kind.lower()} of the rows of "
                     "`data` in each segment (ids sorted; output rows: last id + 1).")
    return build


def _unsorted(kind):
    def build(data, segment_ids, num_segments, name=None):
        data = convert_to_tensor(data, name="data")
        ids = convert_to_tensor(segment_ids, name="segment_ids")
        _check_ids(ids, kind)
        n = convert_to_tensor(num_segments, name="num_segments")
        return make_tensor(f"UnsortedSegment{kind}", [data, ids, n], data.dtype,
                           name=name or f"UnsortedSegment{kind}")
    build.__name__ = f"unsorted_segment_{kind.lower()}"
    build.__doc__ = (f"`tf.math.unsorted_segment_{kind.lower()}`: the {kind.lower()} of the "
                     "rows of `data` with each id (`num_segments` rows; negative ids "
                     "dropped).")
    return build


segment_sum, segment_mean, segment_prod = _sorted("Sum"), _sorted("Mean"), _sorted("Prod")
segment_max, segment_min = _sorted("Max"), _sorted("Min")
unsorted_segment_sum, unsorted_segment_prod = _unsorted("Sum"), _unsorted("Prod")
unsorted_segment_max, unsorted_segment_min = _unsorted("Max"), _unsorted("Min")


def _unsorted_scaled(data, segment_ids, num_segments, name, default, norm):
    from jitgraph.ops import math_ops
    from jitgraph.ops.api import name_scope
    with name_scope(name, default) as scope:
        data = convert_to_tensor(data, name="data")
        ids = convert_to_tensor(segment_ids, name="segment_ids")
        cnt = _counts_like(data, ids, num_segments, True)
        total = unsorted_segment_sum(data, ids, num_segments)
        return math_ops.real_div(total, norm(math_ops.maximum(
            cnt, constant(1, dtype=cnt.dtype))), name=scope)


def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    """`tf.math.unsorted_segment_mean`: sum / count per segment (empty segments are 0)."""
    return _unsorted_scaled(data, segment_ids, num_segments, name, "UnsortedSegmentMean",
                            lambda c: c)


def unsorted_segment_sqrt_n(data, segment_ids, num_segments, name=None):
    """`tf.math.unsorted_segment_sqrt_n`: sum / sqrt(count) per segment."""
    from jitgraph.ops.math_ops import sqrt
    return _unsorted_scaled(data, segment_ids, num_segments, name, "UnsortedSegmentSqrtN",
                            sqrt)


__all__ = ["segment_max", "segment_mean", "segment_min", "segment_prod", "segment_sum",
           "unsorted_segment_max", "unsorted_segment_mean", "unsorted_segment_min",
           "unsorted_segment_prod", "unsorted_segment_sqrt_n", "unsorted_segment_sum"]
