"""The feature column classes and their constructors (`tf.feature_column.*_column`).

Columns are namedtuples, as in TF 1.x: equal columns compare equal and print the same.

A categorical column here produces a dense int64 id tensor of shape [batch, n]
(TF builds a SparseTensor). Absent entries (an empty string, or -1 in an integer
feature, which TF drops from the sparse input) hold MISSING. An id of -1 is a real
entry that names no bucket (a vocabulary miss with default_value=-1): it adds nothing
to an indicator or embedding, as in TF, but still takes part in a cross. String work
(table lookups, hashing, crossing) runs in host stages; the numeric work after it
(one-hot counts, bucketizing, embedding products) is ordinary compiled graph ops.
"""
from __future__ import annotations

import collections
import math
import os

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.feature_column import ops as fc_ops

MISSING = fc_ops.MISSING


# -- validation helpers ------------------------------------------------------------------
def _assert_key_is_string(key):
    if not isinstance(key, str):
        raise ValueError(f"key must be a string. Got: type {type(key)}. Given key: {key}")


def _assert_string_or_int(dtype, prefix):
    if dtype != dtypes.string and not dtype.is_integer:
        raise ValueError(f"{prefix} dtype must be string or integer. dtype: {dtype}.")


def _check_shape(shape, key):
    if isinstance(shape, int):
        shape = [shape]
    shape = tuple(shape)
    for d in shape:
        if not isinstance(d, (int, np.integer)) or isinstance(d, bool):
            raise TypeError(f"shape dimensions must be integer. shape: {shape}, key: {key}")
        if d < 1:
            raise ValueError(f"shape dimensions must be greater than 0. shape: {shape}, "
                             f"key: {key}")
    return tuple(int(d) for d in shape)


def _check_default_value(shape, default_value, dtype, key):
    if default_value is None:
        return None
    if isinstance(default_value, (int, float)):
        if dtype.is_integer and not isinstance(default_value, int):
            raise TypeError(f"If dtype is integer, default_value must be integer. "
                            f"default_value: {default_value}, dtype: {dtype}, key: {key}")
        return (default_value,) * int(np.prod(shape))
    arr = np.asarray(default_value)
    if arr.shape != shape:
        raise ValueError(f"The shape of default_value must be equal to given shape. "
                         f"default_value: {default_value}, shape: {shape}, key: {key}")
    return tuple(arr.ravel().tolist())


class _FeatureColumn:
    """Base of every column (TF's `_FeatureColumn`)."""

    @property
    def _var_scope_name(self):
        return self.name


class _DenseColumn(_FeatureColumn):
    """A column that input_layer can use: `_get_dense_tensor(builder)` -> [batch, ...]."""


class _CategoricalColumn(_FeatureColumn):
    """A column of ids: `_get_ids(builder)` -> int64 [batch, n] with MISSING entries."""


# -- numeric -------------------------------------------------------------------------------
class _NumericColumn(_DenseColumn, collections.namedtuple(
        "_NumericColumn", ["key", "shape", "default_value", "dtype", "normalizer_fn"])):

    @property
    def name(self):
        return self.key

    @property
    def _variable_shape(self):
        return self.shape

    def _transform_feature(self, builder):
        from jitgraph.ops.math_ops import cast
        x = builder.get(self.key)
        if self.normalizer_fn is not None:
            x = self.normalizer_fn(x)
        return cast(x, dtypes.float32)

    def _get_dense_tensor(self, builder, weight_collections=None, trainable=None):
        return builder.get(self)


def numeric_column(key, shape=(1,), default_value=None, dtype=dtypes.float32,
                   normalizer_fn=None):
    """A dense float feature of a fixed `shape` per example."""
    shape = _check_shape(shape, key)
    dtype = dtypes.as_dtype(dtype)
    if not (dtype.is_integer or dtype.is_floating):
        raise ValueError(f"dtype must be convertible to float. dtype: {dtype}, key: {key}")
    default_value = _check_default_value(shape, default_value, dtype, key)
    if normalizer_fn is not None and not callable(normalizer_fn):
        raise TypeError(f"normalizer_fn must be a callable. Given: {normalizer_fn}")
    _assert_key_is_string(key)
    return _NumericColumn(key, shape, default_value, dtype, normalizer_fn)


# -- bucketized ------------------------------------------------------------------------------
class _BucketizedColumn(_DenseColumn, _CategoricalColumn, collections.namedtuple(
        "_BucketizedColumn", ["source_column", "boundaries"])):

    @property
    def name(self):
        return f"{self.source_column.name}_bucketized"

    @property
    def _num_buckets(self):
        return self.source_column.shape[0] * (len(self.boundaries) + 1)

    @property
    def _variable_shape(self):
        return tuple(self.source_column.shape) + (len(self.boundaries) + 1,)

    def _transform_feature(self, builder):
        return fc_ops.bucketize(builder.get(self.source_column), self.boundaries)

    def _get_dense_tensor(self, builder, weight_collections=None, trainable=None):
        return fc_ops.one_hot_float(builder.get(self), len(self.boundaries) + 1)

    def _get_ids(self, builder):
        # Element i of the source lands in buckets [i*(n+1), (i+1)*(n+1)), as in TF.
        return fc_ops.offset_ids(builder.get(self), len(self.boundaries) + 1,
                                 self.source_column.shape[0])


def bucketized_column(source_column, boundaries):
    """Buckets a numeric column by `boundaries`: b[i-1] <= x < b[i] lands in bucket i."""
    if not isinstance(source_column, _NumericColumn):
        raise ValueError(f"source_column must be a column generated with numeric_column(). "
                         f"Given: {source_column}")
    if len(source_column.shape) > 1:
        raise ValueError(f"source_column must be one-dimensional column. Given: "
                         f"{source_column}")
    if not boundaries or not (isinstance(boundaries, (list, tuple))
                              and all(a < b for a, b in zip(boundaries, boundaries[1:]))):
        raise ValueError("boundaries must be a sorted list.")
    return _BucketizedColumn(source_column, tuple(boundaries))


# -- categorical ----------------------------------------------------------------------------
def _raw_ids_input(builder, key, column_dtype):
    """The raw feature as a [batch, n] tensor, checked against the column's dtype."""
    x = builder.get_2d(key)
    _assert_string_or_int(x.dtype, prefix=f"column_name: {key} input_tensor")
    if column_dtype.is_integer != x.dtype.is_integer:
        raise ValueError(f"Column dtype and SparseTensors dtype must be compatible. key: {key}, "
                         f"column dtype: {column_dtype}, tensor dtype: {x.dtype}")
    return x


class _VocabularyListCategoricalColumn(_CategoricalColumn, collections.namedtuple(
        "_VocabularyListCategoricalColumn",
        ["key", "vocabulary_list", "dtype", "default_value", "num_oov_buckets"])):

    @property
    def name(self):
        return self.key

    @property
    def _num_buckets(self):
        return len(self.vocabulary_list) + self.num_oov_buckets

    def _transform_feature(self, builder):
        from jitgraph import lookup
        x = _raw_ids_input(builder, self.key, self.dtype)
        keys = fc_ops.to_int64(x) if x.dtype.is_integer else x
        table = lookup.index_table_from_tensor(
            vocabulary_list=tuple(self.vocabulary_list), num_oov_buckets=self.num_oov_buckets,
            default_value=self.default_value,
            dtype=dtypes.int64 if x.dtype.is_integer else self.dtype, name=f"{self.key}_lookup")
        return fc_ops.mark_missing(x, table.lookup(keys))

    def _get_ids(self, builder):
        return builder.get(self)


def _vocab_dtype(vocabulary_list):
    arr = np.asarray(vocabulary_list)
    if arr.dtype.kind in "USO":
        return dtypes.string
    return dtypes.as_dtype(arr.dtype)


def categorical_column_with_vocabulary_list(key, vocabulary_list, dtype=None, default_value=-1,
                                            num_oov_buckets=0):
    """Ids by position in an in-memory vocabulary (misses: default_value or OOV buckets)."""
    if vocabulary_list is None or len(vocabulary_list) < 1:
        raise ValueError(f"vocabulary_list {vocabulary_list} must be non-empty, column_name: "
                         f"{key}")
    if len(set(vocabulary_list)) != len(vocabulary_list):
        raise ValueError(f"Duplicate keys in vocabulary_list {vocabulary_list}, column_name: "
                         f"{key}")
    vocabulary_dtype = _vocab_dtype(vocabulary_list)
    if num_oov_buckets:
        if default_value != -1:
            raise ValueError(f"Can't specify both num_oov_buckets and default_value in {key}.")
        if num_oov_buckets < 0:
            raise ValueError(f"Invalid num_oov_buckets {num_oov_buckets} in {key}.")
    _assert_string_or_int(vocabulary_dtype, prefix=f"column_name: {key} vocabulary")
    if dtype is None:
        dtype = vocabulary_dtype
    else:
        dtype = dtypes.as_dtype(dtype)
        if dtype.is_integer != vocabulary_dtype.is_integer:
            raise ValueError(f"dtype {dtype} and vocabulary dtype {vocabulary_dtype} do not "
                             f"match, column_name: {key}")
    _assert_string_or_int(dtype, prefix=f"column_name: {key}")
    _assert_key_is_string(key)
    return _VocabularyListCategoricalColumn(key, tuple(vocabulary_list), dtype, default_value,
                                            num_oov_buckets)


class _VocabularyFileCategoricalColumn(_CategoricalColumn, collections.namedtuple(
        "_VocabularyFileCategoricalColumn",
        ["key", "vocabulary_file", "vocabulary_size", "num_oov_buckets", "dtype",
         "default_value"])):

    @property
    def name(self):
        return self.key

    @property
    def _num_buckets(self):
        return self.vocabulary_size + self.num_oov_buckets

    def _transform_feature(self, builder):
        from jitgraph import lookup
        x = _raw_ids_input(builder, self.key, self.dtype)
        keys = fc_ops.to_int64(x) if x.dtype.is_integer else x
        table = lookup.index_table_from_file(
            vocabulary_file=self.vocabulary_file, num_oov_buckets=self.num_oov_buckets,
            vocab_size=self.vocabulary_size,
            default_value=-1 if self.default_value is None else self.default_value,
            key_dtype=dtypes.int64 if x.dtype.is_integer else self.dtype,
            name=f"{self.key}_lookup")
        return fc_ops.mark_missing(x, table.lookup(keys))

    def _get_ids(self, builder):
        return builder.get(self)


def categorical_column_with_vocabulary_file(key, vocabulary_file, vocabulary_size=None,
                                            num_oov_buckets=0, default_value=None,
                                            dtype=dtypes.string):
    """Ids by line number in a vocabulary file (one entry a line)."""
    if not vocabulary_file:
        raise ValueError(f"Missing vocabulary_file in {key}.")
    if vocabulary_size is None:
        if not os.path.exists(vocabulary_file):
            raise ValueError(f"vocabulary_file in {key} does not exist.")
        with open(vocabulary_file, "rb") as f:
            vocabulary_size = sum(1 for _ in f)
    if vocabulary_size < 1:
        raise ValueError(f"Invalid vocabulary_size in {key}.")
    if num_oov_buckets:
        if default_value is not None:
            raise ValueError(f"Can't specify both num_oov_buckets and default_value in {key}.")
        if num_oov_buckets < 0:
            raise ValueError(f"Invalid num_oov_buckets {num_oov_buckets} in {key}.")
    dtype = dtypes.as_dtype(dtype)
    _assert_string_or_int(dtype, prefix=f"column_name: {key}")
    _assert_key_is_string(key)
    return _VocabularyFileCategoricalColumn(key, vocabulary_file, vocabulary_size,
                                            0 if num_oov_buckets is None else num_oov_buckets,
                                            dtype, default_value)


class _IdentityCategoricalColumn(_CategoricalColumn, collections.namedtuple(
        "_IdentityCategoricalColumn", ["key", "num_buckets", "default_value"])):

    @property
    def name(self):
        return self.key

    @property
    def _num_buckets(self):
        return self.num_buckets

    def _transform_feature(self, builder):
        x = builder.get_2d(self.key)
        if not x.dtype.is_integer:
            raise ValueError(f"Invalid input, not integer. key: {self.key} dtype: {x.dtype}")
        return fc_ops.identity_ids(x, self.num_buckets, self.default_value)

    def _get_ids(self, builder):
        return builder.get(self)


def categorical_column_with_identity(key, num_buckets, default_value=None):
    """Integer features used as ids in [0, num_buckets)."""
    if num_buckets < 1:
        raise ValueError(f"num_buckets {num_buckets} < 1, column_name {key}")
    if default_value is not None and (default_value < 0 or default_value >= num_buckets):
        raise ValueError(f"default_value [{default_value}] not in range [0, {num_buckets}).")
    _assert_key_is_string(key)
    return _IdentityCategoricalColumn(key, num_buckets, default_value)


class _HashedCategoricalColumn(_CategoricalColumn, collections.namedtuple(
        "_HashedCategoricalColumn", ["key", "hash_bucket_size", "dtype"])):

    @property
    def name(self):
        return self.key

    @property
    def _num_buckets(self):
        return self.hash_bucket_size

    def _transform_feature(self, builder):
        from jitgraph.ops.string_ops import as_string, string_to_hash_bucket_fast
        x = _raw_ids_input(builder, self.key, self.dtype)
        text = x if self.dtype == dtypes.string else as_string(x)
        ids = string_to_hash_bucket_fast(text, self.hash_bucket_size, name="lookup")
        return fc_ops.mark_missing(x, ids)

    def _get_ids(self, builder):
        return builder.get(self)


def categorical_column_with_hash_bucket(key, hash_bucket_size, dtype=dtypes.string):
    """Ids by Fingerprint64 hash of the value (integers hash their decimal text)."""
    if hash_bucket_size is None:
        raise ValueError(f"hash_bucket_size must be set. key: {key}")
    if hash_bucket_size < 1:
        raise ValueError(f"hash_bucket_size must be at least 1. hash_bucket_size: "
                         f"{hash_bucket_size}, key: {key}")
    _assert_key_is_string(key)
    dtype = dtypes.as_dtype(dtype)
    _assert_string_or_int(dtype, prefix=f"column_name: {key}")
    return _HashedCategoricalColumn(key, hash_bucket_size, dtype)


# -- crossed ----------------------------------------------------------------------------------
_DEFAULT_HASH_KEY = 0xDECAFCAFFE  # TF's SPARSE_CROSS_DEFAULT_HASH_KEY


class _CrossedColumn(_CategoricalColumn, collections.namedtuple(
        "_CrossedColumn", ["keys", "hash_bucket_size", "hash_key"])):

    @property
    def name(self):
        names = [k if isinstance(k, str) else k.name for k in self.keys]
        return "_X_".join(sorted(names))

    @property
    def _num_buckets(self):
        return self.hash_bucket_size

    def _transform_feature(self, builder):
        sparse, dense = [], []  # TF's sparse_cross puts sparse inputs before dense ones
        for key in _leaf_keys(self):
            if isinstance(key, str):
                dense.append(builder.get_2d(key))
            else:
                sparse.append(key._get_ids(builder))
        return fc_ops.cross_hashed(sparse, dense, self.hash_bucket_size,
                                   self.hash_key or _DEFAULT_HASH_KEY)

    def _get_ids(self, builder):
        return builder.get(self)


def _leaf_keys(column):
    out = []
    for k in column.keys:
        out.extend(_leaf_keys(k) if isinstance(k, _CrossedColumn) else [k])
    return out


def crossed_column(keys, hash_bucket_size, hash_key=None):
    """Hashes the cartesian product of several features into `hash_bucket_size` ids."""
    if not hash_bucket_size or hash_bucket_size < 1:
        raise ValueError(f"hash_bucket_size must be > 1. hash_bucket_size: {hash_bucket_size}")
    if not keys or len(keys) < 2:
        raise ValueError(f"keys must be a list with length > 1. Given: {keys}")
    for key in keys:
        if not isinstance(key, (str, _CategoricalColumn)):
            raise ValueError(f"Unsupported key type. All keys must be either string, or "
                             f"categorical column except _HashedCategoricalColumn. Given: {key}")
        if isinstance(key, _HashedCategoricalColumn):
            raise ValueError(f"categorical_column_with_hash_bucket is not supported for "
                             f"crossing. Hashing before crossing will increase probability of "
                             f"collision. Instead, use the feature name as a string. Given: "
                             f"{key}")
    return _CrossedColumn(tuple(keys), hash_bucket_size, hash_key)


# -- dense wrappers of categorical columns -----------------------------------------------
class _IndicatorColumn(_DenseColumn, collections.namedtuple(
        "_IndicatorColumn", ["categorical_column"])):

    @property
    def name(self):
        return f"{self.categorical_column.name}_indicator"

    @property
    def _variable_shape(self):
        return (self.categorical_column._num_buckets,)

    def _transform_feature(self, builder):
        # The count of each id in the example (a multi-hot vector), as TF's one_hot + sum.
        ids = self.categorical_column._get_ids(builder)
        return fc_ops.id_counts(ids, self.categorical_column._num_buckets)

    def _get_dense_tensor(self, builder, weight_collections=None, trainable=None):
        return builder.get(self)


def indicator_column(categorical_column):
    """The multi-hot representation of a categorical column (a dense column)."""
    if not isinstance(categorical_column, _CategoricalColumn):
        raise ValueError(f"Unsupported input type. Input must be a _CategoricalColumn. Given: "
                         f"{categorical_column}")
    return _IndicatorColumn(categorical_column)


class _EmbeddingColumn(_DenseColumn, collections.namedtuple(
        "_EmbeddingColumn", ["categorical_column", "dimension", "combiner", "layer_creator",
                             "ckpt_to_load_from", "tensor_name_in_ckpt", "max_norm",
                             "trainable"])):

    @property
    def name(self):
        return f"{self.categorical_column.name}_embedding"

    @property
    def _variable_shape(self):
        return (self.dimension,)

    def _get_dense_tensor(self, builder, weight_collections=None, trainable=None):
        ids = self.categorical_column._get_ids(builder)
        weights = self.layer_creator(weight_collections=weight_collections,
                                     trainable=self.trainable and trainable is not False)
        return fc_ops.embedding_combine(ids, weights, self.categorical_column._num_buckets,
                                        self.combiner)


def embedding_column(categorical_column, dimension, combiner="mean", initializer=None,
                     ckpt_to_load_from=None, tensor_name_in_ckpt=None, max_norm=None,
                     trainable=True):
    """A dense column of learned `dimension`-vectors combined over each example's ids."""
    if dimension is None or dimension < 1:
        raise ValueError(f"Invalid dimension {dimension}.")
    if (ckpt_to_load_from is None) != (tensor_name_in_ckpt is None):
        raise ValueError("Must specify both `ckpt_to_load_from` and `tensor_name_in_ckpt` or "
                         "none of them.")
    if initializer is not None and not callable(initializer):
        raise ValueError(f"initializer must be callable if specified. Embedding of column_name: "
                         f"{categorical_column.name}")
    if ckpt_to_load_from is not None or max_norm is not None:
        raise NotImplementedError("jitgraph: embedding_column supports neither checkpoints "
                                  "nor max_norm")
    if initializer is None:
        from jitgraph.initializers import TruncatedNormal
        initializer = TruncatedNormal(mean=0.0, stddev=1 / math.sqrt(dimension))
    shape = (categorical_column._num_buckets, dimension)

    def creator(weight_collections, trainable):
        return fc_ops.embedding_weights(shape, initializer, trainable, weight_collections)

    return _EmbeddingColumn(categorical_column, dimension, combiner, creator, None, None, None,
                            trainable)
