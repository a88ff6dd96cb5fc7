"""`tf.data`: input pipelines (Dataset) and the iterators that feed them into a graph."""
from jitgraph.data import experimental
from jitgraph.data.dataset import AUTOTUNE, Dataset, DatasetV1
from jitgraph.data.file_datasets import FixedLengthRecordDataset, TFRecordDataset, TextLineDataset
from jitgraph.data.options import (INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Options,
                                   ThreadingOptions)
from jitgraph.data.iterator import (Iterator, get_output_classes, get_output_shapes,
                                    get_output_types, make_initializable_iterator,
                                    make_one_shot_iterator)

__all__ = ["AUTOTUNE", "Dataset", "DatasetV1", "FixedLengthRecordDataset",
           "INFINITE_CARDINALITY", "Iterator", "Options", "TFRecordDataset", "TextLineDataset",
           "ThreadingOptions", "UNKNOWN_CARDINALITY", "experimental",
           "get_output_classes", "get_output_shapes", "get_output_types",
           "make_initializable_iterator", "make_one_shot_iterator"]
