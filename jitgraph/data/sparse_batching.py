"""Batching elements that hold SparseTensors (a `VarLenFeature` parsed per example).

A SparseTensor component of an element is three arrays (indices [n, r], values [n],
dense_shape [r]); a batch of them is one SparseTensor of rank r + 1, as TF batches
them: each element's indices get its batch position in front, values are concatenated,
and the dense shape is the batch size followed by the largest size in each dimension.
"""
from __future__ import annotations

import numpy as np

from jitgraph.data import structure
from jitgraph.data.sparse import SparseTensor
from jitgraph.data.sources import stack_rows
from jitgraph.framework import dtypes
from jitgraph.framework.nest import _children, _rebuild, is_nested
from jitgraph.framework.tensor_shape import TensorShape


def sparse_positions(specs) -> list:
    """Flat positions (indices, values, dense_shape) of each SparseTensor in `specs`."""
    out, pos = [], 0

    def walk(s):
        nonlocal pos
        if isinstance(s, SparseTensor):
            out.append((pos, pos + 1, pos + 2))
            pos += 3
        elif is_nested(s):
            for c in _children(s):
                walk(c)
        else:
            pos += 1
    walk(specs)
    return out


def batched_specs(specs, dim):
    """`specs` of a batch of `dim` (None: unknown) elements."""
    if isinstance(specs, SparseTensor):
        rank = specs.dense_shape.shape.as_tuple()
        r = None if rank is None or rank[0] is None else rank[0] + 1
        return SparseTensor(structure.Spec(dtypes.int64, TensorShape([None, r])),
                            structure.Spec(specs.values.dtype, TensorShape([None])),
                            structure.Spec(dtypes.int64, TensorShape([r])))
    if is_nested(specs):
        return _rebuild(specs, [batched_specs(c, dim) for c in _children(specs)])
    return structure.batched(specs, dim)


def batch_elements(group, ncomp, positions) -> list:
    """One batch (a list of component arrays) of the elements in `group`."""
    in_sparse = {p for triple in positions for p in triple}
    dense = [j for j in range(ncomp) if j not in in_sparse]
    out = [None] * ncomp
    if dense:
        stacked = stack_rows([[e[j] for j in dense] for e in group], len(dense))
        for j, arr in zip(dense, stacked):
            out[j] = arr
    for ii, vi, si in positions:
        shapes = np.stack([np.asarray(e[si], np.int64) for e in group])
        idx = [np.asarray(e[ii], np.int64) for e in group]
        out[ii] = np.concatenate([np.concatenate([np.full((len(x), 1), b, np.int64), x], 1)
                                  for b, x in enumerate(idx)]) if idx else \
            np.zeros((0, shapes.shape[1] + 1), np.int64)
        out[vi] = np.concatenate([np.asarray(e[vi]) for e in group])
        out[si] = np.concatenate([[len(group)], shapes.max(axis=0)]).astype(np.int64)
    return out
