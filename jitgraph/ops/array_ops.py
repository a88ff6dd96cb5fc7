"""Shape-level ops: identity, reshape, shape/size/rank, fill/zeros/ones, stack/unstack,
squeeze/expand_dims and the broadcasting helpers gradients use."""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.framework.graph import get_default_graph
from jitgraph.ops.constant import (_contains_tensor, constant, constant_value, convert_n,
                                   convert_to_tensor)
from jitgraph.ops.registry import make_op, make_tensor, register, same_shape

# -- identity ---------------------------------------------------------------------------
def _identity_emit(g):
    # A read of a scalar variable stays a view of its buffer, as a read of an array one
    # does (TF's ref variables): its consumers read the value when they run, so a read
    # under control_dependencies on an assign sees the assigned value.
    t = g.op.inputs[0]
    g.out(g.em.expr[t], array=g.em.is_array[t])


register("Identity", shape=same_shape, numpy=lambda k, x: x, aliases=True, passes_through=True,
         emit=_identity_emit, grad=lambda op, dy: [dy])
register("StopGradient", shape=same_shape, numpy=lambda k, x: x, aliases=True,
         passes_through=True, emit=lambda g: g.out(g.i(0)), grad=lambda op, dy: [None])
register("NoOp", shape=lambda s: [], numpy=lambda k: (), role="noop")


def identity(input, name=None):  # noqa: A002
    x = convert_to_tensor(input)
    return make_tensor("Identity", [x], x.dtype, name=name or "Identity")


def stop_gradient(input, name=None):  # noqa: A002
    x = convert_to_tensor(input)
    return make_tensor("StopGradient", [x], x.dtype, name=name or "StopGradient")


def no_op(name=None):
    return make_op("NoOp", [], [], name=name or "NoOp")


def group(*inputs, name=None):
    """An op that runs all `inputs` (ops or tensors) as control dependencies."""
    ops = []
    for x in inputs:
        for y in (x if isinstance(x, (list, tuple)) else [x]):
            if y is None:
                continue
            ops.append(y if not hasattr(y, "op") or hasattr(y, "type") else y.op)
    g = get_default_graph()
    with g.control_dependencies(ops):
        return no_op(name=name or "group_deps")


def tuple_(tensors, name=None, control_inputs=None):
    tensors = list(tensors)
    gate = group(*[t for t in tensors if t is not None], *(control_inputs or []))
    out = []
    g = get_default_graph()
    for t in tensors:
        if t is None:
            out.append(None)
            continue
        with g.control_dependencies([gate]):
            out.append(identity(t))
    return out


# -- shape / size / rank -------------------------------------------------------------------
def _shape_emit(g):
    r = g.rank(0)
    x = g.i(0)
    items = ", ".join(f"{x}.shape[{i}]" for i in range(r))
    g.out(f"np.array([{items}], {g.odt()})" if r else f"np.zeros(0, {g.odt()})")


register("Shape", shape=lambda s: [(None if s.shapes[0] is None else len(s.shapes[0]),)],
         numpy=lambda k, x: np.array(np.shape(x), dtype=k.attrs["out_type"].as_numpy_dtype),
         emit=_shape_emit, shape_value=True)
_SIZE_TOO_BIG = "Number of elements was larger than representable by 32-bit output type"


def _size_np(k, x):
    n = np.size(x)
    if k.attrs["out_type"] == dtypes.int32 and n > np.iinfo(np.int32).max:
        raise errors.InvalidArgumentError(None, k.op, _SIZE_TOO_BIG)
    return np.array(n, dtype=k.attrs["out_type"].as_numpy_dtype)


def _size_emit(g):
    if not g.rank(0):
        g.out(f"{g.odt()}(1)")
    elif g.op.attrs["out_type"] == dtypes.int32:  # TF refuses sizes int32 cannot hold
        g.out(f"K.size_int32({g.i(0)}.size)")
    else:
        g.out(f"{g.odt()}({g.i(0)}.size)")


register("Size", shape=lambda s: [()], numpy=_size_np, emit=_size_emit, shape_value=True)
register("Rank", shape=lambda s: [()], numpy=lambda k, x: np.array(np.ndim(x), np.int32),
         emit=lambda g: g.out(f"np.int32({g.rank(0)})"), shape_value=True)


def shape(input, name=None, out_type=dtypes.int32):  # noqa: A002
    x = convert_to_tensor(input)
    return make_tensor("Shape", [x], dtypes.as_dtype(out_type), {"out_type":
                                                                dtypes.as_dtype(out_type)},
                       name=name or "Shape")


def size(input, name=None, out_type=dtypes.int32):  # noqa: A002
    x = convert_to_tensor(input)
    return make_tensor("Size", [x], dtypes.as_dtype(out_type),
                       {"out_type": dtypes.as_dtype(out_type)}, name=name or "Size")


def rank(input, name=None):  # noqa: A002
    x = convert_to_tensor(input)
    return make_tensor("Rank", [x], dtypes.int32, name=name or "Rank")


# -- reshape --------------------------------------------------------------------------------
def _reshape_target(shape_value, in_shape):
    dims = [int(d) for d in np.asarray(shape_value).ravel()]
    if dims.count(-1) > 1:
        raise ValueError("Only one dimension of the new shape may be -1")
    if -1 in dims:
        known = int(np.prod([d for d in dims if d != -1])) if len(dims) > 1 else 1
        n = None
        if in_shape is not None and all(d is not None for d in in_shape):
            n = int(np.prod(in_shape)) if in_shape else 1
        if n is not None and known and n % known:
            raise ValueError(f"Cannot reshape a tensor with {n} elements to shape {dims}")
        dims = [(n // known if n is not None and known else None) if d == -1 else d
                for d in dims]
    elif in_shape is not None and all(d is not None for d in in_shape):
        n = int(np.prod(in_shape)) if in_shape else 1
        if n != int(np.prod(dims)):
            raise ValueError(f"Cannot reshape a tensor with {n} elements to shape {dims} "
                             f"({int(np.prod(dims))} elements)")
    return tuple(dims)


def _reshape_shape(s):
    v = s.const(1)
    if v is None:
        n = s.shapes[1]
        return [None if n is None or n[0] is None else (None,) * n[0]]
    return [_reshape_target(v, s.shapes[0])]


def _reshape_np(k, x, shp):
    dims = tuple(int(d) for d in np.asarray(shp).ravel())
    try:
        return np.reshape(x, dims)
    except ValueError:  # TF's words, not numpy's
        known = int(np.prod([d for d in dims if d != -1]))
        need = (f"requires a multiple of {known}" if -1 in dims else f"has {known}")
        raise errors.InvalidArgumentError(
            None, k.op, f"Input to reshape is a tensor with {np.size(x)} values, but the "
                        f"requested shape {need}") from None


def _reshape_emit(g):
    out_rank = g.orank()
    src = g.arr(0)
    v = g.const(1)
    if v is not None:
        dims = [int(d) for d in np.asarray(v).ravel()]
        if -1 in dims:
            known = int(np.prod([d for d in dims if d != -1]))
            n = g.tmp("n")
            g.line(f"{n} = {src}.size // {max(known, 1)}")
            dims = [n if d == -1 else str(d) for d in dims]
        items = "".join(f"{d}, " for d in dims)
    else:
        s = g.arr(1)
        items = "".join(f"{s}[{i}], " for i in range(out_rank))
    body = f"np.ascontiguousarray({src}).reshape(({items}))"
    if out_rank == 0:
        g.out(f"{body}[()]")
    else:
        g.out(body)


def _reshape_grad(op, dy):
    x = op.inputs[0]
    if x.shape.is_fully_defined():
        return [reshape(dy, x.shape.as_list()), None]
    return [reshape(dy, shape(x)), None]


register("Reshape", shape=_reshape_shape, numpy=_reshape_np, emit=_reshape_emit,
         grad=_reshape_grad, aliases=True)


def reshape(tensor, shape, name=None):  # noqa: A002
    x = convert_to_tensor(tensor)
    s = convert_to_tensor(shape, dtype=dtypes.int32) if not hasattr(shape, "op") else shape
    if s.dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"Value passed to parameter 'shape' has DataType {s.dtype.name} not in "
                        "list of allowed values: int32, int64")
    out = make_tensor("Reshape", [x, s], x.dtype, name=name or "Reshape")
    if out.shape.ndims is not None and not out.shape.is_fully_defined():
        # `[tf.shape(x)[0], 28, 28, 1]`: the constant entries are known statically (TF's
        # constant_value_as_shape), so layers after the reshape see their input's depth.
        out.set_shape(constant_value_as_shape(s))
    return out


def constant_value_as_shape(t):
    """The static shape a shape tensor `t` describes: the entries known at graph-build time,
    None for the others (-1, a computed size); a TensorShape of unknown rank if its length
    is unknown."""
    from jitgraph.framework.tensor_shape import TensorShape
    v = constant_value(t)
    if v is not None:
        return TensorShape([None if int(d) < 0 else int(d) for d in np.asarray(v).ravel()])
    op = t.op
    if op.type == "Pack" and op.attrs.get("axis", 0) == 0:
        dims = []
        for x in op.inputs:
            d = constant_value(x)
            dims.append(None if d is None or int(d) < 0 else int(d))
        return TensorShape(dims)
    if op.type == "ConcatV2":
        dims = []
        for x in op.inputs:
            part = constant_value_as_shape(x)
            if part.ndims is None:
                return TensorShape(None)
            dims += part.as_list()
        return TensorShape(dims)
    if op.type == "Shape":
        return op.inputs[0].shape
    n = t.shape.as_tuple()
    return TensorShape(None if n is None or n[0] is None else [None] * n[0])


# -- fill / zeros / ones --------------------------------------------------------------------
def _fill_shape(s):
    v = s.const(0)
    if v is None:
        n = s.shapes[0]
        return [None if n is None or n[0] is None else (None,) * n[0]]
    return [tuple(int(d) for d in np.asarray(v).ravel())]


def _fill_emit(g):
    r = g.orank()
    v = g.const(0)
    if v is not None:
        items = "".join(f"{int(d)}, " for d in np.asarray(v).ravel())
    else:
        items = "".join(f"{g.arr(0)}[{i}], " for i in range(r))
    if r == 0:
        g.out(f"{g.odt()}({g.s(1)})")
    else:
        g.out(f"np.full(({items}), {g.s(1)}, {g.odt()})")


register("Fill", shape=_fill_shape,
         numpy=lambda k, dims, v: np.full(tuple(int(d) for d in np.asarray(dims).ravel()), v,
                                          dtype=k.op.outputs[0].dtype.as_numpy_dtype),
         emit=_fill_emit, grad=lambda op, dy: [None, None])


def fill(dims, value, name=None):
    v = convert_to_tensor(value)
    d = convert_to_tensor(dims, dtype=dtypes.int32) if not hasattr(dims, "op") else dims
    out = make_tensor("Fill", [d, v], v.dtype, name=name or "Fill")
    if out.shape.ndims is not None and not out.shape.is_fully_defined():
        out.set_shape(constant_value_as_shape(d))  # as reshape: keep the constant entries
    return out


def _shape_arg(shape):
    if hasattr(shape, "op"):
        return shape
    if hasattr(shape, "as_list"):
        shape = shape.as_list()
    if isinstance(shape, (list, tuple)) and any(_contains_tensor(d) for d in shape):
        # `tf.zeros([tf.shape(x)[0], 128])`: TF packs a list holding tensors
        return convert_to_tensor(list(shape), dtype=dtypes.int32)
    return convert_to_tensor(np.asarray(shape, dtype=np.int32).reshape(-1)
                             if not isinstance(shape, (int, np.integer)) else [shape],
                             dtype=dtypes.int32)


def zeros(shape, dtype=dtypes.float32, name=None):
    dtype = dtypes.as_dtype(dtype)
    with get_default_graph().name_scope(name or "zeros") as scope:
        return fill(_shape_arg(shape), constant(0, dtype=dtype), name=scope)


def ones(shape, dtype=dtypes.float32, name=None):
    dtype = dtypes.as_dtype(dtype)
    with get_default_graph().name_scope(name or "ones") as scope:
        return fill(_shape_arg(shape), constant(1, dtype=dtype), name=scope)


def _like(x, value, dtype, name):
    x = convert_to_tensor(x)
    dtype = dtypes.as_dtype(dtype) if dtype is not None else x.dtype
    if x.shape.is_fully_defined():
        return fill(constant(np.array(x.shape.as_list(), np.int32)),
                    constant(value, dtype=dtype), name=name)
    return fill(shape(x), constant(value, dtype=dtype), name=name)


def zeros_like(tensor, dtype=None, name=None, optimize=True):
    return _like(tensor, 0, dtype, name or "zeros_like")


def ones_like(tensor, dtype=None, name=None, optimize=True):
    return _like(tensor, 1, dtype, name or "ones_like")


# -- broadcasting helpers ---------------------------------------------------------------
def _bcast_like_emit(g):
    r = g.orank()
    if g.same_shape(0, 1):
        g.out(g.i(0))
        return
    src, like = g.i(0), g.i(1)
    sr = g.rank(0)
    out = g.tmp("b")
    g.line(f"{out} = np.empty({like}.shape, {g.odt()})", tag=True)
    idx = ", ".join(f"i{i}" for i in range(r))
    src_idx = []
    lead = r - sr
    for j in range(sr):
        m = g.tmp("m")
        g.line(f"{m} = 0 if {src}.shape[{j}] == 1 else 1")
        src_idx.append(f"i{j + lead} * {m}")
    for i in range(r):
        g.line("    " * i + f"for i{i} in range({like}.shape[{i}]):")
    read = f"{src}[{', '.join(src_idx)}]" if sr else g.s(0)
    g.line("    " * r + f"{out}[{idx}] = {read}")
    g.out(out)


def _bcast_like_grad(op, dy):
    from jitgraph.ops.reduction_ops import sum_to_shape_of
    return [sum_to_shape_of(dy, op.inputs[0]), None]


register("BroadcastToLike", shape=lambda s: [s.shapes[1]],
         numpy=lambda k, x, like: np.array(np.broadcast_to(x, np.shape(like))),
         emit=_bcast_like_emit, grad=_bcast_like_grad, shape_only=1,
         sym=lambda op, ins: [ins[1]])


def broadcast_to_like(x, like):
    """`x` broadcast to the shape of `like` (only its shape is used)."""
    x = convert_to_tensor(x)
    if x.shape.is_fully_defined() and like.shape.is_fully_defined() and \
            x.shape.as_list() == like.shape.as_list():
        return x
    return make_tensor("BroadcastToLike", [x, like], x.dtype, name="BroadcastToLike")


def where_axes_one(shape_tensor, axes):
    """`shape_tensor` with the entries at `axes` replaced by 1."""
    from jitgraph.ops.math_ops import where as where_
    n = shape_tensor.shape.as_tuple()[0]
    mask = np.array([i in axes for i in range(n)])
    return where_(constant(mask), constant(np.ones(n, np.int32)), shape_tensor)


# -- expand_dims / squeeze ----------------------------------------------------------------
def _expand_sym(op, ins):
    axis, r = op.attrs["axis"], len(ins[0]) + 1
    axis = axis + r if axis < 0 else axis
    return [ins[0][:axis] + (1,) + ins[0][axis:]]


def _expand_shape(s):
    x = s.shapes[0]
    if x is None:
        return [None]
    a = s.attrs["axis"]
    if not -len(x) - 1 <= a <= len(x):
        raise ValueError(f"Tried to expand dim index {a} for tensor with {len(x)} dimensions.")
    a = a + len(x) + 1 if a < 0 else a
    return [tuple(x[:a]) + (1,) + tuple(x[a:])]


def _expand_emit(g):
    r = g.orank()
    a = g.attrs["axis"]
    a = a + r if a < 0 else a
    src = g.arr(0)
    dims = [f"{src}.shape[{i}]" for i in range(r - 1)]
    dims.insert(a, "1")
    g.out(f"np.ascontiguousarray({src}).reshape(({''.join(d + ', ' for d in dims)}))")


register("ExpandDims", shape=_expand_shape,
         numpy=lambda k, x: np.expand_dims(x, k.attrs["axis"]), emit=_expand_emit,
         grad=lambda op, dy: [_reshape_like(dy, op.inputs[0])], aliases=True, sym=_expand_sym)


def _reshape_like(dy, x):
    if x.shape.is_fully_defined():
        return reshape(dy, x.shape.as_list())
    return reshape(dy, shape(x))


def expand_dims(input, axis=None, name=None, dim=None):  # noqa: A002
    if dim is not None:
        axis = dim
    if axis is None:
        raise ValueError("Must specify an axis argument to tf.expand_dims()")
    x = convert_to_tensor(input)
    axis = int(constant_value(axis) if hasattr(axis, "op") else axis)
    r = x.shape.ndims
    if r is not None and not -r - 1 <= axis <= r:
        raise ValueError(f"Tried to expand dim index {axis} for tensor with {r} dimensions.")
    return make_tensor("ExpandDims", [x], x.dtype, {"axis": axis}, name=name or "ExpandDims")


def _squeeze_axes(shape_, axis):
    r = len(shape_)
    if axis:
        axes = sorted({a % r for a in axis})
        for a in axes:
            if shape_[a] is not None and shape_[a] != 1:
                raise ValueError(f"Can not squeeze dim[{a}], expected a dimension of 1, got "
                                 f"{shape_[a]}")
        return axes
    if any(d is None for d in shape_):
        return None
    return [i for i, d in enumerate(shape_) if d == 1]


def _squeeze_shape(s):
    x = s.shapes[0]
    if x is None:
        return [None]
    axes = _squeeze_axes(x, s.attrs["axis"])
    if axes is None:
        return [None]
    return [tuple(d for i, d in enumerate(x) if i not in axes)]


def _squeeze_np(k, x):
    axis = k.attrs["axis"]
    for a in axis or ():
        if -np.ndim(x) <= a < np.ndim(x) and np.shape(x)[a] != 1:
            raise errors.InvalidArgumentError(
                None, k.op, f"Can not squeeze dim[{a % np.ndim(x)}], expected a dimension of "
                            f"1, got {np.shape(x)[a]}")
    return np.squeeze(x, axis=tuple(axis) if axis else None)


def _squeeze_emit(g):
    x = g.arr(0)
    axes = _squeeze_axes(g.shape(0), g.attrs["axis"])
    keep = [i for i in range(g.rank(0)) if i not in axes]
    items = "".join(f"{x}.shape[{i}], " for i in keep)
    body = f"np.ascontiguousarray({x}).reshape(({items}))"
    g.out(body if keep else f"{body}[()]")


register("Squeeze", shape=_squeeze_shape, numpy=_squeeze_np, emit=_squeeze_emit,
         grad=lambda op, dy: [_reshape_like(dy, op.inputs[0])], aliases=True)


def squeeze(input, axis=None, name=None, squeeze_dims=None):  # noqa: A002
    if squeeze_dims is not None:
        axis = squeeze_dims
    x = convert_to_tensor(input)
    if isinstance(axis, int):
        axis = [axis]
    axis = [int(a) for a in axis] if axis else []
    return make_tensor("Squeeze", [x], x.dtype, {"axis": axis}, name=name or "Squeeze")


# -- stack / unstack ------------------------------------------------------------------------
def _pack_shape(s):
    from jitgraph.ops.registry import broadcast_shapes
    shapes = s.shapes
    if any(x is None for x in shapes):
        return [None]
    base = shapes[0]
    for x in shapes[1:]:
        if len(x) != len(base):
            raise ValueError(f"Shapes must be equal rank, but are {len(base)} and {len(x)}")
        base = tuple(a if a is not None else b for a, b in zip(base, x))
        if any(a is not None and b is not None and a != b for a, b in zip(base, x)):
            raise ValueError(f"Shapes {shapes} are not compatible for stack")
    del broadcast_shapes
    a = s.attrs["axis"]
    a = a + len(base) + 1 if a < 0 else a
    return [tuple(base[:a]) + (len(shapes),) + tuple(base[a:])]


def _pack_emit(g):
    n = len(g.op.inputs)
    a = g.attrs["axis"]
    r = g.orank()
    a = a + r if a < 0 else a
    parts = ", ".join(g.arr(i) for i in range(n))
    if r == 1:
        g.out(f"np.array([{', '.join(g.s(i) for i in range(n))}], {g.odt()})")
        return
    g.out(f"np.stack(({parts},), {a})")


def _pack_grad(op, dy):
    return unstack(dy, num=len(op.inputs), axis=op.attrs["axis"])


register("Pack", shape=_pack_shape,
         numpy=lambda k, *xs: np.stack(xs, axis=k.attrs["axis"]),
         emit=_pack_emit, grad=_pack_grad)


def stack(values, axis=0, name="stack"):
    values = convert_n(list(values))
    r = values[0].shape.ndims
    if r is not None and not -r - 1 <= axis <= r:
        raise ValueError(f"axis = {axis} not in [{-r - 1}, {r + 1})")
    return make_tensor("Pack", values, values[0].dtype, {"axis": axis}, name=name)


def _unpack_shape(s):
    x = s.shapes[0]
    n = s.attrs["num"]
    if x is None:
        return [None] * n
    a = s.attrs["axis"] % len(x)
    return [tuple(d for i, d in enumerate(x) if i != a)] * n


def _unpack_np(k, x):
    a = k.attrs["axis"]
    return [np.ascontiguousarray(np.take(x, i, axis=a)) for i in range(x.shape[a])]


def _unpack_emit(g):
    r = g.rank(0)
    a = g.attrs["axis"] % r
    x = g.arr(0)
    for i in range(g.attrs["num"]):
        idx = ", ".join(str(i) if j == a else ":" for j in range(r))
        if r == 1:
            g.out(f"{x}[{i}]", k=i)
        else:
            g.out(f"np.ascontiguousarray({x}[{idx}])", k=i)


def _unpack_grad(op, *dys):
    filled = [dy if dy is not None else zeros_like(t) for dy, t in zip(dys, op.outputs)]
    return [stack(filled, axis=op.attrs["axis"])]


register("Unpack", shape=_unpack_shape, numpy=_unpack_np, emit=_unpack_emit, grad=_unpack_grad)


def unstack(value, num=None, axis=0, name="unstack"):
    x = convert_to_tensor(value)
    r = x.shape.ndims
    if num is None:
        if r is None or x.shape.as_tuple()[axis] is None:
            raise ValueError(f"Cannot infer num from shape {x.shape}")
        num = x.shape.as_tuple()[axis]
    if r is not None and not -r <= axis < r:
        raise ValueError(f"axis = {axis} not in [{-r}, {r})")
    op = make_op("Unpack", [x], [x.dtype] * num, {"axis": axis, "num": num}, name=name)
    return op.outputs
from jitgraph.ops.manip_ops import where_indices  # noqa: E402,F401 - defined there; lazy (cycle)
