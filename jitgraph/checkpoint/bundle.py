"""Tensors in TF's V2 checkpoint: index entries and data-file bytes, both ways.

The index (`prefix.index`) is a table: key "" holds the BundleHeaderProto, each
tensor's name holds its BundleEntryProto (dtype, shape, shard, offset, size, masked
CRC-32C of its bytes). Numbers are stored raw, little-endian, C order; a string
tensor is the varint64 length of each element, the masked CRC-32C of those lengths
(each as a little-endian uint32), then the bytes of each element.
"""
from __future__ import annotations

import struct

import numpy as np

from jitgraph.checkpoint import crc32c, table, wire
from jitgraph.framework import dtypes

VERSION = 1  # TF's kTensorBundleVersion: what we write and the newest we read


class BundleError(ValueError):
    """Invalid checkpoint bytes; `kind` is "data_loss", "unimplemented" or "invalid"."""

    def __init__(self, message, kind="data_loss"):
        super().__init__(message)
        self.kind = kind


_BY_ENUM = {d.as_datatype_enum: d for d in dtypes._ALL}


def dtype_of_enum(enum: int, name: str):
    try:
        return _BY_ENUM[enum]
    except KeyError:
        raise BundleError(f"tensor '{name}' has DataType {enum}, which jitgraph does not "
                          "support", "unimplemented") from None


# -- tensors to bytes ---------------------------------------------------------------
def _string_bytes(value: np.ndarray):
    items = [s.encode() if isinstance(s, str) else bytes(s) for s in value.ravel()]
    lengths = b"".join(wire.varint(len(b)) for b in items)
    crc = 0
    for b in items:
        size = len(b)
        crc = crc32c.extend(crc, struct.pack("<I" if size <= 0xFFFFFFFF else "<Q", size))
    length_crc = struct.pack("<I", crc32c.mask(crc))
    body = b"".join(items)
    crc = crc32c.extend(crc32c.extend(crc, length_crc), body)
    return lengths + length_crc + body, crc


def tensor_record(value: np.ndarray, dtype, offset: int):
    """(bytes, Entry) of one tensor written at `offset` of the data file."""
    if dtype == dtypes.string:
        data, crc = _string_bytes(value)
    else:
        data = np.ascontiguousarray(value).astype(value.dtype.newbyteorder("<"),
                                                  copy=False).tobytes()
        crc = crc32c.value(data)
    entry = wire.Entry(dtype=dtype.as_datatype_enum, shape=tuple(value.shape),
                       offset=offset, size=len(data), crc32c=crc32c.mask(crc))
    return data, entry


def index_bytes(entries: dict, pending_data=None) -> bytes:
    """The `.index` table for {name: Entry}; `pending_data` names a not-yet-renamed data file."""
    header = wire.Header(num_shards=1, producer=VERSION, pending_data=pending_data)
    rows = [(b"", wire.encode_header(header))]
    rows += sorted((name.encode("utf-8"), wire.encode_entry(e)) for name, e in entries.items())
    return table.build(rows)


# -- bytes to tensors ---------------------------------------------------------------
def read_index(raw: bytes):
    """(Header, {name: Entry}) of an `.index` file's bytes; BundleError when invalid."""
    try:
        rows = table.read(raw)
    except table.TableError as e:
        raise BundleError(str(e)) from e
    if not rows or rows[0][0] != b"":
        raise BundleError("the index has no header entry")
    try:
        header = wire.decode_header(rows[0][1])
        entries = {k.decode("utf-8"): wire.decode_entry(v) for k, v in rows[1:]}
    except (wire.WireError, UnicodeDecodeError) as e:
        raise BundleError(f"corrupt index entry ({e})") from e
    _check_header(header)
    for name, e in entries.items():
        if e.num_slices:
            raise BundleError(f"tensor '{name}' is saved in slices (a partitioned "
                              "variable), which jitgraph does not read", "unimplemented")
        if not 0 <= e.shard_id < header.num_shards or e.offset < 0 or e.size < 0 \
                or any(d < 0 for d in e.shape) or e.unknown_rank:
            raise BundleError(f"corrupt index entry for '{name}'")
    return header, entries


def _check_header(h: wire.Header):
    if h.num_shards < 1:
        raise BundleError(f"the index header says {h.num_shards} shards")
    if h.endianness != 0:
        raise BundleError("the checkpoint is big-endian; jitgraph reads little-endian "
                          "checkpoints only", "unimplemented")
    if h.min_consumer > VERSION or VERSION in h.bad_consumers:
        raise BundleError(f"Checkpoint min consumer version {h.min_consumer} above "
                          f"current version {VERSION} for TensorFlow", "invalid")


def decode_tensor(name: str, entry: wire.Entry, data) -> np.ndarray:
    """The tensor `entry` describes, from its shard's bytes, checked against its CRC."""
    dtype = dtype_of_enum(entry.dtype, name)
    chunk = bytes(data[entry.offset:entry.offset + entry.size])
    if len(chunk) != entry.size:
        end = entry.offset + entry.size
        raise BundleError(f"tensor '{name}' needs bytes {entry.offset}..{end} of a "
                          f"{len(data)}-byte data file (truncated)")
    n = int(np.prod(entry.shape, dtype=np.int64))
    if dtype == dtypes.string:
        value, crc = _decode_strings(name, chunk, n)
    else:
        npdt = np.dtype(dtype.as_numpy_dtype)
        if entry.size != n * npdt.itemsize:
            raise BundleError(f"tensor '{name}' has {entry.size} bytes for shape "
                              f"{list(entry.shape)} of {dtype.name}")
        crc = crc32c.value(chunk)
        value = np.frombuffer(chunk, npdt.newbyteorder("<")).astype(npdt)
    if crc32c.mask(crc) != entry.crc32c:
        raise BundleError(f"Checksum does not match for '{name}': stored "
                          f"{crc32c.unmask(entry.crc32c):#010x} vs. calculated on the "
                          f"restored bytes {crc:#010x}")
    return value.reshape(entry.shape)


def _decode_strings(name, chunk, n):
    pos, sizes, crc = 0, [], 0
    try:
        for _ in range(n):
            size, pos = wire.read_varint(chunk, pos)
            sizes.append(size)
            crc = crc32c.extend(crc, struct.pack("<I" if size <= 0xFFFFFFFF else "<Q", size))
    except wire.WireError as e:
        raise BundleError(f"tensor '{name}': bad string lengths ({e})") from e
    if pos + 4 > len(chunk) or \
            struct.unpack_from("<I", chunk, pos)[0] != crc32c.mask(crc) or \
            pos + 4 + sum(sizes) != len(chunk):
        raise BundleError(f"Checksum does not match for the string lengths of '{name}'")
    crc = crc32c.extend(crc, chunk[pos:pos + 4])
    pos += 4
    items = []
    for size in sizes:
        items.append(chunk[pos:pos + size])
        pos += size
    crc = crc32c.extend(crc, chunk[pos - sum(sizes):pos])
    out = np.empty(n, dtype=object)
    out[:] = items
    return out, crc


def data_file_name(prefix: str, shard: int, num_shards: int) -> str:
    return f"{prefix}.data-{shard:05d}-of-{num_shards:05d}"
