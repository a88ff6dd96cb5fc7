"""File and byte-string ops of `tf.io`: read_file, write_file, matching_files,
encode/decode_base64, decode_compressed, serialize_tensor/parse_tensor and encode_png.

All are host ops (their values are strings or files). Semantics and messages are TF's:
base64 is the web-safe alphabet, padded only when asked; a serialized tensor is a
TensorProto (tensor_content for numbers, string_val for strings).
"""
from __future__ import annotations

import base64
import binascii
import glob
import gzip
import os
import zlib

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.registry import make_op, make_tensor, register, same_shape

_HOST = "reads and writes files and byte strings in Python"


def _strings(x):
    return np.asarray(x, dtype=object)


def _string_array(values, shape):
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out.reshape(shape)


def _path(v):
    v = _strings(v)[()]
    return v.decode() if isinstance(v, bytes) else str(v)


# -- files -----------------------------------------------------------------------------------
def _read_file_np(k, filename):
    path = _path(filename)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise errors.NotFoundError(None, k.op, f"{path}; No such file or directory") from None
    except IsADirectoryError:
        raise errors.FailedPreconditionError(None, k.op, f"{path}; Is a directory") from None
    return _string_array([data], ())


def _write_file_np(k, filename, contents):
    path = _path(filename)
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    data = _strings(contents)[()]
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else str(data).encode())
    return ()


def _matching_files_np(k, pattern):
    found = []
    for p in _strings(pattern).ravel():
        p = p.decode() if isinstance(p, bytes) else str(p)
        found += sorted(glob.glob(p))
    return _string_array([f.encode() for f in found], (len(found),))


register("ReadFile", shape=lambda s: [()], numpy=_read_file_np, host=_HOST, stateful=True)
register("WriteFile", shape=lambda s: [], numpy=_write_file_np, host=_HOST, stateful=True)
register("MatchingFiles", shape=lambda s: [(None,)], numpy=_matching_files_np, host=_HOST,
         stateful=True)


def read_file(filename, name=None):
    """`tf.io.read_file`: the contents of the file `filename` (a scalar string)."""
    f = convert_to_tensor(filename, dtype=dtypes.string)
    return make_tensor("ReadFile", [f], dtypes.string, name=name or "ReadFile")


def write_file(filename, contents, name=None):
    """`tf.io.write_file`: an op writing `contents` to `filename` (its folder is made)."""
    f = convert_to_tensor(filename, dtype=dtypes.string)
    c = convert_to_tensor(contents, dtype=dtypes.string)
    return make_op("WriteFile", [f, c], [], name=name or "WriteFile")


def matching_files(pattern, name=None):
    """`tf.io.matching_files`: the sorted paths matching the glob `pattern` (a string or
    a vector of them)."""
    p = convert_to_tensor(pattern, dtype=dtypes.string)
    return make_tensor("MatchingFiles", [p], dtypes.string, name=name or "MatchingFiles")


# -- base64 and compression ------------------------------------------------------------------
def _encode_base64_np(k, x):
    pad = k.attrs["pad"]
    flat = [base64.urlsafe_b64encode(s if isinstance(s, bytes) else str(s).encode())
            for s in _strings(x).ravel()]
    if not pad:
        flat = [s.rstrip(b"=") for s in flat]
    return _string_array(flat, np.shape(x))


def _decode_base64_np(k, x):
    out = []
    for s in _strings(x).ravel():
        s = s if isinstance(s, bytes) else str(s).encode()
        try:
            out.append(base64.urlsafe_b64decode(s + b"=" * (-len(s) % 4)))
        except (binascii.Error, ValueError):
            raise errors.InvalidArgumentError(None, k.op, "Invalid character found in base64.") \
                from None
    return _string_array(out, np.shape(x))


def _decode_compressed_np(k, x):
    kind = k.attrs["compression_type"]
    out = []
    for s in _strings(x).ravel():
        try:
            if kind == "GZIP":
                out.append(gzip.decompress(s))
            elif kind == "ZLIB":
                out.append(zlib.decompress(s))
            else:
                out.append(s)
        except (OSError, zlib.error, EOFError) as e:
            raise errors.DataLossError(None, k.op, f"{e}") from None
    return _string_array(out, np.shape(x))


register("EncodeBase64", shape=same_shape, numpy=_encode_base64_np, host=_HOST)
register("DecodeBase64", shape=same_shape, numpy=_decode_base64_np, host=_HOST)
register("DecodeCompressed", shape=same_shape, numpy=_decode_compressed_np, host=_HOST)


def encode_base64(input, pad=False, name=None):  # noqa: A002 - TF's name
    """Web-safe base64 of each string (`-` and `_`), with `=` padding only if `pad`."""
    x = convert_to_tensor(input, dtype=dtypes.string)
    return make_tensor("EncodeBase64", [x], dtypes.string, {"pad": bool(pad)},
                       name=name or "EncodeBase64")


def decode_base64(input, name=None):  # noqa: A002 - TF's name
    """The bytes of each web-safe base64 string (padded or not)."""
    x = convert_to_tensor(input, dtype=dtypes.string)
    return make_tensor("DecodeBase64", [x], dtypes.string, name=name or "DecodeBase64")


def decode_compressed(bytes, compression_type="", name=None):  # noqa: A002 - TF's name
    """Each string decompressed: compression_type "", "ZLIB" or "GZIP"."""
    if compression_type not in ("", "ZLIB", "GZIP"):
        raise errors.InvalidArgumentError(
            None, None, "Only ZLIB, GZIP or NONE are supported compressions")
    x = convert_to_tensor(bytes, dtype=dtypes.string)
    return make_tensor("DecodeCompressed", [x], dtypes.string,
                       {"compression_type": compression_type}, name=name or "DecodeCompressed")


# -- tensors as TensorProto bytes ---------------------------------------------------------------
def _tensor_pb2():
    from jitgraph.summary._proto import pb
    return pb("tensor_pb2")


def _serialize_tensor_np(k, x):
    from jitgraph.summary.graph_def import shape_proto
    dt = k.op.inputs[0].dtype
    proto = _tensor_pb2().TensorProto(dtype=dt.as_datatype_enum)
    arr = np.asarray(x, dtype=object if dt == dtypes.string else dt.as_numpy_dtype)
    proto.tensor_shape.CopyFrom(shape_proto(arr.shape))
    if dt == dtypes.string:
        proto.string_val.extend(s if isinstance(s, bytes) else str(s).encode()
                                for s in arr.ravel())
    else:  # the raw little-endian buffer, as TF's AsProtoTensorContent writes it
        proto.tensor_content = np.ascontiguousarray(arr).astype(
            arr.dtype.newbyteorder("<"), copy=False).tobytes()
    return _string_array([proto.SerializeToString()], ())


_VAL_FIELDS = {"float32": "float_val", "float64": "double_val", "int32": "int_val",
               "int16": "int_val", "int8": "int_val", "uint8": "int_val", "uint16": "int_val",
               "int64": "int64_val", "bool": "bool_val", "float16": "half_val"}


def _ENUM_NAMES():  # noqa: N802 - a table, built when first needed
    names = {}
    for d in set(dtypes._BY_NAME.values()):
        try:
            names[d.as_datatype_enum] = d.name
        except (KeyError, ValueError, AttributeError):
            pass
    return names


def _c_name(name):
    """TF's C++ name of a dtype, as its messages print it."""
    return {"float32": "float", "float64": "double", "float16": "half"}.get(name, name)


def _parse_tensor_np(k, data):
    want = k.attrs["out_type"]
    proto = _tensor_pb2().TensorProto()
    try:
        proto.ParseFromString(_strings(data)[()])
    except Exception:  # noqa: BLE001 - protobuf's DecodeError
        raise errors.InvalidArgumentError(
            None, k.op, "Could not parse `serialized` as TensorProto: "
                        f"'{_strings(data)[()]!r}'") from None
    if proto.dtype != want.as_datatype_enum:
        have = _ENUM_NAMES().get(proto.dtype, "invalid")
        raise errors.InvalidArgumentError(
            None, k.op, f"Type mismatch between parsed tensor ({_c_name(have)}) and dtype "
                        f"({_c_name(want.name)})")
    shape = tuple(d.size for d in proto.tensor_shape.dim)
    if want == dtypes.string:
        return _string_array(list(proto.string_val), shape)
    npt = np.dtype(want.as_numpy_dtype)
    if proto.tensor_content:
        arr = np.frombuffer(proto.tensor_content, dtype=npt.newbyteorder("<"))
        return arr.astype(npt).reshape(shape)
    vals = getattr(proto, _VAL_FIELDS[want.name])
    n = int(np.prod(shape))
    if want == dtypes.float16:
        arr = np.array(vals, np.uint16).view(np.float16)
    else:
        arr = np.array(vals, dtype=npt)
    if arr.size == n:
        return arr.reshape(shape)
    # TF stores a constant's repeated last value once: fill with it
    return np.full(shape, arr[-1] if arr.size else 0, dtype=npt)


register("SerializeTensor", shape=lambda s: [()], numpy=_serialize_tensor_np, host=_HOST)
register("ParseTensor", shape=lambda s: [None], numpy=_parse_tensor_np, host=_HOST)


def serialize_tensor(tensor, name=None):
    """`tf.io.serialize_tensor`: the tensor as a serialized TensorProto (a scalar string)."""
    x = convert_to_tensor(tensor)
    return make_tensor("SerializeTensor", [x], dtypes.string, {"T": x.dtype},
                       name=name or "SerializeTensor")


def parse_tensor(serialized, out_type, name=None):
    """`tf.io.parse_tensor`: the tensor of a serialized TensorProto of type `out_type`."""
    x = convert_to_tensor(serialized, dtype=dtypes.string)
    out_type = dtypes.as_dtype(out_type)
    return make_tensor("ParseTensor", [x], out_type, {"out_type": out_type},
                       name=name or "ParseTensor")


# -- Examples as JSON ------------------------------------------------------------------------------
def _decode_json_example_np(k, x):
    from google.protobuf import json_format

    from jitgraph.data import example_proto
    out = []
    for s in _strings(x).ravel():
        text = s.decode() if isinstance(s, bytes) else str(s)
        try:
            ex = json_format.Parse(text, example_proto.get("Example")())
        except json_format.ParseError as e:
            raise errors.InvalidArgumentError(
                None, k.op, f"Error while parsing JSON: {e}") from None
        out.append(ex.SerializeToString())
    return _string_array(out, np.shape(x))


register("DecodeJSONExample", shape=same_shape, numpy=_decode_json_example_np, host=_HOST)


def decode_json_example(json_examples, name=None):
    """`tf.io.decode_json_example`: each JSON-encoded `Example` as its binary proto."""
    x = convert_to_tensor(json_examples, dtype=dtypes.string)
    return make_tensor("DecodeJSONExample", [x], dtypes.string,
                       name=name or "DecodeJSONExample")


# -- images --------------------------------------------------------------------------------------
def _image_error(k, e):
    return errors.InvalidArgumentError(None, k.op, str(e))


def _decode_png_np(k, contents):
    from jitgraph.data import image_codecs
    data = _strings(contents)[()]
    try:
        return image_codecs.decode_png(data, k.attrs["channels"],
                                       k.attrs["dtype"].as_numpy_dtype)
    except image_codecs.ImageError as e:
        raise _image_error(k, e) from None


def _decode_bmp_np(k, contents):
    from jitgraph.data import image_codecs
    try:
        return image_codecs.decode_bmp(_strings(contents)[()], k.attrs["channels"])
    except image_codecs.ImageError as e:
        raise _image_error(k, e) from None


def _jpeg_shape_np(k, contents):
    from jitgraph.data import image_codecs
    try:
        shape = image_codecs.jpeg_shape(_strings(contents)[()])
    except image_codecs.ImageError as e:
        raise _image_error(k, e) from None
    return np.array(shape, dtype=k.attrs["output_type"].as_numpy_dtype)


def _is_jpeg_np(k, contents):
    from jitgraph.data import image_codecs
    return np.array(image_codecs.is_jpeg(_strings(contents)[()]))


def _image_shape(s):
    c = s.attrs["channels"]
    return [(None, None, c or None)]


register("DecodePng", shape=_image_shape, numpy=_decode_png_np, host=_HOST)
register("DecodeBmp", shape=_image_shape, numpy=_decode_bmp_np, host=_HOST)
register("ExtractJpegShape", shape=lambda s: [(3,)], numpy=_jpeg_shape_np, host=_HOST)
register("IsJpeg", shape=lambda s: [()], numpy=_is_jpeg_np, host=_HOST)


def _check_channels(channels, allowed):
    if channels not in allowed:
        raise errors.InvalidArgumentError(
            None, None, f"`channels` must be {', '.join(map(str, allowed[:-1]))} or "
                        f"{allowed[-1]} but got {channels}")
    return int(channels)


def decode_png(contents, channels=0, dtype=dtypes.uint8, name=None):
    """`tf.io.decode_png`: a PNG as a [height, width, channels] uint8 (or uint16) tensor,
    every PNG kind, pixels as TF's libpng decoder gives them."""
    x = convert_to_tensor(contents, dtype=dtypes.string)
    dtype = dtypes.as_dtype(dtype)
    if dtype not in (dtypes.uint8, dtypes.uint16):
        raise TypeError(f"Value passed to parameter 'dtype' has DataType {dtype.name} not in "
                        "list of allowed values: uint8, uint16")
    return make_tensor("DecodePng", [x], dtype,
                       {"channels": _check_channels(channels, (0, 1, 3, 4)), "dtype": dtype},
                       name=name or "DecodePng")


def decode_bmp(contents, channels=0, name=None):
    """`tf.io.decode_bmp`: an uncompressed BMP as a [height, width, channels] uint8 tensor."""
    x = convert_to_tensor(contents, dtype=dtypes.string)
    return make_tensor("DecodeBmp", [x], dtypes.uint8,
                       {"channels": _check_channels(channels, (0, 1, 3, 4))},
                       name=name or "DecodeBmp")


def extract_jpeg_shape(contents, output_type=dtypes.int32, name=None):
    """`tf.io.extract_jpeg_shape`: [height, width, channels] of a JPEG, from its header."""
    x = convert_to_tensor(contents, dtype=dtypes.string)
    output_type = dtypes.as_dtype(output_type)
    return make_tensor("ExtractJpegShape", [x], output_type, {"output_type": output_type},
                       name=name or "ExtractJpegShape")


def is_jpeg(contents, name=None):
    """`tf.io.is_jpeg`: whether the bytes start as a JPEG does."""
    x = convert_to_tensor(contents, dtype=dtypes.string)
    return make_tensor("IsJpeg", [x], dtypes.bool, name=name or "is_jpeg")


def match_filenames_once(pattern, name=None):
    """`tf.io.match_filenames_once`: a local variable holding the files matching
    `pattern`, matched when local variables are initialized."""
    from jitgraph.framework.graph import GraphKeys
    from jitgraph.variables import Variable
    return Variable(matching_files(pattern), trainable=False, validate_shape=False,
                    collections=[GraphKeys.LOCAL_VARIABLES],
                    name=name or "matching_filenames")

def _encode_png_np(k, image):
    from jitgraph.summary.media import png
    x = np.asarray(image)
    if x.ndim != 3 or x.shape[-1] not in (1, 2, 3, 4):
        raise errors.InvalidArgumentError(
            None, k.op, f"image must be 3-dimensional with 1, 2, 3 or 4 channels, got shape "
                        f"[{','.join(str(d) for d in x.shape)}]")
    return _string_array([png(np.ascontiguousarray(x, dtype=np.uint8))], ())


register("EncodePng", shape=lambda s: [()], numpy=_encode_png_np, host=_HOST)


def encode_png(image, compression=-1, name=None):
    """`tf.io.encode_png`: a [height, width, channels] uint8 image as PNG bytes."""
    x = convert_to_tensor(image)
    if x.dtype != dtypes.uint8:
        raise TypeError(f"Value passed to parameter 'image' has DataType {x.dtype.name} not "
                        "in list of allowed values: uint8")
    return make_tensor("EncodePng", [x], dtypes.string, {"compression": int(compression)},
                       name=name or "EncodePng")


__all__ = ["decode_base64", "decode_bmp", "decode_compressed", "decode_json_example",
           "decode_png", "encode_base64", "encode_png", "extract_jpeg_shape", "is_jpeg",
           "match_filenames_once", "matching_files", "parse_tensor", "read_file",
           "serialize_tensor", "write_file"]
