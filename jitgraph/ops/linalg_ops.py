"""Matrix products: `matmul` (with transposes, batched) and `tensordot`."""
from __future__ import annotations

import numpy as np

from jitgraph.ops.constant import convert_n
from jitgraph.ops.registry import NotCompilable, broadcast_syms, make_tensor, register


def _matmul_shape(s):
    a, b = s.shapes
    ta, tb = s.attrs["transpose_a"], s.attrs["transpose_b"]
    if a is None or b is None:
        return [None]
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"Shape must be rank >= 2 but is rank {min(len(a), len(b))} for "
                         "'MatMul'")
    n, ka = (a[-1], a[-2]) if ta else (a[-2], a[-1])
    kb, m = (b[-1], b[-2]) if tb else (b[-2], b[-1])
    if ka is not None and kb is not None and ka != kb:
        raise ValueError(f"Dimensions must be equal, but are {ka} and {kb} for 'MatMul' with "
                         f"input shapes: [{','.join('?' if d is None else str(d) for d in a)}],"
                         f" [{','.join('?' if d is None else str(d) for d in b)}].")
    from jitgraph.ops.registry import broadcast_shapes
    batch = broadcast_shapes(tuple(a[:-2]), tuple(b[:-2]))
    return [tuple(batch) + (n, m)]


def _matmul_np(k, a, b):
    if k.attrs["transpose_a"]:
        a = np.swapaxes(a, -1, -2)
    if k.attrs["transpose_b"]:
        b = np.swapaxes(b, -1, -2)
    return np.asarray(np.matmul(a, b), dtype=k.op.outputs[0].dtype.as_numpy_dtype)


def _matmul_host_if(c):
    ra, rb = c.rank(0), c.rank(1)
    if ra == rb == 2 or ra == rb == 3 and c.dtype(0).is_floating:
        return None
    return f"MatMul of ranks {ra} and {rb} has no compiled kernel"


def _matmul_emit(g):
    ra, rb = g.rank(0), g.rank(1)
    ta, tb = g.attrs["transpose_a"], g.attrs["transpose_b"]
    floating = g.dtype(0).is_floating and g.dtype(0).name != "float16"
    if ra == rb == 2:
        fn = "matmul2d" if floating else "matmul2d_loop"
        g.out(f"K.{fn}({g.arr(0)}, {g.arr(1)}, {ta}, {tb})")
    elif ra == rb == 3 and floating:
        g.out(f"K.matmul3d({g.arr(0)}, {g.arr(1)}, {ta}, {tb})")
    else:
        raise NotCompilable(f"MatMul of ranks {ra} and {rb}")  # _matmul_host_if says so


def _matmul_grad(op, dy):
    from jitgraph.ops.reduction_ops import sum_to_shape_of
    a, b = op.inputs
    ta, tb = op.attrs["transpose_a"], op.attrs["transpose_b"]
    if not ta and not tb:
        ga, gb = matmul(dy, b, transpose_b=True), matmul(a, dy, transpose_a=True)
    elif not ta and tb:
        ga, gb = matmul(dy, b), matmul(dy, a, transpose_a=True)
    elif ta and not tb:
        ga, gb = matmul(b, dy, transpose_b=True), matmul(a, dy)
    else:
        ga, gb = matmul(b, dy, transpose_a=True, transpose_b=True), \
            matmul(dy, a, transpose_a=True, transpose_b=True)
    if a.shape.ndims and a.shape.ndims > 2 or b.shape.ndims and b.shape.ndims > 2:
        ga, gb = sum_to_shape_of(ga, a), sum_to_shape_of(gb, b)
    return [ga, gb]


def _matmul_sym(op, ins):
    a, b = ins
    if len(a) < 2 or len(b) < 2:
        return None
    n = a[-1] if op.attrs["transpose_a"] else a[-2]
    m = b[-2] if op.attrs["transpose_b"] else b[-1]
    return [broadcast_syms(a[:-2], b[:-2]) + (n, m)]


register("MatMul", shape=_matmul_shape, numpy=_matmul_np, emit=_matmul_emit, grad=_matmul_grad,
         sym=_matmul_sym, host_if=_matmul_host_if)


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, name=None):
    """Matrix product of `a` and `b` (rank >= 2; leading dims are batch dims)."""
    a, b = convert_n([a, b])
    if a.dtype != b.dtype:
        raise TypeError(f"Input 'b' of 'MatMul' Op has type {b.dtype.name} that does not "
                        f"match type {a.dtype.name} of argument 'a'.")
    ta, tb = bool(transpose_a or adjoint_a), bool(transpose_b or adjoint_b)
    return make_tensor("MatMul", [a, b], a.dtype, {"transpose_a": ta, "transpose_b": tb},
                       name=name or "MatMul")


# -- tensordot -----------------------------------------------------------------------------
def _tensordot_axes(axes, ra, rb):
    """(a_axes, b_axes) as lists of non-negative ints, from an int or a pair of lists."""
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0:
            raise ValueError(f"'axes' must be at least 0 but is {n}.")
        if n > ra or n > rb:
            raise ValueError(f"'axes' must not be larger than the number of dimensions of "
                             f"tensor {'a' if n > ra else 'b'}.")
        return list(range(ra - n, ra)), list(range(n))
    if len(axes) != 2:
        raise ValueError(f"'axes' must be an integer or have length 2, got {axes}")
    a_axes, b_axes = ([int(v)] if np.ndim(v) == 0 else [int(i) for i in np.ravel(v)]
                      for v in axes)
    if len(a_axes) != len(b_axes):
        raise ValueError(f"Different number of contraction axes 'a' and 'b', {len(a_axes)} != "
                         f"{len(b_axes)}.")
    return [i % ra for i in a_axes], [i % rb for i in b_axes]


def _tensordot_reshape(x, axes, flipped):
    """`x` transposed to free+contracted (or contracted+free if flipped) dims and made 2-D;
    returns it with the static free dims and, for unknown ones, a free-dims shape tensor."""
    from jitgraph.ops.array_ops import reshape
    from jitgraph.ops.array_ops import shape as shape_op
    from jitgraph.ops.manip_ops import gather, transpose
    from jitgraph.ops.reduction_ops import reduce_prod
    r = x.shape.ndims
    dims = x.shape.as_tuple()
    free = [i for i in range(r) if i not in axes]
    perm = axes + free if flipped else free + axes
    xt = transpose(x, perm) if perm != list(range(r)) else x
    free_dims = [dims[i] for i in free]
    if all(dims[i] is not None for i in range(r)):
        pf = int(np.prod(free_dims, dtype=np.int64))
        pa = int(np.prod([dims[i] for i in axes], dtype=np.int64))
        return reshape(xt, [pa, pf] if flipped else [pf, pa]), free_dims, None
    sx = shape_op(x)
    free_t = gather(sx, np.asarray(free, np.int32))
    pf = reduce_prod(free_t, keepdims=True)
    pa = reduce_prod(gather(sx, np.asarray(axes, np.int32)), keepdims=True)
    from jitgraph.ops.manip_ops import concat
    new = concat([pa, pf] if flipped else [pf, pa], 0)
    return reshape(xt, new), free_dims, free_t


def tensordot(a, b, axes, name=None):
    """`tf.tensordot`: sums products over `axes` (an int N: the last N of `a` with the first
    N of `b`; or a pair of axis lists), as transpose + reshape + matmul."""
    from jitgraph.framework.graph import get_default_graph
    from jitgraph.ops.array_ops import reshape
    a, b = convert_n([a, b])
    ra, rb = a.shape.ndims, b.shape.ndims
    if ra is None or rb is None:
        raise ValueError("jitgraph: tf.tensordot needs the ranks of both inputs")
    a_axes, b_axes = _tensordot_axes(axes, ra, rb)
    for i, j in zip(a_axes, b_axes):
        da, db = a.shape.as_tuple()[i], b.shape.as_tuple()[j]
        if da is not None and db is not None and da != db:
            raise ValueError(f"Dimensions must be equal, but are {da} and {db} for "
                             f"'{name or 'Tensordot'}/MatMul' (op: 'MatMul')")
    g = a.graph if a.graph is not None else get_default_graph()
    with g.as_default(), g.name_scope(name or "Tensordot") as scope:
        a2, fa, fa_t = _tensordot_reshape(a, a_axes, False)
        b2, fb, fb_t = _tensordot_reshape(b, b_axes, True)
        ab = matmul(a2, b2)
        if fa_t is None and fb_t is None:
            return reshape(ab, fa + fb, name=scope)
        from jitgraph.ops.manip_ops import concat
        parts = [fa_t if fa_t is not None else np.asarray(fa, np.int32),
                 fb_t if fb_t is not None else np.asarray(fb, np.int32)]
        return reshape(ab, concat(parts, 0), name=scope)
