"""The sorted string table of a checkpoint's `.index` (LevelDB's table format, as TF's
tensorflow/core/lib/io/table has it), uncompressed.

File: data blocks, a metaindex block (empty), an index block whose entries map a key
>= every key of a data block to that block's handle, then a 48-byte footer (the two
handles, padded, and the magic number). Each block is followed by a type byte (0: no
compression) and the masked CRC-32C of the block and that byte. A block holds
prefix-compressed entries (shared, unshared, value length, key suffix, value) and the
offsets of the entries that restart with a whole key.
"""
from __future__ import annotations

import struct

from jitgraph.checkpoint import crc32c
from jitgraph.checkpoint.wire import WireError, read_varint, varint

MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48
_TRAILER_SIZE = 5
_BLOCK_SIZE = 4096
_RESTART_INTERVAL = 16


class TableError(ValueError):
    """The bytes are not a valid table; the message says where."""


# -- writing --------------------------------------------------------------------------
def _block(entries, restart_interval):
    out, restarts, last = bytearray(), [], b""
    for i, (key, value) in enumerate(entries):
        if i % restart_interval == 0:
            restarts.append(len(out))
            shared = 0
        else:
            shared = 0
            limit = min(len(key), len(last))
            while shared < limit and key[shared] == last[shared]:
                shared += 1
        out += varint(shared) + varint(len(key) - shared) + varint(len(value))
        out += key[shared:] + value
        last = key
    restarts = restarts or [0]
    out += b"".join(struct.pack("<I", r) for r in restarts) + struct.pack("<I", len(restarts))
    return bytes(out)


def _with_trailer(contents):
    kind = b"\x00"
    return contents + kind + struct.pack("<I", crc32c.mask(crc32c.value(contents + kind)))


def _handle(offset, size):
    return varint(offset) + varint(size)


def build(entries) -> bytes:
    """The table of (key, value) byte pairs, which must be sorted by key, keys unique."""
    keys = [k for k, _ in entries]
    if any(a >= b for a, b in zip(keys, keys[1:])):
        raise ValueError("table keys must be sorted and unique")
    out, index, pending, pending_size = bytearray(), [], [], 0

    def flush():
        nonlocal pending, pending_size
        contents = _block(pending, _RESTART_INTERVAL)
        # The last key of the block separates it from the next: >= its keys, < the next's.
        index.append((pending[-1][0], _handle(len(out), len(contents))))
        out.extend(_with_trailer(contents))
        pending, pending_size = [], 0

    for key, value in entries:
        pending.append((key, value))
        pending_size += len(key) + len(value) + 3
        if pending_size >= _BLOCK_SIZE:
            flush()
    if pending:
        flush()
    meta = _block([], _RESTART_INTERVAL)
    meta_handle = _handle(len(out), len(meta))
    out += _with_trailer(meta)
    index_contents = _block(index, 1)
    index_handle = _handle(len(out), len(index_contents))
    out += _with_trailer(index_contents)
    handles = meta_handle + index_handle
    out += handles + b"\x00" * (FOOTER_SIZE - 8 - len(handles)) + struct.pack("<Q", MAGIC)
    return bytes(out)


# -- reading --------------------------------------------------------------------------
def _read_handle(buf, pos):
    offset, pos = read_varint(buf, pos)
    size, pos = read_varint(buf, pos)
    return offset, size


def _read_block(data, handle, what):
    offset, size = handle
    end = offset + size + _TRAILER_SIZE
    if end > len(data) - FOOTER_SIZE:
        raise TableError(f"{what} block at {offset} runs past the end of the file "
                         "(truncated block read)")
    contents = data[offset:offset + size]
    kind = data[offset + size]
    stored = struct.unpack_from("<I", data, offset + size + 1)[0]
    if crc32c.mask(crc32c.value(data[offset:offset + size + 1])) != stored:
        raise TableError(f"block checksum mismatch in the {what} block at offset {offset}")
    if kind != 0:
        raise TableError(f"{what} block at {offset} is compressed (type {kind}), which "
                         "this reader does not support")
    return contents


def _block_entries(block, what):
    if len(block) < 4:
        raise TableError(f"{what} block too short")
    num_restarts = struct.unpack_from("<I", block, len(block) - 4)[0]
    limit = len(block) - 4 - 4 * num_restarts
    if limit < 0:
        raise TableError(f"{what} block has a bad restart array")
    pos, last = 0, b""
    while pos < limit:
        shared, pos = read_varint(block, pos)
        unshared, pos = read_varint(block, pos)
        vlen, pos = read_varint(block, pos)
        if shared > len(last) or pos + unshared + vlen > limit:
            raise TableError(f"bad entry in the {what} block")
        key = last[:shared] + bytes(block[pos:pos + unshared])
        pos += unshared
        yield key, bytes(block[pos:pos + vlen])
        pos += vlen
        last = key


def read(data: bytes):
    """The (key, value) pairs of a table, in order; TableError if the bytes are not one."""
    if len(data) < FOOTER_SIZE:
        raise TableError(f"file is too short ({len(data)} bytes) to be an sstable")
    footer = data[-FOOTER_SIZE:]
    if struct.unpack_from("<Q", footer, FOOTER_SIZE - 8)[0] != MAGIC:
        raise TableError("not an sstable (bad magic number)")
    try:
        meta_off, meta_size = _read_handle(footer, 0)
        end_meta = len(varint(meta_off)) + len(varint(meta_size))
        index_handle = _read_handle(footer, end_meta)
        index = _read_block(data, index_handle, "index")
        out = []
        for _, handle in _block_entries(index, "index"):
            out.extend(_block_entries(_read_block(data, _read_handle(handle, 0), "data"),
                                      "data"))
    except (WireError, struct.error) as e:
        raise TableError(f"corrupt table: {e}") from e
    return out
