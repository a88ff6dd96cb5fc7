"""Array manipulation: transpose, concat/split, tile, pad, gather, one_hot, argmax/argmin,
range, where (indices), broadcast_to, clip_by_value, reverse, boolean_mask, cumsum.

Axes, permutations and split sizes are attrs when the builder can know them (they
almost always are Python constants), so shape rules and emitters see them directly.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.framework.graph import Tensor, get_default_graph
from jitgraph.ops.constant import constant, constant_value, convert_n, convert_to_tensor
from jitgraph.ops.registry import broadcast_shape, make_op, make_tensor, register, same_shape


# -- small helpers ------------------------------------------------------------------------
def _fmt(shape) -> str:
    if shape is None:
        return "?"
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


def _static_int(value, what="axis"):
    """A Python int (or list of ints) from a Python value or a constant tensor."""
    if isinstance(value, Tensor) or hasattr(value, "_as_graph_element"):
        v = constant_value(convert_to_tensor(value))
        if v is None:
            raise TypeError(f"jitgraph needs `{what}` known when the graph is built; got the "
                            f"computed tensor {value.name}")
        value = v
    a = np.asarray(value)
    return int(a) if a.ndim == 0 else [int(i) for i in a.ravel()]


def _int_tensor(value, dtype=dtypes.int32):
    if isinstance(value, Tensor):
        return value
    return convert_to_tensor(value, dtype=dtype)


def _op_name(name):
    """The name the next op called `name` will get (for TF-style error messages)."""
    return get_default_graph().unique_name(name, mark_as_used=False)


def _prod_text(parts):
    return " * ".join(parts) if parts else "1"




# -- transpose ------------------------------------------------------------------------------
def _check_perm(perm, rank, name="transpose"):
    if rank is None:
        return
    if len(perm) != rank:
        raise ValueError(f"Dimension must be {rank} but is {len(perm)} for '{name}' (op: "
                         f"'Transpose') with input shapes: {_fmt((None,) * rank)}, "
                         f"[{len(perm)}].")
    seen = set()
    for p in perm:
        if not -rank <= p < rank:
            raise ValueError(f"perm dim {p} is out of range of input rank {rank}")
        if p % rank in seen:
            raise ValueError(f"{p} is duplicated in perm")
        seen.add(p % rank)


def _transpose_shape(s):
    x = s.shapes[0]
    perm = s.const(1)
    if perm is None:
        return [None if s.shapes[1] is None or s.shapes[1][0] is None else
                (None,) * s.shapes[1][0]]
    perm = [int(p) for p in np.asarray(perm).ravel()]
    if x is None:
        return [(None,) * len(perm)]
    _check_perm(perm, len(x))
    return [tuple(x[p % len(x)] for p in perm)]


def _transpose_emit(g):
    perm = g.const(1)
    r = g.rank(0)
    perm = [int(p) % r for p in np.asarray(perm).ravel()]
    if perm == list(range(r)):
        g.out(g.i(0))
        return
    g.out(f"np.ascontiguousarray(np.transpose({g.arr(0)}, ({''.join(f'{p}, ' for p in perm)})))")


def _transpose_grad(op, dy):
    perm = constant_value(op.inputs[1])
    if perm is not None:
        inv = np.argsort(np.asarray(perm).ravel() % max(len(np.asarray(perm).ravel()), 1))
        return [transpose(dy, inv.astype(np.int32)), None]
    return [transpose(dy, invert_permutation(op.inputs[1])), None]


register("Transpose", shape=_transpose_shape,
         numpy=lambda k, x, perm: np.array(np.transpose(x, np.asarray(perm))),
         emit=_transpose_emit, grad=_transpose_grad,
         host_if=lambda c: "Transpose with a computed perm" if c.const(1) is None else None)


def _invperm_np(k, p):
    p = np.asarray(p)
    out = np.empty_like(p)
    out[p] = np.arange(p.size, dtype=p.dtype)
    return out


register("InvertPermutation", shape=same_shape, numpy=_invperm_np,
         host="no emitter yet; it validates its permutation in Python",
         grad=lambda op, dy: [None])


def invert_permutation(x, name=None):
    x = _int_tensor(x)
    return make_tensor("InvertPermutation", [x], x.dtype, name=name or "InvertPermutation")


def transpose(a, perm=None, name="transpose", conjugate=False):
    """`tf.transpose`: permutes dims by `perm` (default: reversed)."""
    x = convert_to_tensor(a)
    g = x.graph
    with g.as_default(), g.name_scope(name) as scope:
        if perm is None:
            r = x.shape.ndims
            if r is not None:
                perm_t = constant(np.arange(r - 1, -1, -1, dtype=np.int32), name="perm")
            else:
                from jitgraph.ops.array_ops import rank as rank_op
                n = rank_op(x)
                perm_t = (n - 1) - range_(0, n, 1)
        elif isinstance(perm, Tensor):
            perm_t = perm
        else:
            p = [int(i) for i in np.asarray(perm).ravel()]
            _check_perm(p, x.shape.ndims, scope.rstrip("/"))
            perm_t = constant(np.asarray(p, np.int32), name="perm")
        return make_tensor("Transpose", [x, perm_t], x.dtype, name=scope)


# -- concat / split --------------------------------------------------------------------------
def _concat_shape(s):
    shapes = s.shapes
    axis = s.attrs["axis"]
    known = [x for x in shapes if x is not None]
    if not known:
        return [None]
    r = len(known[0])
    for i, x in enumerate(known):
        if len(x) != r:
            raise ValueError(f"ConcatOp : Ranks of all input tensors should match: shape[0] = "
                             f"{_fmt(known[0])} vs. shape[{i}] = {_fmt(x)}")
    a = axis % r if r else 0
    out = list(known[0])
    total = 0
    for x in shapes:
        if x is None or x[a] is None:
            total = None
        elif total is not None:
            total += x[a]
        if x is None:
            continue
        for i, d in enumerate(x):
            if i != a and out[i] is None:
                out[i] = d
    out[a] = total
    return [tuple(out)]


def _check_concat(values, axis, name):
    shapes = [v.shape.as_tuple() for v in values]
    known = [x for x in shapes if x is not None]
    if not known:
        return
    r = len(known[0])
    with_axis = ", ".join(_fmt(x) if x is not None else "?" for x in shapes) + ", []"
    for x in known:
        if len(x) != r:
            raise ValueError(f"Shape must be rank {r} but is rank {len(x)} for '{name}' (op: "
                             f"'ConcatV2') with input shapes: {with_axis}.")
    if r == 0:
        raise ValueError(f"Can't concatenate scalars (use tf.stack instead) for '{name}' (op: "
                         f"'ConcatV2') with input shapes: {with_axis}.")
    if not -r <= axis < r:
        raise ValueError(f"ConcatOp : Expected concatenating dimensions in the range [{-r}, "
                         f"{r}), but got {axis}")
    a = axis % r
    for i in range(r):
        if i == a:
            continue
        dims = {x[i] for x in known if x[i] is not None}
        if len(dims) > 1:
            d0, d1 = sorted(dims)[:2]
            raise ValueError(f"Dimension {i} in both shapes must be equal, but are {d0} and "
                             f"{d1}. Shapes are {_fmt(known[0])} and {_fmt(known[1])}. for "
                             f"'{name}' (op: 'ConcatV2') with input shapes: {with_axis}.")


def _concat_np(k, *xs):
    return np.concatenate(xs, axis=k.attrs["axis"])


def _concat_emit(g):
    n = len(g.op.inputs)
    r = g.orank()
    a = g.attrs["axis"] % r
    parts = "".join(f"{g.arr(i)}, " for i in range(n))
    g.out(f"np.concatenate(({parts}), {a})")


def _concat_grad(op, dy):
    xs = op.inputs
    a = op.attrs["axis"]
    sizes = [x.shape.as_tuple()[a] if x.shape.ndims is not None else None for x in xs]
    if all(s is not None for s in sizes):
        return split(dy, sizes, axis=a)
    from jitgraph.ops.array_ops import shape as shape_op
    from jitgraph.ops.array_ops import stack
    sz = stack([shape_op(x)[a] for x in xs])
    return list(make_op("SplitV", [dy, sz], [dy.dtype] * len(xs),
                        {"axis": a, "num_split": len(xs)}, name="split").outputs)


register("ConcatV2", shape=_concat_shape, numpy=_concat_np, emit=_concat_emit,
         grad=_concat_grad)


def concat(values, axis, name="concat"):
    """`tf.concat`: joins tensors along `axis` (negative counts from the end)."""
    if not isinstance(values, (list, tuple)):
        values = [values]
    values = convert_n(list(values))
    axis = _static_int(axis)
    if len(values) == 1:
        from jitgraph.ops.array_ops import identity
        return identity(values[0], name=name)
    _check_concat(values, axis, _op_name(name))
    r = next((v.shape.ndims for v in values if v.shape.ndims is not None), None)
    # Unknown rank: a negative axis stays negative until the plan knows the rank.
    a = axis % r if r is not None else axis
    dt = values[0].dtype
    for v in values[1:]:
        if v.dtype != dt:
            raise TypeError(f"Tensors in list passed to 'values' of 'ConcatV2' Op have types "
                            f"[{', '.join(x.dtype.name for x in values)}] that don't all "
                            "match.")
    return make_tensor("ConcatV2", values, dt, {"axis": a}, name=name)


def _split_sizes(dim, attrs, sizes):
    """Per-output sizes along the axis (None where unknown)."""
    n = attrs["num_split"]
    if sizes is None:  # Split: equal parts
        return [None if dim is None else dim // n] * n
    sizes = [int(v) for v in np.asarray(sizes).ravel()]
    if -1 in sizes:
        rest = sum(v for v in sizes if v != -1)
        fill = None if dim is None else dim - rest
        sizes = [fill if v == -1 else v for v in sizes]
    return sizes


def _split_shape(s):
    x = s.shapes[0]
    n = s.attrs["num_split"]
    if x is None:
        return [None] * n
    a = s.attrs["axis"] % max(len(x), 1)
    sizes = _split_sizes(x[a], s.attrs, s.const(1) if len(s.shapes) > 1 else None) \
        if not (len(s.shapes) > 1 and s.const(1) is None) else [None] * n
    return [tuple(sz if i == a else d for i, d in enumerate(x)) for sz in sizes]


def _split_np(k, x, sizes=None):
    a = k.attrs["axis"]
    n = k.attrs["num_split"]
    dim = x.shape[a]
    if sizes is None:
        if dim % n:
            raise errors.InvalidArgumentError(
                None, k.op, f"Number of ways to split should evenly divide the split dimension, "
                            f"but got split_dim {a} (size = {dim}) and num_split {n}")
        sz = [dim // n] * n
    else:
        sz = _split_sizes(dim, k.attrs, sizes)
        if sum(sz) != dim or any(v < 0 for v in sz):
            raise errors.InvalidArgumentError(
                None, k.op, f"Determined shape must either match input shape along split_dim "
                            f"exactly if fully specified, or be less than the size of the input "
                            f"along split_dim if not fully specified.  Got: {sum(sz)}")
    offs = np.concatenate([[0], np.cumsum(sz)]).astype(int)
    idx = [slice(None)] * x.ndim
    out = []
    for i in range(n):
        idx[a] = slice(offs[i], offs[i + 1])
        out.append(np.ascontiguousarray(x[tuple(idx)]))
    return out


def _split_emit(g):
    x = g.arr(0)
    r = g.rank(0)
    a = g.attrs["axis"] % r
    n = g.attrs["num_split"]
    dim = f"{x}.shape[{a}]"
    bounds = []
    if len(g.op.inputs) == 1:
        step = g.tmp("n")
        g.line(f"{step} = {dim} // {n}", tag=True)
        g.line(f"if {step} * {n} != {dim}:")
        g.line(f"    raise ValueError(\"Number of ways to split should evenly divide the split "
               f"dimension (split_dim {a}, num_split {n})\")")
        bounds = [(f"{i} * {step}", f"{i + 1} * {step}") for i in range(n)]
    else:
        sizes = g.const(1)
        sz = g.tmp("sz")
        if sizes is not None:
            vals = [int(v) for v in np.asarray(sizes).ravel()]
            g.line(f"{sz} = np.array([{', '.join(str(v) for v in vals)}], np.int64)", tag=True)
        else:
            g.line(f"{sz} = {g.arr(1)}.astype(np.int64)", tag=True)
        g.line(f"for j in range({n}):")
        g.line(f"    if {sz}[j] == -1:")
        g.line(f"        {sz}[j] = {dim} - ({sz}.sum() + 1)")
        g.line(f"if {sz}.sum() != {dim} or {sz}.min() < 0:")
        g.line("    raise ValueError(\"Determined shape must either match input shape along "
               "split_dim exactly if fully specified, or be less than the size of the input "
               "along split_dim if not fully specified.\")")
        off = g.tmp("off")
        g.line(f"{off} = np.zeros({n + 1}, np.int64)")
        g.line(f"{off}[1:] = np.cumsum({sz})")
        bounds = [(f"{off}[{i}]", f"{off}[{i + 1}]") for i in range(n)]
    for i, (b, e) in enumerate(bounds):
        idx = ", ".join(f"{b}:{e}" if j == a else ":" for j in range(r))
        g.out(f"np.ascontiguousarray({x}[{idx}])", k=i)


def _split_grad(op, *dys):
    from jitgraph.ops.array_ops import zeros_like
    parts = [dy if dy is not None else zeros_like(t) for dy, t in zip(dys, op.outputs)]
    grads = [concat(parts, op.attrs["axis"])]
    return grads + [None] * (len(op.inputs) - 1)


register("Split", shape=_split_shape, numpy=_split_np, emit=_split_emit, grad=_split_grad)
register("SplitV", shape=_split_shape, numpy=_split_np, emit=_split_emit, grad=_split_grad)


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """`tf.split`: equal parts (an int) or parts of the given sizes (a list, one may be -1)."""
    x = convert_to_tensor(value)
    axis = _static_int(axis)
    r = x.shape.ndims
    if r is not None:
        if not -r <= axis < r:
            raise ValueError(f"Dimension {axis} must be in range [{-r}, {r}) for "
                             f"'{_op_name(name)}'")
        axis %= r
    dim = x.shape.as_tuple()[axis] if r is not None else None
    if isinstance(num_or_size_splits, (int, np.integer)):
        n = int(num_or_size_splits)
        if dim is not None and dim % n:
            raise ValueError(f"Dimension size must be evenly divisible by {n} but is {dim} for "
                             f"'{_op_name(name)}' (op: 'Split') with input shapes: [], "
                             f"{_fmt(x.shape.as_tuple())}.")
        op = make_op("Split", [x], [x.dtype] * n, {"axis": axis, "num_split": n}, name=name)
        return list(op.outputs)
    sizes = num_or_size_splits
    if isinstance(sizes, Tensor):
        st = sizes
        if num is None:
            n = st.shape.as_tuple()[0] if st.shape.ndims == 1 else None
            if n is None:
                raise ValueError(f"Cannot infer num from shape {st.shape}")
        else:
            n = num
    else:
        vals = [int(v) for v in np.asarray(sizes).ravel()]
        n = len(vals)
        if dim is not None and -1 not in vals and sum(vals) != dim:
            raise ValueError(f"Determined shape must either match input shape along split_dim "
                             f"exactly if fully specified, or be less than the size of the "
                             f"input along split_dim if not fully specified.  Got: {sum(vals)} "
                             f"for '{_op_name(name)}' (op: 'SplitV')")
        st = constant(np.asarray(vals, np.int32))
    op = make_op("SplitV", [x, st], [x.dtype] * n, {"axis": axis, "num_split": n}, name=name)
    return list(op.outputs)


# -- tile ----------------------------------------------------------------------------------
def _tile_shape(s):
    x = s.shapes[0]
    m = s.const(1)
    if x is None:
        n = s.shapes[1]
        return [None if n is None or n[0] is None else (None,) * n[0]]
    if m is None:
        return [(None,) * len(x)]
    m = [int(v) for v in np.asarray(m).ravel()]
    if len(m) != len(x):
        raise ValueError(f"Shape must be rank {len(x)} but is rank {len(m)}: multiples of a "
                         f"tile must have one entry per input dim")
    return [tuple(None if d is None else d * k for d, k in zip(x, m))]


def _tile_grad(op, dy):
    from jitgraph.ops.array_ops import reshape
    from jitgraph.ops.array_ops import shape as shape_op
    from jitgraph.ops.array_ops import stack
    from jitgraph.ops.reduction_ops import reduce_sum
    x, mult = op.inputs
    # The multiples hold one entry per dim: their length is x's rank when x's is unknown.
    r = x.shape.ndims if x.shape.ndims is not None else mult.shape.as_tuple()[0]
    if r is None:
        raise NotImplementedError(
            "jitgraph: the gradient of tf.tile needs the rank of its input or the length of "
            "its multiples known when the graph is built")
    m = constant_value(mult)
    if x.shape.is_fully_defined() and m is not None:
        dims = []
        for k, d in zip(np.asarray(m).ravel(), x.shape.as_list()):
            dims += [int(k), d]
        split_shape = constant(np.asarray(dims, np.int32))
    else:
        sx = shape_op(x, out_type=mult.dtype)
        split_shape = reshape(stack([mult, sx], axis=1), [-1])
    return [reduce_sum(reshape(dy, split_shape), axis=list(range(0, 2 * r, 2))), None]


def _tile_emit(g):
    x = g.arr(0)
    r = g.rank(0)
    if r == 0:
        g.out(g.s(0))
        return
    m = g.const(1)
    mult = [str(int(v)) for v in np.asarray(m).ravel()] if m is not None else \
        [f"np.int64({g.arr(1)}[{i}])" for i in range(r)]
    out = g.tmp("tile")
    dims = "".join(f"{x}.shape[{i}] * {mult[i]}, " for i in range(r))
    g.line(f"{out} = np.empty(({dims}), {g.odt()})", tag=True)
    # One pass over the output; the source index wraps around each input dim.
    for i in range(r):
        g.line("    " * i + f"for i{i} in range({out}.shape[{i}]):")
    src = ", ".join(f"i{i} % {x}.shape[{i}]" for i in range(r))
    g.line("    " * r + f"{out}[{', '.join(f'i{i}' for i in range(r))}] = {x}[{src}]")
    g.out(out)


register("Tile", shape=_tile_shape,
         numpy=lambda k, x, m: np.tile(x, tuple(int(v) for v in np.asarray(m).ravel())),
         emit=_tile_emit, grad=_tile_grad)


def tile(input, multiples, name=None):  # noqa: A002
    x = convert_to_tensor(input)
    m = _int_tensor(multiples)
    return make_tensor("Tile", [x, m], x.dtype, name=name or "Tile")


# -- pad -------------------------------------------------------------------------------------
def _pad_shape(s):
    x = s.shapes[0]
    p = s.const(1)
    if x is None:
        ps = s.shapes[1]
        return [None if ps is None or ps[0] is None else (None,) * ps[0]]
    if p is None:
        return [(None,) * len(x)]
    p = np.asarray(p).reshape(-1, 2)
    if p.shape[0] != len(x):
        raise ValueError(f"The first dimension of paddings must be the rank of inputs"
                         f"{_fmt((p.shape[0], 2))}, {_fmt(x)}")
    return [tuple(None if d is None else d + int(a) + int(b) for d, (a, b) in zip(x, p))]


def _check_mirror(k, x, p):
    mode = k.attrs["mode"]
    off = 0 if mode == "SYMMETRIC" else 1
    for d, (a, b) in zip(x.shape, p):
        if a < 0 or b < 0 or a > d - off or b > d - off:
            raise errors.InvalidArgumentError(
                None, k.op, f"paddings must be no greater than the dimension size: {a}, {b} "
                            f"greater than {d - off}")


def _pad_np(k, x, p, c=None):
    p = np.asarray(p).reshape(-1, 2).astype(int)
    if (p < 0).any():
        raise errors.InvalidArgumentError(None, k.op, f"Paddings must be non-negative: "
                                                      f"{p.min()}")
    if k.op.type == "MirrorPad":
        _check_mirror(k, x, p)
        return np.pad(x, p, mode=k.attrs["mode"].lower())
    return np.pad(x, p, mode="constant", constant_values=c)


def _pad_emit(g):
    x = g.arr(0)
    r = g.rank(0)
    p = g.const(1)
    if p is not None:
        p = np.asarray(p).reshape(-1, 2).astype(int)
        before = [str(a) for a in p[:, 0]]
        extra = [str(a + b) for a, b in p]
    else:  # computed paddings (e.g. the gradient of tf.slice): read them at run time
        pa = g.arr(1)
        before, extra = [], []
        for i in range(r):
            b, e = g.tmp("pb"), g.tmp("pe")
            g.line(f"{b} = np.int64({pa}[{i}, 0])", tag=True)
            g.line(f"{e} = {b} + np.int64({pa}[{i}, 1])")
            g.line(f"if {b} < 0 or {e} < {b}:")
            g.line("    raise ValueError(\"Paddings must be non-negative\")")
            before.append(b)
            extra.append(e)
    dims = "".join(f"{x}.shape[{i}] + {extra[i]}, " for i in range(r))
    out = g.tmp("pad")
    g.line(f"{out} = np.full(({dims}), {g.s(2)}, {g.odt()})", tag=True)
    idx = ", ".join(f"{before[i]}:{before[i]} + {x}.shape[{i}]" for i in range(r))
    g.line(f"{out}[{idx}] = {x}")
    g.out(out)


def _pad_grad(op, dy):
    from jitgraph.ops.array_ops import shape as shape_op
    from jitgraph.ops.slicing import slice_ as slice_op
    x, p = op.inputs[0], op.inputs[1]
    pv = constant_value(p)
    if pv is not None:
        begin = np.asarray(pv).reshape(-1, 2)[:, 0].astype(np.int32)
    else:
        from jitgraph.ops.array_ops import reshape
        begin = reshape(slice_op(p, [0, 0], [-1, 1]), [-1])
    if op.type == "MirrorPad":
        return [make_tensor("MirrorPadGrad", [dy, p], dy.dtype, {"mode": op.attrs["mode"]}),
                None]
    size = x.shape.as_list() if x.shape.is_fully_defined() else shape_op(x, out_type=p.dtype)
    return [slice_op(dy, begin, size), None, None]


def _mirror_grad_shape(s):
    x = s.shapes[0]
    p = s.const(1)
    if x is None or p is None:
        return [None if x is None else (None,) * len(x)]
    p = np.asarray(p).reshape(-1, 2)
    return [tuple(None if d is None else d - int(a) - int(b) for d, (a, b) in zip(x, p))]


def _mirror_grad_np(k, dy, p):
    p = np.asarray(p).reshape(-1, 2).astype(int)
    off = 0 if k.attrs["mode"] == "SYMMETRIC" else 1
    g = np.array(dy, copy=True)
    for ax, (a, b) in enumerate(p):
        g = np.moveaxis(g, ax, 0)
        n = g.shape[0] - a - b
        core = np.array(g[a:a + n], copy=True)
        for i in range(a):  # padded position i mirrors core index a - i - 1 + off
            core[a - i - 1 + off] += g[i]
        for i in range(b):  # tail position n + i mirrors core index n - 1 - i - off
            core[n - 1 - i - off] += g[a + n + i]
        g = np.moveaxis(core, 0, ax)
    return np.ascontiguousarray(g)


register("PadV2", shape=_pad_shape, numpy=_pad_np, emit=_pad_emit, grad=_pad_grad)
register("MirrorPad", shape=_pad_shape, numpy=_pad_np, grad=_pad_grad,
         host="no emitter yet (reflect/symmetric padding)")
register("MirrorPadGrad", shape=_mirror_grad_shape, numpy=_mirror_grad_np,
         host="no emitter yet (folds reflected borders back)",
         grad=lambda op, dy: [make_tensor("MirrorPad", [dy, op.inputs[1]], dy.dtype,
                                          {"mode": op.attrs["mode"]}), None])


def pad(tensor, paddings, mode="CONSTANT", name=None, constant_values=0):
    """`tf.pad`: CONSTANT (with `constant_values`), REFLECT or SYMMETRIC padding."""
    x = convert_to_tensor(tensor)
    p = _int_tensor(paddings)
    mode = mode.upper()
    if mode == "CONSTANT":
        c = convert_to_tensor(constant_values, dtype=x.dtype) \
            if not isinstance(constant_values, Tensor) else constant_values
        return make_tensor("PadV2", [x, p, c], x.dtype, name=name or "Pad")
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise ValueError(f"Unknown padding mode: {mode}")
    pv = constant_value(p)
    if pv is not None and x.shape.ndims is not None:
        off = 0 if mode == "SYMMETRIC" else 1
        for d, (a, b) in zip(x.shape.as_tuple(), np.asarray(pv).reshape(-1, 2)):
            if d is not None and (a > d - off or b > d - off):
                rel = ("no greater than", "greater than") if off == 0 else \
                    ("less than", "not less than")
                raise ValueError(f"paddings must be {rel[0]} the dimension size: {a}, {b} "
                                 f"{rel[1]} {d}")
    return make_tensor("MirrorPad", [x, p], x.dtype, {"mode": mode}, name=name or "MirrorPad")


# -- gather ----------------------------------------------------------------------------------
def _gather_shape(s):
    p, idx = s.shapes[0], s.shapes[1]
    if p is None or idx is None:
        return [None]
    a = s.attrs["axis"] % max(len(p), 1)  # negative until the plan knows the rank
    return [tuple(p[:a]) + tuple(idx) + tuple(p[a + 1:])]


def _index_text(flat, shape):
    return ",".join(str(int(i)) for i in np.unravel_index(flat, shape)) if shape else ""


def _gather_np(k, params, indices):
    a = k.attrs["axis"]
    n = params.shape[a]
    idx = np.asarray(indices)
    bad = np.flatnonzero((idx < 0) | (idx >= n))
    if bad.size:
        i = int(bad[0])
        raise errors.InvalidArgumentError(
            None, k.op, f"indices[{_index_text(i, idx.shape) or 0}] = {int(idx.ravel()[i])} is "
                        f"not in [0, {n})")
    return np.array(np.take(params, idx, axis=a))


def _gather_emit(g):
    p, idx = g.arr(0), g.i(1)
    pr, ir = g.rank(0), g.rank(1)
    a = g.attrs["axis"] % pr
    pre = _prod_text([f"{p}.shape[{i}]" for i in range(a)])
    post = _prod_text([f"{p}.shape[{i}]" for i in range(a + 1, pr)])
    n = g.tmp("n")
    p3, i1, o3 = g.tmp("p"), g.tmp("ix"), g.tmp("o")
    g.line(f"{n} = {p}.shape[{a}]", tag=True)
    g.line(f"{p3} = np.ascontiguousarray({p}).reshape(({pre}, {n}, {post}))")
    if ir == 0:
        g.line(f"{i1} = np.full(1, {idx}, np.int64)")
    else:
        g.line(f"{i1} = np.ascontiguousarray({idx}).ravel()")
    g.line(f"{o3} = np.empty(({pre}, {i1}.size, {post}), {g.odt()})")
    g.line(f"for i in range({i1}.size):")
    g.line(f"    j = {i1}[i]")
    g.line(f"    if j < 0 or j >= {n}:")
    # The message names the position in `indices` as TF does: "indices[1,0] = 7 ...".
    pos = [f"str((i // ({_prod_text([f'{idx}.shape[{m}]' for m in range(k + 1, ir)])})) % "
           f"{idx}.shape[{k}])" for k in range(ir)] or ["\"0\""]
    where = ' + "," + '.join(pos)
    g.line(f"        raise ValueError(\"indices[\" + {where} + \"] = \" + "
           f"str(j) + \" is not in [0, \" + str({n}) + \")\")")
    g.line(f"    for a in range({o3}.shape[0]):")
    g.line(f"        for b in range({o3}.shape[2]):")
    g.line(f"            {o3}[a, i, b] = {p3}[a, j, b]")
    dims = [f"{p}.shape[{i}]" for i in range(a)] + [f"{idx}.shape[{i}]" for i in range(ir)] \
        + [f"{p}.shape[{i}]" for i in range(a + 1, pr)]
    if not dims:
        g.out(f"{o3}[0, 0, 0]")
    else:
        g.out(f"{o3}.reshape(({''.join(d + ', ' for d in dims)}))")


def _gather_grad(op, dy):
    from jitgraph.ops.array_ops import shape as shape_op
    params, indices = op.inputs
    ps = params.shape
    pshape = constant(np.asarray(ps.as_list(), np.int32)) if ps.is_fully_defined() \
        else shape_op(params)
    return [make_tensor("GatherGrad", [dy, indices, pshape], dy.dtype,
                        {"axis": op.attrs["axis"], "_params_shape": ps.as_tuple()},
                        name="GatherGrad"), None]


def _gather_grad_shape(s):
    v = s.const(2)
    if v is not None:
        return [tuple(int(d) for d in np.asarray(v).ravel())]
    return [s.attrs["_params_shape"]]


def _gather_grad_np(k, dy, indices, pshape):
    a = k.attrs["axis"]
    shp = tuple(int(d) for d in np.asarray(pshape).ravel())
    a %= max(len(shp), 1)
    out = np.zeros(shp, dy.dtype)
    idx = np.asarray(indices)
    pre = int(np.prod(shp[:a], dtype=np.int64))
    post = int(np.prod(shp[a + 1:], dtype=np.int64))
    o3 = out.reshape(pre, shp[a], post)
    d3 = np.asarray(dy).reshape(pre, idx.size, post)
    np.add.at(o3, (slice(None), idx.ravel()), d3)
    return out


def _gather_grad_emit(g):
    dy, idx = g.arr(0), g.i(1)
    r = g.orank()
    a = g.attrs["axis"] % r
    v = g.const(2)
    dims = [str(int(d)) for d in np.asarray(v).ravel()] if v is not None else \
        [f"np.int64({g.arr(2)}[{i}])" for i in range(r)]
    pre, post = _prod_text(dims[:a]), _prod_text(dims[a + 1:])
    i1, o3, d3 = g.tmp("ix"), g.tmp("o"), g.tmp("d")
    out = g.tmp("gg")
    g.line(f"{out} = np.zeros(({''.join(d + ', ' for d in dims)}), {g.odt()})", tag=True)
    if g.rank(1) == 0:
        g.line(f"{i1} = np.full(1, {idx}, np.int64)")
    else:
        g.line(f"{i1} = np.ascontiguousarray({idx}).ravel()")
    g.line(f"{o3} = {out}.reshape(({pre}, {dims[a]}, {post}))")
    g.line(f"{d3} = np.ascontiguousarray({dy}).reshape(({pre}, {i1}.size, {post}))")
    g.line(f"for i in range({i1}.size):")
    g.line(f"    j = {i1}[i]")
    g.line(f"    for a in range({o3}.shape[0]):")
    g.line(f"        for b in range({o3}.shape[2]):")
    g.line(f"            {o3}[a, j, b] += {d3}[a, i, b]")
    g.out(out)


register("GatherV2", shape=_gather_shape, numpy=_gather_np, emit=_gather_emit,
         grad=_gather_grad)
register("GatherGrad", shape=_gather_grad_shape, numpy=_gather_grad_np,
         emit=_gather_grad_emit,
         grad=lambda op, ddy: [gather(ddy, op.inputs[1], axis=op.attrs["axis"]), None, None])


def gather(params, indices, validate_indices=None, name=None, axis=None, batch_dims=0):
    """`tf.gather`: slices of `params` along `axis` at `indices` (checked at run time)."""
    p = convert_to_tensor(params)
    i = convert_to_tensor(indices)
    if not i.dtype.is_integer:
        raise TypeError(f"Value passed to parameter 'indices' has DataType {i.dtype.name} not "
                        "in list of allowed values: int32, int64")
    if batch_dims:
        raise NotImplementedError("jitgraph: tf.gather with batch_dims is not supported")
    a = 0 if axis is None else _static_int(axis)
    r = p.shape.ndims
    if r is not None:
        if not -r <= a < r:
            raise ValueError(f"Shape must be at least rank {a + 1} but is rank {r} for "
                             f"'{_op_name(name or 'GatherV2')}' (op: 'GatherV2')")
        a %= r
    return make_tensor("GatherV2", [p, i], p.dtype, {"axis": a}, name=name or "GatherV2")


# -- one_hot ---------------------------------------------------------------------------------
def _one_hot_shape(s):
    idx = s.shapes[0]
    if idx is None:
        return [None]
    d = s.const(1)
    d = None if d is None else int(d)
    a = s.attrs["axis"]
    a = len(idx) if a == -1 else a
    return [tuple(idx[:a]) + (d,) + tuple(idx[a:])]


def _one_hot_np(k, idx, depth, on, off):
    idx = np.asarray(idx)
    depth = int(depth)
    if depth < 0:
        raise errors.InvalidArgumentError(None, k.op, f"depth must be non-negative, got: "
                                                      f"{depth}")
    a = k.attrs["axis"]
    a = idx.ndim if a == -1 else a
    eye = np.arange(depth).reshape((1,) * a + (depth,) + (1,) * (idx.ndim - a))
    hot = np.expand_dims(idx, a) == eye
    return np.where(hot, on, off).astype(k.op.outputs[0].dtype.as_numpy_dtype)


def _one_hot_emit(g):
    idx = g.i(0)
    r = g.rank(0)
    a = g.attrs["axis"]
    a = r if a == -1 else a
    pre = _prod_text([f"{idx}.shape[{i}]" for i in range(a)])
    post = _prod_text([f"{idx}.shape[{i}]" for i in range(a, r)])
    depth, i1, o3 = g.tmp("depth"), g.tmp("ix"), g.tmp("o")
    g.line(f"{depth} = np.int64({g.s(1)})", tag=True)
    if r == 0:
        g.line(f"{i1} = np.full(1, {idx}, np.int64)")
    else:
        g.line(f"{i1} = np.ascontiguousarray({idx}).ravel()")
    g.line(f"{o3} = np.full(({pre}, {depth}, {post}), {g.s(3)}, {g.odt()})")
    g.line(f"for a in range({o3}.shape[0]):")
    g.line(f"    for b in range({o3}.shape[2]):")
    g.line(f"        v = {i1}[a * {o3}.shape[2] + b]")
    g.line(f"        if v >= 0 and v < {depth}:")
    g.line(f"            {o3}[a, v, b] = {g.s(2)}")
    dims = [f"{idx}.shape[{i}]" for i in range(a)] + [depth] + \
        [f"{idx}.shape[{i}]" for i in range(a, r)]
    g.out(f"{o3}.reshape(({''.join(d + ', ' for d in dims)}))")


register("OneHot", shape=_one_hot_shape, numpy=_one_hot_np, emit=_one_hot_emit,
         grad=lambda op, dy: [None, None, None, None])


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """`tf.one_hot`: `on_value` where index == position along `axis` (default last)."""
    idx = convert_to_tensor(indices)
    if dtype is None:
        for v in (on_value, off_value):
            if isinstance(v, Tensor):
                dtype = v.dtype
                break
        else:
            for v in (on_value, off_value):
                if v is not None:
                    from jitgraph.ops.constant import infer_dtype
                    dtype = infer_dtype(v)
                    break
            else:
                dtype = dtypes.float32
    dtype = dtypes.as_dtype(dtype)
    g = idx.graph
    with g.as_default(), g.name_scope(name or "one_hot") as scope:
        on = convert_to_tensor(1 if on_value is None else on_value, dtype=dtype, name="on_value")
        off = convert_to_tensor(0 if off_value is None else off_value, dtype=dtype,
                                name="off_value")
        d = _int_tensor(depth)
        a = -1 if axis is None else int(axis)
        r = idx.shape.ndims
        if r is not None and not -1 <= a <= r:
            raise ValueError(f"Expected axis to be -1 or between [0, {r + 1}).  But received: "
                             f"{a}")
        return make_tensor("OneHot", [idx, d, on, off], dtype, {"axis": a},
                           name=scope)


# -- argmax / argmin -------------------------------------------------------------------------
def _arg_shape(s):
    x = s.shapes[0]
    if x is None:
        return [None]
    a = s.attrs["axis"] % max(len(x), 1)
    return [tuple(d for i, d in enumerate(x) if i != a)]


def _arg_np(fn):
    def kernel(k, x):
        a = k.attrs["axis"]
        if x.shape[a] == 0:
            raise errors.InvalidArgumentError(None, k.op, "Reduction axis is empty in shape "
                                                          f"{list(x.shape)}")
        return np.asarray(fn(x, axis=a), k.attrs["output_type"].as_numpy_dtype)
    return kernel


def _arg_emit(cmp):
    def emit(g):
        x = g.arr(0)
        r = g.rank(0)
        a = g.attrs["axis"] % r
        pre = _prod_text([f"{x}.shape[{i}]" for i in range(a)])
        post = _prod_text([f"{x}.shape[{i}]" for i in range(a + 1, r)])
        x3, o2, n = g.tmp("x"), g.tmp("o"), g.tmp("n")
        g.line(f"{n} = {x}.shape[{a}]", tag=True)
        g.line(f"if {n} == 0:")
        g.line("    raise ValueError(\"Reduction axis is empty\")")
        g.line(f"{x3} = np.ascontiguousarray({x}).reshape(({pre}, {n}, {post}))")
        g.line(f"{o2} = np.zeros(({pre}, {post}), {g.odt()})")
        g.line(f"for a in range({x3}.shape[0]):")
        g.line(f"    for b in range({x3}.shape[2]):")
        g.line(f"        best = {x3}[a, 0, b]")
        g.line(f"        for j in range(1, {n}):")
        g.line(f"            v = {x3}[a, j, b]")
        # The first NaN wins, as numpy's argmax/argmin (nothing compares above it).
        g.line(f"            if v {cmp} best or (v != v and best == best):")
        g.line("                best = v")
        g.line(f"                {o2}[a, b] = j")
        dims = [f"{x}.shape[{i}]" for i in range(r) if i != a]
        if dims:
            g.out(f"{o2}.reshape(({''.join(d + ', ' for d in dims)}))")
        else:
            g.out(f"{o2}[0, 0]")
    return emit


register("ArgMax", shape=_arg_shape, numpy=_arg_np(np.argmax), emit=_arg_emit(">"))
register("ArgMin", shape=_arg_shape, numpy=_arg_np(np.argmin), emit=_arg_emit("<"))


def _make_arg(op_type):
    def fn(input, axis=None, name=None, dimension=None,  # noqa: A002
           output_type=dtypes.int64):
        if dimension is not None:
            if axis is not None:
                raise ValueError("Cannot specify both 'axis' and 'dimension'")
            axis = dimension
        x = convert_to_tensor(input)
        a = 0 if axis is None else _static_int(axis)
        r = x.shape.ndims
        if r is not None:
            if r == 0 or not -r <= a < r:
                raise ValueError(f"Expected dimension in the range [{-r}, {r}), but got {a}")
            a %= r
        ot = dtypes.as_dtype(output_type)
        return make_tensor(op_type, [x], ot, {"axis": a, "output_type": ot},
                           name=name or op_type)
    fn.__name__ = op_type.lower()
    return fn


argmax = _make_arg("ArgMax")
argmin = _make_arg("ArgMin")


# -- range -----------------------------------------------------------------------------------
def _range_shape(s):
    vals = [s.const(i) for i in range(3)]
    if any(v is None for v in vals):
        return [(None,)]
    start, limit, delta = (np.asarray(v).item() for v in vals)
    if delta == 0:
        raise ValueError(f"Requires delta != 0: {delta}")
    return [(max(0, int(np.ceil((limit - start) / delta))),)]


def _range_np(k, start, limit, delta):
    start, limit, delta = (np.asarray(v).item() for v in (start, limit, delta))
    if delta == 0:
        raise errors.InvalidArgumentError(None, k.op, f"Requires delta != 0: {delta}")
    if (delta > 0 and start > limit) or (delta < 0 and start < limit):
        raise errors.InvalidArgumentError(
            None, k.op, f"Requires start {'<=' if delta > 0 else '>='} limit when delta > 0: "
                        f"{start}/{limit}")
    return np.arange(start, limit, delta).astype(k.op.outputs[0].dtype.as_numpy_dtype)


def _range_emit(g):
    s0, s1, s2 = g.s(0), g.s(1), g.s(2)
    g.line(f"if {s2} == 0:", tag=True)
    g.line("    raise ValueError(\"Requires delta != 0\")")
    g.line(f"if ({s2} > 0 and {s0} > {s1}) or ({s2} < 0 and {s0} < {s1}):")
    g.line("    raise ValueError(\"Requires start <= limit when delta > 0 (or start >= limit "
           "when delta < 0)\")")
    g.out(f"np.arange({g.s(0)}, {g.s(1)}, {g.s(2)}).astype({g.odt()})")


register("Range", shape=_range_shape, numpy=_range_np, emit=_range_emit,
         grad=lambda op, dy: [None, None, None])


def range_(start, limit=None, delta=1, dtype=None, name="range"):
    """`tf.range` (exported under that name; `range` here would shadow the builtin):
    like Python's range, int32 unless a float argument or `dtype` says otherwise."""
    if limit is None:
        start, limit = 0, start
    args = [start, limit, delta]
    if dtype is None:
        order = [dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64]
        found = []
        for v in args:
            if isinstance(v, Tensor):
                found.append(v.dtype)
            else:
                from jitgraph.ops.constant import infer_dtype
                found.append(infer_dtype(v))
        dtype = max(found, key=lambda d: order.index(d) if d in order else 0)
    dtype = dtypes.as_dtype(dtype)
    g = get_default_graph()
    for v in args:
        if isinstance(v, Tensor):
            g = v.graph
    with g.as_default(), g.name_scope(name) as scope:
        from jitgraph.ops.math_ops import cast
        ts = []
        for v, nm in zip(args, ("start", "limit", "delta")):
            ts.append(cast(v, dtype) if isinstance(v, Tensor) else
                      constant(v, dtype=dtype, name=nm))
        return make_tensor("Range", ts, dtype, name=scope)


# -- where (indices of true elements) -----------------------------------------------------------
def _where_emit(g):
    r = g.rank(0)
    c, flat, out, n = g.tmp("c"), g.tmp("flat"), g.tmp("where"), g.tmp("n")
    g.line(f"{c} = np.ascontiguousarray({g.arr(0)})", tag=True)
    g.line(f"{flat} = {c}.ravel()")
    g.line(f"{n} = 0")
    g.line(f"for k in range({flat}.size):")
    g.line(f"    if {flat}[k]:")
    g.line(f"        {n} += 1")
    g.line(f"{out} = np.empty(({n}, {r}), np.int64)")
    g.line(f"{n} = 0")
    g.line(f"for k in range({flat}.size):")
    g.line(f"    if {flat}[k]:")
    g.line("        rem = k")
    for d in range(r - 1, -1, -1):
        g.line(f"        {out}[{n}, {d}] = rem % {c}.shape[{d}]")
        g.line(f"        rem //= {c}.shape[{d}]")
    g.line(f"        {n} += 1")
    g.out(out)


register("Where",
         shape=lambda s: [None if s.shapes[0] is None else (None, len(s.shapes[0]))],
         numpy=lambda k, c: np.argwhere(np.asarray(c)).astype(np.int64).reshape(
             -1, np.ndim(c)),
         emit=_where_emit, grad=lambda op, dy: [None],
         host_if=lambda c: "Where of a scalar has no compiled kernel" if c.rank(0) == 0 else None)


def where_indices(condition, name=None):
    """`tf.where(cond)`: int64 [N, rank] coordinates of the true (non-zero) elements."""
    c = convert_to_tensor(condition)
    return make_tensor("Where", [c], dtypes.int64, name=name or "Where")


# -- broadcast_to ------------------------------------------------------------------------------
def _bcast_to_shape(s):
    v = s.const(1)
    if v is None:
        n = s.shapes[1]
        return [None if n is None or n[0] is None else (None,) * n[0]]
    target = tuple(int(d) for d in np.asarray(v).ravel())
    x = s.shapes[0]
    if x is not None:
        from jitgraph.ops.registry import broadcast_shapes
        out = broadcast_shapes(x, target)
        if len(x) > len(target) or out != target:
            raise ValueError(f"Incompatible shapes for broadcasting: {_fmt(x)} and "
                             f"{_fmt(target)}")
    return [target]


def _bcast_to_np(k, x, shp):
    target = tuple(int(d) for d in np.asarray(shp).ravel())
    try:
        return np.array(np.broadcast_to(x, target))
    except ValueError:
        raise errors.InvalidArgumentError(
            None, k.op, f"Incompatible shapes: {list(np.shape(x))} vs. {list(target)}") from None


def _bcast_to_grad(op, dy):
    from jitgraph.ops.reduction_ops import sum_to_shape_of
    return [sum_to_shape_of(dy, op.inputs[0]), None]


register("BroadcastTo", shape=_bcast_to_shape, numpy=_bcast_to_np, grad=_bcast_to_grad,
         host="no emitter yet: its target shape is a run-time value")


def broadcast_to(input, shape, name=None):  # noqa: A002
    x = convert_to_tensor(input)
    if hasattr(shape, "as_list"):
        shape = shape.as_list()
    s = _int_tensor(shape)
    return make_tensor("BroadcastTo", [x, s], x.dtype, name=name or "BroadcastTo")


# -- clip_by_value -----------------------------------------------------------------------------
def _clip_grad(op, dy):
    from jitgraph.ops.math_ops import greater, less, logical_or, where
    from jitgraph.ops.reduction_ops import sum_to_shape_of
    x, lo, hi = op.inputs
    zero = constant(0, dtype=dy.dtype)
    below, above = less(x, lo), greater(x, hi)
    gx = where(logical_or(below, above), zero, dy)
    return [sum_to_shape_of(gx, x), sum_to_shape_of(where(below, dy, zero), lo),
            sum_to_shape_of(where(above, dy, zero), hi)]


def _clip_shape(s):
    out = broadcast_shape(s)[0]
    x = s.shapes[0]
    if out is not None and x is not None and len(out) == len(x):
        return [tuple(a if a is not None else b for a, b in zip(x, out))]
    return [out]


register("ClipByValue", shape=_clip_shape,
         numpy=lambda k, x, lo, hi: np.asarray(np.minimum(np.maximum(x, lo), hi),
                                               dtype=np.asarray(x).dtype),
         ew="min(max({0}, {1}), {2})", grad=_clip_grad)


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """`tf.clip_by_value`: elementwise min(max(t, lo), hi); lo/hi broadcast to t's shape."""
    x, lo, hi = convert_n([t, clip_value_min, clip_value_max])
    return make_tensor("ClipByValue", [x, lo, hi], x.dtype, name=name or "clip_by_value")


# -- reverse -----------------------------------------------------------------------------------
def _reverse_emit(g):
    r = g.rank(0)
    axes = [a % r for a in g.attrs["axis"]]
    idx = ", ".join("::-1" if i in axes else ":" for i in range(r))
    g.out(f"np.ascontiguousarray({g.arr(0)}[{idx}])")


register("ReverseV2", shape=same_shape,
         numpy=lambda k, x: np.ascontiguousarray(np.flip(x, tuple(k.attrs["axis"]))),
         emit=_reverse_emit,
         grad=lambda op, dy: [make_tensor("ReverseV2", [dy], dy.dtype, dict(op.attrs))])


def reverse(tensor, axis, name=None):
    """`tf.reverse` (ReverseV2): flips the dims listed in `axis`."""
    x = convert_to_tensor(tensor)
    ax = _static_int(axis)
    ax = [ax] if isinstance(ax, int) else ax
    r = x.shape.ndims
    if r is not None:
        for a in ax:
            if not -r <= a < r:
                raise ValueError(f"'axis'[{ax.index(a)}] = {a} is out of valid range [{-r}, "
                                 f"{r})")
        if len({a % r for a in ax}) != len(ax):
            raise ValueError(f"axis {ax} specified more than once.")
        ax = [a % r for a in ax]
    return make_tensor("ReverseV2", [x], x.dtype, {"axis": ax}, name=name or "ReverseV2")


# -- boolean_mask --------------------------------------------------------------------------------
def boolean_mask(tensor, mask, name="boolean_mask", axis=None):
    """`tf.boolean_mask`: the entries of `tensor` where `mask` is true (mask over the dims
    axis..axis+rank(mask)), flattened into one leading dim."""
    from jitgraph.ops.array_ops import reshape, squeeze
    from jitgraph.ops.array_ops import shape as shape_op
    x = convert_to_tensor(tensor)
    m = convert_to_tensor(mask)
    g = x.graph
    with g.as_default(), g.name_scope(name):
        mr = m.shape.ndims
        if mr is None:
            raise ValueError("Number of mask dimensions must be specified, even if some "
                             "dimensions are None.  E.g. shape=[None] is ok, but shape=None is "
                             "not.")
        a = 0 if axis is None else int(axis)
        if mr == 0:
            raise ValueError("mask cannot be scalar.")
        xs = x.shape.as_tuple()
        if xs is None:
            raise ValueError("jitgraph: boolean_mask needs the rank of the tensor")
        a %= len(xs)
        ms = m.shape.as_tuple()
        for d1, d2 in zip(xs[a:a + mr], ms):
            if d1 is not None and d2 is not None and d1 != d2:
                raise ValueError(f"Shapes {_fmt(xs[a:a + mr])} and {_fmt(ms)} are incompatible")
        outside = xs[:a] + xs[a + mr:]
        if all(d is not None for d in outside):
            target = list(xs[:a]) + [-1] + list(xs[a + mr:])
            flat = reshape(x, target)
        else:
            sx = shape_op(x)
            from jitgraph.ops.reduction_ops import reduce_prod
            lead = reduce_prod(sx[a:a + mr], axis=[0], keepdims=True)
            flat = reshape(x, concat([sx[:a], lead, sx[a + mr:]], 0))
        idx = squeeze(where_indices(reshape(m, [-1])), axis=[1])
        return gather(flat, idx, axis=a)


# -- cumsum ---------------------------------------------------------------------------------
def _cumsum_np(k, x):
    a = k.attrs["axis"]
    x = np.asarray(x)
    if k.attrs["reverse"]:
        x = np.flip(x, a)
    out = np.cumsum(x, axis=a, dtype=x.dtype)
    if k.attrs["exclusive"]:  # shift by one (not out - x: exact for floats too)
        lead = [slice(None)] * x.ndim
        lead[a] = slice(0, 1)
        out = np.concatenate([np.zeros_like(x[tuple(lead)]), np.delete(out, -1, axis=a)], a)
    if k.attrs["reverse"]:
        out = np.flip(out, a)
    return np.ascontiguousarray(out)


def _cumsum_grad(op, dy):
    at = dict(op.attrs)
    at["reverse"] = not at["reverse"]
    return [make_tensor("Cumsum", [dy], dy.dtype, at, name="Cumsum")]


register("Cumsum", shape=same_shape, numpy=_cumsum_np, grad=_cumsum_grad,
         host="no emitter yet (exclusive/reverse scans along any axis)")


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """`tf.cumsum`: running sums along `axis` (exclusive: each excludes itself)."""
    t = convert_to_tensor(x)
    a = _static_int(axis)
    r = t.shape.ndims
    if r is not None:
        if not -r <= a < r:
            raise ValueError(f"Expected axis in the range [{-r}, {r}), but got {a}")
        a %= r
    return make_tensor("Cumsum", [t], t.dtype, {"axis": a, "exclusive": bool(exclusive),
                                                "reverse": bool(reverse)},
                       name=name or "Cumsum")


def eye(num_rows, num_columns=None, batch_shape=None, dtype=dtypes.float32, name=None):
    """The identity matrix (rows x columns), as a constant."""
    m = np.eye(int(num_rows), int(num_columns if num_columns is not None else num_rows),
               dtype=dtypes.as_dtype(dtype).as_numpy_dtype)
    if batch_shape is not None:
        m = np.broadcast_to(m, tuple(batch_shape) + m.shape).copy()
    return constant(m, name=name or "eye")


def lin_space(start, stop, num, name=None):
    """`num` evenly spaced values from `start` to `stop` (inclusive)."""
    from jitgraph.ops import math_ops
    from jitgraph.ops.api import name_scope
    with name_scope(name, "LinSpace") as scope:
        start = convert_to_tensor(start)
        stop = convert_to_tensor(stop, dtype=start.dtype)
        n = int(constant_value(num) if hasattr(num, "op") else num)
        steps = math_ops.cast(range_(0, n), start.dtype)
        step = (stop - start) / float(max(n - 1, 1))
        return math_ops.add(start, steps * step, name=scope)


linspace = lin_space


def sequence_mask(lengths, maxlen=None, dtype=dtypes.bool, name=None):
    """mask[i, j] = j < lengths[i] (for every leading index of `lengths`)."""
    from jitgraph.ops import math_ops
    from jitgraph.ops.api import name_scope
    from jitgraph.ops.reduction_ops import reduce_max
    with name_scope(name, "SequenceMask") as scope:
        lengths = convert_to_tensor(lengths)
        if maxlen is None:
            maxlen = reduce_max(lengths)
        maxlen = math_ops.cast(convert_to_tensor(maxlen), lengths.dtype)
        row = range_(math_ops.cast(0, lengths.dtype), maxlen, math_ops.cast(1, lengths.dtype))
        mask = math_ops.less(row, expand_dims_(lengths, -1))
        dtype = dtypes.as_dtype(dtype)
        if dtype == dtypes.bool:
            from jitgraph.ops.array_ops import identity
            return identity(mask, name=scope)
        return math_ops.cast(mask, dtype, name=scope)


def expand_dims_(x, axis):
    from jitgraph.ops.array_ops import expand_dims
    return expand_dims(x, axis)
