"""CSV records: `tf.io.decode_csv` and the field parsing `CsvDataset` shares with it.

Fields are split as TF's DecodeCSV splits them: on `field_delim`; with
`use_quote_delim` a field may be quoted ("a,b" is one field, "" inside is a quote);
an empty field or one equal to `na_value` takes the column's default, and a column
whose default is empty is required. Errors are TF's InvalidArgumentErrors.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.registry import make_op, register

_TYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64, dtypes.string)
_TYPE_WORDS = {dtypes.float32: "float", dtypes.float64: "double", dtypes.int32: "int32",
               dtypes.int64: "int64"}


def split_fields(record: bytes, delim: bytes, use_quote: bool, where: str) -> list:
    """The fields of one record; `where` names it in errors ("record 3")."""
    if not use_quote:
        return record.split(delim)
    fields, i, n = [], 0, len(record)
    while True:
        if i < n and record[i:i + 1] == b'"':
            out = bytearray()
            i += 1
            while True:
                if i >= n:
                    raise errors.InvalidArgumentError(
                        None, None, f"Quoted field has to end with quote followed by delim "
                                    f"or end of line in {where}")
                c = record[i:i + 1]
                if c == b'"':
                    if record[i + 1:i + 2] == b'"':
                        out += b'"'
                        i += 2
                        continue
                    i += 1
                    break
                out += c
                i += 1
            fields.append(bytes(out))
            if i < n and record[i:i + len(delim)] != delim:
                raise errors.InvalidArgumentError(
                    None, None, "Quote inside a string has to be escaped by another quote")
        else:
            j = record.find(delim, i)
            j = n if j < 0 else j
            field = record[i:j]
            if b'"' in field:
                raise errors.InvalidArgumentError(
                    None, None, f"Unquoted fields cannot have quotes/CRLFs inside in {where}")
            fields.append(field)
            i = j
        if i >= n:
            return fields
        i += len(delim)
        if i >= n:  # a trailing delimiter: one more, empty, field
            fields.append(b"")
            return fields


def convert_field(field: bytes, dtype, default, na_value: bytes, col: int, where: str):
    """One field as a value of `dtype` (the column default when empty or NA)."""
    if field == b"" or field == na_value:
        if default.size == 0:
            raise errors.InvalidArgumentError(
                None, None, f"Field {col} is required but missing in {where}!")
        return default.reshape(-1)[0]
    if dtype == dtypes.string:
        return field
    text = field.decode()
    try:
        if dtype.is_integer:
            v = int(text, 10)
            info = np.iinfo(dtype.as_numpy_dtype)
            if not info.min <= v <= info.max:
                raise ValueError
            return v
        return float(text)
    except ValueError:
        raise errors.InvalidArgumentError(
            None, None, f"Field {col} in {where} is not a valid "
                        f"{_TYPE_WORDS[dtype]}: {text}") from None


def parse_rows(records, types, defaults, delim, use_quote, na_value, select_cols,
               where=lambda i: f"record {i}"):
    """Columns (numpy arrays) of the parsed `records` (a flat list of bytes)."""
    cols = [[] for _ in types]
    want = len(types)
    for i, rec in enumerate(records):
        fields = split_fields(rec, delim, use_quote, where(i))
        if select_cols is not None:
            if max(select_cols) >= len(fields):
                raise errors.InvalidArgumentError(
                    None, None, f"Expect {want} fields but have {len(fields)} in {where(i)}")
            fields = [fields[c] for c in select_cols]
        elif len(fields) != want:
            raise errors.InvalidArgumentError(
                None, None, f"Expect {want} fields but have {len(fields)} in {where(i)}")
        for c, (f, dt, d) in enumerate(zip(fields, types, defaults)):
            cols[c].append(convert_field(f, dt, d, na_value, c, where(i)))
    out = []
    for vals, dt in zip(cols, types):
        if dt == dtypes.string:
            a = np.empty(len(vals), dtype=object)
            a[:] = vals
        else:
            a = np.array(vals, dtype=dt.as_numpy_dtype)
        out.append(a)
    return out


def _decode_csv_np(k, records, *defaults):
    a = k.attrs
    recs = np.asarray(records, dtype=object)
    flat = [r if isinstance(r, bytes) else str(r).encode() for r in recs.reshape(-1)]
    defaults = [np.asarray(d) for d in defaults]
    for c, d in enumerate(defaults):
        if d.size > 1:
            raise errors.InvalidArgumentError(
                None, k.op, f"Shape of a default must be a length-0 or length-1 vector, or a "
                            f"scalar.  Column {c} has {d.size} values")
    cols = parse_rows(flat, a["OUT_TYPE"], defaults, a["field_delim"],
                      a["use_quote_delim"], a["na_value"], a["select_cols"])
    out = [c.reshape(recs.shape) for c in cols]
    return out[0] if len(out) == 1 else tuple(out)  # one output: the array itself


register("DecodeCSV", shape=lambda s: [s.shapes[0]] * len(s.out_dtypes),
         numpy=_decode_csv_np, host="parses text records in Python")


def check_delim(field_delim):
    d = field_delim.encode() if isinstance(field_delim, str) else bytes(field_delim)
    if len(d) != 1:
        raise errors.InvalidArgumentError(None, None,
                                          "field_delim should be only 1 char")
    return d


def defaults_as_tensors(record_defaults):
    """The record defaults as Tensors (a value, [value] or [] with a dtype)."""
    out = []
    for i, d in enumerate(record_defaults):
        if isinstance(d, dtypes.DType) or (isinstance(d, type) and d in (int, float, str)):
            dt = dtypes.as_dtype({int: dtypes.int32, float: dtypes.float32,
                                  str: dtypes.string}.get(d, d))
            t = convert_to_tensor(np.zeros(0, dt.as_numpy_dtype), dtype=dt,
                                  name=f"record_default_{i}")
        else:
            t = convert_to_tensor(d)
        if t.dtype not in _TYPES:
            raise TypeError(f"Value passed to parameter 'record_defaults' has DataType "
                            f"{t.dtype.name} not in list of allowed values: float32, "
                            "float64, int32, int64, string")
        out.append(t)
    return out


def decode_csv(records, record_defaults, field_delim=",", use_quote_delim=True, name=None,
               na_value="", select_cols=None):
    """`tf.io.decode_csv`: one tensor per column, each shaped like `records`.

    Args:
      records: a string tensor; each element one CSV line.
      record_defaults: one per column: a tensor (or list) of one value, the column's
        default and type, or an empty one (with its dtype): the column is required.
      field_delim, use_quote_delim, na_value, select_cols: as in TF.
    """
    recs = convert_to_tensor(records, dtype=dtypes.string)
    defaults = defaults_as_tensors(record_defaults)
    if select_cols is not None:
        select_cols = [int(c) for c in select_cols]
        if any(b <= a for a, b in zip(select_cols, select_cols[1:])):
            raise ValueError("select_cols is not strictly increasing.")
        if select_cols and select_cols[0] < 0:
            raise ValueError("select_cols contains negative values.")
        if len(select_cols) != len(defaults):
            raise ValueError("Length of select_cols and record_defaults do not match.")
    na = na_value.encode() if isinstance(na_value, str) else bytes(na_value)
    op = make_op("DecodeCSV", [recs] + defaults, [d.dtype for d in defaults],
                 {"OUT_TYPE": [d.dtype for d in defaults],
                  "field_delim": check_delim(field_delim),
                  "use_quote_delim": bool(use_quote_delim), "na_value": na,
                  "select_cols": select_cols}, name=name or "DecodeCSV")
    return op.outputs


__all__ = ["decode_csv"]
