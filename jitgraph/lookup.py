"""Lookup tables: `tf.lookup` / `tf.contrib.lookup` (HashTable, initializers, index tables).

A table is a `HashTableV2` op whose contents live in the Session, in
`RunState.resources[table_op]` (a dict), as TF keeps them in the session's resource
manager. The op's output is a string handle (the table's name): lookup, size and
initializer ops take it as input so pruning keeps the table they use, and their
kernels find the table's state through their first input's op. All table ops are
host ops: keys are strings more often than not.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.framework.graph import GraphKeys, get_default_graph
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.registry import make_op, make_tensor, register

_NOT_INITIALIZED = "Table not initialized."


# -- ops ------------------------------------------------------------------------------------
def _table_of(k):
    """The session-owned dict of the table whose handle is `k.op`'s first input."""
    return k.op.inputs[0].op


def _key(v):
    return v if isinstance(v, bytes) else v.item() if hasattr(v, "item") else v


def _insert(k, table_op, keys, values):
    """Fills a table as TF's InitializableLookupTable::Initialize does."""
    keys = np.asarray(keys).ravel()
    values = np.asarray(values).ravel()
    if keys.size != values.size:
        raise errors.InvalidArgumentError(
            None, k.op, f"Expected shape {list(np.shape(keys))} for value, got "
                        f"{list(np.shape(values))}")
    data = {}
    for key, val in zip(keys, values):
        key, val = _key(key), _key(val)
        old = data.get(key, val)
        if old != val:
            raise errors.FailedPreconditionError(
                None, k.op, f"HashTable has different value for same key. Key {_txt(key)} "
                            f"has {_txt(old)} and trying to add value {_txt(val)}")
        data[key] = val
    resources = k.state.resources
    if table_op in resources:  # re-running an initializer is fine if the data agree
        if resources[table_op] != data:
            raise errors.FailedPreconditionError(
                None, k.op, "Table was already initialized with different data.")
        return ()
    resources[table_op] = data
    return ()


def _txt(v):
    return v.decode(errors="replace") if isinstance(v, bytes) else str(v)


def _state(k):
    data = k.state.resources.get(_table_of(k))
    if data is None:
        raise errors.FailedPreconditionError(None, k.op, _NOT_INITIALIZED)
    return data


def _find_np(k, handle, keys, default):
    data = _state(k)
    default = _key(np.asarray(default).reshape(()))
    keys = np.asarray(keys)
    out = np.empty(keys.shape, dtype=k.op.outputs[0].dtype.as_numpy_dtype)
    for idx, key in np.ndenumerate(keys):
        out[idx] = data.get(_key(key), default)
    return out


def _init_from_file_np(k, handle, filename):
    a = k.attrs
    fname = filename.item() if hasattr(filename, "item") else filename
    fname = fname.decode() if isinstance(fname, bytes) else fname
    keys, values = read_text_file(k, fname, a["key_index"], a["value_index"], a["vocab_size"],
                                  a["delimiter"], a["key_dtype"], a["value_dtype"])
    return _insert(k, _table_of(k), keys, values)


_HOST = "lookup tables live in the Session (Python dicts)"  # why these ops have no compiled form
register("HashTableV2", shape=lambda s: [()], host=_HOST, stateful=True,
         numpy=lambda k: np.array(k.op.name.encode(), dtype=object))
register("InitializeTableV2", shape=lambda s: [], host=_HOST, stateful=True,
         numpy=lambda k, h, keys, values: _insert(k, _table_of(k), keys, values))
register("InitializeTableFromTextFileV2", shape=lambda s: [], host=_HOST, stateful=True,
         numpy=_init_from_file_np)
register("LookupTableFindV2", shape=lambda s: [s.shapes[1]], host=_HOST, stateful=True,
         numpy=_find_np)
register("LookupTableSizeV2", shape=lambda s: [()], host=_HOST, stateful=True,
         numpy=lambda k, h: np.array(len(_state(k)), dtype=np.int64))


# -- text files --------------------------------------------------------------------------------
class TextFileIndex:
    """Special column indices of `TextFileInitializer`: the whole line, or its number."""

    WHOLE_LINE = -2
    LINE_NUMBER = -1


def read_text_file(k, filename, key_index, value_index, vocab_size, delimiter, key_dtype,
                   value_dtype):
    """(keys, values) read as TF's TextFileLineIterator reads them."""
    try:
        with open(filename, "rb") as f:
            lines = f.read().split(b"\n")
    except OSError as e:
        raise errors.NotFoundError(None, k.op, f"{filename}; No such file or directory") from e
    if lines and lines[-1] == b"":
        lines.pop()
    lines = [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]
    if vocab_size is not None and vocab_size >= 0:
        if len(lines) < vocab_size:
            raise errors.InvalidArgumentError(
                None, k.op, f"Invalid vocab_size in {filename}: expected {vocab_size} but "
                            f"got {len(lines)}")
        lines = lines[:vocab_size]
    sep = delimiter.encode() if isinstance(delimiter, str) else delimiter
    keys, values = [], []
    for n, line in enumerate(lines):
        cols = line.split(sep)
        keys.append(_column(k, filename, n, line, cols, key_index, key_dtype))
        values.append(_column(k, filename, n, line, cols, value_index, value_dtype))
    return (np.array(keys, dtype=key_dtype.as_numpy_dtype),
            np.array(values, dtype=value_dtype.as_numpy_dtype))


def _column(k, filename, n, line, cols, index, dtype):
    if index == TextFileIndex.LINE_NUMBER:
        return n
    if index == TextFileIndex.WHOLE_LINE:
        text = line
    else:
        if index >= len(cols):
            raise errors.InvalidArgumentError(
                None, k.op, f"Invalid number of columns in {filename} line {n} ({line.decode()})"
                            f" : expected {index + 1} got {len(cols)}")
        text = cols[index]
    if dtype == dtypes.string:
        return text
    try:
        return int(text) if dtype.is_integer else float(text)
    except ValueError:
        raise errors.InvalidArgumentError(
            None, k.op, f"Field {text.decode()} in line {n} is not a valid "
                        f"{'int64' if dtype.is_integer else 'float'}.") from None


# -- initializers ----------------------------------------------------------------------------
class TableInitializerBase:
    def __init__(self, key_dtype, value_dtype):
        self._key_dtype = dtypes.as_dtype(key_dtype)
        self._value_dtype = dtypes.as_dtype(value_dtype)

    @property
    def key_dtype(self):
        return self._key_dtype

    @property
    def value_dtype(self):
        return self._value_dtype


class KeyValueTensorInitializer(TableInitializerBase):
    """Fills a table from a tensor of keys and one of values."""

    def __init__(self, keys, values, key_dtype=None, value_dtype=None, name=None):
        self._keys = convert_to_tensor(keys, dtype=key_dtype, name="keys")
        self._values = convert_to_tensor(values, dtype=value_dtype, name="values")
        self._name = name or "key_value_init"
        super().__init__(self._keys.dtype, self._values.dtype)

    def initialize(self, table):
        _check_dtypes(table, self)
        op = make_op("InitializeTableV2", [table.resource_handle, self._keys, self._values],
                     [], name=self._name)
        get_default_graph().add_to_collection(GraphKeys.TABLE_INITIALIZERS, op)
        return op


class TextFileInitializer(TableInitializerBase):
    """Fills a table from a text file: keys and values are columns or line numbers."""

    def __init__(self, filename, key_dtype, key_index, value_dtype, value_index,
                 vocab_size=None, delimiter="\t", name=None):
        key_dtype, value_dtype = dtypes.as_dtype(key_dtype), dtypes.as_dtype(value_dtype)
        if key_index < -2:
            raise ValueError(f"Invalid key index {key_index}.")
        if key_index == TextFileIndex.LINE_NUMBER and key_dtype != dtypes.int64:
            raise ValueError(f"Signature mismatch. Keys must be dtype {dtypes.int64}, got "
                             f"{key_dtype}.")
        if key_index == TextFileIndex.WHOLE_LINE and not (key_dtype.is_integer
                                                          or key_dtype == dtypes.string):
            raise ValueError(f"Signature mismatch. Keys must be integer or string, got "
                             f"{key_dtype}.")
        if value_index < -2:
            raise ValueError(f"Invalid value index {value_index}.")
        if value_index == TextFileIndex.LINE_NUMBER and value_dtype != dtypes.int64:
            raise ValueError(f"Signature mismatch. Values must be dtype {dtypes.int64}, got "
                             f"{value_dtype}.")
        if value_index == TextFileIndex.WHOLE_LINE and value_dtype != dtypes.string:
            raise ValueError(f"Signature mismatch. Values must be dtype {dtypes.string}, got "
                             f"{value_dtype}.")
        if vocab_size is not None and vocab_size <= 0:
            raise ValueError(f"Invalid vocab_size {vocab_size}.")
        self._filename = filename
        self._key_index, self._value_index = key_index, value_index
        self._vocab_size, self._delimiter = vocab_size, delimiter
        self._name = name or "text_file_init"
        super().__init__(key_dtype, value_dtype)

    def initialize(self, table):
        _check_dtypes(table, self)
        filename = convert_to_tensor(self._filename, dtypes.string, name="asset_filepath")
        op = make_op("InitializeTableFromTextFileV2", [table.resource_handle, filename], [],
                     {"key_index": self._key_index, "value_index": self._value_index,
                      "vocab_size": -1 if self._vocab_size is None else self._vocab_size,
                      "delimiter": self._delimiter, "key_dtype": self._key_dtype,
                      "value_dtype": self._value_dtype}, name=self._name)
        g = get_default_graph()
        g.add_to_collection(GraphKeys.TABLE_INITIALIZERS, op)
        g.add_to_collection(GraphKeys.ASSET_FILEPATHS, filename)
        return op


class TextFileStringTableInitializer(TextFileInitializer):
    """Line number (int64) -> whole line (string), by default."""

    def __init__(self, filename, key_column_index=TextFileIndex.LINE_NUMBER,
                 value_column_index=TextFileIndex.WHOLE_LINE, vocab_size=None, delimiter="\t",
                 name="text_file_string_table_init"):
        super().__init__(filename, dtypes.int64, key_column_index, dtypes.string,
                         value_column_index, vocab_size, delimiter, name)


class TextFileIdTableInitializer(TextFileInitializer):
    """Whole line (string) -> line number (int64), by default."""

    def __init__(self, filename, key_column_index=TextFileIndex.WHOLE_LINE,
                 value_column_index=TextFileIndex.LINE_NUMBER, vocab_size=None, delimiter="\t",
                 name="text_file_id_table_init", key_dtype=dtypes.string):
        super().__init__(filename, key_dtype, key_column_index, dtypes.int64,
                         value_column_index, vocab_size, delimiter, name)


def _check_dtypes(table, init):
    if table.key_dtype != init.key_dtype or table.value_dtype != init.value_dtype:
        raise TypeError(f"Signature mismatch. Keys must be dtype {table.key_dtype}, got "
                        f"{init.key_dtype}." if table.key_dtype != init.key_dtype else
                        f"Signature mismatch. Values must be dtype {table.value_dtype}, got "
                        f"{init.value_dtype}.")


# -- tables --------------------------------------------------------------------------------------
class LookupInterface:
    def __init__(self, key_dtype, value_dtype, name):
        self._key_dtype = dtypes.as_dtype(key_dtype)
        self._value_dtype = dtypes.as_dtype(value_dtype)
        self._name = name

    @property
    def key_dtype(self):
        return self._key_dtype

    @property
    def value_dtype(self):
        return self._value_dtype

    @property
    def name(self):
        return self._name

    def _check_keys(self, keys):
        keys = convert_to_tensor(keys, dtype=None)
        if keys.dtype.is_integer and self._key_dtype.is_integer and keys.dtype != \
                self._key_dtype:
            from jitgraph.ops.math_ops import cast  # TF casts int32 keys to int64 tables
            keys = cast(keys, self._key_dtype)
        if keys.dtype != self._key_dtype:
            raise TypeError(f"Signature mismatch. Keys must be dtype {self._key_dtype}, got "
                            f"{keys.dtype}.")
        return keys


class HashTable(LookupInterface):
    """An immutable table filled once by its initializer (`tf.contrib.lookup.HashTable`)."""

    def __init__(self, initializer, default_value, shared_name=None, name=None):
        g = get_default_graph()
        with g.name_scope(name or "hash_table") as scope:
            self._handle = make_tensor("HashTableV2", [], dtypes.string,
                                       {"key_dtype": initializer.key_dtype,
                                        "value_dtype": initializer.value_dtype,
                                        "shared_name": shared_name or ""},
                                       name="hash_table")
            super().__init__(initializer.key_dtype, initializer.value_dtype, scope.rstrip("/"))
            self._default_value = convert_to_tensor(default_value, dtype=self._value_dtype,
                                                    name="Const")
            self._init_op = initializer.initialize(self)
        self._initializer = initializer

    @property
    def resource_handle(self):
        return self._handle

    @property
    def init(self):
        return self._init_op

    @property
    def initializer(self):
        return self._init_op

    @property
    def default_value(self):
        return self._default_value

    def size(self, name=None):
        """The number of entries (int64 scalar)."""
        return make_tensor("LookupTableSizeV2", [self._handle], dtypes.int64,
                           name=name or f"{self._name}_Size")

    def lookup(self, keys, name=None):
        """Values of `keys` (same shape), the default value for missing keys."""
        keys = self._check_keys(keys)
        return make_tensor("LookupTableFindV2", [self._handle, keys, self._default_value],
                           self._value_dtype, name=name or f"{self._name}_Lookup")


StaticHashTable = HashTable


class HasherSpec:
    def __init__(self, hasher, key=None):
        self.hasher, self.key = hasher, key


FastHashSpec = HasherSpec("fasthash", None)


def StrongHashSpec(key):  # noqa: N802 - TF's name
    raise NotImplementedError("jitgraph: StrongHashSpec (SipHash buckets) is not supported")


class IdTableWithHashBuckets(LookupInterface):
    """A string/int64 -> id table whose misses go to `num_oov_buckets` hash buckets."""

    def __init__(self, table, num_oov_buckets, hasher_spec=FastHashSpec, name=None,
                 key_dtype=None):
        if num_oov_buckets < 0:
            raise ValueError(f"oov_buckets must be greater or equal than 0, got "
                             f"{num_oov_buckets}.")
        if hasher_spec is not FastHashSpec and getattr(hasher_spec, "hasher", "") != "fasthash":
            raise NotImplementedError("jitgraph: only FastHashSpec buckets are supported")
        self._table = table
        self._num_oov_buckets = int(num_oov_buckets)
        key_dtype = table.key_dtype if table is not None else dtypes.as_dtype(
            key_dtype or dtypes.string)
        super().__init__(key_dtype, dtypes.int64, name or (table.name if table else "hash"))

    @property
    def init(self):
        return self._table.init if self._table is not None else None

    initializer = init

    def size(self, name=None):
        from jitgraph.ops.math_ops import add
        if self._table is None:
            from jitgraph.ops.constant import constant
            return constant(self._num_oov_buckets, dtypes.int64, name=name or "Size")
        return add(self._table.size(), np.int64(self._num_oov_buckets), name=name)

    def lookup(self, keys, name=None):
        from jitgraph.ops.math_ops import add, cast, not_equal, where
        from jitgraph.ops.string_ops import as_string, string_to_hash_bucket_fast
        keys = self._check_keys(keys)
        ids = self._table.lookup(keys) if self._table is not None else None
        if not self._num_oov_buckets:
            return ids
        text = keys if keys.dtype == dtypes.string else as_string(keys)
        buckets = string_to_hash_bucket_fast(text, self._num_oov_buckets, name="hash_bucket")
        if ids is None:
            return buckets
        buckets = add(buckets, self._table.size())
        return where(not_equal(ids, cast(self._table.default_value, dtypes.int64)), ids,
                     buckets, name=name)


class StaticVocabularyTable(IdTableWithHashBuckets):
    """`tf.lookup.StaticVocabularyTable`: an initialized key -> id table whose misses go
    to `num_oov_buckets` Fingerprint64 buckets after the vocabulary."""

    def __init__(self, initializer, num_oov_buckets, lookup_key_dtype=None, name=None):
        if num_oov_buckets <= 0:
            raise ValueError("oov_buckets must be > 0; use StaticHashTable.")
        table = HashTable(initializer, -1, name=name or "hash_table")
        super().__init__(table, num_oov_buckets, FastHashSpec, name)


# -- index tables ------------------------------------------------------------------------------
def index_table_from_tensor(vocabulary_list, num_oov_buckets=0, default_value=-1,
                            hasher_spec=FastHashSpec, dtype=dtypes.string, name=None):
    """A table mapping each vocabulary entry to its position (int64), misses to
    `default_value` or, with `num_oov_buckets`, to `vocab_size + hash % num_oov_buckets`."""
    if vocabulary_list is None:
        raise ValueError("vocabulary_list must be specified.")
    if num_oov_buckets < 0:
        raise ValueError(f"num_oov_buckets must be greater or equal than 0, got "
                         f"{num_oov_buckets}.")
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_integer and dtype != dtypes.string:
        raise TypeError(f"Only integer and string keys are supported. Got {dtype}.")
    g = get_default_graph()
    with g.name_scope(name or "string_to_index"):
        keys = convert_to_tensor(vocabulary_list)
        if keys.dtype.is_integer != dtype.is_integer:
            raise ValueError(f"Expected {'integer' if dtype.is_integer else 'non-integer'}, "
                             f"got {keys.dtype}.")
        if dtype.is_integer and keys.dtype != dtypes.int64:
            from jitgraph.ops.math_ops import cast
            keys = cast(keys, dtypes.int64)
        n = keys.shape.as_tuple()[0] if keys.shape.ndims == 1 else None
        if n is None:
            raise ValueError("vocabulary_list must be a known-length 1-D list.")
        values = convert_to_tensor(np.arange(n, dtype=np.int64), name="values")
        init = KeyValueTensorInitializer(keys, values, name="table_init")
        table = HashTable(init, default_value, name="hash_table")
        if num_oov_buckets:
            table = IdTableWithHashBuckets(table, num_oov_buckets, hasher_spec)
        return table


def index_table_from_file(vocabulary_file=None, num_oov_buckets=0, vocab_size=None,
                          default_value=-1, hasher_spec=FastHashSpec, key_dtype=dtypes.string,
                          name=None, key_column_index=TextFileIndex.WHOLE_LINE,
                          value_column_index=TextFileIndex.LINE_NUMBER, delimiter="\t"):
    """Like `index_table_from_tensor`, the vocabulary read from a file (one entry a line)."""
    if vocabulary_file is None or (isinstance(vocabulary_file, str) and not vocabulary_file):
        raise ValueError("vocabulary_file must be specified and must not be empty.")
    if num_oov_buckets < 0:
        raise ValueError(f"num_oov_buckets must be greater or equal than 0, got "
                         f"{num_oov_buckets}.")
    if vocab_size is not None and vocab_size < 1:
        raise ValueError(f"vocab_size must be greater than 0, got {vocab_size}. "
                         f"vocabulary_file: {vocabulary_file}")
    key_dtype = dtypes.as_dtype(key_dtype)
    if not key_dtype.is_integer and key_dtype != dtypes.string:
        raise TypeError(f"Only integer and string keys are supported. Got {key_dtype}.")
    g = get_default_graph()
    with g.name_scope(name or "string_to_index"):
        # Integer keys are read as int64 (TF reads them so and casts lookups).
        init = TextFileIdTableInitializer(
            vocabulary_file, key_column_index, value_column_index, vocab_size, delimiter,
            name="table_init", key_dtype=dtypes.int64 if key_dtype.is_integer else key_dtype)
        table = HashTable(init, default_value, name="hash_table")
        if num_oov_buckets:
            table = IdTableWithHashBuckets(table, num_oov_buckets, hasher_spec)
        return table


def index_to_string_table_from_tensor(vocabulary_list, default_value="UNK", name=None):
    """A table mapping int64 ids to vocabulary entries, others to `default_value`."""
    if vocabulary_list is None:
        raise ValueError("vocabulary_list must be specified.")
    g = get_default_graph()
    with g.name_scope(name or "index_to_string"):
        values = convert_to_tensor(vocabulary_list, dtypes.string)
        n = values.shape.as_tuple()[0]
        keys = convert_to_tensor(np.arange(n, dtype=np.int64), name="keys")
        init = KeyValueTensorInitializer(keys, values, name="table_init")
        return HashTable(init, default_value, name="hash_table")


def index_to_string_table_from_file(vocabulary_file, vocab_size=None, default_value="UNK",
                                    name=None, key_column_index=TextFileIndex.LINE_NUMBER,
                                    value_column_index=TextFileIndex.WHOLE_LINE, delimiter="\t"):
    if vocabulary_file is None or (isinstance(vocabulary_file, str) and not vocabulary_file):
        raise ValueError("vocabulary_file must be specified and must not be empty.")
    if vocab_size is not None and vocab_size < 1:
        raise ValueError(f"vocab_size must be greater than 0, got {vocab_size}.")
    g = get_default_graph()
    with g.name_scope(name or "index_to_string"):
        init = TextFileStringTableInitializer(vocabulary_file, key_column_index,
                                              value_column_index, vocab_size, delimiter,
                                              name="table_init")
        return HashTable(init, default_value, name="hash_table")


def index_to_string(tensor, mapping, default_value="UNK", name=None):
    table = index_to_string_table_from_tensor(mapping, default_value, name)
    return table.lookup(tensor)


def tables_initializer(name="init_all_tables"):
    """An op that runs every table initializer of the default graph."""
    from jitgraph.ops.array_ops import group, no_op
    inits = get_default_graph().get_collection(GraphKeys.TABLE_INITIALIZERS)
    return group(*inits, name=name) if inits else no_op(name=name)


initialize_all_tables = tables_initializer

__all__ = ["HashTable", "StaticHashTable", "KeyValueTensorInitializer", "TextFileInitializer",
           "TextFileIndex", "TextFileIdTableInitializer", "TextFileStringTableInitializer",
           "IdTableWithHashBuckets", "StaticVocabularyTable", "HasherSpec", "FastHashSpec",
           "StrongHashSpec", "LookupInterface", "index_table_from_tensor", "index_table_from_file",
           "index_to_string_table_from_tensor", "index_to_string_table_from_file",
           "index_to_string", "tables_initializer", "initialize_all_tables"]
