"""AttrValue and TensorProto protos as the Python values our ops hold, and back."""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.framework.tensor_shape import TensorShape
from jitgraph.summary._proto import pb
from jitgraph.summary.graph_def import attr_value, shape_proto, tensor_proto  # noqa: F401

_BY_ENUM = {d.as_datatype_enum: d for d in (
    dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int8, dtypes.int16, dtypes.int32,
    dtypes.int64, dtypes.uint8, dtypes.uint16, dtypes.bool, dtypes.string)}
_REF = 100  # TF's *_REF types are the base enum + 100


def dtype_of_enum(enum, what="a tensor"):
    """Our DType of a DataType enum; InvalidArgumentError for types jitgraph lacks."""
    d = _BY_ENUM.get(enum % _REF if enum > _REF else enum)
    if d is None:
        raise errors.InvalidArgumentError(
            None, None, f"{what} has DataType {_enum_name(enum)}, which jitgraph does not "
                        "support")
    return d


def _enum_name(enum):
    try:
        return pb("types_pb2").DataType.Name(enum)
    except ValueError:
        return str(enum)


def shape_of(proto):
    """TensorShape of a TensorShapeProto (-1: unknown dim)."""
    if proto.unknown_rank:
        return TensorShape(None)
    return TensorShape([None if d.size < 0 else d.size for d in proto.dim])


_VAL_FIELDS = {"float32": "float_val", "float64": "double_val", "int32": "int_val",
               "int16": "int_val", "int8": "int_val", "uint8": "int_val", "uint16": "int_val",
               "int64": "int64_val", "bool": "bool_val", "float16": "half_val"}


def make_ndarray(proto):
    """The numpy value of a TensorProto (TF's `tf.make_ndarray`): `tensor_content` bytes,
    or the typed value list, its last value repeated to fill the shape."""
    dt = dtype_of_enum(proto.dtype)
    shape = shape_of(proto.tensor_shape)
    if shape.ndims is None or not shape.is_fully_defined():
        raise errors.InvalidArgumentError(None, None, "a constant tensor has a partly unknown "
                                                      f"shape {shape}")
    dims = tuple(shape.as_list())
    n = int(np.prod(dims, dtype=np.int64))
    if dt == dtypes.string:
        vals = list(proto.string_val)
        out = np.empty(n, dtype=object)
        if vals:
            out[:len(vals)] = vals[:n]
            out[len(vals):] = vals[-1]
        else:
            out[:] = b""
        return out.reshape(dims)
    npd = np.dtype(dt.as_numpy_dtype)
    if proto.tensor_content:
        raw = np.frombuffer(proto.tensor_content, dtype=npd.newbyteorder("<"))
        if raw.size != n:
            raise errors.InvalidArgumentError(
                None, None, f"a constant's tensor_content holds {raw.size} values for a "
                            f"shape of {n} elements")
        return raw.astype(npd).reshape(dims)
    vals = getattr(proto, _VAL_FIELDS[dt.name])
    if dt == dtypes.float16:  # half_val holds the float16 bit patterns
        arr = np.asarray(list(vals), dtype=np.uint16).view(np.float16)
    else:
        arr = np.asarray(list(vals), dtype=npd)
    if arr.size == n:
        return arr.reshape(dims)
    if arr.size > n:
        raise errors.InvalidArgumentError(None, None, f"a constant holds {arr.size} values "
                                                      f"for a shape of {n} elements")
    out = np.zeros(n, dtype=npd)
    if arr.size:
        out[:arr.size] = arr
        out[arr.size:] = arr[-1]
    return out.reshape(dims)


def from_attr(av):
    """The Python value of an AttrValue, as our ops' attrs hold them."""
    kind = av.WhichOneof("value")
    if kind == "type":
        return dtype_of_enum(av.type, "an attr")
    if kind == "shape":
        return shape_of(av.shape)
    if kind == "tensor":
        return make_ndarray(av.tensor)
    if kind == "s":
        try:
            return av.s.decode("utf-8")
        except UnicodeDecodeError:
            return av.s
    if kind in ("i", "f", "b"):
        return getattr(av, kind)
    if kind == "list":
        lst = av.list
        for field in ("i", "f", "b", "type", "shape", "s", "tensor"):
            vals = getattr(lst, field)
            if len(vals):
                if field == "type":
                    return [dtype_of_enum(t, "an attr") for t in vals]
                if field == "shape":
                    return [shape_of(s) for s in vals]
                if field == "s":
                    return [v.decode("utf-8", "replace") for v in vals]
                if field == "tensor":
                    return [make_ndarray(t) for t in vals]
                return list(vals)
        return []
    if kind == "func":
        return av.func.name
    return None
