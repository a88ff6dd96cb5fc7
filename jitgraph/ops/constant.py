"""Constants, placeholders and conversion of Python values to tensors."""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.framework import errors
from jitgraph.framework.graph import Operation, Tensor, get_default_graph
from jitgraph.framework.tensor_shape import TensorShape, as_shape
from jitgraph.ops.registry import make_op, make_tensor, register

_INT32_MIN, _INT32_MAX = np.iinfo(np.int32).min, np.iinfo(np.int32).max


def infer_dtype(value):
    """TF's dtype for a Python/numpy value: Python floats -> float32, ints -> int32."""
    if isinstance(value, (np.ndarray, np.generic)):
        if value.dtype.kind in "USO":
            return dtypes.string
        return dtypes.as_dtype(value.dtype)
    arr = np.asarray(value)
    kind = arr.dtype.kind
    if kind in "fO" and _only_ints(value):
        # numpy makes ints past int64 (or int64 mixed with past-int64 uint64) float64 or
        # object: TF refuses them rather than round them or call them strings.
        raise ValueError(f"Can't convert Python int {_out_of_range(value)} to a Tensor: "
                         f"it is out of the int64 range")
    if kind == "f":
        return dtypes.float32
    if kind in "iu":
        if arr.size and (arr.min() < _INT32_MIN or arr.max() > _INT32_MAX):
            return dtypes.int64
        return dtypes.int32
    if kind == "b":
        return dtypes.bool
    if kind in "USO":
        return dtypes.string
    raise TypeError(f"Failed to convert object of type {type(value)} to Tensor. "
                    f"Contents: {value}. Consider casting elements to a supported type.")


def to_numpy(value, dtype) -> np.ndarray:
    """Converts `value` to an array of `dtype`, refusing lossy float -> int conversions."""
    dtype = dtypes.as_dtype(dtype)
    if dtype == dtypes.string:
        arr = np.asarray(value, dtype=object)
        return np.vectorize(lambda s: s.encode() if isinstance(s, str) else s,
                            otypes=[object])(arr) if arr.size else arr
    arr = np.asarray(value)
    if arr.dtype.kind in "USO":
        raise TypeError(f"Expected {dtype.name}, got {value!r} of type "
                        f"'{type(value).__name__}' instead.")
    if dtype.is_integer and arr.dtype.kind == "f" and not isinstance(value, np.ndarray):
        if not np.all(np.equal(np.mod(arr, 1), 0)):
            raise TypeError(f"Expected {dtype.name}, got {value!r} of type "
                            f"'{type(value).__name__}' instead.")
    if dtype.is_integer and not isinstance(value, (np.ndarray, np.generic)) and _only_ints(value):
        return _exact_ints(value, dtype)
    return np.asarray(arr, dtype=dtype.as_numpy_dtype)


def _only_ints(value) -> bool:
    """Whether `value` is a Python int (not bool) or a nest of lists/tuples of them."""
    if isinstance(value, (list, tuple)):
        return all(_only_ints(v) for v in value)
    return isinstance(value, int) and not isinstance(value, bool)


def _out_of_range(value, lo=-2**63, hi=2**63 - 1):
    """The first int in `value` outside [lo, hi], or None."""
    if isinstance(value, (list, tuple)):
        for v in value:
            bad = _out_of_range(v, lo, hi)
            if bad is not None:
                return bad
        return None
    return value if not lo <= value <= hi else None


def _exact_ints(value, dtype):
    """Python ints as `dtype`, exactly: a value the dtype cannot hold is an error (numpy
    would wrap it, or go through float64 and round it)."""
    info = np.iinfo(dtype.as_numpy_dtype)
    bad = _out_of_range(value, int(info.min), int(info.max))
    if bad is not None:
        raise ValueError(f"Can't convert Python int {bad} to {dtype.name}: out of range")
    return np.array(value, dtype=dtype.as_numpy_dtype)


def constant(value, dtype=None, shape=None, name="Const", verify_shape=False):
    """Creates a constant tensor (`tf.constant`)."""
    dtype = dtypes.as_dtype(dtype) if dtype is not None else infer_dtype(value)
    arr = to_numpy(value, dtype)
    if shape is not None:
        shape = tuple(as_shape(shape).as_list())
        if arr.shape != shape:
            if verify_shape:
                raise TypeError(f"Expected Tensor's shape: {shape}, got {arr.shape}.")
            if arr.size == 1:
                arr = np.full(shape, arr.reshape(()), dtype=arr.dtype)
            elif arr.size == int(np.prod(shape)):
                arr = arr.reshape(shape)
            else:
                raise TypeError(f"Eager execution of tf.constant with unsupported shape (value "
                                f"has {arr.size} elements, shape is {shape} with "
                                f"{int(np.prod(shape))} elements).")
    arr.setflags(write=False)
    return make_tensor("Const", [], dtype, {"value": arr, "dtype": dtype}, name=name)


def _const_np(k):
    return k.attrs["value"]


register("Const", shape=lambda s: [s.attrs["value"].shape], numpy=_const_np, grad=None,
         role="const", passes_through=True)


def proto_dtype_name(dtype) -> str:
    """The dtype as TF's runtime names it in messages ('float', 'double', 'int32')."""
    return {"float32": "float", "float64": "double", "float16": "half"}.get(dtype.name,
                                                                          dtype.name)


def placeholder(dtype, shape=None, name=None):
    """A tensor that must be fed (`tf.placeholder`)."""
    dtype = dtypes.as_dtype(dtype)
    shape = TensorShape(shape)
    return make_tensor("Placeholder", [], dtype, {"dtype": dtype, "shape": shape},
                       name=name or "Placeholder")


def _placeholder_np(k):
    op = k.op
    shape = op.attrs["shape"]
    shape_txt = "[" + ",".join("?" if d is None else str(d) for d in shape.as_tuple()) + "]" \
        if shape.ndims is not None else "<unknown>"
    raise errors.InvalidArgumentError(
        None, op,
        f"You must feed a value for placeholder tensor '{op.name}' with dtype "
        f"{proto_dtype_name(op.attrs['dtype'])}"
        + (f" and shape {shape_txt}" if shape.ndims is not None else "")
        + f"\n\t [[node {op.name} (defined at <graph>) ]]")


register("Placeholder", shape=lambda s: [s.attrs["shape"].as_tuple()], numpy=_placeholder_np,
         host="a feed the Session supplies (running it unfed raises)", passes_through=True)


def placeholder_with_default(input, shape, name=None):  # noqa: A002 - TF's argument name
    """A tensor that takes `input`'s value unless fed (`tf.placeholder_with_default`)."""
    x = convert_to_tensor(input)
    return make_tensor("PlaceholderWithDefault", [x], x.dtype, {"shape": TensorShape(shape)},
                       name=name or "PlaceholderWithDefault")


register("PlaceholderWithDefault",
         shape=lambda s: [TensorShape(s.attrs["shape"]).merge_with(
             TensorShape(s.shapes[0])).as_tuple()],
         numpy=lambda k, x: x, ew="{0}", aliases=True,
         grad=lambda op, dy: [dy])


def convert_to_tensor(value, dtype=None, name=None, preferred_dtype=None) -> Tensor:
    """Returns `value` as a Tensor: Tensors pass through, Python/numpy values become constants.

    Raises:
      ValueError: if `value` is a Tensor of another dtype than `dtype`.
    """
    if isinstance(value, Tensor):
        if dtype is not None and dtypes.as_dtype(dtype) != value.dtype:
            raise ValueError(f"Tensor conversion requested dtype {dtypes.as_dtype(dtype).name} "
                             f"for Tensor with dtype {value.dtype.name}: {value!r}")
        return value
    if hasattr(value, "_as_graph_element"):
        t = value._as_graph_element()
        if isinstance(t, Tensor):
            return convert_to_tensor(t, dtype)
    if isinstance(value, Operation):
        raise TypeError(f"Can't convert Operation '{value.name}' to Tensor (target dtype="
                        f"{dtype}, name='{name}', as_ref=False)")
    if isinstance(value, (list, tuple)) and any(_contains_tensor(v) for v in value):
        from jitgraph.ops.array_ops import stack  # a list holding tensors packs them
        return stack([convert_to_tensor(v, dtype) for v in value], name=name or "packed")
    if dtype is None and preferred_dtype is not None:
        try:
            return constant(value, dtype=preferred_dtype, name=name or "Const")
        except (TypeError, ValueError):
            pass
    return constant(value, dtype=dtype, name=name or "Const")


def _contains_tensor(v):
    if isinstance(v, Tensor) or hasattr(v, "_as_graph_element"):
        return True
    return isinstance(v, (list, tuple)) and any(_contains_tensor(x) for x in v)


def convert_n(values, dtype=None):
    """Converts several values, giving Python values the dtype of any Tensor among them."""
    if dtype is None:
        for v in values:
            if isinstance(v, Tensor) or hasattr(v, "_as_graph_element"):
                dtype = convert_to_tensor(v).dtype
                break
    return [convert_to_tensor(v, dtype=dtype) if not isinstance(v, Tensor) else v
            for v in values]


def constant_value(t: Tensor):
    """The value of `t` if it is known at graph-build time (a Const, or a Shape of a known
    shape), else None. Shape rules use this for axis/shape inputs."""
    op = t.op
    if op.type == "Const":
        return op.attrs["value"]
    if op.type == "Shape" and op.inputs[0].shape.is_fully_defined():
        return np.array(op.inputs[0].shape.as_list(), dtype=t.dtype.as_numpy_dtype)
    if op.type == "Size" and op.inputs[0].shape.is_fully_defined():
        return np.array(op.inputs[0].shape.num_elements(), dtype=t.dtype.as_numpy_dtype)
    if op.type == "Rank" and op.inputs[0].shape.ndims is not None:
        return np.array(op.inputs[0].shape.ndims, dtype=np.int32)
    if op.type == "Identity":
        return constant_value(op.inputs[0])
    if op.type == "Pack" and all(constant_value(x) is not None for x in op.inputs):
        return np.stack([constant_value(x) for x in op.inputs], axis=op.attrs["axis"])
    if op.type == "Cast":
        v = constant_value(op.inputs[0])
        return None if v is None else v.astype(t.dtype.as_numpy_dtype)
    return None


def get_default_graph_for(*values):
    for v in values:
        if isinstance(v, Tensor):
            return v.graph
    return get_default_graph()


__all__ = ["constant", "placeholder", "placeholder_with_default", "convert_to_tensor",
           "constant_value", "make_op"]
