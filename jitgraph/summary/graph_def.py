"""Our Graph as TensorFlow's GraphDef proto, for TensorBoard's graph page.

Op types and attr names already are TensorFlow's, so the conversion is direct:
one NodeDef per op, inputs as 'name', 'name:1' and '^name', attrs as AttrValues.
Python-only attrs (callables, datasets) have no proto form and are left out.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.framework.tensor_shape import TensorShape
from jitgraph.summary._proto import pb

# TF 1.15's GRAPH_DEF_VERSION: the producer version TensorBoard sees.
_PRODUCER = 134
# Consts above this many bytes keep only dtype and shape (TensorBoard drops big attrs too).
_MAX_CONST_BYTES = 10 << 20


def input_name(t) -> str:
    """How a NodeDef names an input tensor: 'op' for output 0, 'op:i' otherwise."""
    return t.op.name if t.value_index == 0 else f"{t.op.name}:{t.value_index}"


def shape_proto(shape):
    """TensorShapeProto of a TensorShape/tuple; unknown dims are -1, unknown rank is flagged."""
    tsp = pb("tensor_shape_pb2")
    shape = shape if isinstance(shape, TensorShape) else TensorShape(shape)
    proto = tsp.TensorShapeProto()
    if shape.ndims is None:
        proto.unknown_rank = True
        return proto
    for d in shape.as_tuple():
        proto.dim.add(size=-1 if d is None else int(d))
    return proto


def tensor_proto(value, dtype=None, include_content=True):
    """TensorProto of a numpy value (TF's make_tensor_proto, without its conversions)."""
    tp = pb("tensor_pb2")
    if dtype is None:
        from jitgraph.ops.constant import infer_dtype
        dtype = infer_dtype(value)
    dtype = dtypes.as_dtype(dtype)
    proto = tp.TensorProto(dtype=dtype.as_datatype_enum)
    if dtype == dtypes.string:
        arr = np.asarray(value, dtype=object)
        proto.tensor_shape.CopyFrom(shape_proto(arr.shape))
        if include_content:
            proto.string_val.extend(s.encode() if isinstance(s, str) else bytes(s)
                                    for s in arr.ravel())
        return proto
    arr = np.asarray(value, dtype=dtype.as_numpy_dtype)
    proto.tensor_shape.CopyFrom(shape_proto(arr.shape))
    if include_content and arr.nbytes <= _MAX_CONST_BYTES:
        # tensor_content is the raw little-endian buffer, as TF writes it.
        proto.tensor_content = np.ascontiguousarray(arr).astype(
            arr.dtype.newbyteorder("<"), copy=False).tobytes()
    return proto


def attr_value(value):
    """AttrValue for one of our attr values, or None when it has no proto form."""
    av = pb("attr_value_pb2").AttrValue
    if isinstance(value, dtypes.DType):
        return av(type=value.as_datatype_enum)
    if isinstance(value, TensorShape):
        return av(shape=shape_proto(value))
    if isinstance(value, (bool, np.bool_)):
        return av(b=bool(value))
    if isinstance(value, (int, np.integer)):
        return av(i=int(value))
    if isinstance(value, (float, np.floating)):
        return av(f=float(value))
    if isinstance(value, str):
        return av(s=value.encode())
    if isinstance(value, bytes):
        return av(s=value)
    if isinstance(value, np.ndarray):
        dt = dtypes.string if value.dtype.kind in "USO" else dtypes.as_dtype(value.dtype)
        return av(tensor=tensor_proto(value, dt))
    if isinstance(value, (list, tuple)):
        return _list_attr(av, value)
    return None


def _list_attr(av, values):
    out = av()
    lst = out.list
    if not values:
        lst.SetInParent()
        return out
    if all(isinstance(v, (bool, np.bool_)) for v in values):
        lst.b.extend(bool(v) for v in values)
    elif all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        lst.i.extend(int(v) for v in values)
    elif all(isinstance(v, (int, float, np.integer, np.floating)) for v in values):
        lst.f.extend(float(v) for v in values)
    elif all(isinstance(v, (str, bytes)) for v in values):
        lst.s.extend(v.encode() if isinstance(v, str) else v for v in values)
    elif all(isinstance(v, dtypes.DType) for v in values):
        lst.type.extend(v.as_datatype_enum for v in values)
    elif all(isinstance(v, TensorShape) for v in values):
        lst.shape.extend(shape_proto(v) for v in values)
    else:
        return None
    return out


def node_def(op):
    """The NodeDef of one Operation."""
    nd = pb("node_def_pb2").NodeDef(name=op.name, op=op.type, device="")
    nd.input.extend(input_name(t) for t in op.inputs)
    nd.input.extend("^" + c.name for c in op.control_inputs)
    for key in sorted(op.attrs):
        if key.startswith("_"):
            continue
        try:
            v = attr_value(op.attrs[key])
        except (TypeError, ValueError, KeyError):
            v = None  # a value with no proto form (an object array, an exotic dtype)
        if v is not None:
            nd.attr[key].CopyFrom(v)
    # TF's kernels are typed by `T` (or `dtype` for sources); TensorBoard shows it.
    if "T" not in nd.attr and "dtype" not in nd.attr:
        if op.inputs:
            nd.attr["T"].type = op.inputs[0].dtype.as_datatype_enum
        elif op.outputs:
            nd.attr["dtype"].type = op.outputs[0].dtype.as_datatype_enum
    if op.outputs:
        shapes = nd.attr["_output_shapes"].list.shape
        shapes.extend(shape_proto(t.shape) for t in op.outputs)
    return nd


def as_graph_def(graph, add_shapes=True):
    """`graph.as_graph_def()`: a GraphDef proto with one NodeDef per op, in creation order."""
    gd = pb("graph_pb2").GraphDef()
    gd.versions.producer = _PRODUCER
    for op in graph.get_operations():
        nd = node_def(op)
        if not add_shapes:
            del nd.attr["_output_shapes"]
        gd.node.append(nd)
    return gd
