"""CRC-32C (Castagnoli), as TF's and LevelDB's files use it.

A table-driven pure-Python loop does small inputs (a few MB/s); large ones go through
the same loop compiled by Numba (cached on disk), or through the `crc32c` or
`google-crc32c` package when one is installed.
"""
from __future__ import annotations

_POLY = 0x82F63B78  # reflected Castagnoli polynomial
_MASK_DELTA = 0xA282EAD8


def _make_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _make_table()


def _extend_py(crc: int, data) -> int:
    table = _TABLE
    crc ^= 0xFFFFFFFF
    for b in bytes(data):
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _fast_extend():
    try:
        import crc32c as _c
        return lambda crc, data: _c.crc32c(bytes(data), crc)
    except ImportError:
        pass
    try:
        import google_crc32c as _g
        return lambda crc, data: _g.extend(crc, bytes(data))
    except ImportError:
        return None


_NUMBA_FROM = 1 << 16  # below this, compiling (or loading) the loop costs more than it saves
_numba_loop = None


def _extend_numba(crc: int, data) -> int:
    global _numba_loop
    if len(data) < _NUMBA_FROM:
        return _extend_py(crc, data)
    if _numba_loop is None:
        import numba
        import numpy as np
        table = np.array(_TABLE, dtype=np.uint32)

        @numba.njit(cache=True, nogil=True)
        def loop(crc, buf, table):
            crc ^= np.uint32(0xFFFFFFFF)
            for b in buf:
                crc = table[(crc ^ b) & np.uint32(0xFF)] ^ (crc >> np.uint32(8))
            return crc ^ np.uint32(0xFFFFFFFF)
        _numba_loop = (loop, table)
    import numpy as np
    loop, table = _numba_loop
    return int(loop(np.uint32(crc), np.frombuffer(bytes(data), np.uint8), table))


extend = _fast_extend() or _extend_numba


def value(data) -> int:
    return extend(0, data)


def mask(crc: int) -> int:
    """TF's masked form: a CRC stored next to the data it covers is rotated and offset,
    so that a CRC of bytes that contain CRCs stays well distributed."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def unmask(masked: int) -> int:
    rot = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF
