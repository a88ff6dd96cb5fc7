"""Neural-network ops: activations, bias_add, softmax, cross-entropies, l2_loss, div_no_nan.

Activations and their TF ``*Grad`` ops are ``ew`` templates, so a dense layer's
bias add, activation and the backward mask fuse into one loop. Softmax and the
cross-entropy ops are row kernels (``K.nn_*`` in `codegen/nn_kernels.py`); the
cross-entropy ops return (loss, backprop) like TF, and their gradient reuses the
backprop output instead of differentiating the softmax again.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.ops.array_ops import expand_dims
from jitgraph.ops.constant import constant, convert_to_tensor
from jitgraph.ops.reduction_ops import reduce_sum, sum_to_shape_of
from jitgraph.ops.registry import (broadcast_shape, broadcast_shapes, make_op, make_tensor,
                                   register, same_shape)
from jitgraph.ops.registry import np_out as _np_out

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _sigmoid_np(x):
    return 0.5 * np.tanh(0.5 * x) + 0.5


def _sig_ew(dt):
    return "K.sigmoid32({1})" if dt == "float32" else "K.sigmoid64({1})"


# -- activations: forward and TF's fused *Grad ops --------------------------------------
def _grad_op(op_type, *inputs):
    return make_tensor(op_type, list(inputs), inputs[0].dtype, name=op_type)


register("Relu", shape=same_shape, numpy=_np_out(lambda x: np.maximum(x, 0)),
         ew="max({0}, {dt}(0))",
         grad=lambda op, dy: [_grad_op("ReluGrad", dy, op.outputs[0])])
register("ReluGrad", shape=broadcast_shape,
         numpy=_np_out(lambda dy, y: np.where(y > 0, dy, 0)),
         ew="({0} if {1} > {dt}(0) else {dt}(0))")

register("Relu6", shape=same_shape, numpy=_np_out(lambda x: np.minimum(np.maximum(x, 0), 6)),
         ew="min(max({0}, {dt}(0)), {dt}(6))",
         grad=lambda op, dy: [_grad_op("Relu6Grad", dy, op.inputs[0])])
register("Relu6Grad", shape=broadcast_shape,
         numpy=_np_out(lambda dy, x: np.where((x > 0) & (x < 6), dy, 0)),
         ew="({0} if ({1} > {dt}(0) and {1} < {dt}(6)) else {dt}(0))")

register("Elu", shape=same_shape, numpy=_np_out(lambda x: np.where(x > 0, x, np.expm1(x))),
         ew="({0} if {0} > {dt}(0) else np.expm1({0}))",
         grad=lambda op, dy: [_grad_op("EluGrad", dy, op.outputs[0])])
register("EluGrad", shape=broadcast_shape,
         numpy=_np_out(lambda dy, y: np.where(y > 0, dy, dy * (y + 1))),
         ew="({0} if {1} > {dt}(0) else {0} * ({1} + {dt}(1)))")

register("Selu", shape=same_shape,
         numpy=_np_out(lambda x: np.where(x > 0, SELU_SCALE * x,
                                          SELU_SCALE * SELU_ALPHA * np.expm1(x))),
         ew=f"({{dt}}({SELU_SCALE!r}) * {{0}} if {{0}} > {{dt}}(0) else "
            f"{{dt}}({SELU_SCALE * SELU_ALPHA!r}) * np.expm1({{0}}))",
         grad=lambda op, dy: [_grad_op("SeluGrad", dy, op.outputs[0])])
register("SeluGrad", shape=broadcast_shape,
         numpy=_np_out(lambda dy, y: np.where(y > 0, dy * SELU_SCALE,
                                              dy * (y + SELU_SCALE * SELU_ALPHA))),
         ew=f"({{0}} * {{dt}}({SELU_SCALE!r}) if {{1}} > {{dt}}(0) else "
            f"{{0}} * ({{1}} + {{dt}}({SELU_SCALE * SELU_ALPHA!r})))")

# alpha is a scalar input (not an attr) so the template can read it: {1}.
register("LeakyRelu", shape=broadcast_shape,
         numpy=_np_out(lambda x, a: np.where(x > 0, x, a * x)),
         ew="({0} if {0} > {dt}(0) else {1} * {0})",
         grad=lambda op, dy: [_grad_op("LeakyReluGrad", dy, op.inputs[0], op.inputs[1]), None])
register("LeakyReluGrad", shape=broadcast_shape,
         numpy=_np_out(lambda dy, x, a: np.where(x > 0, dy, a * dy)),
         ew="({0} if {1} > {dt}(0) else {2} * {0})")

register("Softplus", shape=same_shape,
         numpy=_np_out(lambda x: np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)),
         ew="(np.log1p(np.exp(-abs({0}))) + max({0}, {dt}(0)))",
         grad=lambda op, dy: [_grad_op("SoftplusGrad", dy, op.inputs[0])])
register("SoftplusGrad", shape=broadcast_shape,
         numpy=_np_out(lambda dy, x: dy * _sigmoid_np(x)),
         ew=lambda dt: "({0} * " + _sig_ew(dt) + ")")

register("Softsign", shape=same_shape, numpy=_np_out(lambda x: x / (1 + np.abs(x))),
         ew="({0} / ({dt}(1) + abs({0})))",
         grad=lambda op, dy: [_grad_op("SoftsignGrad", dy, op.inputs[0])])
register("SoftsignGrad", shape=broadcast_shape,
         numpy=_np_out(lambda dy, x: dy / np.square(1 + np.abs(x))),
         ew="({0} / (({dt}(1) + abs({1})) * ({dt}(1) + abs({1}))))")


def _float_check(x, op_type, allow_int=False):
    if not (x.dtype.is_floating or (allow_int and x.dtype.is_integer)):
        raise TypeError(f"Value passed to parameter 'features' has DataType {x.dtype.name} "
                        f"not in list of allowed values: float16, float32, float64 "
                        f"(op {op_type})")


def _activation(op_type, allow_int=False):
    def build(features, name=None):
        x = convert_to_tensor(features, name="features")
        _float_check(x, op_type, allow_int)
        return make_tensor(op_type, [x], x.dtype, name=name or op_type)
    build.__name__ = op_type.lower()
    return build


relu = _activation("Relu", allow_int=True)
relu6 = _activation("Relu6", allow_int=True)
elu = _activation("Elu")
selu = _activation("Selu")
softplus = _activation("Softplus")
softsign = _activation("Softsign")


def leaky_relu(features, alpha=0.2, name=None):
    """max(features, alpha * features) (TF 1.x: LeakyRelu, alpha=0.2 by default)."""
    x = convert_to_tensor(features, name="features")
    if x.dtype.is_integer:
        from jitgraph.ops.math_ops import cast
        x = cast(x, dtypes.float32)
    _float_check(x, "LeakyRelu")
    from jitgraph.framework.graph import get_default_graph
    with get_default_graph().name_scope(name or "LeakyRelu") as scope:
        a = constant(alpha, dtype=x.dtype, name="alpha")
        return make_tensor("LeakyRelu", [x, a], x.dtype, name=scope)


# -- bias_add ------------------------------------------------------------------------------
def _bias_add_shape(s):
    v, b = s.shapes
    if b is not None and len(b) != 1:
        raise ValueError(f"Shape must be rank 1 but is rank {len(b)} for 'BiasAdd' "
                         f"(op: 'BiasAdd') with input shapes: {_fmt(v)}, {_fmt(b)}.")
    if v is not None and len(v) < 2:
        raise ValueError(f"Shape must be at least rank 2 but is rank {len(v)} for 'BiasAdd' "
                         f"(op: 'BiasAdd') with input shapes: {_fmt(v)}, {_fmt(b)}.")
    if v is not None and b is not None and None not in (v[-1], b[0]) and v[-1] != b[0]:
        raise ValueError(f"Dimensions must be equal, but are {v[-1]} and {b[0]} for "
                         f"'BiasAdd' (op: 'BiasAdd') with input shapes: {_fmt(v)}, {_fmt(b)}.")
    if v is None:
        return [None]
    return [tuple(v[:-1]) + broadcast_shapes(v[-1:], b or (None,))]


def _fmt(shape):
    if shape is None:
        return "?"
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


def _bias_add_grad(op, dy):
    r = dy.shape.ndims
    if r is not None:
        # TF's BiasAddGrad: a sum over every axis but the last (a row-accumulating loop).
        db = reduce_sum(dy, axis=tuple(range(r - 1)), name="BiasAddGrad")
    else:
        db = sum_to_shape_of(dy, op.inputs[1])
    return [dy, db]


register("BiasAdd", shape=_bias_add_shape, numpy=_np_out(np.add), ew="({0} + {1})",
         grad=_bias_add_grad)


def bias_add(value, bias, data_format=None, name=None):
    """value + bias, bias [C] broadcast over the last axis (NHWC) or axis 1 (NCHW)."""
    from jitgraph.framework.graph import get_default_graph
    with get_default_graph().name_scope(name or "BiasAdd") as scope:
        value = convert_to_tensor(value, name="input")
        bias = convert_to_tensor(bias, dtype=value.dtype, name="bias")
        if data_format is not None and data_format.startswith("NC"):
            from jitgraph.ops.array_ops import reshape
            r = value.shape.ndims
            if r is None:
                raise ValueError("bias_add with data_format NCHW needs the rank of value")
            if r > 2:
                bias = reshape(bias, [-1] + [1] * (r - 2))
            return make_tensor("Add", [value, bias], value.dtype, name=scope)
        return make_tensor("BiasAdd", [value, bias], value.dtype,
                           {"data_format": data_format or "NHWC"}, name=scope)


# -- row kernels: shared emit helpers -------------------------------------------------------
def _rows_view(g, k):
    """Source text of input k seen as a 2-D [rows, last-dim] array."""
    x, r = g.arr(k), g.rank(k)
    if r == 2:
        return x
    if r == 1:
        return f"np.ascontiguousarray({x}).reshape((1, {x}.shape[0]))"
    return (f"np.ascontiguousarray({x}).reshape(({x}.size // max({x}.shape[{r - 1}], 1), "
            f"{x}.shape[{r - 1}]))")


def _shape_text(x, r):
    return "(" + "".join(f"{x}.shape[{i}], " for i in range(r)) + ")"


def _last_axis_host_if(c):
    """The row kernels reduce the last axis only."""
    r = c.rank(0)
    if r == 0 or c.attrs.get("axis", -1) % r != r - 1:
        return f"{c.op.type} over a non-last axis has no compiled kernel"
    return None


def _dense_xent_host_if(c):
    if c.rank(1) != c.rank(0):
        return "labels broadcast against logits: no compiled kernel"
    return _last_axis_host_if(c)


def _softmax_np(log):
    def kernel(k, x):
        a = k.attrs["axis"]
        with np.errstate(all="ignore"):
            m = np.max(x, axis=a, keepdims=True)
            z = x - m
            e = np.exp(z)
            s = np.sum(e, axis=a, keepdims=True)
            r = z - np.log(s) if log else e / s
        return np.asarray(r, dtype=x.dtype)
    return kernel


def _rows_emit(kernel, n_inputs):
    def emit(g):
        r = g.rank(0)
        x = g.arr(0)
        args = ", ".join(_rows_view(g, k) for k in range(n_inputs))
        res = f"K.{kernel}({args})"
        g.out(res if r == 2 else f"{res}.reshape({_shape_text(x, r)})")
    return emit


def _softmax_grad(op, dy):
    y = op.outputs[0]
    return [make_tensor("SoftmaxGrad", [y, dy], y.dtype, dict(op.attrs), name="SoftmaxGrad")]


def _log_softmax_grad(op, dy):
    y = op.outputs[0]
    return [make_tensor("LogSoftmaxGrad", [y, dy], y.dtype, dict(op.attrs),
                        name="LogSoftmaxGrad")]


def _softmax_grad_np(k, y, dy):
    a = k.attrs["axis"]
    return np.asarray((dy - np.sum(dy * y, axis=a, keepdims=True)) * y, dtype=y.dtype)


def _log_softmax_grad_np(k, y, dy):
    a = k.attrs["axis"]
    with np.errstate(all="ignore"):
        return np.asarray(dy - np.exp(y) * np.sum(dy, axis=a, keepdims=True), dtype=y.dtype)


register("Softmax", shape=same_shape, numpy=_softmax_np(False),
         emit=_rows_emit("nn_softmax_rows", 1), host_if=_last_axis_host_if, grad=_softmax_grad)
register("LogSoftmax", shape=same_shape, numpy=_softmax_np(True),
         emit=_rows_emit("nn_log_softmax_rows", 1), host_if=_last_axis_host_if,
         grad=_log_softmax_grad)
register("SoftmaxGrad", shape=same_shape, numpy=_softmax_grad_np,
         emit=_rows_emit("nn_softmax_grad_rows", 2), host_if=_last_axis_host_if)
register("LogSoftmaxGrad", shape=same_shape, numpy=_log_softmax_grad_np,
         emit=_rows_emit("nn_log_softmax_grad_rows", 2), host_if=_last_axis_host_if)


def _check_axis(x, axis, what="logits"):
    r = x.shape.ndims
    if r is not None:
        if r == 0:
            raise ValueError(f"{what} must have rank >= 1, got a scalar {x.name}")
        if not -r <= axis < r:
            raise errors.InvalidArgumentError(
                None, None, f"Dimension ({axis}) must be in the range [{-r}, {r}), where {r} "
                            f"is the number of dimensions in the input.")
    return axis


def _softmax_build(op_type, default_name):
    def build(logits, axis=None, name=None, dim=None):
        if axis is not None and dim is not None:
            raise ValueError("Cannot specify both 'axis' and 'dim'.")
        axis = -1 if axis is None and dim is None else (axis if axis is not None else dim)
        x = convert_to_tensor(logits, name="logits")
        if not x.dtype.is_floating:
            raise TypeError(f"Value passed to parameter 'logits' has DataType {x.dtype.name} "
                            "not in list of allowed values: float16, float32, float64")
        _check_axis(x, int(axis))
        return make_tensor(op_type, [x], x.dtype, {"axis": int(axis)},
                           name=name or default_name)
    build.__name__ = default_name.lower()
    return build


softmax = _softmax_build("Softmax", "Softmax")
log_softmax = _softmax_build("LogSoftmax", "LogSoftmax")


# -- cross-entropy ops: (loss, backprop) --------------------------------------------------
def _xent_shapes(s):
    x = s.shapes[0]
    if x is None:
        return [None, None]
    return [tuple(x[:-1]), x]


def _check_labels(labels, c):
    bad = labels[(labels < 0) | (labels >= c)]
    if bad.size:
        vals = " ".join(str(v) for v in np.asarray(labels).ravel())
        raise errors.InvalidArgumentError(
            None, None, f"Received a label value of {bad.ravel()[0]} which is outside the "
                        f"valid range of [0, {c}).  Label values: {vals}")


def _dims(a):
    return "[" + ",".join(str(d) for d in np.shape(a)) + "]"  # as TF prints a shape


def _sparse_xent_np(k, logits, labels):
    if np.shape(labels) != np.shape(logits)[:-1]:
        raise errors.InvalidArgumentError(
            None, k.op, "logits and labels must have the same first dimension, got logits "
                        f"shape {_dims(logits)} and labels shape {_dims(labels)}")
    c = logits.shape[-1]
    _check_labels(np.asarray(labels), c)
    with np.errstate(all="ignore"):
        m = np.max(logits, axis=-1, keepdims=True) if c else np.zeros(logits.shape[:-1] + (1,))
        z = logits - m
        e = np.exp(z)
        s = np.sum(e, axis=-1, keepdims=True)
        lse = np.log(s)
        lab = np.asarray(labels, np.int64)[..., None]
        loss = (lse - np.take_along_axis(z, lab, axis=-1))[..., 0]
        back = e / s
        np.put_along_axis(back, lab, np.take_along_axis(back, lab, axis=-1) - 1, axis=-1)
    dt = logits.dtype
    return [np.asarray(loss, dt), np.asarray(back, dt)]


def _xent_np(k, logits, labels):
    a = k.attrs.get("axis", -1)
    x = np.moveaxis(logits, a, -1)
    try:
        lab = np.moveaxis(np.broadcast_to(labels, logits.shape), a, -1)
    except ValueError:  # TF's message, not numpy's (shapes fed to unknown-rank placeholders)
        raise errors.InvalidArgumentError(
            None, k.op, "logits and labels must be broadcastable: logits_size="
                        f"{list(np.shape(logits))} labels_size={list(np.shape(labels))}"
        ) from None
    with np.errstate(all="ignore"):
        m = np.max(x, axis=-1, keepdims=True)
        z = x - m
        e = np.exp(z)
        s = np.sum(e, axis=-1, keepdims=True)
        loss = np.sum(lab * (np.log(s) - z), axis=-1)
        back = e / s - lab
    dt = logits.dtype
    return [np.asarray(loss, dt), np.asarray(np.moveaxis(back, -1, a), dt)]


def _xent_emit(kernel):
    def emit(g):
        r = g.rank(0)
        x = g.arr(0)
        if kernel == "nn_sparse_xent_rows":
            lab = g.i(1)
            labs = (f"np.ascontiguousarray({lab}).reshape(({lab}.size,))" if r > 1
                    else f"np.full(1, {lab})")
        else:
            labs = _rows_view(g, 1)
        pair = g.tmp("xent")
        g.line(f"{pair} = K.{kernel}({_rows_view(g, 0)}, {labs})", tag=True)
        if r == 1:
            g.out(f"{pair}[0][0]", 0)
            g.out(f"{pair}[1].reshape(({x}.shape[0],))", 1)
        elif r == 2:
            g.out(f"{pair}[0]", 0)
            g.out(f"{pair}[1]", 1)
        else:
            g.out(f"{pair}[0].reshape({_shape_text(x, r - 1)})", 0)
            g.out(f"{pair}[1].reshape({_shape_text(x, r)})", 1)
    return emit


def _xent_grad(op, grad_loss, grad_grad):
    # TF: the backprop output already holds d loss / d logits; scale it by the incoming
    # gradient. (Second-order terms through `grad_grad` are not supported.)
    if grad_loss is None:
        return [None, None]
    a = op.attrs.get("axis", -1)
    g = expand_dims(grad_loss, a) * op.outputs[1]
    if op.type == "SparseSoftmaxCrossEntropyWithLogits":
        return [g, None]
    # Labels gradient (softmax_cross_entropy_with_logits_v2): -log_softmax(logits).
    logits = op.inputs[0]
    glab = expand_dims(grad_loss, a) * -log_softmax(logits, axis=a)
    return [g, glab]


def _xent_sym(op, ins):
    # Symbolic dims for the planner: loss is [batch], backprop has the logits' shape.
    return [ins[0][:-1], ins[0]]


register("SparseSoftmaxCrossEntropyWithLogits", shape=_xent_shapes, numpy=_sparse_xent_np,
         emit=_xent_emit("nn_sparse_xent_rows"), grad=_xent_grad, sym=_xent_sym,
         host_if=_last_axis_host_if)
register("SoftmaxCrossEntropyWithLogits", shape=_xent_shapes, numpy=_xent_np,
         emit=_xent_emit("nn_softmax_xent_rows"), grad=_xent_grad, sym=_xent_sym,
         host_if=_dense_xent_host_if)


def _xent_ax_shapes(s):
    x = s.shapes[0]
    if x is None:
        return [None, None]
    a = s.attrs.get("axis", -1) % len(x)
    return [tuple(d for i, d in enumerate(x) if i != a), x]


# The dense op takes an `axis` attr (numpy runs any axis; the kernel only the last one).
register("SoftmaxCrossEntropyWithLogitsAxis", shape=_xent_ax_shapes, numpy=_xent_np,
         grad=_xent_grad, host="the row kernels reduce the last axis only")


def sparse_softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None,
                                             name=None):
    """Per-example softmax cross-entropy of integer class `labels` [...] vs `logits` [..., C]."""
    if _sentinel is not None:
        raise ValueError("Only call `sparse_softmax_cross_entropy_with_logits` with named "
                         "arguments (labels=..., logits=..., ...)")
    from jitgraph.framework.graph import get_default_graph
    with get_default_graph().name_scope(name or "SparseSoftmaxCrossEntropyWithLogits") as scope:
        labels = convert_to_tensor(labels)
        logits = convert_to_tensor(logits)
        ls, xs = labels.shape, logits.shape
        if xs.ndims == 0:
            raise ValueError(f"Logits cannot be scalars - received shape {xs}.")
        if ls.ndims is not None and xs.ndims is not None:
            if ls.ndims != xs.ndims - 1:
                raise ValueError(f"Rank mismatch: Rank of labels (received {ls.ndims}) should "
                                 f"equal rank of logits minus 1 (received {xs.ndims}).")
            for a, b in zip(ls.as_tuple(), xs.as_tuple()[:-1]):
                if a is not None and b is not None and a != b:
                    raise ValueError(f"Shape mismatch: The shape of labels (received {ls}) "
                                     "should equal the shape of logits except for the last "
                                     f"dimension (received {xs}).")
        if labels.dtype not in (dtypes.int32, dtypes.int64):
            raise TypeError(f"Value passed to parameter 'labels' has DataType "
                            f"{labels.dtype.name} not in list of allowed values: int32, int64")
        if not logits.dtype.is_floating:
            raise TypeError(f"Value passed to parameter 'features' has DataType "
                            f"{logits.dtype.name} not in list of allowed values: "
                            "float16, float32, float64")
        op = make_op("SparseSoftmaxCrossEntropyWithLogits", [logits, labels],
                     [logits.dtype, logits.dtype], name=scope)
        return op.outputs[0]


def softmax_cross_entropy_with_logits_v2(labels, logits, axis=None, name=None, dim=None):
    """Per-example softmax cross-entropy of a distribution `labels` vs `logits` (same shape).

    Gradients flow into both logits and labels.
    """
    if axis is not None and dim is not None:
        raise ValueError("Cannot specify both 'axis' and 'dim'.")
    axis = -1 if axis is None and dim is None else (axis if axis is not None else dim)
    from jitgraph.framework.graph import get_default_graph
    with get_default_graph().name_scope(name or "softmax_cross_entropy_with_logits") as scope:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, dtype=logits.dtype, name="labels")
        if not logits.dtype.is_floating:
            raise TypeError(f"Value passed to parameter 'features' has DataType "
                            f"{logits.dtype.name} not in list of allowed values: "
                            "float16, float32, float64")
        xs, ls = logits.shape.as_tuple(), labels.shape.as_tuple()
        if xs is not None and ls is not None:
            broadcast_shapes(xs, ls)  # raises on incompatible shapes
        if xs is not None and len(xs) == 0:
            raise ValueError(f"Logits cannot be scalars - received shape {logits.shape}.")
        r = len(xs) if xs is not None else None
        last = axis == -1 or (r is not None and axis % r == r - 1)
        if last:
            op = make_op("SoftmaxCrossEntropyWithLogits", [logits, labels],
                         [logits.dtype, logits.dtype], name=scope)
        else:
            _check_axis(logits, int(axis))
            op = make_op("SoftmaxCrossEntropyWithLogitsAxis", [logits, labels],
                         [logits.dtype, logits.dtype], {"axis": int(axis)}, name=scope)
        return op.outputs[0]


def softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, dim=-1,
                                      name=None, axis=None):
    """TF 1.x (deprecated) version: no gradient flows into `labels`."""
    if _sentinel is not None:
        raise ValueError("Only call `softmax_cross_entropy_with_logits` with named "
                         "arguments (labels=..., logits=..., ...)")
    if axis is not None:
        dim = axis
    from jitgraph.ops.array_ops import stop_gradient
    from jitgraph.framework.graph import get_default_graph
    with get_default_graph().name_scope(name or "softmax_cross_entropy_with_logits_sg") as sc:
        labels = stop_gradient(labels, name="labels_stop_gradient")
        return softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits, axis=dim,
                                                    name=sc)


# -- l2_loss -------------------------------------------------------------------------------
def _l2_emit(g):
    if g.rank(0) == 0:
        s = g.s(0)
        g.out(f"{g.odt()}({s} * {s} * 0.5)")
        return
    x = g.arr(0)
    g.out(f"{g.odt()}(K.nn_l2_loss(np.ascontiguousarray({x}).reshape(({x}.size,))))")


register("L2Loss", shape=lambda s: [()],
         numpy=_np_out(lambda x: np.sum(np.asarray(x, np.float64) ** 2) / 2),
         emit=_l2_emit, grad=lambda op, dy: [op.inputs[0] * dy])


def l2_loss(t, name=None):
    """sum(t ** 2) / 2."""
    t = convert_to_tensor(t, name="t")
    return make_tensor("L2Loss", [t], t.dtype, name=name or "L2Loss")


# -- div_no_nan (the `value` of every tf.losses reduction) -------------------------------
def _div_no_nan_np(x, y):
    safe = np.where(y == 0, 1, y)
    return np.where(y == 0, 0, x / safe)


def _div_no_nan_grad(op, dy):
    x, y = op.inputs
    gx = div_no_nan(dy, y)
    gy = div_no_nan(div_no_nan(-x, y), y) * dy
    return [sum_to_shape_of(gx, x), sum_to_shape_of(gy, y)]


register("DivNoNan", shape=broadcast_shape, numpy=_np_out(_div_no_nan_np),
         ew="(({0} / {1}) if {1} != {dt}(0) else {dt}(0))", grad=_div_no_nan_grad)


def div_no_nan(x, y, name=None):
    """x / y, and 0 wherever y is 0."""
    x = convert_to_tensor(x, name="x")
    y = convert_to_tensor(y, dtype=x.dtype, name="y")
    return make_tensor("DivNoNan", [x, y], x.dtype, name=name or "div_no_nan")
