"""TFRecord files: `tf.io.TFRecordWriter`, `tf.io.tf_record_iterator` and their options.

A record is framed as TF frames it: uint64 length, masked CRC-32C of those 8 bytes,
the data, masked CRC-32C of the data (all little-endian). Files may be GZIP or ZLIB
compressed as a whole, as TF's RecordWriter compresses them.
"""
from __future__ import annotations

import gzip
import struct
import zlib

from jitgraph.checkpoint import crc32c
from jitgraph.framework import errors


class TFRecordCompressionType:
    """`tf.io.TFRecordCompressionType` (TF 1.x's python_io enum)."""

    NONE = 0
    ZLIB = 1
    GZIP = 2


_NAMES = {TFRecordCompressionType.NONE: "", TFRecordCompressionType.ZLIB: "ZLIB",
          TFRecordCompressionType.GZIP: "GZIP"}


class TFRecordOptions:
    """`tf.io.TFRecordOptions(compression_type=None, ...)`: how a TFRecord file is
    compressed ("", "ZLIB", "GZIP" or a TFRecordCompressionType)."""

    compression_type_map = {TFRecordCompressionType.ZLIB: "ZLIB",
                            TFRecordCompressionType.GZIP: "GZIP",
                            TFRecordCompressionType.NONE: ""}

    def __init__(self, compression_type=None, flush_mode=None, input_buffer_size=None,
                 output_buffer_size=None, window_bits=None, compression_level=None,
                 compression_method=None, mem_level=None, compression_strategy=None):
        self.compression_type = compression_name(compression_type)
        self.compression_level = compression_level

    @classmethod
    def get_compression_type_string(cls, options):
        if not options:
            return ""
        if isinstance(options, TFRecordOptions):
            return options.compression_type
        return compression_name(options)


def compression_name(kind) -> str:
    """"", "ZLIB" or "GZIP" from any of TF's spellings (None, an enum value, a string)."""
    if kind is None:
        return ""
    if isinstance(kind, TFRecordOptions):
        return kind.compression_type
    if isinstance(kind, int):
        if kind not in _NAMES:
            raise ValueError(f"Unsupported compression type: {kind}")
        return _NAMES[kind]
    if isinstance(kind, bytes):
        kind = kind.decode()
    if kind not in ("", "ZLIB", "GZIP"):
        raise ValueError(f"Unsupported compression type: {kind}")
    return kind


# -- CRC-32C of many records -------------------------------------------------------------
# Records are small and many (an image, a row): a Python loop per byte would read a
# dataset at a few MB/s. Past the first MB a file's CRCs go through one compiled loop
# (cached on disk; loading it costs more than checking a small file in Python), unless
# a C crc32c package is installed.
_PY_BYTES = 1 << 20
_batch = None


def _batch_loop():
    global _batch
    if _batch is None:
        import numba
        import numpy as np
        table = np.array(crc32c._TABLE, dtype=np.uint32)

        @numba.njit(cache=True, nogil=True)
        def crcs(buf, starts, lengths, table):
            out = np.empty(len(starts), np.uint32)
            for r in range(len(starts)):
                crc = np.uint32(0xFFFFFFFF)
                for i in range(starts[r], starts[r] + lengths[r]):
                    crc = table[(crc ^ buf[i]) & np.uint32(0xFF)] ^ (crc >> np.uint32(8))
                out[r] = crc ^ np.uint32(0xFFFFFFFF)
            return out
        _batch = (crcs, table)
    return _batch


class _Crcs:
    """CRC-32C values for a stream of records: Python for the first MB, then compiled."""

    def __init__(self):
        self.seen = 0

    def many(self, buf, starts, lengths):
        """CRCs of buf[starts[i]:starts[i] + lengths[i]] for each i."""
        self.seen += int(sum(lengths))
        if _C_CRC is not None or self.seen < _PY_BYTES:
            mv = memoryview(buf)
            return [crc32c.value(mv[a:a + n]) for a, n in zip(starts, lengths)]
        import numpy as np
        loop, table = _batch_loop()
        return loop(np.frombuffer(buf, np.uint8), np.asarray(starts, np.int64),
                    np.asarray(lengths, np.int64), table).tolist()


_C_CRC = crc32c._fast_extend()


def frame(data: bytes, crcs=None) -> bytes:
    """One record as it is stored in the file."""
    header = struct.pack("<Q", len(data))
    hc, dc = (crcs or _Crcs()).many(header + data, [0, 8], [8, len(data)])
    return header + struct.pack("<I", crc32c.mask(hc)) + data + struct.pack(
        "<I", crc32c.mask(dc))


class TFRecordWriter:
    """`tf.io.TFRecordWriter(path, options=None)`: writes records to a TFRecord file.

    Usable as a context manager; the file is complete once `close()` returns.
    """

    def __init__(self, path, options=None):
        kind = TFRecordOptions.get_compression_type_string(options)
        self._path = path
        try:
            raw = open(path, "wb")
        except OSError as e:
            raise errors.NotFoundError(None, None, f"{path}; {e.strerror}") from e
        self._raw = raw
        if kind == "GZIP":
            level = getattr(options, "compression_level", None)
            self._out = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0,
                                      compresslevel=9 if level in (None, -1) else level)
        elif kind == "ZLIB":
            self._zlib = zlib.compressobj()
            self._out = None
        else:
            self._out = raw
        self._kind = kind
        self._crcs = _Crcs()

    def write(self, record):
        """Writes one record (bytes; a str is written as its UTF-8 bytes)."""
        if self._raw is None:
            raise errors.FailedPreconditionError(None, None, "Writer is closed.")
        data = frame(record.encode() if isinstance(record, str) else bytes(record),
                     self._crcs)
        if self._kind == "ZLIB":
            self._raw.write(self._zlib.compress(data))
        else:
            self._out.write(data)

    def flush(self):
        if self._raw is None:
            raise errors.FailedPreconditionError(None, None, "Writer is closed.")
        if self._kind == "ZLIB":
            self._raw.write(self._zlib.flush(zlib.Z_SYNC_FLUSH))
        elif self._kind == "GZIP":
            self._out.flush(zlib.Z_SYNC_FLUSH)
        self._raw.flush()

    def close(self):
        if self._raw is None:
            return
        if self._kind == "ZLIB":
            self._raw.write(self._zlib.flush())
        elif self._kind == "GZIP":
            self._out.close()
        self._raw.close()
        self._raw = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _open_stream(path, kind):
    try:
        f = open(path, "rb")
    except FileNotFoundError as e:
        raise errors.NotFoundError(None, None, f"{path}; No such file or directory") from e
    if kind == "GZIP":
        return gzip.GzipFile(fileobj=f, mode="rb")
    if kind == "ZLIB":
        data = zlib.decompress(f.read())
        f.close()
        import io
        return io.BytesIO(data)
    return f


_BLOCK = 1 << 22  # bytes read at a time: many records, one batch of CRC checks


def read_records(path, compression_type=""):
    """The records of a TFRecord file, in order, each checked against its CRCs.

    Raises:
      errors.NotFoundError: no such file.
      errors.DataLossError: a truncated or corrupted record, as TF names it.
    """
    kind = compression_name(compression_type)
    if isinstance(path, bytes):
        path = path.decode()
    crcs = _Crcs()
    with _open_stream(path, kind) as f:
        buf, offset = b"", 0  # offset: where buf starts in the (uncompressed) file
        while True:
            chunk = f.read(_BLOCK)
            if not buf and not chunk:
                return
            buf += chunk
            starts, lengths, p = [], [], 0
            while p + 12 <= len(buf):
                header = buf[p:p + 8]
                (hcrc,) = struct.unpack_from("<I", buf, p + 8)
                if crc32c.unmask(hcrc) != crc32c.value(header):
                    break  # reported after the good records before it
                (length,) = struct.unpack("<Q", header)
                if p + 16 + length > len(buf):
                    break
                starts.append(p + 12)
                lengths.append(length)
                p += 16 + length
            data_crcs = crcs.many(buf, starts, lengths)
            for a, n, c in zip(starts, lengths, data_crcs):
                (want,) = struct.unpack_from("<I", buf, a + n)
                if crc32c.unmask(want) != c:
                    raise errors.DataLossError(None, None,
                                               f"corrupted record at {offset + a - 12}")
                yield buf[a:a + n]
            if p + 12 <= len(buf) and not _header_ok(buf, p):
                raise errors.DataLossError(None, None, f"corrupted record at {offset + p}")
            if not chunk and p < len(buf):
                raise errors.DataLossError(
                    None, None, f"truncated record at {offset + p}' failed with Read less "
                                "bytes than requested")
            buf, offset = buf[p:], offset + p


def _header_ok(buf, p):
    (hcrc,) = struct.unpack_from("<I", buf, p + 8)
    return crc32c.unmask(hcrc) == crc32c.value(buf[p:p + 8])


def tf_record_iterator(path, options=None):
    """`tf.io.tf_record_iterator(path, options=None)`: the records of a file (bytes)."""
    return read_records(path, TFRecordOptions.get_compression_type_string(options))


__all__ = ["TFRecordCompressionType", "TFRecordOptions", "TFRecordWriter",
           "tf_record_iterator"]
