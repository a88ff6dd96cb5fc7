"""TensorFlow's dtypes as small immutable objects over numpy dtypes."""
from __future__ import annotations

import builtins

import numpy as np


class DType:
    """A tensor element type: `tf.float32`, `tf.int64`, `tf.string`, ..."""

    __slots__ = ("name", "_np", "_enum")

    def __init__(self, name: str, np_type, enum: int):
        self.name = name
        self._np = np_type
        self._enum = enum

    @property
    def as_numpy_dtype(self):
        return self._np

    @property
    def base_dtype(self) -> DType:
        return self

    @property
    def real_dtype(self) -> DType:
        return self

    @property
    def as_datatype_enum(self) -> int:
        return self._enum

    @property
    def is_floating(self) -> bool:
        return self.name in ("float16", "float32", "float64", "bfloat16")

    @property
    def is_integer(self) -> bool:
        return self.name.startswith(("int", "uint"))

    @property
    def is_unsigned(self) -> bool:
        return self.name.startswith("uint") or self.name == "bool"

    @property
    def is_bool(self) -> bool:
        return self.name == "bool"

    @property
    def is_complex(self) -> bool:
        return False

    @property
    def is_numpy_compatible(self) -> bool:
        return True

    @property
    def size(self) -> int:
        return 1 if self.name == "string" else np.dtype(self._np).itemsize

    @property
    def min(self):
        return np.finfo(self._np).min if self.is_floating else np.iinfo(self._np).min

    @property
    def max(self):
        return np.finfo(self._np).max if self.is_floating else np.iinfo(self._np).max

    def is_compatible_with(self, other) -> bool:
        return self == as_dtype(other)

    def __eq__(self, other):
        if other is None:
            return False
        if not isinstance(other, DType):
            try:
                other = as_dtype(other)
            except TypeError:
                return False
        return self.name == other.name

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f"tf.{self.name}"

    def __str__(self):  # TF 1.x prints dtypes this way in messages
        return f"<dtype: {self.name!r}>"

    def __reduce__(self):
        return as_dtype, (self.name,)


# Enum values are TensorFlow's DataType protobuf numbers (TensorBoard reads them).
float16 = DType("float16", np.float16, 19)
float32 = DType("float32", np.float32, 1)
float64 = DType("float64", np.float64, 2)
int8 = DType("int8", np.int8, 6)
int16 = DType("int16", np.int16, 5)
int32 = DType("int32", np.int32, 3)
int64 = DType("int64", np.int64, 9)
uint8 = DType("uint8", np.uint8, 4)
uint16 = DType("uint16", np.uint16, 17)
bool = DType("bool", np.bool_, 10)  # noqa: A001 - TensorFlow's public name
string = DType("string", np.object_, 7)
half = float16
double = float64

_ALL = [float16, float32, float64, int8, int16, int32, int64, uint8, uint16, bool, string]
_BY_NAME = {d.name: d for d in _ALL}
# TF 1.x accepted these spellings (`tf.placeholder("float")`).
_BY_NAME.update({"float": float32, "double": float64, "half": float16, "int": int32,
                 "long": int64, "bool_": bool, "str": string, "bytes": string})
_BY_NP = {np.dtype(d._np): d for d in _ALL if d is not string}


def as_dtype(type_value) -> DType:
    """Converts a DType, numpy dtype, Python type or name to a `DType`.

    Raises:
      TypeError: if `type_value` names no supported dtype.
    """
    if isinstance(type_value, DType):
        return type_value
    if isinstance(type_value, str):
        if type_value in _BY_NAME:
            return _BY_NAME[type_value]
        raise TypeError(f"Cannot convert value {type_value!r} to a TensorFlow DType.")
    if type_value is float:
        return float32
    if type_value is int:
        return int32
    if type_value is builtins.bool:
        return bool
    if type_value in (str, bytes, np.str_, np.bytes_, np.object_):
        return string
    try:
        npd = np.dtype(type_value)
    except TypeError:
        raise TypeError(f"Cannot convert value {type_value!r} to a TensorFlow DType.") from None
    if npd.kind in "USO":
        return string
    if npd in _BY_NP:
        return _BY_NP[npd]
    raise TypeError(f"Cannot convert value {type_value!r} to a TensorFlow DType.")

