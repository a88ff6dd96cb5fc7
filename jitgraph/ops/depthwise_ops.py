"""Depthwise convolution (NHWC): DepthwiseConv2dNative and TF's two gradient ops, and the
tf.nn functions built on it (`depthwise_conv2d`, `separable_conv2d`).

x [n, h, w, c] with a filter [kh, kw, c, m] gives [n, oh, ow, c*m]: output channel
ch*m + q sees input channel ch only. Each op compiles to a loop kernel in
`codegen/depthwise_kernels.py`; the numpy kernels here are the reference, written per
window offset like those of `conv_ops.py`.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.framework.graph import get_default_graph
from jitgraph.ops.array_ops import shape as shape_op
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.conv_ops import (_channels_first, _check_dtype, _conv_attrs, _conv_op_attrs,
                                   _dilations, _float4, _fmt, _from_nhwc, _geometry,
                                   _get_sequence, _kernel_emit, _like, _merge, _nhwc, _nhwc_op,
                                   _nhwc_sizes, _out_dim, _out_dtype, _rank4, _sizes,
                                   _spatial_sym, _window, _with_shape, conv2d)
from jitgraph.ops.registry import make_tensor, register

_FWD, _BPI, _BPF = ("DepthwiseConv2dNative", "DepthwiseConv2dNativeBackpropInput",
                    "DepthwiseConv2dNativeBackpropFilter")


# -- shape rules ------------------------------------------------------------------------------
def _fwd_shape(s):
    x = _rank4(s, 0, _FWD, "input")
    f = _rank4(s, 1, _FWD, "filter")
    if x is not None and f is not None and None not in (x[3], f[2]) and x[3] != f[2]:
        raise ValueError(f"Dimensions must be equal, but are {x[3]} and {f[2]} for '{_FWD}' "
                         f"(op: '{_FWD}') with input shapes: {_fmt(x)}, {_fmt(f)}.")
    x = x or (None,) * 4
    f = f or (None,) * 4
    st, pad = s.attrs["strides"], s.attrs["padding"]
    d = s.attrs.get("dilations") or (1, 1, 1, 1)
    kh = None if f[0] is None else (f[0] - 1) * d[1] + 1
    kw = None if f[1] is None else (f[1] - 1) * d[2] + 1
    c = _merge(x[3], f[2])
    return [(x[0], _out_dim(x[1], kh, st[1], pad, _FWD), _out_dim(x[2], kw, st[2], pad, _FWD),
             None if c is None or f[3] is None else c * f[3])]


def _bpi_shape(s):
    f = _rank4(s, 1, _BPI, "filter")
    dy = _rank4(s, 2, _BPI, "out_backprop")
    n, h, w, c = _sizes(s, 0)
    return [(_merge(n, dy and dy[0]), h, w, _merge(c, f and f[2]))]


def _bpf_shape(s):
    x = _rank4(s, 0, _BPF, "input")
    kh, kw, c, m = _sizes(s, 1)
    return [(kh, kw, _merge(c, x and x[3]), m)]


def _fwd_sym(op, ins):
    x, f = ins
    return [(x[0], *_spatial_sym(op, x), None)]


# -- numpy reference kernels ----------------------------------------------------------------
def _fwd_np(k, x, f):
    kh, kw, c, m = f.shape
    if x.shape[3] != c:
        raise ValueError(f"input depth {x.shape[3]} does not match filter depth {c}")
    sh, sw, oh, ow, pads = _geometry(k, x.shape[1:3], (kh, kw))
    dh, dw = _dilations(k)
    xp = np.pad(x, pads)
    n = x.shape[0]
    out = np.zeros((n, oh, ow, c, m), np.result_type(x, f))
    for di in range(kh):
        for dj in range(kw):
            out += _window(xp, di * dh, dj * dw, sh, sw, oh, ow)[..., None] * f[di, dj]
    return np.asarray(out.reshape(n, oh, ow, c * m), _out_dtype(k))


def _bpi_np(k, sizes, f, dy):
    n, h, w, c = (int(v) for v in sizes)
    kh, kw, _, m = f.shape
    sh, sw, oh, ow, pads = _geometry(k, (h, w), (kh, kw))
    if dy.shape != (n, oh, ow, c * m):
        raise ValueError(f"{_BPI}: out_backprop shape {dy.shape} does not match the computed "
                         f"{(n, oh, ow, c * m)}")
    dh, dw = _dilations(k)
    dy5 = dy.reshape(n, oh, ow, c, m)
    dxp = np.zeros((n, h + sum(pads[1]), w + sum(pads[2]), c), np.result_type(f, dy))
    for di in range(kh):
        for dj in range(kw):
            _window(dxp, di * dh, dj * dw, sh, sw, oh, ow)[...] += (dy5 * f[di, dj]).sum(-1)
    dx = dxp[:, pads[1][0]:pads[1][0] + h, pads[2][0]:pads[2][0] + w, :]
    return np.asarray(dx, _out_dtype(k))


def _bpf_np(k, x, sizes, dy):
    kh, kw, c, m = (int(v) for v in sizes)
    n = x.shape[0]
    sh, sw, oh, ow, pads = _geometry(k, x.shape[1:3], (kh, kw))
    if dy.shape != (n, oh, ow, c * m) or x.shape[3] != c:
        raise ValueError(f"{_BPF}: out_backprop shape {dy.shape} does not match the computed "
                         f"{(n, oh, ow, c * m)}")
    dh, dw = _dilations(k)
    xp = np.pad(x, pads)
    dy5 = dy.reshape(n, oh, ow, c, m)
    df = np.zeros((kh, kw, c, m), np.result_type(x, dy))
    for di in range(kh):
        for dj in range(kw):
            df[di, dj] = np.einsum("bijc,bijcm->cm",
                                   _window(xp, di * dh, dj * dw, sh, sw, oh, ow), dy5)
    return np.asarray(df, _out_dtype(k))


# -- gradients ------------------------------------------------------------------------------
def _bpi(sizes, f, dy, attrs, like=None):
    t = make_tensor(_BPI, [sizes, f, dy], dy.dtype, attrs, name=_BPI)
    return _with_shape(t, like) if like is not None else t


def _bpf(x, sizes, dy, attrs, like=None):
    t = make_tensor(_BPF, [x, sizes, dy], dy.dtype, attrs, name=_BPF)
    return _with_shape(t, like) if like is not None else t


def _fwd_grad(op, dy):
    x, f = op.inputs
    attrs = _conv_attrs(op)
    return [_bpi(shape_op(x), f, dy, attrs, x), _bpf(x, shape_op(f), dy, attrs, f)]


def _bpi_grad(op, ddx):
    sizes, f, dy = op.inputs
    attrs = _conv_attrs(op)
    return [None, _bpf(ddx, shape_op(f), dy, attrs, f),
            make_tensor(_FWD, [ddx, f], ddx.dtype, attrs, name=_FWD)]


def _bpf_grad(op, ddf):
    x, sizes, dy = op.inputs
    attrs = _conv_attrs(op)
    return [_bpi(shape_op(x), ddf, dy, attrs, x), None,
            make_tensor(_FWD, [x, ddf], x.dtype, attrs, name=_FWD)]


register(_FWD, shape=_nhwc_op(_fwd_shape, _FWD), numpy=_fwd_np,
         emit=_kernel_emit("depthwise_fwd"), grad=_fwd_grad, sym=_fwd_sym,
         host_if=_float4(0, 1))
register(_BPI, shape=_nhwc_op(_bpi_shape, _BPI), numpy=_bpi_np,
         emit=_kernel_emit("depthwise_bprop_input"), grad=_bpi_grad, host_if=_float4(1, 2))
register(_BPF, shape=_nhwc_op(_bpf_shape, _BPF), numpy=_bpf_np,
         emit=_kernel_emit("depthwise_bprop_filter"), grad=_bpf_grad, host_if=_float4(0, 2))


# -- public functions (tf.nn) -------------------------------------------------------------
def depthwise_conv2d_native(input, filter, strides, padding, data_format="NHWC",  # noqa: A002
                            dilations=(1, 1, 1, 1), name=None):
    """`tf.nn.depthwise_conv2d_native`: the op itself (strides and dilations as 4-vectors)."""
    cf = _channels_first(data_format)
    attrs = _conv_op_attrs(strides, padding, dilations, _FWD, cf)
    x = convert_to_tensor(input, name="input")
    _check_dtype(x, _FWD)
    f = _like(filter, x, "filter", _FWD)
    y = make_tensor(_FWD, [_nhwc(x, cf), f], x.dtype, attrs, name=_FWD if cf else name or _FWD)
    return _from_nhwc(y, cf, name)


def depthwise_conv2d_native_backprop_input(input_sizes, filter, out_backprop,  # noqa: A002
                                           strides, padding, data_format="NHWC",
                                           dilations=(1, 1, 1, 1), name=None):
    cf = _channels_first(data_format)
    attrs = _conv_op_attrs(strides, padding, dilations, _BPI, cf)
    dy = convert_to_tensor(out_backprop, name="out_backprop")
    f = _like(filter, dy, "filter", _BPI)
    sizes = convert_to_tensor(_nhwc_sizes(input_sizes, cf), dtype=dtypes.int32,
                              name="input_sizes")
    dx = make_tensor(_BPI, [sizes, f, _nhwc(dy, cf)], dy.dtype, attrs,
                     name=_BPI if cf else name or _BPI)
    return _from_nhwc(dx, cf, name)


def depthwise_conv2d_native_backprop_filter(input, filter_sizes, out_backprop,  # noqa: A002
                                            strides, padding, data_format="NHWC",
                                            dilations=(1, 1, 1, 1), name=None):
    cf = _channels_first(data_format)
    attrs = _conv_op_attrs(strides, padding, dilations, _BPF, cf)
    x = convert_to_tensor(input, name="input")
    dy = _like(out_backprop, x, "out_backprop", _BPF)
    sizes = convert_to_tensor(filter_sizes, dtype=dtypes.int32, name="filter_sizes")
    return make_tensor(_BPF, [_nhwc(x, cf), sizes, _nhwc(dy, cf)], x.dtype, attrs,
                       name=name or _BPF)


def _rate(rate, dilations, strides, channel_index):
    """TF's depthwise/separable rule: `rate` (or `dilations`) as a spatial pair, and no
    dilation together with a stride."""
    rate = dilations if rate is None else rate
    rate = _get_sequence(rate, "dilations", 2, channel_index)
    rate = rate[2:4] if channel_index == 1 else rate[1:3]
    st = _get_sequence(strides, "strides", 2, channel_index)
    st = st[2:4] if channel_index == 1 else st[1:3]
    if any(r < 1 for r in rate):
        raise ValueError(f"dilation_rate must be positive, got {rate}")
    if any(r > 1 for r in rate) and any(s > 1 for s in st):
        raise ValueError("strides > 1 not supported in conjunction with dilation_rate > 1")
    return [1, 1] + rate if channel_index == 1 else [1] + rate + [1]


def depthwise_conv2d(input, filter, strides, padding, rate=None, name=None,  # noqa: A002
                     data_format=None, dilations=None):
    """`tf.nn.depthwise_conv2d`: each input channel convolved with its own `m` filters,
    filter [kh, kw, in, m] -> [batch, oh, ow, in * m]; `rate` dilates the filter."""
    ci = 1 if _channels_first(data_format) else 3
    with get_default_graph().name_scope(name or "depthwise") as scope:
        d = _rate(rate, dilations, strides, ci)
        return depthwise_conv2d_native(input, filter, strides, padding,
                                       data_format=data_format or "NHWC", dilations=d,
                                       name=scope.rstrip("/"))


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding,  # noqa: A002
                     rate=None, name=None, data_format=None, dilations=None):
    """`tf.nn.separable_conv2d`: a depthwise convolution, then a 1x1 convolution mixing
    channels (pointwise_filter [1, 1, in * m, out])."""
    ci = 1 if _channels_first(data_format) else 3
    with get_default_graph().name_scope(name or "separable_conv2d") as scope:
        pw = convert_to_tensor(pointwise_filter, name="pointwise_filter")
        ps = pw.shape.as_tuple()
        if ps is not None and (len(ps) != 4 or ps[0] not in (1, None)
                               or ps[1] not in (1, None)):
            raise ValueError(f"Shape must be rank 4 with 1x1 spatial dims for "
                             f"pointwise_filter, got {_fmt(ps)}")
        d = _rate(rate, dilations, strides, ci)
        y = depthwise_conv2d_native(input, depthwise_filter, strides, padding,
                                    data_format=data_format or "NHWC", dilations=d,
                                    name="depthwise")
        return conv2d(y, pw, [1, 1, 1, 1], "VALID", data_format=data_format or "NHWC",
                      name=scope.rstrip("/"))
