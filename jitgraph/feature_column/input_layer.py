"""`tf.feature_column.input_layer`: dense columns -> one [batch, units] float32 tensor."""
from __future__ import annotations

import collections

from jitgraph.framework.graph import Tensor, get_default_graph
from jitgraph.ops.array_ops import expand_dims, reshape
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.feature_column.columns import _DenseColumn, _FeatureColumn


class _LazyBuilder:
    """Builds each column's transformation once per input_layer call (TF's _LazyBuilder):
    columns that share a feature or a categorical column share its tensors."""

    def __init__(self, features):
        self._features = dict(features)
        self._cache = {}

    def get(self, key):
        if key in self._cache:
            return self._cache[key]
        if isinstance(key, str):
            if key not in self._features:
                raise ValueError(f"Feature {key} is not in features dictionary.")
            x = self._features[key]
            x = x if isinstance(x, Tensor) else convert_to_tensor(x, name=key)
            if x.shape.ndims == 1:  # one value per example: [batch] -> [batch, 1]
                x = expand_dims(x, -1)
            elif x.shape.ndims == 0:
                raise ValueError(f"Feature (key: {key}) cannot have rank 0. Given: {x}")
        elif isinstance(key, _FeatureColumn):
            x = key._transform_feature(self)
        else:
            raise TypeError(f"key must be a _FeatureColumn or string. Given: {key}")
        self._cache[key] = x
        return x

    def get_2d(self, key):
        """The raw feature as [batch, n] (the rows of TF's sparse categorical input)."""
        x = self.get(key)
        return x if x.shape.ndims == 2 else reshape(x, [-1, _prod(x.shape.as_list()[1:])])


def _prod(dims):
    n = 1
    for d in dims:
        if d is None:
            return -1
        n *= d
    return n


def _normalize_feature_columns(feature_columns):
    if isinstance(feature_columns, _FeatureColumn):
        feature_columns = [feature_columns]
    if isinstance(feature_columns, collections.abc.Iterator):
        feature_columns = list(feature_columns)
    if isinstance(feature_columns, dict):
        raise ValueError("Expected feature_columns to be iterable, found dict.")
    for column in feature_columns:
        if not isinstance(column, _FeatureColumn):
            raise ValueError(f"Items of feature_columns must be a _FeatureColumn. Given (type "
                             f"{type(column)}): {column}.")
    if not feature_columns:
        raise ValueError("feature_columns must not be empty.")
    by_name = {}
    for column in feature_columns:
        if column.name in by_name:
            raise ValueError(f"Duplicate feature column name found for columns: {column} and "
                             f"{by_name[column.name]}. This usually means that these columns "
                             f"refer to same base feature. Either one must be discarded or a "
                             f"duplicated but renamed item must be inserted in features dict.")
        by_name[column.name] = column
    return list(feature_columns)


def input_layer(features, feature_columns, weight_collections=None, trainable=True,
                cols_to_vars=None, cols_to_output_tensors=None):
    """Concatenates the dense columns' tensors, in the order of the columns' names."""
    from jitgraph.ops.manip_ops import concat
    feature_columns = _normalize_feature_columns(feature_columns)
    for column in feature_columns:
        if not isinstance(column, _DenseColumn):
            raise ValueError(f"Items of feature_columns must be a _DenseColumn. You can wrap a "
                             f"categorical column with an embedding_column or indicator_column."
                             f" Given: {column}")
    from jitgraph.framework.graph import GraphKeys
    from jitgraph.variable_scope import get_variable_scope, variable_scope
    weight_collections = list(weight_collections or [])
    for key in (GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES):
        if key not in weight_collections:
            weight_collections.append(key)
    builder = _LazyBuilder(features)
    outputs = []
    with variable_scope(None, default_name="input_layer"):
        for column in sorted(feature_columns, key=lambda c: c.name):
            with variable_scope(None, default_name=column._var_scope_name):
                tensor = column._get_dense_tensor(builder, weight_collections=weight_collections,
                                                  trainable=trainable)
                out = reshape(tensor, [-1, _prod(column._variable_shape)])
                outputs.append(out)
                if cols_to_vars is not None:
                    cols_to_vars[column] = get_default_graph().get_collection(
                        GraphKeys.GLOBAL_VARIABLES, scope=get_variable_scope().name)
                if cols_to_output_tensors is not None:
                    cols_to_output_tensors[column] = out
        return concat(outputs, axis=1)
