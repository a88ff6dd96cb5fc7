"""Parsing serialized inputs: `tf.io.parse_example` / `parse_single_example` of
`tf.train.Example` protos, and `tf.io.decode_raw`.

Both are host ops (their inputs are strings). Feature specs, output dtypes, shapes
and error messages are TF 1.x's; a `VarLenFeature` parses to a SparseTensor
(indices, values, dense_shape), the rest to dense tensors.
"""
from __future__ import annotations

import collections
import math

import numpy as np

from jitgraph.data import example_proto
from jitgraph.framework import dtypes, errors
from jitgraph.framework.tensor_shape import TensorShape
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.registry import make_op, register

_HOST = "parses strings (protocol buffers, raw bytes) in Python"
_KINDS = {dtypes.float32: "float_list", dtypes.int64: "int64_list", dtypes.string: "bytes_list"}
_TYPE_NAMES = {"float_list": "float", "int64_list": "int64", "bytes_list": "string"}


class FixedLenFeature(collections.namedtuple(
        "FixedLenFeature", ["shape", "dtype", "default_value"])):
    """A feature with `shape` values in every example (`default_value` when missing)."""

    def __new__(cls, shape, dtype, default_value=None):
        return super().__new__(cls, shape, dtype, default_value)


class FixedLenSequenceFeature(collections.namedtuple(
        "FixedLenSequenceFeature", ["shape", "dtype", "allow_missing", "default_value"])):
    """Any number of `shape`-shaped values per example, stacked along a new first
    dimension and padded with `default_value` to the longest in the batch."""

    def __new__(cls, shape, dtype, allow_missing=False, default_value=None):
        return super().__new__(cls, shape, dtype, allow_missing, default_value)


class VarLenFeature(collections.namedtuple("VarLenFeature", ["dtype"])):
    """A feature with any number of values per example: parsed to a SparseTensor."""


class SparseFeature(collections.namedtuple(
        "SparseFeature", ["index_key", "value_key", "dtype", "size", "already_sorted"])):
    """A SparseTensor of dense shape [size] per example built from two features: the
    indices (int64 values of `index_key`, or of each key of a list for more dimensions)
    and the values (`value_key`)."""

    def __new__(cls, index_key, value_key, dtype, size, already_sorted=False):
        return super().__new__(cls, index_key, value_key, dtype, size, already_sorted)


def _sparse_tensor(indices, values, dense_shape):
    from jitgraph.data.sparse import make_sparse
    return make_sparse(indices, values, dense_shape)


# -- the kernel ----------------------------------------------------------------------------
def _value_error(k, name, key, index, kind, want):
    return errors.InvalidArgumentError(
        None, k.op, f"Name: {name}, Key: {key}, Index: {index}.  Data types don't match. "
                    f"Data type: {_TYPE_NAMES[kind]} but expected type: {_TYPE_NAMES[want]}")


def _values(feature, kind, k, name, key, index):
    """The values of one Feature as a numpy array of the spec's kind."""
    have = feature.WhichOneof("kind")
    if have is None:  # an empty Feature is an empty list of any type
        return np.zeros(0, _NP[kind])
    if have != kind:
        raise _value_error(k, name, key, index, have, kind)
    vals = getattr(feature, kind).value
    if kind == "bytes_list":
        out = np.empty(len(vals), dtype=object)
        out[:] = list(vals)
        return out
    return np.fromiter(vals, dtype=_NP[kind], count=len(vals))


_NP = {"float_list": np.float32, "int64_list": np.int64, "bytes_list": object}


# Batches of at least FAST_FROM examples are read from their wire bytes by compiled loops
# (example_wire.py, ~30x faster) once the process has parsed FAST_AFTER examples through
# protobuf: a short program never waits for those loops to compile (seconds, the first
# time; then a disk-cache load), a long input pipeline soon stops paying ~100 µs an example.
FAST_FROM = 64
FAST_AFTER = 10_000
_slow_parsed = 0


def _parse_example_np(k, serialized, names, *defaults):
    a = k.attrs
    single = a["single"]
    ser = np.asarray(serialized, dtype=object)
    flat = ser.reshape(-1)
    global _slow_parsed
    if flat.size >= FAST_FROM and _slow_parsed >= FAST_AFTER and \
            not any(a["dense_sequence"]):
        fast = _parse_fast(a, flat, defaults)
        if fast is not None:
            return fast[0] if len(fast) == 1 else tuple(fast)
    _slow_parsed += flat.size
    names = np.asarray(names, dtype=object).reshape(-1)
    batch = flat.size
    Example = example_proto.get("Example")  # noqa: N806 - the message class
    parsed = []
    for s in flat:
        ex = Example()
        try:
            ex.ParseFromString(s if isinstance(s, bytes) else str(s).encode())
        except Exception as e:  # noqa: BLE001 - protobuf's DecodeError
            raise errors.InvalidArgumentError(
                None, k.op, f"Could not parse example input, value: '{s!r}'") from e
        parsed.append(ex.features.feature)

    def ex_name(i):
        return names[i].decode() if names.size and isinstance(names[i], bytes) else \
            (str(names[i]) if names.size else "<unknown>")

    out = []
    for key, kind in zip(a["sparse_keys"], a["sparse_kinds"]):
        idx, vals, longest = [], [], 0
        for i, fmap in enumerate(parsed):
            v = _values(fmap[key], kind, k, ex_name(i), key, i) if key in fmap else \
                np.zeros(0, _NP[kind])
            idx.append(np.stack([np.full(len(v), i), np.arange(len(v))], axis=1))
            vals.append(v)
            longest = max(longest, len(v))
        ind = np.concatenate(idx).astype(np.int64) if idx else np.zeros((0, 2), np.int64)
        val = np.concatenate(vals) if vals else np.zeros(0, _NP[kind])
        if val.dtype == object and val.size == 0:
            val = np.empty(0, dtype=object)
        shape = np.array([batch, longest], np.int64)
        if single:
            ind, shape = ind[:, 1:], shape[1:]
        out += [ind, val, shape]
    for j, (key, kind, shape) in enumerate(zip(a["dense_keys"], a["dense_kinds"],
                                               a["dense_shapes"])):
        default = np.asarray(defaults[j])
        seq = a["dense_sequence"][j]
        out.append(_dense(k, parsed, key, kind, tuple(shape), default, seq, ex_name,
                          a["dense_allow_missing"][j]))
        if single:
            out[-1] = out[-1][0]
    return out[0] if len(out) == 1 else tuple(out)  # one output: the array itself


def _parse_fast(a, flat, defaults):
    """The outputs of ParseExample for a batch whose features are all regular (present
    with the right kind and count, or missing with a default); None otherwise, for the
    protobuf path to raise TF's error."""
    from jitgraph.data import example_wire as ew
    if not all(isinstance(s, bytes) for s in flat):
        return None
    keys = list(a["sparse_keys"]) + list(a["dense_keys"])
    batch = ew.Batch(list(flat), keys)
    if batch.bad >= 0:
        return None
    n = len(flat)
    out = []
    for key, kind in zip(a["sparse_keys"], a["sparse_kinds"]):
        kinds = batch.kinds[:, batch.col[key]]
        if not np.isin(kinds, (ew.KIND_CODES[kind], ew.EMPTY, ew.MISSING)).all():
            return None
        counts, vals = batch.values(key, kind)
        offsets = np.cumsum(counts) - counts
        rows = np.repeat(np.arange(n, dtype=np.int64), counts)
        pos = np.arange(len(vals), dtype=np.int64) - np.repeat(offsets, counts)
        out += [np.stack([rows, pos], axis=1), vals,
                np.array([n, counts.max() if n else 0], np.int64)]
    for j, (key, kind, shape) in enumerate(zip(a["dense_keys"], a["dense_kinds"],
                                               a["dense_shapes"])):
        shape = tuple(shape)
        size = int(np.prod(shape))
        col = batch.col[key]
        kinds, counts = batch.kinds[:, col], batch.counts[:, col]
        present = kinds != ew.MISSING
        default = np.asarray(defaults[j])
        if not present.all() and default.size == 0:
            return None
        good_kind = (kinds == ew.KIND_CODES[kind]) | ((kinds == ew.EMPTY) & (size == 0))
        if not (good_kind | ~present).all() or (counts[present] != size).any():
            return None
        _, vals = batch.values(key, kind)
        d = np.empty((n,) + shape, dtype=_NP[kind])
        if present.all():
            d[...] = vals.reshape((n,) + shape)
        else:
            d[present] = vals.reshape((-1,) + shape)
            d[~present] = np.broadcast_to(default, shape)
        out.append(d)
    return out


def _dense(k, parsed, key, kind, shape, default, seq, ex_name, allow_missing):
    size = math.prod(shape)
    rows = []
    for i, fmap in enumerate(parsed):
        if key not in fmap:
            if seq:
                if not allow_missing:
                    raise errors.InvalidArgumentError(
                        None, k.op, f"Name: {ex_name(i)}, Feature list '{key}' is required "
                                    "but could not be found.  Did you mean to include it in "
                                    "feature_list_dense_missing_assumed_empty or "
                                    "feature_list_dense_defaults?")
                rows.append(np.zeros((0,) + shape, _NP[kind]))
                continue
            if default.size == 0:
                raise errors.InvalidArgumentError(
                    None, k.op, f"Name: {ex_name(i)}, Feature: {key} (data type: "
                                f"{_TYPE_NAMES[kind]}) is required but could not be found.")
            rows.append(np.broadcast_to(default, shape).astype(_NP[kind]))
            continue
        v = _values(fmap[key], kind, k, ex_name(i), key, i)
        if seq:
            if size == 0 or v.size % size:
                raise errors.InvalidArgumentError(
                    None, k.op, f"Name: {ex_name(i)}, Key: {key}, Index: {i}.  Number of "
                                f"{_TYPE_NAMES[kind]} values is not a multiple of stride "
                                f"length. Saw {v.size} values but output shape is: "
                                f"{_dims((-1,) + shape)}")
            rows.append(v.reshape((-1,) + shape))
            continue
        if v.size != size:
            raise errors.InvalidArgumentError(
                None, k.op, f"Name: {ex_name(i)}, Key: {key}, Index: {i}.  Number of "
                            f"{_TYPE_NAMES[kind]} values != expected.  Values size: {v.size} "
                            f"but output shape: {_dims(shape)}")
        rows.append(v.reshape(shape))
    if seq:  # padded to the longest sequence in the batch
        n = max((r.shape[0] for r in rows), default=0)
        out = np.empty((len(rows), n) + shape, dtype=_NP[kind])
        fill = default if default.size else (b"" if kind == "bytes_list" else 0)
        out[...] = fill
        for i, r in enumerate(rows):
            out[i, :r.shape[0]] = r
        return out
    if len(rows) == 1:  # parse_single_example: no stacking
        return rows[0].astype(_NP[kind], copy=False)[None]
    if not rows:
        return np.zeros((0,) + shape, dtype=_NP[kind])
    return np.stack(rows).astype(_NP[kind], copy=False)


def _dims(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def _parse_example_shape(s):
    a = s.attrs
    batch = s.shapes[0]
    lead = [] if a["single"] else [batch[0] if batch else None]
    shapes = []
    for _ in a["sparse_keys"]:
        shapes += [(None, len(lead) + 1), (None,), (len(lead) + 1,)]
    for shape, seq in zip(a["dense_shapes"], a["dense_sequence"]):
        shapes.append(tuple(lead) + ((None,) if seq else ()) + tuple(shape))
    return shapes


register("ParseExample", shape=_parse_example_shape, numpy=_parse_example_np, host=_HOST)


def _spec_kind(dtype, key):
    dt = dtypes.as_dtype(dtype)
    if dt not in _KINDS:
        raise ValueError(f"Unsupported dtype {dt.name} for feature {key!r}: expected "
                         "float32, int64 or string")
    return dt, _KINDS[dt]


def _parse(serialized, features, name, example_names, single):
    if not features:
        raise ValueError("Missing: features was {}.")
    ser = convert_to_tensor(serialized, dtype=dtypes.string, name="serialized")
    want_rank = 0 if single else 1
    if ser.shape.ndims is not None and ser.shape.ndims != want_rank:
        raise ValueError(f"Shape must be rank {want_rank} but is rank {ser.shape.ndims} for "
                         f"'{'ParseSingleExample' if single else 'ParseExample'}'")
    names = convert_to_tensor([] if example_names is None else example_names,
                              dtype=dtypes.string, name="names")
    asked = set(features)
    features, merged = _expand_sparse_features(features)
    sparse, dense = [], []
    for key in sorted(features):
        spec = features[key]
        if isinstance(spec, VarLenFeature):
            sparse.append((key, spec))
        elif isinstance(spec, (FixedLenFeature, FixedLenSequenceFeature)):
            dense.append((key, spec))
        else:
            raise ValueError(f"Invalid feature {key}:{spec}.")
    attrs = {"single": single, "sparse_keys": [], "sparse_kinds": [], "dense_keys": [],
             "dense_kinds": [], "dense_shapes": [], "dense_sequence": [],
             "dense_allow_missing": []}
    out_types, defaults = [], []
    for key, spec in sparse:
        dt, kind = _spec_kind(spec.dtype, key)
        attrs["sparse_keys"].append(key)
        attrs["sparse_kinds"].append(kind)
        out_types += [dtypes.int64, dt, dtypes.int64]
    for key, spec in dense:
        dt, kind = _spec_kind(spec.dtype, key)
        shape = TensorShape(spec.shape)
        if not shape.is_fully_defined():
            raise ValueError(f"All dimensions of shape for feature {key} need to be known but "
                             f"received {shape}.")
        seq = isinstance(spec, FixedLenSequenceFeature)
        attrs["dense_keys"].append(key)
        attrs["dense_kinds"].append(kind)
        attrs["dense_shapes"].append(tuple(shape.as_list()))
        attrs["dense_sequence"].append(seq)
        attrs["dense_allow_missing"].append(bool(seq and spec.allow_missing))
        d = spec.default_value
        defaults.append(convert_to_tensor(np.zeros(0, _NP[kind]) if d is None else
                                          np.asarray(d, dtype=_NP[kind]), dtype=dt,
                                          name=f"key_{key}"))
        out_types.append(dt)
    op = make_op("ParseExample", [ser, names] + defaults, out_types, attrs,
                 name=name or ("ParseSingleExample" if single else "ParseExample"))
    outs = op.outputs
    result = {}
    for i, (key, _) in enumerate(sparse):
        result[key] = _sparse_tensor(*outs[3 * i:3 * i + 3])
    for j, (key, _) in enumerate(dense):
        result[key] = outs[3 * len(sparse) + j]
    for key, spec in merged.items():
        result[key] = _merge_sparse(result, spec, single)
    for spec in merged.values():  # the parts are not results unless asked for
        for part in _index_keys(spec) + [spec.value_key]:
            if part not in asked:
                result.pop(part, None)
    return result


def _index_keys(spec):
    return list(spec.index_key) if isinstance(spec.index_key, (list, tuple)) \
        else [spec.index_key]


def _expand_sparse_features(features):
    """(features with each SparseFeature replaced by VarLenFeatures of its parts, the
    SparseFeatures by key)."""
    out = {k: v for k, v in features.items() if not isinstance(v, SparseFeature)}
    merged = {k: v for k, v in features.items() if isinstance(v, SparseFeature)}
    for spec in merged.values():
        for part in _index_keys(spec):
            out.setdefault(part, VarLenFeature(dtypes.int64))
        out.setdefault(spec.value_key, VarLenFeature(spec.dtype))
    return out, merged


def _merge_sparse_np(k, *parts):
    """indices/values/shape of a SparseFeature from its parts' (indices, values, shape)."""
    n_idx = k.attrs["n_index"]
    sizes = k.attrs["sizes"]
    single = k.attrs["single"]
    idx_parts = [parts[3 * i:3 * i + 3] for i in range(n_idx)]
    v_ind, vals, v_shape = parts[3 * n_idx:3 * n_idx + 3]
    v_ind = np.asarray(v_ind).reshape(len(vals), -1)
    cols = []
    for ind, ids, _ in idx_parts:
        ind = np.asarray(ind).reshape(len(ids), -1)
        if ind.shape != v_ind.shape or not np.array_equal(ind, v_ind):
            raise errors.InvalidArgumentError(
                None, k.op, "Expected the index and value features of a SparseFeature to "
                            "hold as many values in every example")
        cols.append(np.asarray(ids, np.int64))
    batch = [] if single else [v_ind[:, 0].astype(np.int64)]
    indices = np.stack(batch + cols, axis=1) if len(vals) else \
        np.zeros((0, len(batch) + len(cols)), np.int64)
    for c, size in enumerate(sizes):
        bad = (cols[c] < 0) | (cols[c] >= size)
        if bad.any():
            raise errors.InvalidArgumentError(
                None, k.op, f"Index {int(cols[c][bad][0])} out of range [0, {size}) in a "
                            "SparseFeature")
    values = np.asarray(vals)
    if not k.attrs["already_sorted"] and len(values):
        order = np.lexsort(indices.T[::-1])
        indices, values = indices[order], values[order]
    lead = [] if single else [int(np.asarray(v_shape)[0])]
    return indices, values, np.array(lead + list(sizes), np.int64)


register("SparseFeatureMerge",
         shape=lambda s: [(None, len(s.attrs["sizes"]) + (0 if s.attrs["single"] else 1)),
                          (None,), (len(s.attrs["sizes"]) + (0 if s.attrs["single"] else 1),)],
         numpy=_merge_sparse_np, host=_HOST)


def _merge_sparse(result, spec, single):
    keys = _index_keys(spec)
    sizes = list(spec.size) if isinstance(spec.size, (list, tuple)) else [spec.size]
    if len(sizes) != len(keys):
        raise ValueError(f"SparseFeature is invalid: {spec}: index_key and size must have "
                         "the same length")
    parts = [t for key in keys + [spec.value_key] for t in result[key]]
    value_dtype = result[spec.value_key].values.dtype
    op = make_op("SparseFeatureMerge", parts, [dtypes.int64, value_dtype, dtypes.int64],
                 {"n_index": len(keys), "sizes": [int(x) for x in sizes], "single": single,
                  "already_sorted": bool(spec.already_sorted)}, name="SparseFeatureMerge")
    return _sparse_tensor(*op.outputs)


def parse_example(serialized, features, name=None, example_names=None):
    """Parses a batch (vector) of serialized `Example` protos into a dict of tensors.

    Args:
      serialized: a vector of strings, each a serialized Example.
      features: maps keys to FixedLenFeature, FixedLenSequenceFeature or VarLenFeature.
      example_names: optional names of the examples, for error messages.

    Returns:
      A dict of key -> Tensor (dense features, with a leading batch dimension) or
      SparseTensor (VarLenFeature: indices [n, 2], values [n], dense_shape [2]).
    """
    return _parse(serialized, features, name, example_names, single=False)


def parse_single_example(serialized, features, name=None, example_names=None):
    """Parses one serialized `Example` (a scalar string): as parse_example, without the
    batch dimension."""
    return _parse(serialized, features, name, example_names, single=True)


# -- SequenceExample ---------------------------------------------------------------------------
def _sparse_of(k, maps, key, kind, ex_name):
    """(indices [n, 2], values, dense_shape [2]) of a VarLenFeature over a batch of maps."""
    idx, vals, longest = [], [], 0
    for i, fmap in enumerate(maps):
        v = _values(fmap[key], kind, k, ex_name(i), key, i) if key in fmap else \
            np.zeros(0, _NP[kind])
        idx.append(np.stack([np.full(len(v), i), np.arange(len(v))], axis=1))
        vals.append(v)
        longest = max(longest, len(v))
    ind = np.concatenate(idx).astype(np.int64) if idx else np.zeros((0, 2), np.int64)
    val = np.concatenate(vals) if vals else np.zeros(0, _NP[kind])
    return ind.reshape(-1, 2), val.astype(_NP[kind], copy=False), \
        np.array([len(maps), longest], np.int64)


def _steps(k, fl, key, kind, shape, allow_missing, i, name):
    """One example's feature list `key` as a [steps] + shape array."""
    if key not in fl:
        if not allow_missing:
            raise errors.InvalidArgumentError(
                None, k.op, f"Name: {name}, Feature list '{key}' is required but could not be "
                            "found.  Did you mean to include it in "
                            "feature_list_dense_missing_assumed_empty or "
                            "feature_list_dense_defaults?")
        return np.zeros((0,) + shape, _NP[kind])
    size = int(np.prod(shape))
    rows = []
    for t, feat in enumerate(fl[key].feature):
        v = _values(feat, kind, k, name, key, t)
        if v.size != size:
            raise errors.InvalidArgumentError(
                None, k.op, f"Name: {name}, Key: {key}, Index: {t}.  Number of "
                            f"{_TYPE_NAMES[kind]} values != expected.  values size: {v.size} "
                            f"but output shape: {_dims(shape)}")
        rows.append(v.reshape(shape))
    return np.stack(rows) if rows else np.zeros((0,) + shape, _NP[kind])


def _parse_sequence_np(k, serialized, names, *defaults):
    a = k.attrs
    single = a["single"]
    flat = np.asarray(serialized, dtype=object).reshape(-1)
    names = np.asarray(names, dtype=object).reshape(-1)
    SequenceExample = example_proto.get("SequenceExample")  # noqa: N806 - the class
    exs = []
    for s in flat:
        ex = SequenceExample()
        try:
            ex.ParseFromString(s if isinstance(s, bytes) else str(s).encode())
        except Exception as e:  # noqa: BLE001 - protobuf's DecodeError
            raise errors.InvalidArgumentError(
                None, k.op, f"Could not parse example input, value: '{s!r}'") from e
        exs.append(ex)

    def ex_name(i):
        return names[i].decode() if names.size and isinstance(names[i], bytes) else \
            (str(names[i]) if names.size else "<unknown>")

    ctx_maps = [ex.context.feature for ex in exs]
    out = []
    for key, kind in zip(a["context_sparse_keys"], a["context_sparse_kinds"]):
        ind, val, shape = _sparse_of(k, ctx_maps, key, kind, ex_name)
        out += [ind[:, 1:], val, shape[1:]] if single else [ind, val, shape]
    for j, (key, kind, shape) in enumerate(zip(a["context_dense_keys"],
                                               a["context_dense_kinds"],
                                               a["context_dense_shapes"])):
        d = _dense(k, ctx_maps, key, kind, tuple(shape), np.asarray(defaults[j]), False,
                   ex_name, False)
        out.append(d[0] if single else d)
    fls = [ex.feature_lists.feature_list for ex in exs]
    for key, kind in zip(a["seq_sparse_keys"], a["seq_sparse_kinds"]):
        idx, vals, steps, longest = [], [], 0, 0
        for i, fl in enumerate(fls):
            feats = fl[key].feature if key in fl else []
            steps = max(steps, len(feats))
            for t, feat in enumerate(feats):
                v = _values(feat, kind, k, ex_name(i), key, t)
                longest = max(longest, len(v))
                idx.append(np.stack([np.full(len(v), i), np.full(len(v), t),
                                     np.arange(len(v))], axis=1))
                vals.append(v)
        ind = np.concatenate(idx).astype(np.int64).reshape(-1, 3) if idx else \
            np.zeros((0, 3), np.int64)
        val = np.concatenate(vals).astype(_NP[kind], copy=False) if vals else \
            np.zeros(0, _NP[kind])
        shape = np.array([len(fls), steps, longest], np.int64)
        out += [ind[:, 1:], val, shape[1:]] if single else [ind, val, shape]
    lengths = []
    for key, kind, shape, missing in zip(a["seq_dense_keys"], a["seq_dense_kinds"],
                                         a["seq_dense_shapes"], a["seq_allow_missing"]):
        shape = tuple(shape)
        per = [_steps(k, fl, key, kind, shape, missing, i, ex_name(i))
               for i, fl in enumerate(fls)]
        if single:
            out.append(per[0])
            continue
        n = max((p.shape[0] for p in per), default=0)
        d = np.zeros((len(per), n) + shape, dtype=_NP[kind])
        if kind == "bytes_list":
            d[...] = b""
        for i, p in enumerate(per):
            d[i, :p.shape[0]] = p
        out.append(d)
        lengths.append(np.array([p.shape[0] for p in per], np.int64))
    out += lengths
    return out[0] if len(out) == 1 else tuple(out)


def _parse_sequence_shape(s):
    a = s.attrs
    lead = () if a["single"] else ((s.shapes[0][0] if s.shapes[0] else None),)
    r = len(lead)
    shapes = []
    for _ in a["context_sparse_keys"]:
        shapes += [(None, r + 1), (None,), (r + 1,)]
    for shape in a["context_dense_shapes"]:
        shapes.append(lead + tuple(shape))
    for _ in a["seq_sparse_keys"]:
        shapes += [(None, r + 2), (None,), (r + 2,)]
    for shape in a["seq_dense_shapes"]:
        shapes.append(lead + (None,) + tuple(shape))
    if not a["single"]:
        shapes += [lead] * len(a["seq_dense_keys"])
    return shapes


register("ParseSequenceExample", shape=_parse_sequence_shape, numpy=_parse_sequence_np,
         host=_HOST)


def _split_specs(features, dense_types, where):
    sparse, dense = [], []
    for key in sorted(features or {}):
        spec = features[key]
        if isinstance(spec, VarLenFeature):
            sparse.append((key, spec))
        elif isinstance(spec, dense_types):
            dense.append((key, spec))
        else:
            raise ValueError(f"Invalid feature {key}:{spec} in {where}.")
    return sparse, dense


def _parse_sequence(serialized, context_features, sequence_features, names, name, single):
    if not context_features and not sequence_features:
        raise ValueError("Missing features.")
    ser = convert_to_tensor(serialized, dtype=dtypes.string, name="serialized")
    names = convert_to_tensor([] if names is None else names, dtype=dtypes.string,
                              name="debug_name")
    c_sparse, c_dense = _split_specs(context_features, FixedLenFeature, "context_features")
    s_sparse, s_dense = _split_specs(sequence_features, FixedLenSequenceFeature,
                                     "sequence_features")
    attrs = {"single": single}
    out_types, defaults = [], []
    attrs["context_sparse_keys"] = [key for key, _ in c_sparse]
    attrs["context_sparse_kinds"] = []
    for key, spec in c_sparse:
        dt, kind = _spec_kind(spec.dtype, key)
        attrs["context_sparse_kinds"].append(kind)
        out_types += [dtypes.int64, dt, dtypes.int64]
    attrs["context_dense_keys"], attrs["context_dense_kinds"] = [], []
    attrs["context_dense_shapes"] = []
    for key, spec in c_dense:
        dt, kind = _spec_kind(spec.dtype, key)
        attrs["context_dense_keys"].append(key)
        attrs["context_dense_kinds"].append(kind)
        attrs["context_dense_shapes"].append(tuple(TensorShape(spec.shape).as_list()))
        d = spec.default_value
        defaults.append(convert_to_tensor(np.zeros(0, _NP[kind]) if d is None else
                                          np.asarray(d, dtype=_NP[kind]), dtype=dt,
                                          name=f"key_{key}"))
        out_types.append(dt)
    attrs["seq_sparse_keys"] = [key for key, _ in s_sparse]
    attrs["seq_sparse_kinds"] = []
    for key, spec in s_sparse:
        dt, kind = _spec_kind(spec.dtype, key)
        attrs["seq_sparse_kinds"].append(kind)
        out_types += [dtypes.int64, dt, dtypes.int64]
    for field in ("seq_dense_keys", "seq_dense_kinds", "seq_dense_shapes",
                  "seq_allow_missing"):
        attrs[field] = []
    for key, spec in s_dense:
        dt, kind = _spec_kind(spec.dtype, key)
        attrs["seq_dense_keys"].append(key)
        attrs["seq_dense_kinds"].append(kind)
        attrs["seq_dense_shapes"].append(tuple(TensorShape(spec.shape).as_list()))
        attrs["seq_allow_missing"].append(bool(spec.allow_missing))
        out_types.append(dt)
    if not single:
        out_types += [dtypes.int64] * len(s_dense)
    op = make_op("ParseSequenceExample", [ser, names] + defaults, out_types, attrs,
                 name=name or ("ParseSingleSequenceExample" if single
                               else "ParseSequenceExample"))
    outs = iter(op.outputs)
    context, seq, lengths = {}, {}, {}
    for key, _ in c_sparse:
        context[key] = _sparse_tensor(next(outs), next(outs), next(outs))
    for key, _ in c_dense:
        context[key] = next(outs)
    for key, _ in s_sparse:
        seq[key] = _sparse_tensor(next(outs), next(outs), next(outs))
    for key, _ in s_dense:
        seq[key] = next(outs)
    if single:
        return context, seq
    for key, _ in s_dense:
        lengths[key] = next(outs)
    return context, seq, lengths


def parse_single_sequence_example(serialized, context_features=None, sequence_features=None,
                                  example_name=None, name=None):
    """Parses one serialized `SequenceExample` into (context, sequences) dicts.

    Context features are parsed as by `parse_single_example`; a FixedLenSequenceFeature
    gives a [steps] + shape tensor, a VarLenFeature a SparseTensor with indices
    (step, position).
    """
    return _parse_sequence(serialized, context_features, sequence_features, example_name,
                           name, single=True)


def parse_sequence_example(serialized, context_features=None, sequence_features=None,
                           example_names=None, name=None):
    """Parses a batch of serialized `SequenceExample`s into (context, sequences, lengths):
    dense sequences padded to the longest in the batch, `lengths` their step counts."""
    return _parse_sequence(serialized, context_features, sequence_features, example_names,
                           name, single=False)


# -- decode_raw ----------------------------------------------------------------------------
def _decode_raw_np(k, x):
    dt = np.dtype(k.attrs["out_type"].as_numpy_dtype)
    dt = dt.newbyteorder("<" if k.attrs["little_endian"] else ">")
    arr = np.asarray(x, dtype=object)
    flat = arr.reshape(-1)
    if flat.size == 0:
        return np.zeros(arr.shape + (0,), dtype=dt.newbyteorder("="))
    size = len(flat[0])
    if size % dt.itemsize:
        raise errors.InvalidArgumentError(
            None, k.op, f"Input to DecodeRaw has length {size} that is not a multiple of "
                        f"{dt.itemsize}, the size of {k.attrs['out_type'].name}")
    for i, s in enumerate(flat):
        if len(s) != size:
            raise errors.InvalidArgumentError(
                None, k.op, f"DecodeRaw requires input strings to all be the same size, but "
                            f"element {i} has size {size} != {len(s)}")
    buf = np.frombuffer(b"".join(flat), dtype=dt)
    return buf.astype(dt.newbyteorder("="), copy=True).reshape(arr.shape + (size // dt.itemsize,))


def _decode_raw_shape(s):
    x = s.shapes[0]
    return [None if x is None else tuple(x) + (None,)]


register("DecodeRaw", shape=_decode_raw_shape, numpy=_decode_raw_np, host=_HOST)

_RAW_TYPES = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int32, dtypes.uint16,
              dtypes.uint8, dtypes.int16, dtypes.int8, dtypes.int64)


def decode_raw(input_bytes=None, out_type=None, little_endian=True, name=None, bytes=None):  # noqa: A002
    """`tf.io.decode_raw`: reinterprets the bytes of each string as a vector of
    `out_type` numbers (all strings the same length)."""
    if input_bytes is None:
        input_bytes = bytes
    out_type = dtypes.as_dtype(out_type)
    if out_type not in _RAW_TYPES:
        raise TypeError(f"Value passed to parameter 'out_type' has DataType "
                        f"{out_type.name} not in list of allowed values: half, float32, "
                        "float64, int32, uint16, uint8, int16, int8, int64")
    x = convert_to_tensor(input_bytes, dtype=dtypes.string)
    return make_op("DecodeRaw", [x], [out_type],
                   {"out_type": out_type, "little_endian": bool(little_endian)},
                   name=name or "DecodeRaw").outputs[0]


__all__ = ["FixedLenFeature", "FixedLenSequenceFeature", "SparseFeature", "VarLenFeature",
           "decode_raw", "parse_example", "parse_sequence_example", "parse_single_example",
           "parse_single_sequence_example"]
