"""Datasets read from files: `tf.data.TFRecordDataset`, `tf.data.TextLineDataset` and
`tf.data.experimental.CsvDataset`.

`filenames` is a string, a list of them or a string Tensor (a placeholder fed when the
iterator is initialized, as TF programs do to switch between train and test files).
Files are read when the iterator reaches them, in order, or `num_parallel_reads` at a
time taking one record from each in turn, as TF's deterministic parallel interleave.
"""
from __future__ import annotations

import gzip
import io
import zlib

import numpy as np

from jitgraph.data import structure
from jitgraph.data.csv_ops import check_delim, defaults_as_tensors, parse_rows
from jitgraph.data.dataset import GROUP, Dataset
from jitgraph.data.records import compression_name, read_records
from jitgraph.data.sources import ArraySource, Chunk, FailedSource
from jitgraph.framework import dtypes, errors
from jitgraph.framework.graph import Tensor
from jitgraph.ops.constant import convert_to_tensor


def _filenames_tensor(filenames):
    t = convert_to_tensor(filenames, dtype=dtypes.string, name="filenames")
    if t.shape.ndims is not None and t.shape.ndims > 1:
        raise TypeError("`filenames` must be a `tf.Tensor` of `tf.string` of rank 0 or 1.")
    return t


def _string(b):
    a = np.empty((), dtype=object)
    a[()] = b
    return a


class _FileDataset(Dataset):
    """Records of each file in turn; subclasses say how a file becomes records."""

    def __init__(self, filenames, compression_type, num_parallel_reads, specs):
        self._filenames = _filenames_tensor(filenames)
        self._compression = compression_name(
            compression_type.decode() if isinstance(compression_type, bytes)
            else compression_type)
        self._parallel = 1 if num_parallel_reads in (None, 0) else int(num_parallel_reads)
        super().__init__(specs)

    def _files(self, ctx):
        names = np.asarray(ctx.value(self._filenames), dtype=object).reshape(-1)
        return [n.decode() if isinstance(n, bytes) else str(n) for n in names]

    def _records_of(self, path):
        raise NotImplementedError

    def _elements(self, ctx):
        files = self._files(ctx)
        if self._parallel <= 1:
            for path in files:
                yield from self._records_of(path)
            return
        yield from _round_robin([self._records_of(p) for p in files], self._parallel)

    def _to_element(self, record):
        return [_string(record)]

    def _chunks(self, ctx):
        elements = (self._to_element(r) for r in self._elements(ctx))
        return _grouped_until_error(elements, len(self._flat_specs))


class ListFilesDataset(Dataset):
    """The sorted names of the files matching glob patterns (a string, a list of them, or
    a string Tensor), matched when the iterator starts."""

    def __init__(self, file_pattern):
        self._patterns = _filenames_tensor(file_pattern)
        super().__init__(structure.Spec(dtypes.string, []))

    def _ra(self, ctx):
        import glob
        pats = [p.decode() if isinstance(p, bytes) else str(p)
                for p in np.asarray(ctx.value(self._patterns), dtype=object).reshape(-1)]
        found = sorted({f for p in pats for f in glob.glob(p)})
        if not found:
            raise errors.InvalidArgumentError(
                None, None, "Expected 'tf.Tensor(False, shape=(), dtype=bool)' to be true. "
                            f"Summarized data: b'No files matched pattern: {', '.join(pats)}'")
        names = np.empty(len(found), dtype=object)
        names[:] = [f.encode() for f in found]
        return len(found), ArraySource([names])


def list_files(file_pattern, shuffle=None, seed=None):
    """`Dataset.list_files`: matching file names, shuffled unless `shuffle=False` (all of
    them at once, as TF shuffles with a buffer of the match count)."""
    ds = ListFilesDataset(file_pattern)
    if shuffle is None or shuffle:
        ds = ds.shuffle(2**31 - 1, seed=seed)
    return ds


def _grouped_until_error(elements, ncomp, size=GROUP):
    """Chunks of elements read ahead; an element that fails (a corrupt record, a bad CSV
    line) fails the get_next that reaches it, after the elements before it, as in TF."""
    group = []
    try:
        for e in elements:
            group.append(e)
            if len(group) == size:
                yield Chunk.of_elements(group, ncomp)
                group = []
    except errors.OpError as err:
        if group:
            yield Chunk.of_elements(group, ncomp)
        yield Chunk(FailedSource(err), slice(0, 1))
        return
    if group:
        yield Chunk.of_elements(group, ncomp)


def _round_robin(gens, cycle):
    """One item from each of `cycle` open generators in turn; a finished one is replaced
    by the next unopened one in its slot."""
    pending = list(gens)
    slots = [pending.pop(0) for _ in range(min(cycle, len(pending)))]
    i = 0
    while slots:
        i %= len(slots)
        try:
            yield next(slots[i])
            i += 1
        except StopIteration:
            if pending:
                slots[i] = pending.pop(0)
            else:
                del slots[i]


class TFRecordDataset(_FileDataset):
    """`tf.data.TFRecordDataset(filenames, compression_type=None, buffer_size=None,
    num_parallel_reads=None)`: the records of TFRecord files, as scalar strings."""

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None):
        super().__init__(filenames, compression_type, num_parallel_reads,
                         structure.Spec(dtypes.string, []))

    def _records_of(self, path):
        return read_records(path, self._compression)


def _open_text(path, kind):
    try:
        f = open(path, "rb")
    except FileNotFoundError as e:
        raise errors.NotFoundError(None, None, f"{path}; No such file or directory") from e
    if kind == "GZIP":
        return gzip.GzipFile(fileobj=f, mode="rb")
    if kind == "ZLIB":
        with f:
            return io.BytesIO(zlib.decompress(f.read()))
    return f


def _lines(path, kind):
    """The lines of a text file without their "\\n" or "\\r\\n", as TF reads them."""
    with _open_text(path, kind) as f:
        for line in f:
            if line.endswith(b"\n"):
                line = line[:-2] if line.endswith(b"\r\n") else line[:-1]
            yield line


class TextLineDataset(_FileDataset):
    """`tf.data.TextLineDataset(filenames, compression_type=None, buffer_size=None,
    num_parallel_reads=None)`: the lines of text files, as scalar strings."""

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None):
        super().__init__(filenames, compression_type, num_parallel_reads,
                         structure.Spec(dtypes.string, []))

    def _records_of(self, path):
        return _lines(path, self._compression)


class FixedLengthRecordDataset(_FileDataset):
    """`tf.data.FixedLengthRecordDataset(filenames, record_bytes, header_bytes=None,
    footer_bytes=None, buffer_size=None, compression_type=None)`: each file's bytes
    between its header and footer, cut into records of `record_bytes` (a partial last
    record is dropped, as TF drops it)."""

    def __init__(self, filenames, record_bytes, header_bytes=None, footer_bytes=None,
                 buffer_size=None, compression_type=None, num_parallel_reads=None):
        self._record = int(record_bytes)
        if self._record <= 0:
            raise errors.InvalidArgumentError(None, None, "record_bytes must be positive")
        self._head, self._foot = int(header_bytes or 0), int(footer_bytes or 0)
        super().__init__(filenames, compression_type, num_parallel_reads,
                         structure.Spec(dtypes.string, []))

    def _records_of(self, path):
        with _open_text(path, self._compression) as f:
            data = f.read()
        body = data[self._head:len(data) - self._foot]
        n = self._record
        for a in range(0, len(body) - n + 1, n):
            yield body[a:a + n]


class CsvDataset(_FileDataset):
    """`tf.data.experimental.CsvDataset`: each line of CSV files as a tuple, one scalar
    per column (per `select_cols`), typed and defaulted by `record_defaults` as in
    `decode_csv`. `header=True` skips each file's first line."""

    def __init__(self, filenames, record_defaults, compression_type=None, buffer_size=None,
                 header=False, field_delim=",", use_quote_delim=True, na_value="",
                 select_cols=None):
        self._defaults = defaults_as_tensors(record_defaults)
        for d in self._defaults:
            if d.shape.ndims is not None and d.shape.num_elements() not in (0, 1, None):
                raise ValueError("Each record default should be at most rank 1")
        self._header = bool(header)
        self._delim = check_delim(field_delim)
        self._quote = bool(use_quote_delim)
        self._na = na_value.encode() if isinstance(na_value, str) else bytes(na_value)
        self._select = None if select_cols is None else [int(c) for c in select_cols]
        if self._select is not None and len(self._select) != len(self._defaults):
            raise ValueError("Length of select_cols and record_defaults do not match.")
        self._types = [d.dtype for d in self._defaults]
        super().__init__(filenames, compression_type, None,
                         tuple(structure.Spec(t, []) for t in self._types))

    def _own_captures(self):
        return [self._filenames] + [d for d in self._defaults if isinstance(d, Tensor)]

    def _chunks(self, ctx):
        defaults = [np.asarray(ctx.value(d)) for d in self._defaults]
        ncomp = len(self._types)

        def rows():
            for path in self._files(ctx):
                lines = _lines(path, self._compression)
                if self._header:
                    next(lines, None)
                for line in lines:
                    cols = parse_rows([line], self._types, defaults, self._delim,
                                      self._quote, self._na, self._select, where=_record)
                    yield [c.reshape(()) if c.dtype != object else _string(c[0])
                           for c in cols]
        return _grouped_until_error(rows(), ncomp)


def _record(_):
    return "record"  # TF's CsvDataset does not number the record in its errors


__all__ = ["CsvDataset", "FixedLengthRecordDataset", "TFRecordDataset", "TextLineDataset"]
