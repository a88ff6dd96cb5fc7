"""Matrix products: `matmul` (with transposes, batched) and `tensordot`."""
from __future__ import annotations

import numpy as np

from jitgraph.ops.constant import convert_n
from jitgraph.ops.registry import make_tensor, register


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


def _matmul_emit(g):
    from jitgraph.codegen.emit import NotCompilable
    ra, rb = g.rank(0), g.rank(1)
    ta, tb = g.attrs["transpose_a"], g.attrs["transpose_b"]
    floating = g.dtype(0).is_floating and g.dtype(0).name != "float16"
    if ra == rb == 2:
        fn = "matmul2d" if floating else "matmul2d_loop"
        g.out(f"K.{fn}({g.arr(0)}, {g.arr(1)}, {ta}, {tb})")
    elif ra == rb == 3 and floating:
        g.out(f"K.matmul3d({g.arr(0)}, {g.arr(1)}, {ta}, {tb})")
    else:
        raise NotCompilable(f"MatMul of ranks {ra} and {rb}")


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


register("MatMul", shape=_matmul_shape, numpy=_matmul_np, emit=_matmul_emit, grad=_matmul_grad)


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
