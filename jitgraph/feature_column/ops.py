"""The graph pieces feature columns are built from.

Ids travel as dense int64 [batch, n] tensors with MISSING marking absent entries
(see columns.py). Only crossing and the id range check are host ops of their own;
everything numeric is made of ordinary (compiled) ops: a comparison against
`arange(num_buckets)` gives one-hot counts, and an embedding is those counts times
the embedding matrix, so its gradient is an ordinary matmul gradient.
"""
from __future__ import annotations

import itertools

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.ops.array_ops import expand_dims
from jitgraph.ops.constant import constant
from jitgraph.ops.math_ops import (cast, divide, equal, greater_equal, less, logical_or,
                                   maximum, sqrt, where)
from jitgraph.ops.reduction_ops import reduce_sum
from jitgraph.ops.registry import make_tensor, register, same_shape
from jitgraph.ops.string_ops import fingerprint64, fingerprint_cat64

MISSING = int(np.iinfo(np.int64).min)
_M64 = 0xFFFFFFFFFFFFFFFF


def to_int64(x):
    return cast(x, dtypes.int64)


def mark_missing(raw, ids):
    """`ids` with MISSING where the raw feature is absent ('' or -1, which TF drops)."""
    ignore = constant(b"" if raw.dtype == dtypes.string else -1, dtype=raw.dtype)
    return where(equal(raw, ignore), constant(MISSING, dtypes.int64), to_int64(ids))


# -- identity ids ------------------------------------------------------------------------
def _check_ids_np(k, ids):
    n = k.attrs["num_buckets"]
    present = ids[ids != MISSING]
    if np.any(present >= n):
        raise errors.InvalidArgumentError(
            None, k.op, f"assertion failed: [Condition x < y did not hold element-wise:] "
                        f"[x (values:0) = ] [{' '.join(map(str, present[:3]))}] "
                        f"[y (num_buckets:0) = ] [{n}]")
    if np.any(present < 0):
        raise errors.InvalidArgumentError(
            None, k.op, f"assertion failed: [Condition x >= y did not hold element-wise:] "
                        f"[x (values:0) = ] [{' '.join(map(str, present[:3]))}] "
                        f"[y (zero:0) = ] [0]")
    return ids


_HOST = "hashes strings"  # why these ops have no compiled form
register("FeatureColumnCheckIds", shape=same_shape, numpy=_check_ids_np, host=_HOST)


def identity_ids(x, num_buckets, default_value):
    ids = mark_missing(x, to_int64(x))
    if default_value is None:  # out-of-range ids are an error, as TF's asserts make them
        return make_tensor("FeatureColumnCheckIds", [ids], dtypes.int64,
                           {"num_buckets": int(num_buckets)}, name="assert_ids_in_range")
    bad = logical_or(less(ids, constant(0, dtypes.int64)),
                     greater_equal(ids, constant(num_buckets, dtypes.int64)))
    keep = logical_or(equal(ids, constant(MISSING, dtypes.int64)),
                      equal(bad, constant(False)))
    return where(keep, ids, constant(default_value, dtypes.int64))


# -- numeric ----------------------------------------------------------------------------------
def bucketize(x, boundaries):
    """TF's Bucketize: the number of boundaries <= x (int64, same shape as x)."""
    b = constant(np.asarray(boundaries, dtype=x.dtype.as_numpy_dtype), name="boundaries")
    return reduce_sum(cast(greater_equal(expand_dims(x, -1), b), dtypes.int64), axis=-1)


def one_hot_float(ids, depth):
    """[..., n] ids -> [..., n, depth] float32 one-hot (ids outside [0, depth) are zeros)."""
    r = constant(np.arange(depth, dtype=np.int64), name="range")
    return cast(equal(expand_dims(ids, -1), r), dtypes.float32)


def offset_ids(ids, per, n):
    return ids + constant(np.arange(n, dtype=np.int64) * per, name="offsets")


def id_counts(ids, num_buckets):
    """[batch, n] ids -> [batch, num_buckets] float32 counts of each id."""
    return reduce_sum(one_hot_float(ids, num_buckets), axis=-2)


# -- crossing ----------------------------------------------------------------------------------
def _feature_hash(v):
    if isinstance(v, bytes):
        return fingerprint64(v)
    return int(v) & _M64  # int64 features enter the cross as their two's complement


def _cross_np(k, *cols):
    n_sparse, num_buckets, key = k.attrs["n_sparse"], k.attrs["num_buckets"], k.attrs["hash_key"]
    batch = cols[0].shape[0] if cols else 0
    rows = []
    for b in range(batch):
        feats = []
        for i, c in enumerate(cols):
            vals = list(c[b].ravel())
            if i < n_sparse:
                vals = [v for v in vals if v != MISSING]
            feats.append([_feature_hash(v) for v in vals])
        row = []
        for perm in itertools.product(*feats):  # the last column varies fastest, as in TF
            h = key
            for f in perm:
                h = fingerprint_cat64(h, f)
            row.append(h % num_buckets)
        rows.append(row)
    width = max((len(r) for r in rows), default=0)
    out = np.full((batch, width), MISSING, dtype=np.int64)
    for b, r in enumerate(rows):
        out[b, :len(r)] = r
    return out


def _cross_shape(s):
    batch = next((sh[0] for sh in s.shapes if sh is not None), None)
    return [(batch, None)]


register("FeatureColumnCrossHashed", shape=_cross_shape, numpy=_cross_np, host=_HOST)


def cross_hashed(sparse, dense, num_buckets, hash_key):
    """TF's sparse_cross_hashed over [batch, n] inputs: sparse ones (ids with MISSING
    entries) first, then dense ones (every entry counts); MISSING pads each row."""
    dense = [d if d.dtype == dtypes.string else to_int64(d) for d in dense]
    return make_tensor("FeatureColumnCrossHashed", list(sparse) + dense, dtypes.int64,
                       {"n_sparse": len(sparse), "num_buckets": int(num_buckets),
                        "hash_key": int(hash_key) & _M64}, name="SparseCross")


# -- embeddings -----------------------------------------------------------------------------------
def embedding_combine(ids, weights, num_buckets, combiner):
    """Combines the embedding rows of each example's ids (ids < 0 are dropped, as TF's
    safe_embedding_lookup_sparse drops them; an example with none gives zeros)."""
    from jitgraph.ops.linalg_ops import matmul
    if combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError('combiner must be one of "mean", "sqrtn" or "sum"')
    counts = id_counts(ids, num_buckets)
    if combiner != "sum":
        total = maximum(reduce_sum(counts, axis=1, keepdims=True), constant(1.0))
        counts = divide(counts, total if combiner == "mean" else sqrt(total))
    return matmul(counts, weights)


def embedding_weights(shape, initializer, trainable, collections):
    """The `embedding_weights` variable of an embedding column (in the current scope)."""
    from jitgraph.variable_scope import get_variable
    return get_variable("embedding_weights", shape=shape, dtype=dtypes.float32,
                        initializer=initializer, trainable=trainable,
                        collections=collections)
