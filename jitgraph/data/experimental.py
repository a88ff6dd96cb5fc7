"""`tf.data.experimental`: the transformations TF 1.x programs reach for most."""
from __future__ import annotations

from jitgraph.data.dataset import AUTOTUNE, Dataset
from jitgraph.data.experimental_datasets import (Counter, bucket_by_sequence_length,
                                                 choose_from_datasets, sample_from_datasets,
                                                 scan, take_while, unique)
from jitgraph.data.file_datasets import CsvDataset
from jitgraph.data.options import (INFINITE_CARDINALITY, UNKNOWN_CARDINALITY,  # noqa: F401
                                   ThreadingOptions)
from jitgraph.data.record_pipelines import (TFRecordWriter, enumerate_dataset,
                                            get_single_element, ignore_errors,
                                            make_batched_features_dataset,
                                            make_csv_dataset, parse_example_dataset)

__all__ = ["AUTOTUNE", "Counter", "CsvDataset", "TFRecordWriter", "bucket_by_sequence_length",
           "choose_from_datasets", "enumerate_dataset", "get_single_element", "ignore_errors",
           "make_batched_features_dataset", "make_csv_dataset", "map_and_batch",
           "parse_example_dataset",
           "sample_from_datasets", "scan", "shuffle_and_repeat", "take_while", "unbatch",
           "unique"]


def shuffle_and_repeat(buffer_size, count=None, seed=None):
    """shuffle(buffer_size, seed) then repeat(count), reshuffling each epoch."""
    return lambda ds: ds.shuffle(buffer_size, seed).repeat(count)


def map_and_batch(map_func, batch_size, num_parallel_batches=None, drop_remainder=False,
                  num_parallel_calls=None):
    return lambda ds: ds.map(map_func).batch(batch_size, drop_remainder)


def unbatch():
    """Splits each element into its slices along the first dimension."""
    def apply(ds):
        return ds.flat_map(lambda *x: Dataset.from_tensor_slices(x if len(x) > 1 else x[0]))
    return apply
