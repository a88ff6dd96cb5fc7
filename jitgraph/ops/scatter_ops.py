"""Gathers and scatters by N-d indices: `tf.gather_nd`, `tf.scatter_nd`,
`tf.tensor_scatter_nd_{update,add,sub,max,min}`, and the variable updates
`tf.scatter_{update,add,sub,mul,div,max,min}` / `tf.scatter_nd_{update,add,sub}`.

An index tuple names a row of the leading `k` dims (`k` = the indices' last dim); the
compiled forms flatten those dims to rows (`K.flat_rows`) and move whole trailing slices
(`K.gather_rows`, `K.scatter_rows`). A variable update is the variable's new value
(a scatter into a copy of it) assigned back, as one fused store.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.registry import make_tensor, register

# How `K.scatter_rows` combines an update with the value it lands on.
_MODES = {"Update": 0, "Add": 1, "Sub": 2, "Mul": 3, "Div": 4, "Max": 5, "Min": 6}
_NP_COMBINE = {"Update": None, "Add": np.add, "Sub": np.subtract, "Mul": np.multiply,
               "Div": np.divide, "Max": np.maximum, "Min": np.minimum}


def _index_depth(c, k):
    s = c.shape(k)
    return None if s is None or not s or s[-1] is None else s[-1]


def _host_if_depth(k):
    def host_if(c):
        if _index_depth(c, k) is None:
            return "the index depth (the indices' last dim) is unknown"
        return None
    return host_if


def _flat_rows_np(k, idx, lead_shape, what):
    """Row numbers of the index tuples in `idx` (..., depth) into `lead_shape`."""
    idx = np.asarray(idx).astype(np.int64)
    depth = idx.shape[-1]
    flat = idx.reshape(-1, depth)
    bad = np.any((flat < 0) | (flat >= np.asarray(lead_shape[:depth], np.int64)), axis=1)
    if np.any(bad):
        i = int(np.argmax(bad))
        pos = ",".join(str(int(p)) for p in np.unravel_index(i, idx.shape[:-1]))
        vals = ", ".join(str(int(v)) for v in flat[i])
        raise errors.InvalidArgumentError(
            None, k.op, f"indices[{pos}] = [{vals}] does not index into {what} "
                        f"[{','.join(str(int(d)) for d in lead_shape)}]")
    return np.ravel_multi_index(tuple(flat.T), tuple(int(d) for d in lead_shape[:depth])) \
        if depth else np.zeros(flat.shape[0], np.int64)


# -- gather_nd --------------------------------------------------------------------------------
def _gather_nd_shape(s):
    p, i = s.shapes
    if p is None or i is None or i[-1] is None:
        return [None]
    return [tuple(i[:-1]) + tuple(p[i[-1]:])]


def _gather_nd_np(k, params, idx):
    params = np.asarray(params)
    depth = np.shape(idx)[-1]
    rows = _flat_rows_np(k, idx, params.shape, "param shape")
    flat = params.reshape((-1,) + params.shape[depth:]) if depth else params[None]
    return flat[rows].reshape(np.shape(idx)[:-1] + params.shape[depth:])


def _lead_src(arr, dims):
    return " * ".join(f"{arr}.shape[{i}]" for i in dims) or "1"


def _rows_src(g, idx_k, shape_items, depth):
    """Emits the row numbers of input `idx_k`'s index tuples; returns their local name."""
    idx = g.arr(idx_k)
    ri = g.rank(idx_k)
    m = _lead_src(idx, range(ri - 1))
    i2, dims, rows = g.tmp("idx"), g.tmp("dims"), g.tmp("rows")
    g.line(f"{i2} = np.ascontiguousarray({idx}).reshape(({m}, {depth})).astype(np.int64)",
           tag=True)
    g.line(f"{dims} = np.array([{''.join(d + ', ' for d in shape_items[:depth])}], np.int64)")
    g.line(f"{rows} = K.flat_rows({i2}, {dims})")
    return rows


def _gather_nd_emit(g):
    p, depth = g.arr(0), g.shape(1)[-1]
    rp, ri = g.rank(0), g.rank(1)
    rows = _rows_src(g, 1, [f"{p}.shape[{i}]" for i in range(rp)], depth)
    p2 = f"np.ascontiguousarray({p}).reshape(({_lead_src(p, range(depth))}, " \
         f"{_lead_src(p, range(depth, rp))}))"
    idx = g.arr(1)
    dims = "".join(f"{idx}.shape[{i}], " for i in range(ri - 1)) + \
        "".join(f"{p}.shape[{i}], " for i in range(depth, rp))
    body = f"K.gather_rows({p2}, {rows}).reshape(({dims}))"
    g.out(f"{body}[()]" if not dims else body)


def _gather_nd_grad(op, dy):
    from jitgraph.ops.array_ops import shape as shape_op
    params, idx = op.inputs
    shp = (np.asarray(params.shape.as_list(), np.int64) if params.shape.is_fully_defined()
           else shape_op(params, out_type=idx.dtype))
    return [scatter_nd(idx, dy, shp), None]


register("GatherNd", shape=_gather_nd_shape, numpy=_gather_nd_np, emit=_gather_nd_emit,
         grad=_gather_nd_grad, host_if=_host_if_depth(1))


def gather_nd(params, indices, name=None, batch_dims=0):
    """`tf.gather_nd`: the slices of `params` named by the index tuples in `indices`
    (its last dim: how many leading dims of `params` a tuple indexes)."""
    if batch_dims:
        raise NotImplementedError("jitgraph: tf.gather_nd with batch_dims is not supported yet")
    p = convert_to_tensor(params, name="params")
    i = convert_to_tensor(indices, name="indices")
    _check_indices(i)
    return make_tensor("GatherNd", [p, i], p.dtype, name=name or "GatherNd")


def _check_indices(i):
    if i.dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"Value passed to parameter 'indices' has DataType {i.dtype.name} not "
                        "in list of allowed values: int32, int64")


# -- scatter_nd and tensor_scatter_nd_* -------------------------------------------------------
def _scatter_nd_shape(s):
    v = s.const(2)
    if v is not None:
        return [tuple(int(d) for d in np.asarray(v).ravel())]
    n = s.shapes[2]
    return [None if n is None or n[0] is None else (None,) * n[0]]


def _scatter_into(k, out, idx, updates, kind, what):
    depth = np.shape(idx)[-1]
    rows = _flat_rows_np(k, idx, out.shape, what)
    flat = out.reshape((-1,) + out.shape[depth:])
    upd = np.asarray(updates, out.dtype).reshape((rows.size,) + out.shape[depth:])
    comb = _NP_COMBINE[kind]
    with np.errstate(all="ignore"):
        if comb is None:
            flat[rows] = upd  # a repeated row: the last update wins, as the loop's
        else:
            comb.at(flat, rows, upd)
    return flat.reshape(out.shape)


def _scatter_nd_np(k, idx, updates, shape):
    out = np.zeros(tuple(int(d) for d in np.asarray(shape).ravel()), np.asarray(updates).dtype)
    return _scatter_into(k, out, idx, updates, "Add", "output shape")


def _scatter_emit(kind, base_k, idx_k, upd_k):
    def emit(g):
        depth = g.shape(idx_k)[-1]
        r = g.orank()
        if base_k is None:  # scatter_nd: a fresh zero tensor of the given shape
            v = g.const(2)
            items = ([str(int(d)) for d in np.asarray(v).ravel()] if v is not None else
                     [f"np.int64({g.arr(2)}[{i}])" for i in range(r)])
            out = g.tmp("sc")
            g.line(f"{out} = np.zeros(({''.join(d + ', ' for d in items)}), {g.odt()})",
                   tag=True)
        else:
            items = [f"{g.arr(base_k)}.shape[{i}]" for i in range(r)]
            out = g.tmp("sc")
            g.line(f"{out} = np.ascontiguousarray({g.arr(base_k)}).copy()", tag=True)
        rows = _rows_src(g, idx_k, items, depth)
        lead = " * ".join(items[:depth]) or "1"
        inner = " * ".join(items[depth:]) or "1"
        upd = g.i(upd_k) if g.rank(upd_k) else f"np.full(1, {g.s(upd_k)})"
        g.line(f"K.scatter_rows({out}.reshape(({lead}, {inner})), {rows}, "
               f"np.ascontiguousarray({upd}).reshape(({rows}.shape[0], {inner}))"
               f".astype({g.odt()}), {_MODES[kind]})")
        g.out(out if r else f"{out}[()]")
    return emit


def _scatter_nd_grad(op, dy):
    return [None, gather_nd(dy, op.inputs[0]), None]


register("ScatterNd", shape=_scatter_nd_shape, numpy=_scatter_nd_np,
         emit=_scatter_emit("Add", None, 0, 1), grad=_scatter_nd_grad,
         host_if=_host_if_depth(0))


def scatter_nd(indices, updates, shape, name=None):
    """`tf.scatter_nd`: a zero tensor of `shape` with `updates` added at the index tuples
    of `indices` (repeated indices sum)."""
    i = convert_to_tensor(indices, name="indices")
    _check_indices(i)
    u = convert_to_tensor(updates, name="updates")
    s = convert_to_tensor(shape, dtype=i.dtype, name="shape") if not hasattr(shape, "op") \
        else shape
    return make_tensor("ScatterNd", [i, u, s], u.dtype, name=name or "ScatterNd")


def _tensor_scatter_np(kind):
    def kernel(k, tensor, idx, updates):
        return _scatter_into(k, np.array(tensor, copy=True), idx, updates, kind, "shape")
    return kernel


def _tensor_scatter_grad(kind):
    def grad(op, dy):
        from jitgraph.ops.array_ops import zeros_like
        _, idx, upd = op.inputs
        picked = gather_nd(dy, idx)
        if kind == "Update":
            return [_tensor_scatter("Update", dy, idx, zeros_like(upd)), None, picked]
        return [dy, None, picked if kind == "Add" else -picked]
    return grad


# TensorScatterMul/Div have no TF op of that name: they back tf.scatter_mul/scatter_div.
for _kind in _MODES:
    register(f"TensorScatter{_kind}", shape=lambda s: [s.shapes[0]],
             numpy=_tensor_scatter_np(_kind), emit=_scatter_emit(_kind, 0, 1, 2),
             grad=_tensor_scatter_grad(_kind) if _kind in ("Update", "Add", "Sub") else None,
             host_if=_host_if_depth(1))


def _tensor_scatter(kind, tensor, indices, updates, name=None):
    t = convert_to_tensor(tensor, name="tensor")
    i = convert_to_tensor(indices, name="indices")
    _check_indices(i)
    u = convert_to_tensor(updates, dtype=t.dtype, name="updates")
    return make_tensor(f"TensorScatter{kind}", [t, i, u], t.dtype,
                       name=name or f"TensorScatter{kind}")


def _tensor_scatter_api(kind):
    def build(tensor, indices, updates, name=None):
        return _tensor_scatter(kind, tensor, indices, updates, name)
    build.__name__ = f"tensor_scatter_nd_{kind.lower()}"
    build.__doc__ = (f"`tf.tensor_scatter_nd_{kind.lower()}`: a copy of `tensor` with "
                     f"`updates` {kind.lower()}d at the index tuples of `indices`.")
    return build


tensor_scatter_nd_update = _tensor_scatter_api("Update")
tensor_scatter_nd_add = _tensor_scatter_api("Add")
tensor_scatter_nd_sub = _tensor_scatter_api("Sub")
tensor_scatter_nd_max = _tensor_scatter_api("Max")
tensor_scatter_nd_min = _tensor_scatter_api("Min")
# TF 1.x's earlier spellings.
tensor_scatter_update, tensor_scatter_add = tensor_scatter_nd_update, tensor_scatter_nd_add
tensor_scatter_sub = tensor_scatter_nd_sub


# -- variable updates ---------------------------------------------------------------------
def _variable_scatter(kind, nd):
    def build(ref, indices, updates, use_locking=None, name=None):
        from jitgraph.ops.array_ops import expand_dims
        from jitgraph.ops.state_ops import _ref, assign
        var = _ref(ref)
        if not hasattr(var, "op") or var.op.type != "VariableV2":
            raise TypeError(f"tf.scatter_{'nd_' if nd else ''}{kind.lower()} updates a "
                            f"variable; got {ref!r}")
        i = convert_to_tensor(indices, name="indices")
        _check_indices(i)
        op_name = f"Scatter{'Nd' if nd else ''}{kind}"
        with var.graph.name_scope(name or op_name) as scope:
            new = _tensor_scatter(kind, var, i if nd else expand_dims(i, -1), updates)
            return assign(var, new, use_locking=use_locking, name=scope)
    build.__name__ = f"scatter_{'nd_' if nd else ''}{kind.lower()}"
    build.__doc__ = (f"`tf.{build.__name__}`: {kind.lower()}s `updates` into the variable "
                     f"`ref` at {'the index tuples' if nd else 'the rows'} of `indices`; "
                     "returns `ref` after the update.")
    return build


scatter_update, scatter_add = _variable_scatter("Update", False), _variable_scatter("Add", False)
scatter_sub, scatter_mul = _variable_scatter("Sub", False), _variable_scatter("Mul", False)
scatter_div, scatter_max = _variable_scatter("Div", False), _variable_scatter("Max", False)
scatter_min = _variable_scatter("Min", False)
scatter_nd_update = _variable_scatter("Update", True)
scatter_nd_add, scatter_nd_sub = _variable_scatter("Add", True), _variable_scatter("Sub", True)

__all__ = ["gather_nd", "scatter_add", "scatter_div", "scatter_max", "scatter_min",
           "scatter_mul", "scatter_nd", "scatter_nd_add", "scatter_nd_sub",
           "scatter_nd_update", "scatter_sub", "scatter_update", "tensor_scatter_nd_add",
           "tensor_scatter_nd_max", "tensor_scatter_nd_min", "tensor_scatter_nd_sub",
           "tensor_scatter_nd_update", "tensor_scatter_add", "tensor_scatter_sub",
           "tensor_scatter_update"]
