"""The SparseTensor a `VarLenFeature` parses to: (indices, values, dense_shape).

A namedtuple of three Tensors, so `Session.run` fetches it through `nest` like any
structure; rebuilt from the three fetched arrays it is a `SparseTensorValue`, as TF
returns. Sparse ops of their own (sparse_tensor_to_dense, ...) are not this module's.
"""
from __future__ import annotations

import collections

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.framework.graph import Tensor
from jitgraph.framework.tensor_shape import TensorShape

SparseTensorValue = collections.namedtuple("SparseTensorValue",
                                           ["indices", "values", "dense_shape"])


class SparseTensor(collections.namedtuple("SparseTensor",
                                          ["indices", "values", "dense_shape"])):
    """`tf.SparseTensor(indices, values, dense_shape)`: a sparse tensor as three Tensors."""

    def __new__(cls, indices, values, dense_shape):
        parts = (indices, values, dense_shape)
        if all(isinstance(x, np.ndarray) for x in parts):
            # numpy arrays: Session.run rebuilding a fetched SparseTensor
            return SparseTensorValue(*parts)
        if any(isinstance(x, (list, tuple, int, float, np.generic)) for x in parts):
            from jitgraph.ops.constant import convert_to_tensor  # a user's literal values
            parts = (convert_to_tensor(indices, dtype=dtypes.int64), convert_to_tensor(values),
                     convert_to_tensor(dense_shape, dtype=dtypes.int64))
        # Tensors, or the per-component specs of a dataset element of this structure
        return super().__new__(cls, *parts)

    @property
    def dtype(self):
        return self.values.dtype

    @property
    def op(self):
        return self.values.op

    @property
    def graph(self):
        return self.values.graph

    def get_shape(self):
        from jitgraph.ops.constant import constant_value
        known = constant_value(self.dense_shape)
        if known is not None:
            return TensorShape([int(d) for d in known])
        n = self.dense_shape.shape[0] if self.dense_shape.shape.ndims else None
        return TensorShape(None if n is None else [None] * int(n))

    @property
    def shape(self):
        return self.get_shape()

    def eval(self, feed_dict=None, session=None):
        from jitgraph.framework.graph import get_default_session
        return (session or get_default_session()).run(self, feed_dict)


def make_sparse(indices: Tensor, values: Tensor, dense_shape: Tensor) -> SparseTensor:
    return SparseTensor(indices, values, dense_shape)
