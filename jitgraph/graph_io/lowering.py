"""TF node types built with our op functions at import.

Either TF's form of the op differs from ours (a reduction's axes are an input in
TF and an attr here, TF's LeakyRelu holds alpha as an attr), or TF has an op that
jitgraph writes as several (AddV2, ApplyAdam, FusedBatchNorm, ZerosLike, ...).
A rule gets a `NodeCtx` and returns the node's outputs (or its op); the importer
names the op of output 0 after the node. An input that our op needs to know when
the graph is built (an axis) must be a constant: `ctx.const(i)`.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.ops import array_ops, manip_ops, math_ops, nn_ops, reduction_ops, state_ops
from jitgraph.ops.constant import constant
from jitgraph.graph_io import tf_ops  # noqa: F401  (registers BroadcastGradientArgs)
from jitgraph.ops.registry import make_tensor

RULES = {}


def rule(*types):
    def deco(fn):
        for t in types:
            RULES[t] = fn
        return fn
    return deco


def _axis(v):
    v = np.asarray(v)
    return int(v) if v.ndim == 0 else [int(i) for i in v.ravel()]


# -- ops whose TF form holds an axis as an input ---------------------------------------------
_REDUCE = {"Sum": reduction_ops.reduce_sum, "Mean": reduction_ops.reduce_mean,
           "Max": reduction_ops.reduce_max, "Min": reduction_ops.reduce_min,
           "Prod": reduction_ops.reduce_prod, "All": reduction_ops.reduce_all,
           "Any": reduction_ops.reduce_any}


@rule(*_REDUCE)
def _reduce(c):
    axes = c.inputs[1]
    if c.type == "Sum" and axes.op.type == "BroadcastGradientArgs" and _static(axes) is None:
        like = axes.op.inputs[axes.value_index]
        if like.op.type == "Shape":
            # TF's gradient of a broadcast: Reshape(Sum(dy, r_k), Shape(x)) sums dy to
            # x's shape, which our SumToShape does (the Reshape after it keeps it).
            return reduction_ops.sum_to_shape_of(c.inputs[0], like.op.inputs[0])
    return _REDUCE[c.type](c.inputs[0], axis=_axis(c.const(1)),
                           keepdims=bool(c.attrs.get("keep_dims", False)))


def _static(t):
    from jitgraph.graph_io.importer import static_value
    return static_value(t)


@rule("BroadcastTo")
def _broadcast_to(c):
    x, shape = c.inputs
    if _static(shape) is None and shape.op.type == "Shape":
        return array_ops.broadcast_to_like(x, shape.op.inputs[0])
    return make_tensor("BroadcastTo", [x, shape], x.dtype)


@rule("ArgMax", "ArgMin")
def _arg(c):
    fn = manip_ops.argmax if c.type == "ArgMax" else manip_ops.argmin
    return fn(c.inputs[0], axis=_axis(c.const(1)),
              output_type=c.attrs.get("output_type", dtypes.int64))


@rule("ConcatV2")
def _concat(c):
    return manip_ops.concat(c.inputs[:-1], _axis(c.const(len(c.inputs) - 1)))


@rule("ExpandDims")
def _expand_dims(c):
    return array_ops.expand_dims(c.inputs[0], _axis(c.const(1)))


@rule("Squeeze")
def _squeeze(c):
    return array_ops.squeeze(c.inputs[0], axis=c.attrs.get("squeeze_dims") or None)


@rule("Split")
def _split(c):
    return manip_ops.split(c.inputs[1], int(c.attrs["num_split"]), axis=_axis(c.const(0)))


@rule("SplitV")
def _split_v(c):
    sizes = [int(s) for s in c.const(1).ravel()]
    return manip_ops.split(c.inputs[0], sizes, axis=_axis(c.const(2)))


@rule("GatherV2")
def _gather(c):
    return manip_ops.gather(c.inputs[0], c.inputs[1], axis=_axis(c.const(2)),
                            batch_dims=int(c.attrs.get("batch_dims", 0)))


@rule("Cumsum")
def _cumsum(c):
    return manip_ops.cumsum(c.inputs[0], axis=_axis(c.const(1)),
                            exclusive=bool(c.attrs.get("exclusive", False)),
                            reverse=bool(c.attrs.get("reverse", False)))


@rule("InTopKV2")
def _in_top_k(c):
    from jitgraph.ops.sort_ops import in_top_k
    return in_top_k(c.inputs[0], c.inputs[1], int(c.const(2)))


@rule("LeakyRelu")
def _leaky_relu(c):
    return nn_ops.leaky_relu(c.inputs[0], alpha=float(c.attrs.get("alpha", 0.2)))


@rule("Softmax", "LogSoftmax")
def _softmax(c):
    x = c.inputs[0]
    return make_tensor(c.type, [x], x.dtype, {"axis": -1})


# -- ops whose build-time facts TF's GraphDefs lack ---------------------------------------------
_MASK_NAMES = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


def _masks(c):
    return {m: int(c.attrs.get(m, 0)) for m in _MASK_NAMES}


@rule("StridedSlice")
def _strided_slice(c):
    x = c.inputs[0]
    if "_n" in c.attrs:  # jitgraph wrote it: its attrs are whole
        return make_tensor("StridedSlice", c.inputs, x.dtype, c.attrs)
    from jitgraph.ops.slicing import strided_slice
    return strided_slice(x, *c.inputs[1:], **_masks(c))


@rule("StridedSliceGrad")
def _strided_slice_grad(c):
    dy = c.inputs[4]
    attrs = dict(c.attrs)
    if "_n" not in attrs:
        from jitgraph.ops.slicing import _partial_const
        begin = c.inputs[1]
        n = begin.shape.as_tuple()[0] if begin.shape.ndims == 1 else None
        if n is None:
            raise ValueError("StridedSliceGrad needs the length of its begin vector")
        shape = _static(c.inputs[0])
        rank = c.inputs[0].shape.as_tuple()[0] if c.inputs[0].shape.ndims == 1 else None
        attrs.update(_masks(c), _n=n, _begin_c=_partial_const(begin, n),
                     _end_c=_partial_const(c.inputs[2], n),
                     _strides_c=_partial_const(c.inputs[3], n),
                     _in_shape=tuple(int(d) for d in shape) if shape is not None else (
                         None if rank is None else (None,) * rank))
    return make_tensor("StridedSliceGrad", c.inputs, dy.dtype, attrs)


@rule("Slice")
def _slice(c):
    x = c.inputs[0]
    if "_begin_c" in c.attrs:
        return make_tensor("Slice", c.inputs, x.dtype, c.attrs)
    from jitgraph.ops.slicing import slice_
    return slice_(x, c.inputs[1], c.inputs[2])


# -- TF ops jitgraph writes as others ------------------------------------------------------------
@rule("AddV2")
def _add_v2(c):
    return math_ops.add(c.inputs[0], c.inputs[1])


@rule("AddN")
def _add_n(c):
    return math_ops.add_n(c.inputs)


@rule("Div")
def _div(c):
    return math_ops.div(c.inputs[0], c.inputs[1])


@rule("Snapshot")
def _snapshot(c):
    return array_ops.identity(c.inputs[0])


@rule("Select")
def _select(c):
    cond, x, y = c.inputs
    # TF 1.x's Select: a vector condition picks rows of higher-rank x and y.
    rc, rx = cond.shape.ndims, x.shape.ndims
    if rc == 1 and rx is not None and rx > 1:
        cond = array_ops.reshape(cond, [-1] + [1] * (rx - 1))
    return math_ops.where(cond, x, y)


@rule("ZerosLike")
def _zeros_like(c):
    return array_ops.zeros_like(c.inputs[0])


@rule("OnesLike")
def _ones_like(c):
    return array_ops.ones_like(c.inputs[0])


@rule("Pad")
def _pad(c):
    x = c.inputs[0]
    zero = constant(0, dtype=x.dtype)
    return make_tensor("PadV2", [x, c.inputs[1], zero], x.dtype)


@rule("ShapeN")
def _shape_n(c):
    ot = c.attrs.get("out_type", dtypes.int32)
    return [array_ops.shape(x, out_type=ot) for x in c.inputs]


@rule("BiasAddGrad")
def _bias_add_grad(c):
    dy = c.inputs[0]
    r = dy.shape.ndims
    if r is None:
        raise ValueError("BiasAddGrad of a tensor of unknown rank")
    keep = 1 if c.attrs.get("data_format", "NHWC") == "NCHW" else r - 1
    return reduction_ops.reduce_sum(dy, axis=[a for a in range(r) if a != keep])


@rule("Relu6Grad")
def _relu6_grad(c):
    dy, x = c.inputs
    inside = math_ops.logical_and(math_ops.greater(x, 0), math_ops.less(x, 6))
    return math_ops.where(inside, dy, array_ops.zeros_like(dy))


@rule("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3")
def _fused_batch_norm(c):
    """y = (x - mean) * rsqrt(var + eps) * scale + offset, over the last (channel) axis.

    Inference form: the given mean and variance, returned as they are. Training form:
    the batch's moments; TF returns the variance Bessel-corrected (n / (n - 1)), mixed
    into the given statistics by `exponential_avg_factor` when it is below 1."""
    x, scale, offset, mean, var = c.inputs[:5]
    if c.attrs.get("data_format", "NHWC") != "NHWC":
        raise ValueError("FusedBatchNorm with data_format NCHW is not supported")
    eps = float(c.attrs.get("epsilon", 1e-4))
    out_mean, out_var = mean, var
    if c.attrs.get("is_training", True):
        from jitgraph.nn import moments
        r = x.shape.ndims
        if r is None:
            raise ValueError("FusedBatchNorm in training form needs the input's rank")
        old_mean, old_var = mean, var
        mean, var = moments(x, axes=list(range(r - 1)))
        n = math_ops.cast(array_ops.size(x), x.dtype) / math_ops.cast(
            array_ops.shape(x)[r - 1], x.dtype)
        out_mean, out_var = mean, var * n / math_ops.maximum(n - 1, 1)
        f = float(c.attrs.get("exponential_avg_factor", 1.0))
        if f != 1.0:
            out_mean = (1 - f) * old_mean + f * out_mean
            out_var = (1 - f) * old_var + f * out_var
    inv = math_ops.rsqrt(var + eps) * scale
    y = x * inv + (offset - mean * inv)
    return [y, out_mean, out_var, mean, var] + ([var] if c.type == "FusedBatchNormV3" else [])


@rule("IsVariableInitialized")
def _is_variable_initialized(c):
    ref = c.inputs[0]
    if ref.op.type != "VariableV2":
        raise ValueError("IsVariableInitialized of something other than a variable")
    return make_tensor("IsVariableInitialized", [], dtypes.bool, {"var": ref.op})


# -- optimizer updates -----------------------------------------------------------------------------
def _locking(c):
    return bool(c.attrs.get("use_locking", False))


@rule("ApplyGradientDescent")
def _apply_gd(c):
    var, alpha, delta = c.inputs
    return state_ops.assign_sub(var, alpha * delta, use_locking=_locking(c))


@rule("ApplyMomentum")
def _apply_momentum(c):
    var, accum, lr, grad, mom = c.inputs
    acc = state_ops.assign(accum, accum * mom + grad, use_locking=_locking(c))
    step = lr * (grad + mom * acc) if c.attrs.get("use_nesterov") else lr * acc
    return state_ops.assign_sub(var, step, use_locking=_locking(c))


@rule("ApplyAdam")
def _apply_adam(c):
    var, m, v, b1p, b2p, lr, b1, b2, eps, grad = c.inputs
    lr_t = lr * math_ops.sqrt(1 - b2p) / (1 - b1p)
    m_t = state_ops.assign(m, b1 * m + (1 - b1) * grad, use_locking=_locking(c))
    v_t = state_ops.assign(v, b2 * v + (1 - b2) * math_ops.square(grad),
                           use_locking=_locking(c))
    if c.attrs.get("use_nesterov"):
        step = lr_t * (b1 * m_t + (1 - b1) * grad) / (math_ops.sqrt(v_t) + eps)
    else:
        step = lr_t * m_t / (math_ops.sqrt(v_t) + eps)
    # The update reads m_t and v_t, so running it runs the slot updates first.
    return state_ops.assign_sub(var, step, use_locking=_locking(c))
