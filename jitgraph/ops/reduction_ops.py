"""Reductions (`reduce_sum/mean/max/min/prod/any/all`) and the broadcast-gradient sum.

Float sums and means over consecutive axes, and max/min over trailing axes, call the
kernels in `codegen/reduce_kernels.py` (blocked sums with float64 totals, NaN-keeping
lane-parallel extremes) on a 2-D or 3-D view of the input. The rest are emitted as loop
nests: kept dims outside and a scalar accumulator inside when the last dim is reduced;
otherwise accumulation into the output row, so the inner loop stays contiguous and
vectorizes. Float sums in loop nests accumulate in float64.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.ops.constant import constant_value, convert_to_tensor
from jitgraph.ops.registry import make_tensor, register

# op type -> (numpy reducer, accumulator init, combine template)
_REDUCERS = {
    "Sum": (np.sum, "0", "{a} + {x}"),
    "Mean": (np.mean, "0", "{a} + {x}"),
    "Prod": (np.prod, "1", "{a} * {x}"),
    "Max": (np.max, "-inf", "max({a}, {x})"),
    "Min": (np.min, "inf", "min({a}, {x})"),
    "All": (np.all, "True", "{a} and {x}"),
    "Any": (np.any, "False", "{a} or {x}"),
}

# Float max/min as numpy's: a NaN anywhere wins (Python's max(a, nan) is a, max(nan, a)
# nan: the answer would depend on where the NaN sits).
_FLOAT_COMBINE = {
    "Max": "({a} if {a} >= {x} or {a} != {a} else {x})",
    "Min": "({a} if {a} <= {x} or {a} != {a} else {x})",
}


def _norm_axes(axis, rank):
    if axis is None:
        return tuple(range(rank))
    axes = np.atleast_1d(np.asarray(axis)).astype(int).tolist()
    out = []
    for a in axes:
        if not -rank <= a < max(rank, 1):
            raise ValueError(f"Invalid reduction dimension {a} for input with {rank} "
                             "dimensions.")
        out.append(a % rank if rank else 0)
    return tuple(sorted(set(out)))


def _reduce_shape(s):
    x = s.shapes[0]
    if x is None:
        # A reduction over all axes is a scalar whatever the input's rank.
        return [() if s.attrs["axis"] is None and not s.attrs["keepdims"] else None]
    axes = _norm_axes(s.attrs["axis"], len(x))
    if s.attrs["keepdims"]:
        return [tuple(1 if i in axes else d for i, d in enumerate(x))]
    return [tuple(d for i, d in enumerate(x) if i not in axes)]


def _reduce_np(op_type):
    fn = _REDUCERS[op_type][0]

    def kernel(k, x):
        axes = _norm_axes(k.attrs["axis"], np.ndim(x))
        odt = k.op.outputs[0].dtype.as_numpy_dtype
        kw = {"axis": axes, "keepdims": k.attrs["keepdims"]}
        if op_type in ("Sum", "Mean") and np.dtype(odt).kind == "f":
            kw["dtype"] = np.float64  # np.sum adds along a non-last axis term by term
        if np.size(x) == 0:
            return _empty_reduce(op_type, x, kw, odt)
        with np.errstate(all="ignore"):
            r = fn(x, **kw)
        return np.asarray(r, dtype=odt)
    return kernel


def _empty_reduce(op_type, x, kw, odt):
    """TF's identity of each reducer: max of nothing is -inf (lowest int), a mean NaN (0)."""
    if op_type in ("Max", "Min"):
        dt = np.dtype(odt)
        kw["initial"] = dt.type(_init_literal_value(_REDUCERS[op_type][1], dt))
    if op_type == "Mean":
        fill = np.nan if np.dtype(odt).kind == "f" else 0
        return np.full(np.sum(x, **kw).shape, fill, odt)
    with np.errstate(all="ignore"):
        return np.asarray(_REDUCERS[op_type][0](x, **kw), dtype=odt)


def _init_literal_value(init, dt):
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return info.max if init == "inf" else info.min
    return np.inf if init == "inf" else -np.inf


def _init_literal(init, dt_name):
    if init in ("True", "False"):
        return init
    if init in ("inf", "-inf"):
        if dt_name.startswith(("int", "uint")):
            return f"np.{dt_name}({_init_literal_value(init, np.dtype(dt_name))})"
        return f"np.{dt_name}({'-' if init[0] == '-' else ''}np.inf)"
    return f"np.{dt_name}({init})"


def _prod_src(terms):
    return " * ".join(terms) or "1"


def _axis_run(axes):
    """(first, stop) when the reduced axes are consecutive, else None."""
    if axes and list(axes) == list(range(axes[0], axes[-1] + 1)):
        return axes[0], axes[-1] + 1
    return None


def _emit_float_sum(g, axes, mean):
    """Sum/mean over a consecutive run of axes through the blocked float64-total kernels."""
    x, r = g.i(0), g.rank(0)
    dims = [f"{x}.shape[{i}]" for i in range(r)]
    k0, k1 = _axis_run(axes)
    pre, n, post = _prod_src(dims[:k0]), _prod_src(dims[k0:k1]), _prod_src(dims[k1:])
    flat = f"np.ascontiguousarray({x})"
    s = g.tmp("sum")
    if k1 == r:
        g.line(f"{s} = K.sum_rows({flat}.reshape(({pre}, {n})))", tag=True)
    else:
        g.line(f"{s} = K.sum_mid({flat}.reshape(({pre}, {n}, {post})))", tag=True)
    if mean:
        g.line(f"{s} = {s} / np.float64({n})")  # before rounding; 0/0 is TF's NaN
    odt = g.odt()
    oshape = g.oshape()
    if not oshape:
        g.out(f"{odt}({s}[0])" if k1 == r else f"{odt}({s}[0, 0])")
        return
    g.out(f"{s}.astype({odt}).reshape({_out_shape_src(g, dims, axes)})")


def _emit_extreme_rows(g, axes, op_type, init):
    """Max/min over trailing axes (all of them included): the lane-parallel kernels."""
    x, r = g.i(0), g.rank(0)
    dims = [f"{x}.shape[{i}]" for i in range(r)]
    k0 = axes[0]
    rows = g.tmp("ext")
    fn = "max_rows" if op_type == "Max" else "min_rows"
    g.line(f"{rows} = K.{fn}(np.ascontiguousarray({x}).reshape(({_prod_src(dims[:k0])}, "
           f"{_prod_src(dims[k0:])})), {init})", tag=True)
    if not g.oshape():
        g.out(f"{rows}[0]")
        return
    g.out(f"{rows}.reshape({_out_shape_src(g, dims, axes)})")


def _out_shape_src(g, dims, axes):
    keep = g.attrs["keepdims"]
    out = [("1" if i in axes else d) for i, d in enumerate(dims) if keep or i not in axes]
    return "(" + "".join(d + ", " for d in out) + ")"


def _reduce_emit(op_type):
    init, combine = _REDUCERS[op_type][1], _REDUCERS[op_type][2]

    def emit(g):
        r = g.rank(0)
        axes = _norm_axes(g.attrs["axis"], r)
        floating = g.op.inputs[0].dtype.is_floating
        run = _axis_run(axes) if r > 0 else None
        acc_init = _init_literal(init, g.op.outputs[0].dtype.name)
        if op_type in ("Sum", "Mean") and floating and run:
            _emit_float_sum(g, axes, op_type == "Mean")
        elif op_type in ("Max", "Min") and run and run[1] == r and \
                g.op.inputs[0].dtype != dtypes.bool:
            _emit_extreme_rows(g, axes, op_type, acc_init)
        else:
            comb = _FLOAT_COMBINE.get(op_type, combine) if floating else combine
            wide = op_type in ("Sum", "Mean") and floating  # scattered axes: float64 loops
            _emit_loop_reduce(g, axes, acc_init, comb, op_type == "Mean", wide)
    return emit


def _emit_loop_reduce(g, axes, acc_init, combine, mean, wide):
    x = g.i(0)
    r = g.rank(0)
    kept = [i for i in range(r) if i not in axes]
    odt = g.odt()
    adt = "np.float64" if wide else odt
    if wide:
        acc_init = "np.float64(0)"
    dims = [f"{x}.shape[{i}]" for i in range(r)]
    idx = ", ".join(f"i{i}" for i in range(r))
    if r == 0:
        val = g.s(0)
    elif not kept:
        acc = g.tmp("acc")
        g.line(f"{acc} = {acc_init}", tag=True)
        for i in range(r):
            g.line("    " * i + f"for i{i} in range({dims[i]}):")
        g.line("    " * r + f"{acc} = " + combine.format(a=acc, x=f"{x}[{idx}]"))
        val = acc
    elif r - 1 in axes:
        # Last dim reduced: kept dims outside, a scalar accumulator inside.
        out = g.tmp("red")
        shape = "(" + "".join(dims[i] + ", " for i in kept) + ")"
        g.line(f"{out} = np.empty({shape}, {adt})", tag=True)
        depth = 0
        for i in kept:
            g.line("    " * depth + f"for i{i} in range({dims[i]}):")
            depth += 1
        acc = g.tmp("acc")
        g.line("    " * depth + f"{acc} = {acc_init}")
        for i in axes:
            g.line("    " * depth + f"for i{i} in range({dims[i]}):")
            depth += 1
        g.line("    " * depth + f"{acc} = " + combine.format(a=acc, x=f"{x}[{idx}]"))
        depth = len(kept)
        kidx = ", ".join(f"i{i}" for i in kept)
        g.line("    " * depth + f"{out}[{kidx}] = {acc}")
        val = out
    else:
        # Last dim kept: accumulate whole rows so the inner loop is contiguous.
        out = g.tmp("red")
        shape = "(" + "".join(dims[i] + ", " for i in kept) + ")"
        g.line(f"{out} = np.full({shape}, {acc_init}, {adt})", tag=True)
        kidx = ", ".join(f"i{i}" for i in kept)
        for depth, i in enumerate(range(r)):
            g.line("    " * depth + f"for i{i} in range({dims[i]}):")
        g.line("    " * r + f"{out}[{kidx}] = " + combine.format(a=f"{out}[{kidx}]",
                                                               x=f"{x}[{idx}]"))
        val = out
    if mean and r > 0:
        count = _prod_src([dims[i] for i in axes])
        if not g.op.outputs[0].dtype.is_floating:
            count = f"max({count}, 1)"  # TF: the mean of no ints is 0
        val = _divide(g, val, count, kept, odt)
    elif wide and kept:
        val = _cast(g, val, odt)
    oshape = g.oshape()
    if g.attrs["keepdims"] and len(oshape) > 0:
        kdims = "(" + "".join(("1" if i in axes else dims[i]) + ", " for i in range(r)) + ")"
        src = val if kept else f"np.full((), {val}, {odt})"
        g.out(f"{src}.reshape({kdims})")
    elif g.attrs["keepdims"]:
        g.out(val)
    else:
        g.out(val if kept else f"{odt}({val})")


def _divide(g, val, count, kept, odt):
    """A mean from its sum, divided in float64 (ints truncate toward zero, as TF's)."""
    if not kept:
        return f"{val} / np.float64({count})"
    q = g.tmp("mean")
    g.line(f"{q} = ({val} / np.float64({count})).astype({odt})")
    return q


def _cast(g, val, odt):
    c = g.tmp("red")
    g.line(f"{c} = {val}.astype({odt})")
    return c


def _sum_grad(op, dy):
    from jitgraph.ops.array_ops import broadcast_to_like, reshape
    x = op.inputs[0]
    if op.attrs["keepdims"] or op.outputs[0].shape.ndims == 0:
        return [broadcast_to_like(dy, x)]  # a scalar broadcasts as it is
    return [broadcast_to_like(reshape(dy, _kept_shape_tensor(op)), x)]


def _kept_shape_tensor(op):
    """The reduction's output shape with reduced dims as 1 (for broadcasting back)."""
    from jitgraph.ops.array_ops import shape as shape_op
    from jitgraph.ops.array_ops import where_axes_one
    x = op.inputs[0]
    rank = x.shape.ndims
    if rank is None:  # the axes are normalized at run time, once the rank is known
        return make_tensor("ReducedShape", [shape_op(x)], dtypes.int32,
                           {"axis": op.attrs["axis"]})
    axes = _norm_axes(op.attrs["axis"], rank)
    if x.shape.is_fully_defined():
        dims = [1 if i in axes else d for i, d in enumerate(x.shape.as_list())]
        return np.array(dims, dtype=np.int32)
    return where_axes_one(shape_op(x), axes)


def _mean_grad(op, dy):
    from jitgraph.ops.array_ops import size
    from jitgraph.ops.math_ops import cast
    g = _sum_grad(op, dy)[0]
    x, y = op.inputs[0], op.outputs[0]
    n = cast(size(x), dy.dtype) / cast(size(y), dy.dtype) if not (
        x.shape.is_fully_defined() and y.shape.is_fully_defined()) else \
        np.asarray(x.shape.num_elements() / max(y.shape.num_elements(), 1),
                   dtype=dy.dtype.as_numpy_dtype)
    return [g / n]


def _minmax_grad(op, dy):
    """Splits the gradient equally among tied extrema, as TF does."""
    from jitgraph.ops.array_ops import broadcast_to_like, reshape
    from jitgraph.ops.math_ops import cast, equal
    x, y = op.inputs[0], op.outputs[0]
    if not op.attrs["keepdims"]:
        kept = _kept_shape_tensor(op)
        y = reshape(y, kept)
        dy = reshape(dy, kept)
    mask = cast(equal(x, broadcast_to_like(y, x)), dy.dtype)
    count = reduce_sum(mask, axis=op.attrs["axis"], keepdims=True)
    return [broadcast_to_like(dy, x) * mask / count]


def _prod_grad(op, dy):
    # Exact for zeros: the product of all other elements, via exclusive cumprods.
    from jitgraph.ops.array_ops import broadcast_to_like, reshape
    x = op.inputs[0]
    if not op.attrs["keepdims"]:
        dy = reshape(dy, _kept_shape_tensor(op))
    others = make_tensor("ProdOthers", [x], x.dtype, {"axis": op.attrs["axis"]})
    return [broadcast_to_like(dy, x) * others]


def _prod_others_np(k, x):
    axes = _norm_axes(k.attrs["axis"], x.ndim)
    moved = np.moveaxis(x, axes, list(range(x.ndim - len(axes), x.ndim)))
    flat = moved.reshape(moved.shape[:x.ndim - len(axes)] + (-1,))
    n = flat.shape[-1]
    out = np.empty_like(flat)
    for j in range(n):
        out[..., j] = np.prod(np.delete(flat, j, axis=-1), axis=-1)
    out = out.reshape(moved.shape)
    return np.moveaxis(out, list(range(x.ndim - len(axes), x.ndim)), axes)


def _reduced_shape_np(k, s):
    out = np.array(s, dtype=np.int32)
    out[list(_norm_axes(k.attrs["axis"], out.size))] = 1
    return out


def _reduced_shape_emit(g):
    s, n = g.arr(0), g.shape(0)[0]
    axes = "".join(f"{a}, " for a in np.atleast_1d(
        np.arange(n) if g.attrs["axis"] is None else g.attrs["axis"]).tolist())
    out = g.tmp("rs")
    g.line(f"{out} = {s}.astype(np.int32)", tag=True)
    g.line(f"for a in ({axes}):")
    g.line(f"    {out}[a % {max(n, 1)}] = 1")
    g.out(out)


# TF's `reduced_shape`: the shape a reduction keeps (reduced dims 1), computed at run time
# when the input's rank is unknown where the gradient is built.
register("ReducedShape", shape=lambda s: [s.shapes[0]], numpy=_reduced_shape_np,
         emit=_reduced_shape_emit, host_if=lambda c: None if c.shape(0)[0] is not None else
         "the input's rank is unknown", grad=lambda op, dy: [None])

register("ProdOthers", shape=lambda s: [s.shapes[0]], numpy=_prod_others_np,
         host="no emitter yet (exclusive products along an axis, for Prod's gradient)")

_GRADS = {"Sum": _sum_grad, "Mean": _mean_grad, "Max": _minmax_grad, "Min": _minmax_grad,
          "Prod": _prod_grad}


def _reduce_sym(op, ins):
    axes = _norm_axes(op.attrs["axis"], len(ins[0]))
    keep = op.attrs["keepdims"]
    return [tuple(1 if i in axes else x for i, x in enumerate(ins[0]) if keep or i not in axes)]


for _t in _REDUCERS:
    register(_t, shape=_reduce_shape, numpy=_reduce_np(_t), emit=_reduce_emit(_t),
             grad=_GRADS.get(_t), sym=_reduce_sym)


def _resolve_axis(axis, reduction_indices, name_for_error="axis"):
    if reduction_indices is not None:
        if axis is not None:
            raise ValueError(f"Cannot specify both '{name_for_error}' and 'reduction_indices'.")
        axis = reduction_indices
    if axis is None:
        return None
    if hasattr(axis, "op"):
        v = constant_value(axis)
        if v is None:
            raise TypeError("jitgraph needs reduction axes known when the graph is built; "
                            f"got the computed tensor {axis.name}")
        axis = v
    a = np.asarray(axis)
    return int(a) if a.ndim == 0 else tuple(int(i) for i in a.ravel())


def _make_reduce(op_type, default_name, bool_only=False):
    def reduce(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
        x = convert_to_tensor(input_tensor)
        if bool_only and x.dtype != dtypes.bool:
            raise TypeError(f"Value passed to parameter 'input' has DataType {x.dtype.name} not "
                            "in list of allowed values: bool")
        if keep_dims is not None:
            keepdims = keep_dims
        ax = _resolve_axis(axis, reduction_indices)
        if ax is not None and x.shape.ndims is not None:
            _norm_axes(ax, x.shape.ndims)  # validates
        return make_tensor(op_type, [x], x.dtype,
                           {"axis": ax, "keepdims": bool(keepdims)}, name=name or default_name)
    reduce.__name__ = default_name
    return reduce


reduce_sum = _make_reduce("Sum", "Sum")
reduce_mean = _make_reduce("Mean", "Mean")
reduce_max = _make_reduce("Max", "Max")
reduce_min = _make_reduce("Min", "Min")
reduce_prod = _make_reduce("Prod", "Prod")
reduce_all = _make_reduce("All", "All", bool_only=True)
reduce_any = _make_reduce("Any", "Any", bool_only=True)


def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None,
                     reduction_indices=None, keep_dims=None):
    from jitgraph.ops import math_ops
    from jitgraph.ops.array_ops import stop_gradient
    if keep_dims is not None:
        keepdims = keep_dims
    ax = _resolve_axis(axis, reduction_indices)
    x = convert_to_tensor(input_tensor)
    m = stop_gradient(reduce_max(x, axis=ax, keepdims=True))
    s = math_ops.log(reduce_sum(math_ops.exp(x - m), axis=ax, keepdims=bool(keepdims)))
    if not keepdims:
        # As TF: the max reshaped to the result's shape, known statically or not.
        from jitgraph.ops.array_ops import reshape, shape
        m = reshape(m, s.shape.as_list() if s.shape.is_fully_defined() else shape(s))
    return math_ops.add(s, m, name=name)


# -- sum a broadcast gradient back to an input's shape ----------------------------
def sum_to_shape_of(g, x):
    """Sums `g` over the dims along which `x` was broadcast to `g`'s shape."""
    gs, xs = g.shape, x.shape
    if gs.is_fully_defined() and xs.is_fully_defined() and gs.as_list() == xs.as_list():
        return g
    if gs.ndims is not None and xs.ndims is not None and gs.ndims == xs.ndims and all(
            b is not None and (b > 1 or a == b) for a, b in zip(gs.as_tuple(), xs.as_tuple())):
        return g  # every dim of x is > 1 or equal: nothing was broadcast
    return make_tensor("SumToShape", [g, x], g.dtype, name="SumToShape")


def _sum_to_np(k, g, x):
    xs = np.shape(x)
    lead = g.ndim - len(xs)
    axes = tuple(range(lead)) + tuple(i + lead for i, d in enumerate(xs)
                                      if d == 1 and g.shape[i + lead] != 1)
    wide = np.float64 if g.dtype.kind == "f" else None  # accurate along leading axes too
    r = np.sum(g, axis=axes, keepdims=True, dtype=wide) if axes else g
    return np.asarray(r.reshape(xs), dtype=g.dtype)


def _sum_to_emit(g):
    gr, xr = g.rank(0), g.rank(1)
    if g.same_shape(0, 1):
        g.out(g.i(0))  # provably nothing was broadcast
        return
    src, like = g.i(0), g.i(1)
    odt = g.odt()
    floating = g.op.outputs[0].dtype.is_floating
    if xr == 0:
        if gr == 0:
            g.out(src)
        elif floating:
            total = f"K.sum_rows(np.ascontiguousarray({src}).reshape((1, {src}.size)))[0]"
            g.out(f"{odt}({total})")
        else:
            _sum_to_scalar_loop(g, src, gr, odt)
        return
    out = g.tmp("red")
    if gr == xr:
        # Nothing was broadcast when the shapes agree at run time: pass the gradient on.
        g.line(f"if {src}.shape == {like}.shape:", tag=True)
        g.line(f"    {out} = {src}")
        g.line("else:")
        g.em.indent += 1
    if floating:
        _sum_to_float(g, src, like, out, gr, xr, odt)
    else:
        _sum_to_loop(g, src, like, out, gr, xr, odt)
    if gr == xr:
        g.em.indent -= 1
    g.out(out)


def _sum_to_scalar_loop(g, src, gr, odt):
    acc = g.tmp("acc")
    g.line(f"{acc} = {odt}(0)", tag=True)
    idx = ", ".join(f"i{i}" for i in range(gr))
    for i in range(gr):
        g.line("    " * i + f"for i{i} in range({src}.shape[{i}]):")
    g.line("    " * gr + f"{acc} += {src}[{idx}]")
    g.out(acc)


def _sum_to_float(g, src, like, out, gr, xr, odt):
    """Leading dims summed (a bias's gradient): the blocked kernel; else float64 loops."""
    n, post = g.tmp("n"), g.tmp("post")
    g.line(f"{n}, {post} = K.prefix_split({src}.shape, {like}.shape)", tag=True)
    g.line(f"if {n} >= 0:")
    g.line(f"    {out} = K.sum_mid(np.ascontiguousarray({src}).reshape((1, {n}, {post})))[0]"
           f".astype({odt}).reshape({like}.shape)")
    g.line("else:")
    g.em.indent += 1
    wide = g.tmp("acc")
    _sum_to_loop(g, src, like, wide, gr, xr, "np.float64")
    g.line(f"{out} = {wide}.astype({odt})")
    g.em.indent -= 1


def _sum_to_loop(g, src, like, out, gr, xr, adt):
    lead = gr - xr
    g.line(f"{out} = np.zeros({like}.shape, {adt})", tag=True)
    ms = []
    for j in range(xr):
        m = g.tmp("m")
        g.line(f"{m} = 0 if {like}.shape[{j}] == 1 else 1")
        ms.append(m)
    idx = ", ".join(f"i{i}" for i in range(gr))
    oidx = ", ".join(f"i{j + lead} * {ms[j]}" for j in range(xr))
    for i in range(gr):
        g.line("    " * i + f"for i{i} in range({src}.shape[{i}]):")
    g.line("    " * gr + f"{out}[{oidx}] += {src}[{idx}]")


register("SumToShape", shape=lambda s: [s.shapes[1]], numpy=_sum_to_np, emit=_sum_to_emit,
         grad=lambda op, dy: [None, None], shape_only=1, sym=lambda op, ins: [ins[1]])
