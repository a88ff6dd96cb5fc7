"""String host ops that lookup tables and feature columns need: hashing into buckets
(`tf.string_to_hash_bucket_fast`), `tf.as_string`, and TF's Fingerprint64.

TF hashes strings with FarmHash Fingerprint64 (farmhashna::Hash64). Bucket ids must
equal TF's so that a model's hashed features mean the same thing in both, so we use
the `pyfarmhash` package when installed and otherwise a pure-Python port of the same
function (checked against the package in tests/test_lookup.py).
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.registry import make_tensor, register, same_shape

_M64 = 0xFFFFFFFFFFFFFFFF
_K0 = 0xc3a5c85c97cb3127
_K1 = 0xb492b66fbe98f273
_K2 = 0x9ae16a3b2f90404f


# -- FarmHash Fingerprint64, pure Python (farmhashna::Hash64) ---------------------------
def _f64(s, i):
    return int.from_bytes(s[i:i + 8], "little")


def _f32(s, i):
    return int.from_bytes(s[i:i + 4], "little")


def _rot(v, r):
    return ((v >> r) | (v << (64 - r))) & _M64


def _shift_mix(v):
    return v ^ (v >> 47)


def _hash_len16(u, v, mul):
    a = ((u ^ v) * mul) & _M64
    a ^= a >> 47
    b = ((v ^ a) * mul) & _M64
    b ^= b >> 47
    return (b * mul) & _M64


def _hash_len0to16(s, n):
    if n >= 8:
        mul = _K2 + n * 2
        a = (_f64(s, 0) + _K2) & _M64
        b = _f64(s, n - 8)
        c = (_rot(b, 37) * mul + a) & _M64
        d = ((_rot(a, 25) + b) * mul) & _M64
        return _hash_len16(c, d, mul)
    if n >= 4:
        mul = _K2 + n * 2
        a = _f32(s, 0)
        return _hash_len16(n + (a << 3), _f32(s, n - 4), mul)
    if n > 0:
        a, b, c = s[0], s[n >> 1], s[n - 1]
        y = (a + (b << 8)) & 0xFFFFFFFF
        z = (n + (c << 2)) & 0xFFFFFFFF
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _M64) * _K2) & _M64
    return _K2


def _hash_len17to32(s, n):
    mul = _K2 + n * 2
    a = (_f64(s, 0) * _K1) & _M64
    b = _f64(s, 8)
    c = (_f64(s, n - 8) * mul) & _M64
    d = (_f64(s, n - 16) * _K2) & _M64
    return _hash_len16((_rot((a + b) & _M64, 43) + _rot(c, 30) + d) & _M64,
                       (a + _rot((b + _K2) & _M64, 18) + c) & _M64, mul)


def _hash_len33to64(s, n):
    mul = _K2 + n * 2
    a = (_f64(s, 0) * _K2) & _M64
    b = _f64(s, 8)
    c = (_f64(s, n - 8) * mul) & _M64
    d = (_f64(s, n - 16) * _K2) & _M64
    y = (_rot((a + b) & _M64, 43) + _rot(c, 30) + d) & _M64
    z = _hash_len16(y, (a + _rot((b + _K2) & _M64, 18) + c) & _M64, mul)
    e = (_f64(s, 16) * mul) & _M64
    f = _f64(s, 24)
    g = ((y + _f64(s, n - 32)) * mul) & _M64
    h = ((z + _f64(s, n - 24)) * mul) & _M64
    return _hash_len16((_rot((e + f) & _M64, 43) + _rot(g, 30) + h) & _M64,
                       (e + _rot((f + a) & _M64, 18) + g) & _M64, mul)


def _weak32(s, i, a, b):
    w, x, y, z = _f64(s, i), _f64(s, i + 8), _f64(s, i + 16), _f64(s, i + 24)
    a = (a + w) & _M64
    b = _rot((b + a + z) & _M64, 21)
    c = a
    a = (a + x + y) & _M64
    b = (b + _rot(a, 44)) & _M64
    return (a + z) & _M64, (b + c) & _M64


def fingerprint64_py(s: bytes) -> int:
    """FarmHash Fingerprint64 of `s` as an unsigned 64-bit int (pure Python)."""
    n = len(s)
    if n <= 16:
        return _hash_len0to16(s, n)
    if n <= 32:
        return _hash_len17to32(s, n)
    if n <= 64:
        return _hash_len33to64(s, n)
    seed = 81
    x = seed
    y = (seed * _K1 + 113) & _M64
    z = (_shift_mix((y * _K2 + 113) & _M64) * _K2) & _M64
    v0 = v1 = w0 = w1 = 0
    x = (x * _K2 + _f64(s, 0)) & _M64
    end = ((n - 1) // 64) * 64
    last64 = end + ((n - 1) & 63) - 63
    i = 0
    while True:
        x = (_rot((x + y + v0 + _f64(s, i + 8)) & _M64, 37) * _K1) & _M64
        y = (_rot((y + v1 + _f64(s, i + 48)) & _M64, 42) * _K1) & _M64
        x ^= w1
        y = (y + v0 + _f64(s, i + 40)) & _M64
        z = (_rot((z + w0) & _M64, 33) * _K1) & _M64
        v0, v1 = _weak32(s, i, (v1 * _K1) & _M64, (x + w0) & _M64)
        w0, w1 = _weak32(s, i + 32, (z + w1) & _M64, (y + _f64(s, i + 16)) & _M64)
        z, x = x, z
        i += 64
        if i == end:
            break
    mul = _K1 + ((z & 0xff) << 1)
    i = last64
    w0 = (w0 + ((n - 1) & 63)) & _M64
    v0 = (v0 + w0) & _M64
    w0 = (w0 + v0) & _M64
    x = (_rot((x + y + v0 + _f64(s, i + 8)) & _M64, 37) * mul) & _M64
    y = (_rot((y + v1 + _f64(s, i + 48)) & _M64, 42) * mul) & _M64
    x ^= (w1 * 9) & _M64
    y = (y + v0 * 9 + _f64(s, i + 40)) & _M64
    z = (_rot((z + w0) & _M64, 33) * mul) & _M64
    v0, v1 = _weak32(s, i, (v1 * mul) & _M64, (x + w0) & _M64)
    w0, w1 = _weak32(s, i + 32, (z + w1) & _M64, (y + _f64(s, i + 16)) & _M64)
    z, x = x, z
    return _hash_len16((_hash_len16(v0, w0, mul) + _shift_mix(y) * _K0 + z) & _M64,
                       (_hash_len16(v1, w1, mul) + x) & _M64, mul)


try:  # the C++ FarmHash is ~50x faster; the results are the same
    from farmhash import fingerprint64 as _fp64_c
except ImportError:  # pragma: no cover - depends on the environment
    _fp64_c = None


def fingerprint64(s) -> int:
    """TF's `Fingerprint64(s)` (unsigned) for bytes or str."""
    if isinstance(s, str):
        s = s.encode()
    if _fp64_c is not None:
        return _fp64_c(bytes(s))
    return fingerprint64_py(bytes(s))


def fingerprint_cat64(fp1: int, fp2: int) -> int:
    """TF's `FingerprintCat64`: combines two fingerprints (used by sparse crosses)."""
    k_mul = 0xc6a4a7935bd1e995
    result = fp1 ^ k_mul
    result ^= (_shift_mix((fp2 * k_mul) & _M64) * k_mul) & _M64
    result = (result * k_mul) & _M64
    result = (_shift_mix(result) * k_mul) & _M64
    return _shift_mix(result)


# -- ops ---------------------------------------------------------------------------------
def _hash_bucket_np(k, x):
    n = k.attrs["num_buckets"]
    flat = np.asarray(x, dtype=object).ravel()
    out = np.fromiter((fingerprint64(s) % n for s in flat), dtype=np.int64, count=flat.size)
    return out.reshape(np.shape(x))


register("StringToHashBucketFast", shape=same_shape, numpy=_hash_bucket_np,
         host="strings have no compiled form")


def string_to_hash_bucket_fast(input, num_buckets, name=None):  # noqa: A002 - TF's name
    """Hashes each string to an int64 in [0, num_buckets) with Fingerprint64, as TF does."""
    x = convert_to_tensor(input, dtype=dtypes.string)
    if int(num_buckets) < 1:
        raise ValueError(f"num_buckets must be >= 1, got {num_buckets}")
    return make_tensor("StringToHashBucketFast", [x], dtypes.int64,
                       {"num_buckets": int(num_buckets)},
                       name=name or "StringToHashBucketFast")


def _as_string_np(k, x):
    arr = np.asarray(x)
    if arr.dtype.kind == "b":
        fmt = (lambda v: b"true" if v else b"false")
    elif arr.dtype.kind in "iu":
        fmt = (lambda v: str(int(v)).encode())
    else:  # TF's default float format is printf's %f
        fmt = (lambda v: (b"%f" % float(v)).replace(b"inf", b"inf"))
    out = np.empty(arr.shape, dtype=object)
    for idx, v in np.ndenumerate(arr):
        out[idx] = fmt(v)
    return out


register("AsString", shape=same_shape, numpy=_as_string_np,
         host="strings have no compiled form")


def as_string(input, precision=-1, scientific=False, shortest=False, width=-1,  # noqa: A002
              fill="", name=None):
    """`tf.as_string` for integer, bool and float tensors (default formats only)."""
    x = convert_to_tensor(input)
    if x.dtype == dtypes.string:
        raise TypeError("Value passed to parameter 'input' has DataType string not in list "
                        "of allowed values: int8, int16, int32, int64, complex64, complex128,"
                        " float32, float64, bool")
    if precision != -1 or scientific or shortest or width != -1 or fill:
        raise NotImplementedError("jitgraph: as_string supports only the default format")
    return make_tensor("AsString", [x], dtypes.string, name=name or "AsString")


__all__ = ["string_to_hash_bucket_fast", "as_string", "fingerprint64", "fingerprint_cat64"]
