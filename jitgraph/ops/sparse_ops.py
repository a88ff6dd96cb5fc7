"""Sparse tensors: `tf.sparse_placeholder`, `tf.sparse_tensor_to_dense` (`sparse.to_dense`),
`tf.sparse_tensor_dense_matmul`, `tf.sparse_add` of a sparse and a dense tensor, and
`tf.nn.embedding_lookup_sparse`.

A SparseTensor is the (indices, values, dense_shape) triple of `jitgraph.data.sparse`,
fed and fetched as one value (a `SparseTensorValue`). Each op here is written with dense
ops (`tensor_scatter_nd_update`, gathers, segment sums), so it compiles and
differentiates with respect to the values as they do.
"""
from __future__ import annotations

import numpy as np

from jitgraph.data.sparse import SparseTensor, SparseTensorValue
from jitgraph.framework import dtypes
from jitgraph.framework.tensor_shape import TensorShape
from jitgraph.ops import array_ops, math_ops
from jitgraph.ops.constant import convert_to_tensor, placeholder, placeholder_with_default


def name_scope(name, default):
    from jitgraph.ops.api import name_scope as scope  # api re-exports this module
    return scope(name, default)


def _as_sparse(sp, what="sp_input"):
    if isinstance(sp, SparseTensorValue):
        return SparseTensor(np.asarray(sp.indices, np.int64).tolist(), sp.values,
                            np.asarray(sp.dense_shape, np.int64).tolist())
    if not isinstance(sp, SparseTensor):
        raise TypeError(f"Input {what} must be a SparseTensor, got {type(sp).__name__}")
    return sp


def sparse_placeholder(dtype, shape=None, name=None):
    """`tf.sparse_placeholder`: a SparseTensor to be fed a `SparseTensorValue` (or a
    (indices, values, dense_shape) tuple). With `shape` given, dense_shape defaults to it
    (unknown dims as -1)."""
    dtype = dtypes.as_dtype(dtype)
    with name_scope(name, "SparsePlaceholder") as scope:
        prefix = scope.rstrip("/")
        if shape is None:
            rank = None
            dense_shape = placeholder(dtypes.int64, [None], name=f"{prefix}/shape")
        else:
            dims = TensorShape(shape).as_list()
            rank = len(dims)
            default = np.array([-1 if d is None else d for d in dims], np.int64)
            dense_shape = placeholder_with_default(default, [rank], name=f"{prefix}/shape")
        values = placeholder(dtype, [None], name=f"{prefix}/values")
        indices = placeholder(dtypes.int64, [None, rank], name=f"{prefix}/indices")
    return SparseTensor(indices, values, dense_shape)


def sparse_tensor_to_dense(sp_input, default_value=0, validate_indices=True, name=None):
    """`tf.sparse_tensor_to_dense`: the dense tensor, `default_value` where no index is.
    (Indices are not checked for order or repeats: a repeated index takes the last
    value.)"""
    from jitgraph.ops.scatter_ops import tensor_scatter_nd_update
    sp = _as_sparse(sp_input)
    with name_scope(name, "SparseToDense") as scope:
        shape = math_ops.cast(sp.dense_shape, dtypes.int32)
        base = array_ops.fill(shape, convert_to_tensor(default_value, dtype=sp.values.dtype))
        dense = tensor_scatter_nd_update(base, sp.indices, sp.values)
        static = array_ops.constant_value_as_shape(sp.dense_shape)
        if static.ndims is not None:
            dense.set_shape(static)
        return array_ops.identity(dense, name=scope)


def sparse_tensor_dense_matmul(sp_a, b, adjoint_a=False, adjoint_b=False, name=None):
    """`tf.sparse_tensor_dense_matmul`: sparse [n, k] times dense [k, m]; each stored
    value scales a row of `b`, summed into its output row."""
    from jitgraph.ops.manip_ops import gather, transpose
    from jitgraph.ops.segment_ops import unsorted_segment_sum
    sp = _as_sparse(sp_a, "sp_a")
    with name_scope(name, "SparseTensorDenseMatMul") as scope:
        b = convert_to_tensor(b, name="b")
        if adjoint_b:
            b = transpose(b)
        rows, cols = sp.indices[:, 0], sp.indices[:, 1]
        n = sp.dense_shape[0]
        if adjoint_a:
            rows, cols, n = cols, rows, sp.dense_shape[1]
        values = math_ops.cast(sp.values, b.dtype)
        scaled = gather(b, cols) * array_ops.expand_dims(values, 1)
        return array_ops.identity(unsorted_segment_sum(scaled, rows, n), name=scope)


def sparse_add(a, b, threshold=0, thresh=None):
    """`tf.sparse_add` of a SparseTensor and a dense Tensor (either order): a dense Tensor.
    (The sum of two SparseTensors is not supported yet.)"""
    from jitgraph.ops.scatter_ops import tensor_scatter_nd_add
    if isinstance(a, (SparseTensor, SparseTensorValue)) and isinstance(
            b, (SparseTensor, SparseTensorValue)):
        raise NotImplementedError("jitgraph: tf.sparse_add of two SparseTensors is not "
                                  "supported yet; densify one with tf.sparse_tensor_to_dense")
    sp, dense = (a, b) if isinstance(a, (SparseTensor, SparseTensorValue)) else (b, a)
    sp = _as_sparse(sp, "a")
    dense = convert_to_tensor(dense, dtype=sp.values.dtype)
    return tensor_scatter_nd_add(dense, sp.indices, sp.values)


def embedding_lookup_sparse(params, sp_ids, sp_weights, partition_strategy="mod", name=None,
                            combiner=None, max_norm=None):
    """`tf.nn.embedding_lookup_sparse`: per row of `sp_ids`, the combination ("sum",
    "mean" (default), "sqrtn") of the embeddings of its ids, weighted by `sp_weights`'
    values when given. Rows are segments: the result has (last row with an id + 1) rows.
    """
    from jitgraph.nn import embedding_lookup
    from jitgraph.ops.nn_ops import div_no_nan
    from jitgraph.ops.segment_ops import segment_sum
    combiner = combiner or "mean"
    if combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError("combiner must be one of 'mean', 'sqrtn' or 'sum'")
    sp_ids = _as_sparse(sp_ids, "sp_ids")
    if sp_weights is not None:
        sp_weights = _as_sparse(sp_weights, "sp_weights")
    with name_scope(name, "embedding_lookup_sparse") as scope:
        segments = math_ops.cast(sp_ids.indices[:, 0], dtypes.int32)
        emb = embedding_lookup(params, sp_ids.values, partition_strategy=partition_strategy,
                               max_norm=max_norm)
        if sp_weights is None:
            weights = math_ops.cast(array_ops.ones_like(segments), emb.dtype)
        else:
            weights = math_ops.cast(sp_weights.values, emb.dtype)
            emb = emb * array_ops.expand_dims(weights, 1)
        total = segment_sum(emb, segments)
        if combiner == "sum":
            return array_ops.identity(total, name=scope)
        norm = segment_sum(weights if combiner == "mean" else weights * weights, segments)
        if combiner == "sqrtn":
            norm = math_ops.sqrt(norm)
        # As TF: a row without ids (a segment between others) is 0, not 0 / 0.
        return div_no_nan(total, array_ops.expand_dims(norm, 1), name=scope)


def sparse_to_dense(sparse_indices, output_shape, sparse_values, default_value=0,
                    validate_indices=True, name=None):
    """`tf.sparse_to_dense`: a dense tensor of `output_shape` holding `sparse_values` (one
    per index, or one for all) at `sparse_indices` (a [n, rank] matrix, or a vector of
    positions in a vector), `default_value` elsewhere."""
    from jitgraph.ops.scatter_ops import tensor_scatter_nd_update
    with name_scope(name, "SparseToDense") as scope:
        idx = convert_to_tensor(sparse_indices, name="sparse_indices")
        shape = convert_to_tensor(output_shape, name="output_shape")
        values = convert_to_tensor(sparse_values, name="sparse_values")
        if idx.shape.ndims is not None and idx.shape.ndims < 2:
            idx = array_ops.reshape(idx, [-1, 1])
        if values.shape.ndims == 0:  # one value for every index
            values = array_ops.fill(array_ops.shape(idx)[:1], values)
        base = array_ops.fill(math_ops.cast(shape, dtypes.int32),
                              convert_to_tensor(default_value, dtype=values.dtype))
        return array_ops.identity(tensor_scatter_nd_update(base, idx, values), name=scope)


__all__ = ["SparseTensor", "SparseTensorValue", "sparse_add", "sparse_placeholder",
           "sparse_tensor_dense_matmul", "sparse_tensor_to_dense", "sparse_to_dense"]
