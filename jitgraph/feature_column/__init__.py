"""`tf.feature_column`: describing model inputs (TF 1.x feature columns)."""
from jitgraph.feature_column.columns import (bucketized_column,
                                             categorical_column_with_hash_bucket,
                                             categorical_column_with_identity,
                                             categorical_column_with_vocabulary_file,
                                             categorical_column_with_vocabulary_list,
                                             crossed_column, embedding_column, indicator_column,
                                             numeric_column)
from jitgraph.feature_column.input_layer import input_layer

__all__ = ["bucketized_column", "categorical_column_with_hash_bucket",
           "categorical_column_with_identity", "categorical_column_with_vocabulary_file",
           "categorical_column_with_vocabulary_list", "crossed_column", "embedding_column",
           "indicator_column", "numeric_column", "input_layer"]
