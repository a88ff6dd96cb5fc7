"""The protobuf messages of a V2 checkpoint's index, encoded and decoded by hand.

Only BundleHeaderProto, BundleEntryProto and the TensorShapeProto inside it (fields
as in tensorflow/core/protobuf/tensor_bundle.proto); the protobuf wire format of
those few scalar fields is small, and no installed package ships these classes.
Unknown fields are skipped on read, as protobuf does.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

# Our own field in the header, unknown to TF (it skips it): the data file a committed
# save has not yet renamed to its usual name (see jitgraph/saver.py).
PENDING_DATA_FIELD = 1000


class WireError(ValueError):
    pass


@dataclass
class Header:
    num_shards: int = 1
    endianness: int = 0  # LITTLE
    producer: int = 1
    min_consumer: int = 0
    bad_consumers: list = field(default_factory=list)
    pending_data: str | None = None


@dataclass
class Entry:
    dtype: int = 0
    shape: tuple = ()
    unknown_rank: bool = False
    shard_id: int = 0
    offset: int = 0
    size: int = 0
    crc32c: int = 0
    num_slices: int = 0


# -- primitives -----------------------------------------------------------------------
def varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int64s take ten bytes, two's complement
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def read_varint(buf, pos: int):
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise WireError("truncated or overlong varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _signed64(n):
    return n - (1 << 64) if n >= 1 << 63 else n


def _tag(number, wire_type):
    return varint(number << 3 | wire_type)


def _int_field(number, n):
    return _tag(number, 0) + varint(n) if n else b""


def _bytes_field(number, data: bytes):
    return _tag(number, 2) + varint(len(data)) + data


def fields(buf):
    """Yields (number, wire_type, value) of a message: ints, or bytes for wire type 2."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = read_varint(buf, pos)
        number, wt = key >> 3, key & 7
        if wt == 0:
            val, pos = read_varint(buf, pos)
        elif wt == 1:
            if pos + 8 > end:
                raise WireError("truncated fixed64")
            val, pos = struct.unpack_from("<Q", buf, pos)[0], pos + 8
        elif wt == 2:
            n, pos = read_varint(buf, pos)
            if pos + n > end:
                raise WireError("truncated length-delimited field")
            val, pos = bytes(buf[pos:pos + n]), pos + n
        elif wt == 5:
            if pos + 4 > end:
                raise WireError("truncated fixed32")
            val, pos = struct.unpack_from("<I", buf, pos)[0], pos + 4
        else:
            raise WireError(f"unsupported wire type {wt}")
        yield number, wt, val


def _expect(wt, want, what):
    if wt != want:
        raise WireError(f"field {what} has wire type {wt}, expected {want}")


# -- messages -------------------------------------------------------------------------
def encode_header(h: Header) -> bytes:
    version = _int_field(1, h.producer) + _int_field(2, h.min_consumer) + \
        b"".join(_int_field(3, b) for b in h.bad_consumers)
    out = _int_field(1, h.num_shards) + _int_field(2, h.endianness) + _bytes_field(3, version)
    if h.pending_data:
        out += _bytes_field(PENDING_DATA_FIELD, h.pending_data.encode("utf-8"))
    return out


def decode_header(buf) -> Header:
    h = Header(num_shards=0)
    for number, wt, val in fields(buf):
        if number in (1, 2):
            _expect(wt, 0, number)
            setattr(h, "num_shards" if number == 1 else "endianness", val)
        elif number == 3:
            _expect(wt, 2, number)
            for n, vwt, v in fields(val):
                if n in (1, 2, 3):
                    _expect(vwt, 0, f"version.{n}")
                    if n == 1:
                        h.producer = _signed64(v)
                    elif n == 2:
                        h.min_consumer = _signed64(v)
                    else:
                        h.bad_consumers.append(_signed64(v))
        elif number == PENDING_DATA_FIELD and wt == 2:
            h.pending_data = val.decode("utf-8", "replace")
    return h


def encode_shape(shape) -> bytes:
    return b"".join(_bytes_field(2, _int_field(1, int(d))) for d in shape)


def decode_shape(buf):
    dims, unknown = [], False
    for number, wt, val in fields(buf):
        if number == 2:
            _expect(wt, 2, "shape.dim")
            size = 0
            for n, dwt, v in fields(val):
                if n == 1:
                    _expect(dwt, 0, "dim.size")
                    size = _signed64(v)
            dims.append(size)
        elif number == 3:
            unknown = bool(val)
    return tuple(dims), unknown


def encode_entry(e: Entry) -> bytes:
    return (_int_field(1, e.dtype) + _bytes_field(2, encode_shape(e.shape))
            + _int_field(3, e.shard_id) + _int_field(4, e.offset) + _int_field(5, e.size)
            + _tag(6, 5) + struct.pack("<I", e.crc32c))


def decode_entry(buf) -> Entry:
    e = Entry()
    for number, wt, val in fields(buf):
        if number == 2:
            _expect(wt, 2, "shape")
            e.shape, e.unknown_rank = decode_shape(val)
        elif number == 6:
            _expect(wt, 5, "crc32c")
            e.crc32c = val
        elif number == 7:
            e.num_slices += 1
        elif number in (1, 3, 4, 5):
            _expect(wt, 0, number)
            name = {1: "dtype", 3: "shard_id", 4: "offset", 5: "size"}[number]
            setattr(e, name, _signed64(val))
    return e
