"""Slicing: `Tensor.__getitem__`, `tf.strided_slice` (TF's StridedSlice op with its five
masks), `tf.slice`, and their gradients (a scatter of the gradient into zeros).

A sparse slice spec (one entry per item of the Python key) is expanded against the
input rank into dense entries; the shape rule, the numpy kernel, the emitters and the
gradient all read that one expansion, so they cannot disagree.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.framework.graph import Tensor
from jitgraph.ops.constant import constant, constant_value, convert_to_tensor
from jitgraph.ops.registry import make_tensor, register

_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


def _bit(mask, i):
    return (mask >> i) & 1


# -- the dense expansion ------------------------------------------------------------------
def _dense(n, attrs, rank):
    """Entries (kind, sparse index, input dim), kind in 'slice', 'shrink', 'new', 'full'.

    An ellipsis covers the dims no other entry consumes; without one, the remaining
    dims are kept whole at the end (numpy's and TF's implicit trailing ellipsis).
    """
    ell, new, shrink = attrs["ellipsis_mask"], attrs["new_axis_mask"], attrs["shrink_axis_mask"]
    consumed = sum(1 for i in range(n) if not _bit(ell, i) and not _bit(new, i))
    entries, d, seen_ellipsis = [], 0, False
    for i in range(n):
        if _bit(ell, i):
            if seen_ellipsis:
                raise ValueError("Multiple ellipses in slice spec not allowed")
            seen_ellipsis = True
            for _ in range(max(rank - consumed, 0)):
                entries.append(("full", i, d))
                d += 1
        elif _bit(new, i):
            entries.append(("new", i, None))
        else:
            entries.append(("shrink" if _bit(shrink, i) else "slice", i, d))
            d += 1
    if d > rank:
        raise ValueError(f"Index out of range using input dim {d - 1}; input has only {rank} "
                         "dims")
    while d < rank:
        entries.append(("full", None, d))
        d += 1
    return entries


def _partial_const(t, n):
    """Per-element constant values of a 1-D int tensor (None where computed)."""
    v = constant_value(t)
    if v is not None:
        return [int(x) for x in np.asarray(v).ravel()]
    if t.op.type == "Pack":
        out = []
        for x in t.op.inputs:
            c = constant_value(x)
            out.append(None if c is None else int(np.asarray(c).item()))
        return out
    return [None] * n


def _slice_len(dim, b, e, s):
    return len(range(dim)[slice(b, e, s)])


def _spec_shape(in_shape, n, attrs, begin, end, strides):
    """Static output shape from the (partially constant) spec; None for unknown rank."""
    if in_shape is None:
        return None
    out = []
    for kind, i, d in _dense(n, attrs, len(in_shape)):
        if kind == "full":
            out.append(in_shape[d])
        elif kind == "new":
            out.append(1)
        elif kind == "shrink":
            b, dim = begin[i], in_shape[d]
            if b is not None and dim is not None and not -dim <= b < dim:
                raise ValueError(f"slice index {b} of dimension {d} out of bounds.")
            continue
        else:
            s, dim = strides[i], in_shape[d]
            if s == 0:
                raise ValueError(f"strides[{i}] must be non-zero")
            b = None if _bit(attrs["begin_mask"], i) else begin[i]
            e = None if _bit(attrs["end_mask"], i) else end[i]
            b_known = _bit(attrs["begin_mask"], i) or b is not None
            e_known = _bit(attrs["end_mask"], i) or e is not None
            if s is None or not (b_known and e_known):
                out.append(None)
            elif dim is not None:
                out.append(_slice_len(dim, b, e, s))
            elif b is None and e is None and abs(s) == 1:
                out.append(None)  # the whole unknown dim
            else:
                out.append(None)
    return tuple(out)


def _np_key(n, attrs, shape, begin, end, strides, op=None, newaxes=True):
    """The numpy index tuple for a spec at run time (checks shrink indices like TF)."""
    key = []
    for kind, i, d in _dense(n, attrs, len(shape)):
        if kind == "full":
            key.append(slice(None))
        elif kind == "new":
            if newaxes:
                key.append(None)
        elif kind == "shrink":
            b = int(begin[i])
            if not -shape[d] <= b < shape[d]:
                raise errors.InvalidArgumentError(
                    None, op, f"slice index {b} of dimension {d} out of bounds.")
            key.append(b)
        else:
            s = int(strides[i])
            if s == 0:
                raise errors.InvalidArgumentError(None, op, f"strides[{i}] must be non-zero")
            b = None if _bit(attrs["begin_mask"], i) else int(begin[i])
            e = None if _bit(attrs["end_mask"], i) else int(end[i])
            key.append(slice(b, e, s))
    return tuple(key)


# -- StridedSlice ---------------------------------------------------------------------------
def _ss_shape(s):
    n = s.attrs["_n"]
    return [_spec_shape(s.shapes[0], n, s.attrs, s.attrs["_begin_c"], s.attrs["_end_c"],
                        s.attrs["_strides_c"])]


def _ss_np(k, x, begin, end, strides):
    x = np.asarray(x)
    key = _np_key(k.attrs["_n"], k.attrs, x.shape, begin, end, strides, k.op)
    return np.array(x[key])  # a copy (never a view of the input), 0-d stays 0-d


def _index_texts(g, entries, attrs, shape_of, check_arr=None):
    """Source text of the index (no new axes) and the kinds of the kept dims.

    `shape_of(d)` is the source text of input dim d; shrink indices are range-checked
    against it unless the check is provable at compile time.
    """
    begin, end, strides = attrs["_begin_c"], attrs["_end_c"], attrs["_strides_c"]
    static = g.shape(0) if check_arr is not None else None
    parts = []
    for kind, i, d in entries:
        if kind == "full":
            parts.append(":")
        elif kind == "new":
            continue
        elif kind == "shrink":
            b = str(begin[i]) if begin[i] is not None else f"{g.arr(1)}[{i}]"
            if check_arr is not None and not (begin[i] is not None and static[d] is not None
                                              and -static[d] <= begin[i] < static[d]):
                bi = g.tmp("bi")
                g.line(f"{bi} = {b}")
                g.line(f"if {bi} < -{shape_of(d)} or {bi} >= {shape_of(d)}:")
                g.line(f"    raise IndexError(\"slice index \" + str({bi}) + \" of dimension "
                       f"{d} out of bounds.\")")
                b = bi
            parts.append(b)
        else:
            b = "" if _bit(attrs["begin_mask"], i) else (
                str(begin[i]) if begin[i] is not None else f"{g.arr(1)}[{i}]")
            e = "" if _bit(attrs["end_mask"], i) else (
                str(end[i]) if end[i] is not None else f"{g.arr(2)}[{i}]")
            parts.append(f"{b}:{e}" + ("" if strides[i] == 1 else f":{strides[i]}"))
    return parts


def _ss_emit(g):
    x = g.arr(0)
    entries = _dense(g.attrs["_n"], g.attrs, g.rank(0))
    parts = _index_texts(g, entries, g.attrs, lambda d: f"{x}.shape[{d}]", check_arr=x)
    kept = [e for e in entries if e[0] != "shrink"]
    n_view = sum(1 for e in kept if e[0] != "new")
    idx = ", ".join(parts) if parts else "()"
    if n_view == 0:
        val = f"{x}[{idx}]"
        if not kept:
            g.out(val)
        else:
            g.out(f"np.full(({'1, ' * len(kept)}), {val}, {g.odt()})")
        return
    v = g.tmp("view")
    g.line(f"{v} = {x}[{idx}]", tag=True)
    if len(kept) == n_view:
        g.out(f"np.ascontiguousarray({v})")
        return
    dims, j = [], 0
    for kind, _, _ in kept:
        if kind == "new":
            dims.append("1")
        else:
            dims.append(f"{v}.shape[{j}]")
            j += 1
    g.out(f"np.ascontiguousarray({v}).reshape(({''.join(d + ', ' for d in dims)}))")


def _shape_of(x, dtype):
    from jitgraph.ops.array_ops import shape as shape_op
    if x.shape.is_fully_defined():
        return constant(np.asarray(x.shape.as_list(), dtype.as_numpy_dtype))
    return shape_op(x, out_type=dtype)


def _ss_grad(op, dy):
    x, begin, end, strides = op.inputs
    attrs = dict(op.attrs)
    attrs["_in_shape"] = x.shape.as_tuple()
    gx = make_tensor("StridedSliceGrad", [_shape_of(x, begin.dtype), begin, end, strides, dy],
                     dy.dtype, attrs, name="StridedSliceGrad")
    return [gx, None, None, None]


def _computed_strides(rank_of):
    """The compiled index takes constant strides only."""
    def host_if(c):
        strides = c.attrs["_strides_c"]
        for kind, i, _ in _dense(c.attrs["_n"], c.attrs, rank_of(c)):
            if kind == "slice" and strides[i] is None:
                return f"{c.op.type} with computed strides"
        return None
    return host_if


register("StridedSlice", shape=_ss_shape, numpy=_ss_np, emit=_ss_emit, grad=_ss_grad,
         host_if=_computed_strides(lambda c: c.rank(0)))


# -- StridedSliceGrad: the gradient scattered into zeros of the input's shape ------------------
def _ssg_shape(s):
    v = s.const(0)
    if v is not None:
        return [tuple(int(d) for d in np.asarray(v).ravel())]
    return [s.attrs["_in_shape"]]


def _ssg_np(k, shape, begin, end, strides, dy):
    shape = tuple(int(d) for d in np.asarray(shape).ravel())
    out = np.zeros(shape, np.asarray(dy).dtype)
    key = _np_key(k.attrs["_n"], k.attrs, shape, begin, end, strides, k.op, newaxes=False)
    view = out[key]
    out[key] = np.reshape(dy, np.shape(view))
    return out


def _ssg_emit(g):
    r = g.orank()
    v = g.const(0)
    dims = [str(int(d)) for d in np.asarray(v).ravel()] if v is not None else \
        [f"np.int64({g.arr(0)}[{i}])" for i in range(r)]
    entries = _dense(g.attrs["_n"], g.attrs, r)
    # begin/end sit at inputs 1 and 2, as in StridedSlice.
    parts = _index_texts(g, entries, g.attrs, None)
    n_view = sum(1 for e in entries if e[0] in ("full", "slice"))
    dy_rank = g.rank(4)
    dy_scalar = g.s(4) if dy_rank == 0 else f"np.ascontiguousarray({g.arr(4)}).ravel()[0]"
    if r == 0:
        g.out(dy_scalar)
        return
    out = g.tmp("ssg")
    g.line(f"{out} = np.zeros(({''.join(d + ', ' for d in dims)}), {g.odt()})", tag=True)
    idx = ", ".join(parts)
    if n_view == 0:
        g.line(f"{out}[{idx}] = {dy_scalar}")
    else:
        view = g.tmp("view")
        g.line(f"{view} = {out}[{idx}]")
        g.line(f"{out}[{idx}] = np.ascontiguousarray({g.arr(4)}).reshape({view}.shape)")
    g.out(out)


def _ssg_grad(op, ddy):
    _, begin, end, strides, _ = op.inputs
    attrs = {k: op.attrs[k] for k in op.attrs if k != "_in_shape"}
    return [None, None, None, None,
            make_tensor("StridedSlice", [ddy, begin, end, strides], ddy.dtype, attrs,
                        name="StridedSlice")]


register("StridedSliceGrad", shape=_ssg_shape, numpy=_ssg_np, emit=_ssg_emit, grad=_ssg_grad,
         host_if=_computed_strides(lambda c: c.orank()))


def _pack_ints(values, name):
    """A 1-D int tensor from Python ints and scalar int tensors (a constant when it can)."""
    if all(not isinstance(v, Tensor) for v in values):
        arr = np.asarray(values, dtype=np.int64).reshape(-1)
        big = arr.size and (arr.min() < np.iinfo(np.int32).min or arr.max() >
                            np.iinfo(np.int32).max)
        return constant(arr.astype(np.int64 if big else np.int32), name=name)
    dt = dtypes.int64 if any(isinstance(v, Tensor) and v.dtype == dtypes.int64
                             for v in values) else dtypes.int32
    from jitgraph.ops.array_ops import stack
    from jitgraph.ops.math_ops import cast
    ts = [cast(v, dt) if isinstance(v, Tensor) else constant(int(v), dtype=dt)
          for v in values]
    return stack(ts, name=name)


def _strided_slice(x, begin, end, strides, masks, name):
    n = begin.shape.as_tuple()[0] if begin.shape.ndims == 1 else None
    if n is None:
        raise ValueError("jitgraph needs the length of the strided_slice begin vector")
    for t, what in ((end, "end"), (strides, "strides")):
        if t.shape.ndims != 1 or t.shape.as_tuple()[0] not in (None, n):
            raise ValueError(f"Shape must be rank 1 and length {n} for '{what}' of "
                             f"'{name.rstrip('/')}' (op: 'StridedSlice')")
    attrs = dict(masks)
    # Underscored attrs are jitgraph's own (left out of GraphDefs): the spec's length and
    # its values where known at build time.
    attrs.update(_n=n, _begin_c=_partial_const(begin, n), _end_c=_partial_const(end, n),
                 _strides_c=_partial_const(strides, n))
    return make_tensor("StridedSlice", [x, begin, end, strides], x.dtype, attrs, name=name)


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0, var=None, name=None):
    """`tf.strided_slice`: numpy-style slicing spelled as begin/end/strides and bit masks."""
    x = convert_to_tensor(input_)
    g = x.graph
    with g.as_default(), g.name_scope(name or "StridedSlice") as scope:
        b = begin if isinstance(begin, Tensor) else _pack_ints(list(np.ravel(begin)), "begin")
        e = end if isinstance(end, Tensor) else _pack_ints(list(np.ravel(end)), "end")
        if strides is None:
            n = b.shape.as_tuple()[0]
            s = constant(np.ones(n, b.dtype.as_numpy_dtype), name="strides")
        else:
            s = strides if isinstance(strides, Tensor) else \
                _pack_ints(list(np.ravel(strides)), "strides")
        masks = dict(zip(_MASKS, (begin_mask, end_mask, ellipsis_mask, new_axis_mask,
                                  shrink_axis_mask)))
        return _strided_slice(x, b, e, s, masks, scope)


# -- Tensor.__getitem__ ---------------------------------------------------------------------
def _bad_index(s):
    return TypeError("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and "
                     f"scalar tf.int32/tf.int64 tensors are valid indices, got {s!r}")


def _index_value(s, whole):
    """A slice bound or index: a Python int or a scalar int tensor."""
    if isinstance(s, Tensor):
        if not s.dtype.is_integer or s.shape.ndims not in (0, None):
            raise _bad_index(whole)
        return s
    if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)):
        raise _bad_index(whole)
    return int(s)


def getitem(tensor, key):
    """`tensor[key]` as TF builds it: one StridedSlice op named 'strided_slice'."""
    if not isinstance(key, tuple):
        key = (key,)
    begin, end, strides = [], [], []
    masks = dict.fromkeys(_MASKS, 0)
    for i, s in enumerate(key):
        if isinstance(s, slice):
            for part in (s.start, s.stop, s.step):
                if part is not None:
                    _index_value(part, s)
            if s.step is not None and not isinstance(s.step, Tensor) and s.step == 0:
                raise ValueError("slice step cannot be zero")
            begin.append(0 if s.start is None else _index_value(s.start, s))
            end.append(0 if s.stop is None else _index_value(s.stop, s))
            strides.append(1 if s.step is None else _index_value(s.step, s))
            if s.start is None:
                masks["begin_mask"] |= 1 << i
            if s.stop is None:
                masks["end_mask"] |= 1 << i
        elif s is Ellipsis:
            begin.append(0)
            end.append(0)
            strides.append(1)
            masks["ellipsis_mask"] |= 1 << i
        elif s is None:
            begin.append(0)
            end.append(0)
            strides.append(1)
            masks["new_axis_mask"] |= 1 << i
        else:
            v = _index_value(s, s)
            begin.append(v)
            end.append(v + 1)
            strides.append(1)
            masks["shrink_axis_mask"] |= 1 << i
    g = tensor.graph
    with g.as_default(), g.name_scope("strided_slice") as scope:
        b = _pack_ints(begin, "stack")
        e = _pack_ints(end, "stack_1")
        st = _pack_ints(strides, "stack_2")
        return _strided_slice(tensor, b, e, st, masks, scope)


# -- tf.slice -----------------------------------------------------------------------------------
def _slice_shape(s):
    x = s.shapes[0]
    n = s.shapes[1][0] if s.shapes[1] is not None else None
    if x is None:
        return [None if n is None else (None,) * n]
    begin = s.attrs["_begin_c"] if "_begin_c" in s.attrs else [None] * len(x)
    size = s.attrs["_size_c"] if "_size_c" in s.attrs else [None] * len(x)
    out = []
    for i, d in enumerate(x):
        b, z = begin[i], size[i]
        if z is not None and z != -1:
            if d is not None and b is not None and not (0 <= b and b + z <= d and z >= 0):
                raise ValueError(f"Expected size[{i}] in [0, {d - b}], but got {z}")
            out.append(z)
        elif z == -1 and d is not None and b is not None:
            if not 0 <= b <= d:
                raise ValueError(f"Expected begin[{i}] in [0, {d}], but got {b}")
            out.append(d - b)
        else:
            out.append(None)
    return [tuple(out)]


def _slice_np(k, x, begin, size):
    x = np.asarray(x)
    key = []
    for i, (d, b, z) in enumerate(zip(x.shape, np.ravel(begin), np.ravel(size))):
        b, z = int(b), int(z)
        if z == -1:
            z = d - b
        if not (0 <= b <= d and 0 <= z <= d - b):
            raise errors.InvalidArgumentError(
                None, k.op, f"Expected size[{i}] in [0, {d - b}], but got {z}" if 0 <= b <= d
                else f"Expected begin[{i}] in [0, {d}], but got {b}")
        key.append(slice(b, b + z))
    return np.ascontiguousarray(x[tuple(key)])


def _slice_emit(g):
    x = g.arr(0)
    begin, size = g.attrs["_begin_c"], g.attrs["_size_c"]
    static = g.shape(0)
    parts = []
    for i in range(g.rank(0)):
        b = str(begin[i]) if begin[i] is not None else f"{g.arr(1)}[{i}]"
        z = size[i]
        if z is None:
            zt = g.tmp("z")
            g.line(f"{zt} = {g.arr(2)}[{i}]", tag=True)
            g.line(f"if {zt} == -1:")
            g.line(f"    {zt} = {x}.shape[{i}] - {b}")
            z = zt
        elif z == -1:
            z = f"({x}.shape[{i}] - {b})"
        provable = begin[i] is not None and size[i] is not None and static[i] is not None
        if not provable:
            g.line(f"if {b} < 0 or {b} > {x}.shape[{i}] or {z} < 0 or {b} + {z} > "
                   f"{x}.shape[{i}]:", tag=True)
            g.line(f"    raise ValueError(\"Expected size[{i}] in [0, dim - begin] in "
                   "tf.slice\")")
        parts.append(f"{b}:{b} + {z}")
    g.out(f"np.ascontiguousarray({x}[{', '.join(parts)}])")


def _slice_grad(op, dy):
    from jitgraph.ops.array_ops import shape as shape_op
    from jitgraph.ops.array_ops import stack
    from jitgraph.ops.manip_ops import pad
    x, begin, _ = op.inputs
    b = constant_value(begin)
    if b is not None and x.shape.is_fully_defined() and dy.shape.is_fully_defined():
        b = np.asarray(b).ravel()
        after = np.asarray(x.shape.as_list()) - b - np.asarray(dy.shape.as_list())
        paddings = np.stack([b, after], axis=1).astype(np.int32)
        return [pad(dy, paddings), None, None]
    dt = begin.dtype
    after = shape_op(x, out_type=dt) - begin - shape_op(dy, out_type=dt)
    return [pad(dy, stack([begin, after], axis=1)), None, None]


register("Slice", shape=_slice_shape, numpy=_slice_np, emit=_slice_emit, grad=_slice_grad,
         host_if=lambda c: None if "_begin_c" in c.attrs else "Slice of an input of unknown rank")


def slice_(input_, begin, size, name=None):
    """`tf.slice` (exported under that name; `slice` here would shadow the builtin):
    `size[i]` elements from `begin[i]` in each dim (-1: all the rest)."""
    x = convert_to_tensor(input_)
    g = x.graph
    with g.as_default():
        b = begin if isinstance(begin, Tensor) else _pack_ints(list(np.ravel(begin)), "begin")
        z = size if isinstance(size, Tensor) else _pack_ints(list(np.ravel(size)), "size")
        if z.dtype != b.dtype:
            from jitgraph.ops.math_ops import cast
            z = cast(z, b.dtype)
        n = b.shape.as_tuple()[0] if b.shape.ndims == 1 else None
        r = x.shape.ndims
        if n is not None and r is not None and n != r:
            raise ValueError(f"Shape must be rank {r} but is rank {n} for 'Slice' (op: 'Slice')"
                             " with begin and size of the input's rank")
        n = n if n is not None else r
        attrs = {}
        if n is not None:
            attrs = {"_begin_c": _partial_const(b, n), "_size_c": _partial_const(z, n)}
        return make_tensor("Slice", [x, b, z], x.dtype, attrs, name=name or "Slice")
