"""2-D convolution and pooling: Conv2D, MaxPool, AvgPool and TF's gradient ops, and the
tf.nn functions built on them (conv1d, conv2d_transpose, atrous_conv2d; NCHW).

The gradient ops are ops of their own, as in TF: `Conv2DBackpropInput(input_sizes,
filter, out_backprop)`, `Conv2DBackpropFilter(input, filter_sizes, out_backprop)`,
`MaxPoolGrad(orig_input, orig_output, grad)` and `AvgPoolGrad(orig_input_shape, grad)`.
The ops are NHWC with dilations; an NCHW call is the NHWC op between two transposes.
Each compiles to a call into `codegen/conv_kernels.py` (patch tiles + BLAS for
convolutions, loops for pooling); the numpy kernels here are the reference, written per
window offset (a strided slice per (di, dj)) so they stay independent of the kernels.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.framework.graph import Tensor, get_default_graph
from jitgraph.ops.array_ops import expand_dims, squeeze
from jitgraph.ops.array_ops import shape as shape_op
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.manip_ops import gather, transpose
from jitgraph.ops.registry import make_tensor, register

_FLOATS = ("float16", "bfloat16", "float32", "float64")
_POOL_TYPES = _FLOATS + ("int8", "int16", "int32", "int64", "uint8", "uint16")


# -- argument checking ---------------------------------------------------------------------
def _get_sequence(value, name, n=2, channel_index=3):
    """TF's rule for strides/ksize/dilations of an n-d window: an int or 1, n or n + 2
    values; the short forms get 1 for the batch and channel dims (at `channel_index`)."""
    if value is None:
        value = [1]
    elif isinstance(value, (int, np.integer)):
        value = [value]
    vals = [int(v) for v in value]
    if len(vals) == n + 2:
        return vals
    if len(vals) == 1:
        vals = vals * n
    elif len(vals) != n:
        raise ValueError(f"{name} should be of length 1, {n} or {n + 2}. Received: "
                         f"{name}={value} of length {len(vals)}")
    return [1, 1] + vals if channel_index == 1 else [1] + vals + [1]


def _channels_first(data_format):
    """True for NCHW (or NCW / channels_first); TF's error for an unknown format."""
    if data_format in (None, "NHWC", "NWC", "channels_last"):
        return False
    if data_format in ("NCHW", "NCW", "channels_first"):
        return True
    raise ValueError(f"Unknown data_format: {data_format}")


def _to_nhwc(seq):
    """A 4-vector in NCHW order, in NHWC order."""
    return [seq[0], seq[2], seq[3], seq[1]]


def _check_padding(padding, op_type):
    if not isinstance(padding, str):
        raise NotImplementedError(f"jitgraph: explicit paddings are not supported for "
                                  f"'{op_type}'; use 'SAME' or 'VALID'")
    if padding not in ("SAME", "VALID"):
        raise ValueError(f"Value for attr 'padding' of \"{padding}\" is not in the list of "
                         f"allowed values: \"SAME\", \"VALID\"")
    return padding


def _check_strides(strides, what, op_type):
    if strides[0] != 1 or strides[3] != 1:
        raise ValueError(f"Current implementation does not yet support {what} in the batch "
                         f"and depth dimensions. (op: '{op_type}')")
    if min(strides) < 1:
        raise ValueError(f"{what} must be positive, got {strides} (op: '{op_type}')")


def _check_dtype(x, op_type, allowed=_FLOATS, param="input"):
    if x.dtype.base_dtype.name not in allowed:
        raise TypeError(f"Value passed to parameter '{param}' has DataType {x.dtype.name} not "
                        f"in list of allowed values: {', '.join(allowed)} (op {op_type})")


def _like(value, ref, param, op_type):
    """`value` as a tensor of `ref`'s dtype; a Tensor of another dtype is TF's TypeError."""
    if isinstance(value, Tensor):
        if value.dtype.base_dtype != ref.dtype.base_dtype:
            raise TypeError(f"Input '{param}' of '{op_type}' Op has type {value.dtype.name} "
                            f"that does not match type {ref.dtype.name} of argument 'input'.")
        return value
    return convert_to_tensor(value, dtype=ref.dtype, name=param)


# -- shape rules ------------------------------------------------------------------------------
def _fmt(shape):
    if shape is None:
        return "?"
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


def _out_dim(n, k, s, padding, op_type):
    """TF's output size of one spatial dim (None when unknown)."""
    if n is None:
        return None
    if padding == "SAME":
        return -(-n // s)
    if k is None:
        return None
    if n < k:
        raise ValueError(f"Negative dimension size caused by subtracting {k} from {n} for "
                         f"'{op_type}' (op: '{op_type}')")
    return (n - k) // s + 1


def _rank4(s, i, op_type, what):
    shp = s.shapes[i]
    if shp is not None and len(shp) != 4:
        raise ValueError(f"Shape must be rank 4 but is rank {len(shp)} for '{op_type}' "
                         f"(op: '{op_type}') with input shapes: "
                         + ", ".join(_fmt(x) for x in s.shapes) + f". ({what})")
    return shp


def _sizes(s, i):
    """A 4-vector shape input as a tuple (None entries when it is not a constant)."""
    v = s.const(i)
    if v is None:
        return (None,) * 4
    v = [int(d) for d in np.ravel(v)]
    if len(v) != 4:
        raise ValueError(f"Sizes input of rank-4 op must have 4 elements, got {v}")
    return tuple(v)


def _merge(a, b):
    return a if a is not None else b


def _conv_shape(s):
    x = _rank4(s, 0, "Conv2D", "input")
    f = _rank4(s, 1, "Conv2D", "filter")
    if x is not None and f is not None and None not in (x[3], f[2]) and x[3] != f[2]:
        raise ValueError(f"Dimensions must be equal, but are {x[3]} and {f[2]} for 'Conv2D' "
                         f"(op: 'Conv2D') with input shapes: {_fmt(x)}, {_fmt(f)}.")
    x = x or (None,) * 4
    f = f or (None,) * 4
    st, pad = s.attrs["strides"], s.attrs["padding"]
    d = s.attrs.get("dilations") or (1, 1, 1, 1)
    kh = None if f[0] is None else (f[0] - 1) * d[1] + 1
    kw = None if f[1] is None else (f[1] - 1) * d[2] + 1
    return [(x[0], _out_dim(x[1], kh, st[1], pad, "Conv2D"),
             _out_dim(x[2], kw, st[2], pad, "Conv2D"), f[3])]


def _conv_bprop_input_shape(s):
    f = _rank4(s, 1, "Conv2DBackpropInput", "filter")
    dy = _rank4(s, 2, "Conv2DBackpropInput", "out_backprop")
    n, h, w, c = _sizes(s, 0)
    return [(_merge(n, dy and dy[0]), h, w, _merge(c, f and f[2]))]


def _conv_bprop_filter_shape(s):
    x = _rank4(s, 0, "Conv2DBackpropFilter", "input")
    dy = _rank4(s, 2, "Conv2DBackpropFilter", "out_backprop")
    kh, kw, c, o = _sizes(s, 1)
    return [(kh, kw, _merge(c, x and x[3]), _merge(o, dy and dy[3]))]


def _pool_shape(op_type):
    def rule(s):
        x = _rank4(s, 0, op_type, "input") or (None,) * 4
        k, st, pad = s.attrs["ksize"], s.attrs["strides"], s.attrs["padding"]
        return [(x[0], _out_dim(x[1], k[1], st[1], pad, op_type),
                 _out_dim(x[2], k[2], st[2], pad, op_type), x[3])]
    return rule


def _avg_pool_grad_shape(s):
    dy = _rank4(s, 1, "AvgPoolGrad", "grad")
    n, h, w, c = _sizes(s, 0)
    return [(_merge(n, dy and dy[0]), h, w, _merge(c, dy and dy[3]))]


def _nhwc_op(rule, op_type):
    """A shape rule that first refuses an NCHW op (an imported TF graph's): the kernels
    are NHWC, and the public functions build NCHW as NHWC between transposes."""
    def checked(s):
        fmt = s.attrs.get("data_format") or "NHWC"
        if fmt != "NHWC":
            raise NotImplementedError(f"jitgraph: {op_type} with data_format {fmt} as an op "
                                      f"(e.g. from an imported graph) is not supported; "
                                      f"tf.nn functions take NCHW and transpose it")
        return rule(s)
    return checked


def _spatial_sym(op, x):
    """Symbolic output dims: batch (and channels for pooling) pass through; a SAME stride-1
    window keeps the spatial size too, so downstream loops index directly."""
    st, pad = op.attrs["strides"], op.attrs["padding"]
    keep = [pad == "SAME" and st[i] == 1 for i in (1, 2)]
    return [x[1] if keep[0] else f"{op.name}:h", x[2] if keep[1] else f"{op.name}:w"]


def _conv_sym(op, ins):
    x, f = ins
    return [(x[0], *_spatial_sym(op, x), f[3])]


def _pool_sym(op, ins):
    x = ins[0]
    return [(x[0], *_spatial_sym(op, x), x[3])]


# -- numpy reference kernels ----------------------------------------------------------------
def _pads(n, k, s, padding):
    """(out, pad_before, pad_after) for one spatial dim, TF's SAME/VALID rule."""
    if padding == "SAME":
        out = -(-n // s)
        total = max((out - 1) * s + k - n, 0)
        return out, total // 2, total - total // 2
    if n < k:
        raise ValueError(f"Computed output size would be negative: {(n - k) // s + 1} "
                         f"[input_size: {n}, effective_filter_size: {k}, stride: {s}]")
    return (n - k) // s + 1, 0, 0


def _dilations(k):
    d = k.attrs.get("dilations") or (1, 1, 1, 1)
    return d[1], d[2]


def _geometry(k, hw, khw):
    """(sh, sw, oh, ow, numpy pads) of an op's window over spatial dims `hw`, the window
    `khw` dilated by the op's dilations (pooling has none)."""
    st, pad = k.attrs["strides"], k.attrs["padding"]
    dh, dw = _dilations(k)
    oh, ph0, ph1 = _pads(hw[0], (khw[0] - 1) * dh + 1, st[1], pad)
    ow, pw0, pw1 = _pads(hw[1], (khw[1] - 1) * dw + 1, st[2], pad)
    return st[1], st[2], oh, ow, ((0, 0), (ph0, ph1), (pw0, pw1), (0, 0))


def _window(xp, di, dj, sh, sw, oh, ow):
    """The (di, dj) element of every window (offsets already dilated): a strided view
    [n, oh, ow, c] of padded xp."""
    return xp[:, di:di + sh * (oh - 1) + 1:sh, dj:dj + sw * (ow - 1) + 1:sw, :]


def _out_dtype(k):
    return k.op.outputs[0].dtype.as_numpy_dtype


def _conv_np(k, x, f):
    kh, kw, c, o = f.shape
    if x.shape[3] != c:
        raise ValueError(f"input depth {x.shape[3]} does not match filter depth {c}")
    sh, sw, oh, ow, pads = _geometry(k, x.shape[1:3], (kh, kw))
    dh, dw = _dilations(k)
    xp = np.pad(x, pads)
    out = np.zeros((x.shape[0], oh, ow, o), np.result_type(x, f))
    for di in range(kh):
        for dj in range(kw):
            out += _window(xp, di * dh, dj * dw, sh, sw, oh, ow) @ f[di, dj]
    return np.asarray(out, _out_dtype(k))


def _conv_bprop_input_np(k, sizes, f, dy):
    n, h, w, c = (int(v) for v in sizes)
    kh, kw, _, o = f.shape
    sh, sw, oh, ow, pads = _geometry(k, (h, w), (kh, kw))
    if dy.shape != (n, oh, ow, o):
        raise ValueError(f"Conv2DBackpropInput: out_backprop shape {dy.shape} does not match "
                         f"the computed {(n, oh, ow, o)}")
    dh, dw = _dilations(k)
    dxp = np.zeros((n, h + sum(pads[1]), w + sum(pads[2]), c), np.result_type(f, dy))
    for di in range(kh):
        for dj in range(kw):
            _window(dxp, di * dh, dj * dw, sh, sw, oh, ow)[...] += dy @ f[di, dj].T
    dx = dxp[:, pads[1][0]:pads[1][0] + h, pads[2][0]:pads[2][0] + w, :]
    return np.asarray(dx, _out_dtype(k))


def _conv_bprop_filter_np(k, x, sizes, dy):
    kh, kw, c, o = (int(v) for v in sizes)
    sh, sw, oh, ow, pads = _geometry(k, x.shape[1:3], (kh, kw))
    if dy.shape != (x.shape[0], oh, ow, o) or x.shape[3] != c:
        raise ValueError(f"Conv2DBackpropFilter: out_backprop shape {dy.shape} does not "
                         f"match the computed {(x.shape[0], oh, ow, o)}")
    dh, dw = _dilations(k)
    xp = np.pad(x, pads)
    df = np.zeros((kh, kw, c, o), np.result_type(x, dy))
    for di in range(kh):
        for dj in range(kw):
            df[di, dj] = np.tensordot(_window(xp, di * dh, dj * dw, sh, sw, oh, ow), dy,
                                      axes=([0, 1, 2], [0, 1, 2]))
    return np.asarray(df, _out_dtype(k))


def _lowest(dt):
    dt = np.dtype(dt)
    return -np.inf if dt.kind == "f" else np.iinfo(dt).min


def _max_pool_np(k, x):
    kh, kw = k.attrs["ksize"][1:3]
    sh, sw, oh, ow, pads = _geometry(k, x.shape[1:3], (kh, kw))
    xp = np.pad(x, pads, constant_values=_lowest(x.dtype))
    out = np.full((x.shape[0], oh, ow, x.shape[3]), _lowest(x.dtype), x.dtype)
    for di in range(kh):
        for dj in range(kw):
            np.maximum(out, _window(xp, di, dj, sh, sw, oh, ow), out=out)
    return out


def _max_pool_grad_np(k, x, y, dy):
    kh, kw = k.attrs["ksize"][1:3]
    sh, sw, oh, ow, pads = _geometry(k, x.shape[1:3], (kh, kw))
    # Pad with NaN-free "never wins" values: a padded element is never a window's max.
    xp = np.pad(np.asarray(x, np.float64), pads, constant_values=-np.inf)
    best = np.full(dy.shape, -np.inf)
    arg = np.full(dy.shape, -1)
    for idx in range(kh * kw):  # row-major: a later equal value never takes the max over
        v = _window(xp, idx // kw, idx % kw, sh, sw, oh, ow)
        take = (v > best) | (arg < 0) & (v > -np.inf)
        best = np.where(take, v, best)
        arg = np.where(take, idx, arg)
    dxp = np.zeros(xp.shape, dy.dtype)
    for idx in range(kh * kw):
        _window(dxp, idx // kw, idx % kw, sh, sw, oh, ow)[...] += np.where(arg == idx, dy, 0)
    dx = dxp[:, pads[1][0]:pads[1][0] + x.shape[1], pads[2][0]:pads[2][0] + x.shape[2], :]
    return np.asarray(dx, _out_dtype(k))


def _avg_counts(k, n_hw, pads, khw, sh, sw, oh, ow):
    """How many input (not padding) elements each window holds: [1, oh, ow, 1]."""
    ones = np.pad(np.ones((1,) + tuple(n_hw) + (1,)), pads)
    cnt = np.zeros((1, oh, ow, 1))
    for di in range(khw[0]):
        for dj in range(khw[1]):
            cnt += _window(ones, di, dj, sh, sw, oh, ow)
    return np.maximum(cnt, 1)


def _avg_pool_np(k, x):
    kh, kw = k.attrs["ksize"][1:3]
    sh, sw, oh, ow, pads = _geometry(k, x.shape[1:3], (kh, kw))
    xp = np.pad(x, pads)
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]), np.float64)
    for di in range(kh):
        for dj in range(kw):
            out += _window(xp, di, dj, sh, sw, oh, ow)
    out /= _avg_counts(k, x.shape[1:3], pads, (kh, kw), sh, sw, oh, ow)
    return np.asarray(out, x.dtype)


def _avg_pool_grad_np(k, sizes, dy):
    n, h, w, c = (int(v) for v in sizes)
    kh, kw = k.attrs["ksize"][1:3]
    sh, sw, oh, ow, pads = _geometry(k, (h, w), (kh, kw))
    if dy.shape != (n, oh, ow, c):
        raise ValueError(f"AvgPoolGrad: grad shape {dy.shape} does not match the computed "
                         f"{(n, oh, ow, c)}")
    share = dy / _avg_counts(k, (h, w), pads, (kh, kw), sh, sw, oh, ow)
    dxp = np.zeros((n, h + sum(pads[1]), w + sum(pads[2]), c), np.float64)
    for di in range(kh):
        for dj in range(kw):
            _window(dxp, di, dj, sh, sw, oh, ow)[...] += share
    dx = dxp[:, pads[1][0]:pads[1][0] + h, pads[2][0]:pads[2][0] + w, :]
    return np.asarray(dx, dy.dtype)


# -- emitters ---------------------------------------------------------------------------------
def _float4(*inputs):
    """The compiled kernels take float32/float64 NHWC arrays at these inputs."""
    def host_if(c):
        for i in inputs:
            if c.dtype(i).name not in ("float32", "float64"):
                return f"{c.op.type} of {c.dtype(i).name} has no compiled kernel"
            if c.rank(i) != 4:
                return f"{c.op.type} of rank {c.rank(i)} has no compiled kernel"
        return None
    return host_if


def _geom_args(g):
    st = g.attrs["strides"]
    return f"{st[1]}, {st[2]}, {g.attrs['padding'] == 'SAME'}"


def _conv_args(g):
    st, d = g.attrs["strides"], g.attrs.get("dilations") or (1, 1, 1, 1)
    return f"{st[1]}, {st[2]}, {d[1]}, {d[2]}, {g.attrs['padding'] == 'SAME'}"


def _pool_args(g):
    ks = g.attrs["ksize"]
    return f"{ks[1]}, {ks[2]}, {_geom_args(g)}"


def _kernel_emit(kernel):
    """A convolution-family op's call: its three inputs, then strides, dilations, SAME."""
    def emit(g):
        g.out(f"K.{kernel}({g.arr(0)}, {g.arr(1)}, {_conv_args(g)})" if kernel.endswith("fwd")
              else f"K.{kernel}({g.arr(0)}, {g.arr(1)}, {g.arr(2)}, {_conv_args(g)})")
    return emit


_conv_emit = _kernel_emit("conv2d_fwd")
_conv_bprop_input_emit = _kernel_emit("conv2d_bprop_input")
_conv_bprop_filter_emit = _kernel_emit("conv2d_bprop_filter")


def _max_pool_emit(g):
    g.out(f"K.pool_max({g.arr(0)}, {_pool_args(g)})")


def _max_pool_grad_emit(g):
    g.out(f"K.pool_max_grad({g.arr(0)}, {g.arr(1)}, {g.arr(2)}, {_pool_args(g)})")


def _avg_pool_emit(g):
    g.out(f"K.pool_avg({g.arr(0)}, {_pool_args(g)})")


def _avg_pool_grad_emit(g):
    g.out(f"K.pool_avg_grad({g.arr(0)}, {g.arr(1)}, {_pool_args(g)})")


# -- gradients ------------------------------------------------------------------------------
def _conv_attrs(op):
    return {k: op.attrs[k] for k in ("strides", "padding", "data_format", "dilations")}


def _with_shape(t, like):
    """The static shape of `like` on `t`: a shape input that is not a constant (an unknown
    batch) would otherwise lose the known spatial dims."""
    t.set_shape(like.shape)
    return t


def _bprop_input(sizes, f, dy, attrs, like=None):
    t = make_tensor("Conv2DBackpropInput", [sizes, f, dy], dy.dtype, attrs,
                    name="Conv2DBackpropInput")
    return _with_shape(t, like) if like is not None else t


def _bprop_filter(x, sizes, dy, attrs, like=None):
    t = make_tensor("Conv2DBackpropFilter", [x, sizes, dy], dy.dtype, attrs,
                    name="Conv2DBackpropFilter")
    return _with_shape(t, like) if like is not None else t


def _conv_grad(op, dy):
    x, f = op.inputs
    attrs = _conv_attrs(op)
    return [_bprop_input(shape_op(x), f, dy, attrs, x),
            _bprop_filter(x, shape_op(f), dy, attrs, f)]


def _conv_bprop_input_grad(op, ddx):
    sizes, f, dy = op.inputs
    attrs = _conv_attrs(op)
    return [None, _bprop_filter(ddx, shape_op(f), dy, attrs, f),
            make_tensor("Conv2D", [ddx, f], ddx.dtype, attrs, name="Conv2D")]


def _conv_bprop_filter_grad(op, ddw):
    x, sizes, dy = op.inputs
    attrs = _conv_attrs(op)
    return [_bprop_input(shape_op(x), ddw, dy, attrs, x), None,
            make_tensor("Conv2D", [x, ddw], x.dtype, attrs, name="Conv2D")]


def _pool_attrs(op):
    return {k: op.attrs[k] for k in ("ksize", "strides", "padding", "data_format")}


def _max_pool_grad(op, dy):
    x, y = op.inputs[0], op.outputs[0]
    return [make_tensor("MaxPoolGrad", [x, y, dy], x.dtype, _pool_attrs(op),
                        name="MaxPoolGrad")]


def _avg_pool_grad(op, dy):
    x = op.inputs[0]
    t = make_tensor("AvgPoolGrad", [shape_op(x), dy], dy.dtype, _pool_attrs(op),
                    name="AvgPoolGrad")
    return [_with_shape(t, x)]


def _avg_pool_grad_grad(op, ddx):
    return [None, make_tensor("AvgPool", [ddx], ddx.dtype, _pool_attrs(op), name="AvgPool")]


register("Conv2D", shape=_nhwc_op(_conv_shape, "Conv2D"), numpy=_conv_np, emit=_conv_emit,
         grad=_conv_grad, sym=_conv_sym, host_if=_float4(0, 1))
register("Conv2DBackpropInput",
         shape=_nhwc_op(_conv_bprop_input_shape, "Conv2DBackpropInput"),
         numpy=_conv_bprop_input_np, emit=_conv_bprop_input_emit,
         grad=_conv_bprop_input_grad, host_if=_float4(1, 2))
register("Conv2DBackpropFilter",
         shape=_nhwc_op(_conv_bprop_filter_shape, "Conv2DBackpropFilter"),
         numpy=_conv_bprop_filter_np, emit=_conv_bprop_filter_emit,
         grad=_conv_bprop_filter_grad, host_if=_float4(0, 2))
register("MaxPool", shape=_nhwc_op(_pool_shape("MaxPool"), "MaxPool"), numpy=_max_pool_np,
         emit=_max_pool_emit, grad=_max_pool_grad, sym=_pool_sym, host_if=_float4(0))
# (MaxPoolGrad has no gradient: TF's MaxPoolGradGrad is not implemented.) Its kernel finds
# each window's max from orig_output, MaxPool's own result; the numpy face recomputes it.
register("MaxPoolGrad", shape=_nhwc_op(lambda s: [s.shapes[0]], "MaxPoolGrad"),
         numpy=_max_pool_grad_np, emit=_max_pool_grad_emit, sym=lambda op, ins: [ins[0]],
         host_if=_float4(0, 1, 2))
register("AvgPool", shape=_nhwc_op(_pool_shape("AvgPool"), "AvgPool"), numpy=_avg_pool_np,
         emit=_avg_pool_emit, grad=_avg_pool_grad, sym=_pool_sym, host_if=_float4(0))
register("AvgPoolGrad", shape=_nhwc_op(_avg_pool_grad_shape, "AvgPoolGrad"),
         numpy=_avg_pool_grad_np, emit=_avg_pool_grad_emit, grad=_avg_pool_grad_grad,
         host_if=_float4(1))


# -- public functions (tf.nn) -------------------------------------------------------------
def _conv_op_attrs(strides, padding, dilations, op_type, channels_first=False):
    """The NHWC op's attrs from strides/dilations given in the caller's format."""
    ci = 1 if channels_first else 3
    strides = _get_sequence(strides, "strides", 2, ci)
    dilations = _get_sequence(dilations, "dilations", 2, ci)
    if channels_first:
        strides, dilations = _to_nhwc(strides), _to_nhwc(dilations)
    _check_strides(strides, "strides", op_type)
    _check_strides(dilations, "dilations", op_type)
    return {"strides": strides, "padding": _check_padding(padding, op_type),
            "data_format": "NHWC", "dilations": dilations}


# NCHW runs as NHWC between two transposes: the kernels need channels innermost (a patch
# row, a window max over contiguous channels), and the transposes cost a copy each.
def _nhwc(x, channels_first):
    return transpose(x, [0, 2, 3, 1]) if channels_first else x


def _from_nhwc(y, channels_first, name):
    return transpose(y, [0, 3, 1, 2], name=name or "transpose") if channels_first else y


def _nhwc_sizes(sizes, channels_first):
    """An NCHW shape vector (a tensor or a list), reordered to NHWC."""
    if not channels_first:
        return sizes
    if isinstance(sizes, Tensor):
        return gather(sizes, [0, 2, 3, 1])
    return [int(v) for v in np.asarray(sizes)[[0, 2, 3, 1]]]


def conv2d(input, filter=None, strides=None, padding=None, use_cudnn_on_gpu=True,  # noqa: A002
           data_format="NHWC", dilations=(1, 1, 1, 1), name=None, filters=None):
    """`tf.nn.conv2d`: input [batch, h, w, in] * filter [kh, kw, in, out] (or NCHW input)."""
    if filter is None:
        filter = filters  # noqa: A001 - TF's argument name
    if filter is None:
        raise ValueError("conv2d: 'filter' is required")
    if padding is None:
        raise TypeError("conv2d() missing required argument: 'padding'")
    cf = _channels_first(data_format)
    attrs = _conv_op_attrs(strides, padding, dilations, "Conv2D", cf)
    x = convert_to_tensor(input, name="input")
    _check_dtype(x, "Conv2D")
    f = _like(filter, x, "filter", "Conv2D")
    attrs["use_cudnn_on_gpu"] = bool(use_cudnn_on_gpu)
    y = make_tensor("Conv2D", [_nhwc(x, cf), f], x.dtype, attrs,
                    name="Conv2D" if cf else name or "Conv2D")
    return _from_nhwc(y, cf, name)


def conv2d_backprop_input(input_sizes, filter, out_backprop, strides,  # noqa: A002
                          padding, use_cudnn_on_gpu=True, data_format="NHWC",
                          dilations=(1, 1, 1, 1), name=None):
    """`tf.nn.conv2d_backprop_input`: the gradient of conv2d wrt an input of `input_sizes`."""
    cf = _channels_first(data_format)
    attrs = _conv_op_attrs(strides, padding, dilations, "Conv2DBackpropInput", cf)
    dy = convert_to_tensor(out_backprop, name="out_backprop")
    _check_dtype(dy, "Conv2DBackpropInput", param="out_backprop")
    f = _like(filter, dy, "filter", "Conv2DBackpropInput")
    sizes = convert_to_tensor(_nhwc_sizes(input_sizes, cf), dtype=dtypes.int32,
                              name="input_sizes")
    dx = make_tensor("Conv2DBackpropInput", [sizes, f, _nhwc(dy, cf)], dy.dtype, attrs,
                     name="Conv2DBackpropInput" if cf else name or "Conv2DBackpropInput")
    return _from_nhwc(dx, cf, name)


def conv2d_backprop_filter(input, filter_sizes, out_backprop, strides,  # noqa: A002
                           padding, use_cudnn_on_gpu=True, data_format="NHWC",
                           dilations=(1, 1, 1, 1), name=None):
    """`tf.nn.conv2d_backprop_filter`: the gradient of conv2d wrt a filter of `filter_sizes`."""
    cf = _channels_first(data_format)
    attrs = _conv_op_attrs(strides, padding, dilations, "Conv2DBackpropFilter", cf)
    x = convert_to_tensor(input, name="input")
    _check_dtype(x, "Conv2DBackpropFilter")
    dy = _like(out_backprop, x, "out_backprop", "Conv2DBackpropFilter")
    sizes = convert_to_tensor(filter_sizes, dtype=dtypes.int32, name="filter_sizes")
    return make_tensor("Conv2DBackpropFilter", [_nhwc(x, cf), sizes, _nhwc(dy, cf)], x.dtype,
                       attrs, name=name or "Conv2DBackpropFilter")


def conv2d_transpose(value=None, filter=None, output_shape=None, strides=None,  # noqa: A002
                     padding="SAME", data_format="NHWC", name=None, input=None,  # noqa: A002
                     filters=None, dilations=None):
    """`tf.nn.conv2d_transpose`: the gradient of conv2d wrt its input, as a layer: value
    [batch, h, w, in] with filter [kh, kw, out, in] gives `output_shape`."""
    value = input if value is None else value
    filter = filters if filter is None else filter  # noqa: A001 - TF's argument name
    with get_default_graph().name_scope(name or "conv2d_transpose") as scope:
        value = convert_to_tensor(value, name="value")
        f = _like(filter, value, "filter", "Conv2DBackpropInput")
        axis = 1 if _channels_first(data_format) else 3
        vc, fs = value.shape.as_tuple(), f.shape.as_tuple()
        if vc is not None and fs is not None and None not in (vc[axis], fs[3]) \
                and vc[axis] != fs[3]:
            raise ValueError(f"input channels does not match filter's input channels, "
                             f"{vc[axis]} != {fs[3]}")
        out = output_shape
        known = None if isinstance(out, Tensor) else np.asarray(out)
        if known is not None:
            if known.shape != (4,):
                raise ValueError(f"output_shape must have shape (4,), got {known.shape}")
            if fs is not None and fs[2] is not None and int(known[axis]) != fs[2]:
                raise ValueError(f"output_shape does not match filter's output channels, "
                                 f"{int(known[axis])} != {fs[2]}")
        return conv2d_backprop_input(out, f, value, strides, padding, data_format=data_format,
                                     dilations=dilations, name=scope.rstrip("/"))


def conv1d(value=None, filters=None, stride=None, padding=None,
           use_cudnn_on_gpu=None, data_format=None, name=None, input=None,  # noqa: A002
           dilations=None):
    """`tf.nn.conv1d`: value [batch, width, in] * filters [kw, in, out] (or NCW), as TF
    computes it: a conv2d over a height-1 image."""
    value = input if value is None else value
    with get_default_graph().name_scope(name or "conv1d") as scope:
        if data_format in (None, "NHWC", "NWC"):
            fmt, axis, ci = "NHWC", 1, 2
        elif data_format in ("NCHW", "NCW"):
            fmt, axis, ci = "NCHW", 2, 1
        else:
            raise ValueError('data_format must be "NWC" or "NCW".')
        stride = [1] + _get_sequence(stride, "stride", 1, ci)
        dilations = [1] + _get_sequence(dilations, "dilations", 1, ci)
        x = expand_dims(convert_to_tensor(value, name="value"), axis)
        f = expand_dims(convert_to_tensor(filters, name="filters"), 0)
        y = conv2d(x, f, stride, padding, data_format=fmt, dilations=dilations)
        return squeeze(y, [axis], name=scope.rstrip("/"))


def atrous_conv2d(value, filters, rate, padding, name=None):
    """`tf.nn.atrous_conv2d`: conv2d with its filter dilated by `rate` (holes between taps)."""
    if rate < 1:
        raise ValueError(f"rate {rate} cannot be less than one")
    return conv2d(value, filters, [1, 1, 1, 1], padding, dilations=[1, rate, rate, 1],
                  name=name)


def _pool(op_type, allowed, value, ksize, strides, padding, data_format, name):
    cf = _channels_first(data_format)
    ci = 1 if cf else 3
    ksize = _get_sequence(ksize, "ksize", 2, ci)
    strides = _get_sequence(strides, "strides", 2, ci)
    if cf:
        ksize, strides = _to_nhwc(ksize), _to_nhwc(strides)
    if ksize[0] != 1 or ksize[3] != 1:
        raise ValueError(f"Pooling is not yet supported on the batch or depth dimension "
                         f"(op: '{op_type}')")
    _check_strides(strides, "strides", op_type)
    if min(ksize) < 1:
        raise ValueError(f"Sliding window ksize must be positive, got {ksize}")
    attrs = {"ksize": ksize, "strides": strides, "padding": _check_padding(padding, op_type),
             "data_format": "NHWC"}
    x = convert_to_tensor(value, name="input")
    _check_dtype(x, op_type, allowed)
    y = make_tensor(op_type, [_nhwc(x, cf)], x.dtype, attrs,
                    name=op_type if cf else name or op_type)
    return _from_nhwc(y, cf, name)


def max_pool(value, ksize, strides, padding, data_format="NHWC", name=None, input=None):  # noqa: A002
    """`tf.nn.max_pool`: the max over each [ksize] window."""
    if value is None:
        value = input
    return _pool("MaxPool", _POOL_TYPES, value, ksize, strides, padding, data_format, name)


def avg_pool(value, ksize, strides, padding, data_format="NHWC", name=None, input=None):  # noqa: A002
    """`tf.nn.avg_pool`: the mean over each window's input elements (padding not counted)."""
    if value is None:
        value = input
    return _pool("AvgPool", _FLOATS, value, ksize, strides, padding, data_format, name)
