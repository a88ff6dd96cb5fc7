"""`tf.data.experimental` helpers for record pipelines: parse_example_dataset,
make_batched_features_dataset, ignore_errors, enumerate_dataset, get_single_element and
the TFRecordWriter that writes a dataset of strings to a file.
"""
from __future__ import annotations

import numpy as np

from jitgraph.data.context import Context
from jitgraph.data.dataset import Dataset, iter_elements
from jitgraph.data.file_datasets import TFRecordDataset
from jitgraph.data.parsing_ops import parse_example
from jitgraph.data.records import TFRecordWriter as _FileWriter
from jitgraph.data.records import compression_name
from jitgraph.data.sources import Chunk
from jitgraph.framework import dtypes, errors
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.registry import make_op, register

_HOST = "runs a Python input pipeline"


def parse_example_dataset(features, num_parallel_calls=1, deterministic=None):
    """A transformation: batches of serialized Examples -> dicts of parsed features."""
    return lambda ds: ds.map(lambda s: parse_example(s, features))


def make_batched_features_dataset(file_pattern, batch_size, features, reader=None,
                                  label_key=None, reader_args=None, num_epochs=None,
                                  shuffle=True, shuffle_buffer_size=10000, shuffle_seed=None,
                                  prefetch_buffer_size=None, reader_num_threads=None,
                                  parser_num_threads=None, sloppy_ordering=False,
                                  drop_final_batch=False):
    """Batches of parsed Examples read from the files matching `file_pattern`
    (a pattern or a list of them): files (shuffled when `shuffle`) -> records -> shuffle
    -> repeat(num_epochs) -> batch -> parse_example; with `label_key`, elements are
    (features, label) pairs."""
    names = Dataset.list_files(file_pattern, shuffle=shuffle, seed=shuffle_seed)
    read = reader or TFRecordDataset
    args = list(reader_args or [])
    ds = names.flat_map(lambda f: read(f, *args))
    if shuffle:
        ds = ds.shuffle(shuffle_buffer_size, seed=shuffle_seed)
    ds = ds.repeat(num_epochs).batch(batch_size, drop_remainder=drop_final_batch)
    ds = ds.map(lambda s: parse_example(s, features))
    if label_key is not None:
        if label_key not in features:
            raise ValueError(f"The `label_key` provided ({label_key}) must be one of the "
                             f"`features` keys.")
        ds = ds.map(lambda d: ({k: v for k, v in d.items() if k != label_key}, d[label_key]))
    return ds


class _IgnoreErrors(Dataset):
    def __init__(self, input_ds):
        super().__init__(input_ds._specs, [input_ds])

    def _chunks(self, ctx):
        ncomp = len(self._flat_specs)
        gen = self._inputs[0]._chunks(ctx)
        while True:
            try:
                ch = next(gen)
            except StopIteration:
                return
            except errors.OpError:
                return  # the input cannot go on after its own error
            good = []
            for i in range(ch.n):
                try:
                    good.append(ch.element(i))
                except errors.OpError:
                    continue
            if good:
                yield Chunk.of_elements(good, ncomp)


def ignore_errors(log_warning=False):
    """A transformation that drops the elements whose computation fails."""
    return _IgnoreErrors


def enumerate_dataset(start=0):
    """A transformation: elements -> (index from `start`, element)."""
    return lambda ds: Dataset.zip((Dataset.range(start, np.iinfo(np.int64).max), ds))


# -- get_single_element ---------------------------------------------------------------------
def _single_np(k, *captured):
    ds = k.op._py["dataset"]
    ctx = Context(dict(zip(k.op._py["captures"], captured)))
    elements = iter_elements(ds, ctx)
    first = next(elements, None)
    if first is None:
        raise errors.InvalidArgumentError(None, k.op, "Dataset was empty.")
    if next(elements, None) is not None:
        raise errors.InvalidArgumentError(None, k.op, "Dataset had more than one element.")
    out = [np.asarray(v) for v in first]
    return out[0] if len(out) == 1 else tuple(out)


register("DatasetToSingleElement", shape=lambda s: [tuple(x) if x is not None else None
                                                    for x in s.attrs["output_shapes"]],
         numpy=_single_np, host=_HOST, stateful=True)


def get_single_element(dataset):
    """The only element of `dataset` as tensors (an error at run time if it has none or
    more than one)."""
    from jitgraph.data import structure
    flat = dataset._flat_specs
    caps = dataset._captures()
    op = make_op("DatasetToSingleElement", caps, [s.dtype for s in flat],
                 {"output_shapes": [s.shape.as_tuple() for s in flat]},
                 name="DatasetToSingleElement")
    op._py["dataset"], op._py["captures"] = dataset, caps
    return structure.pack(dataset._specs, op.outputs)


# -- writing a dataset to a TFRecord file ----------------------------------------------------
def _write_np(k, filename, *captured):
    ds = k.op._py["dataset"]
    ctx = Context(dict(zip(k.op._py["captures"], captured)))
    path = np.asarray(filename, dtype=object)[()]
    path = path.decode() if isinstance(path, bytes) else str(path)
    with _FileWriter(path, k.attrs["compression_type"]) as w:
        for (record,) in iter_elements(ds, ctx):
            w.write(np.asarray(record, dtype=object)[()])
    return ()


register("DatasetToTFRecord", shape=lambda s: [], numpy=_write_np, host=_HOST,
         stateful=True)


class TFRecordWriter:
    """`tf.data.experimental.TFRecordWriter(filename, compression_type=None)`: `write(ds)`
    is an op that writes the scalar strings of `ds` to the file, in order."""

    def __init__(self, filename, compression_type=None):
        self._filename = convert_to_tensor(filename, dtype=dtypes.string, name="filename")
        self._compression = compression_name(compression_type)

    def write(self, dataset):
        flat = dataset._flat_specs
        if len(flat) != 1 or flat[0].dtype != dtypes.string or \
                (flat[0].shape.ndims not in (0, None)):
            raise TypeError("`dataset` must produce scalar `DT_STRING` tensors whereas it "
                            f"produces shape {dataset.output_shapes} and types "
                            f"{dataset.output_types}")
        caps = dataset._captures()
        op = make_op("DatasetToTFRecord", [self._filename] + caps, [],
                     {"compression_type": self._compression}, name="DatasetToTFRecord")
        op._py["dataset"], op._py["captures"] = dataset, caps
        return op


__all__ = ["TFRecordWriter", "enumerate_dataset", "get_single_element", "ignore_errors",
           "make_batched_features_dataset", "parse_example_dataset"]
