"""`tf.data.experimental` helpers for record pipelines: parse_example_dataset,
make_batched_features_dataset, make_csv_dataset, ignore_errors, enumerate_dataset,
get_single_element and the TFRecordWriter that writes a dataset of strings to a file.
"""
from __future__ import annotations

import glob

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


# -- CSV files as feature dicts ------------------------------------------------------------
_INFERRED = (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64, dtypes.string)


def _parses_as(value: str, dtype) -> bool:
    try:
        if dtype.is_integer:
            v = int(value, 10)
            info = np.iinfo(dtype.as_numpy_dtype)
            return info.min <= v <= info.max
        if dtype.is_floating:
            v = float(value)
            return dtype == dtypes.float64 or np.isinf(v) or \
                np.isfinite(np.float32(v))  # a float32 holds it
        return True
    except ValueError:
        return False


def _infer_types(rows, ncols, na_value):
    """TF's column type inference: the first of int32, int64, float32, float64, string
    that every non-missing value of the column parses as."""
    kinds = [0] * ncols
    for row in rows:
        for c, v in enumerate(row[:ncols]):
            if v in ("", na_value):
                continue
            while not _parses_as(v, _INFERRED[kinds[c]]):
                kinds[c] += 1
    return [_INFERRED[k] for k in kinds]


def make_csv_dataset(file_pattern, batch_size, column_names=None, column_defaults=None,
                     label_name=None, select_columns=None, field_delim=",",
                     use_quote_delim=True, na_value="", header=True, num_epochs=None,
                     shuffle=True, shuffle_buffer_size=10000, shuffle_seed=None,
                     prefetch_buffer_size=None, num_parallel_reads=None, sloppy=False,
                     num_rows_for_inference=100, compression_type=None, ignore_errors=False):
    """Batches of CSV rows as dicts of column name -> tensor (with `label_name`:
    (features, label) pairs). Column names come from the first file's header unless
    given; column types are inferred from its first `num_rows_for_inference` rows unless
    `column_defaults` says (a missing value of an inferred column is 0 or "")."""
    import csv as _csv

    from jitgraph.data.file_datasets import CsvDataset, _lines
    patterns = [file_pattern] if isinstance(file_pattern, (str, bytes)) else list(file_pattern)
    files = sorted({f for p in patterns for f in glob.glob(
        p.decode() if isinstance(p, bytes) else p)})
    if not files:
        raise ValueError(f"No files match `file_pattern` {file_pattern}.")
    kind = compression_name(compression_type)
    sample = []
    if column_names is None or column_defaults is None:
        lines = (ln.decode() for ln in _lines(files[0], kind))
        reader = _csv.reader(lines, delimiter=field_delim,
                             quoting=_csv.QUOTE_MINIMAL if use_quote_delim else _csv.QUOTE_NONE)
        first = next(reader, None)
        if column_names is None:
            if not header:
                raise ValueError("Cannot infer column names without a header line.")
            column_names = first
        elif not header and first is not None:
            sample.append(first)
        for _ in range(num_rows_for_inference):
            row = next(reader, None)
            if row is None:
                break
            sample.append(row)
    column_names = list(column_names)
    if len(set(column_names)) != len(column_names):
        raise ValueError("Cannot have duplicate column names.")
    select = None
    if select_columns is not None:
        select = sorted(c if isinstance(c, int) else column_names.index(c)
                        for c in select_columns)
        names = [column_names[c] for c in select]
    else:
        names = column_names
    if column_defaults is None:
        types = _infer_types(sample, len(column_names), na_value)
        if select is not None:
            types = [types[c] for c in select]
        # an inferred column's missing value is its type's zero, as in TF
        column_defaults = [convert_to_tensor([b""] if t == dtypes.string else
                                             np.zeros(1, t.as_numpy_dtype), dtype=t)
                           for t in types]
    if label_name is not None and label_name not in names:
        raise ValueError(f"`label_name` provided must be one of the columns: {names}")
    name_ds = Dataset.list_files(files, shuffle=shuffle, seed=shuffle_seed)
    ds = name_ds.flat_map(lambda f: CsvDataset(
        f, column_defaults, compression_type=compression_type, header=header,
        field_delim=field_delim, use_quote_delim=use_quote_delim, na_value=na_value,
        select_cols=select))
    if ignore_errors:
        ds = _IgnoreErrors(ds)
    if shuffle:
        ds = ds.shuffle(shuffle_buffer_size, seed=shuffle_seed)
    ds = ds.repeat(num_epochs).batch(batch_size, drop_remainder=num_epochs is None)

    def to_dict(*cols):
        feats = dict(zip(names, cols))
        if label_name is None:
            return feats
        label = feats.pop(label_name)
        return feats, label
    return ds.map(to_dict)


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
           "make_batched_features_dataset", "make_csv_dataset", "parse_example_dataset"]
