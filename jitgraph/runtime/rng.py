"""The numpy side of the counter-based random streams in `codegen/kernels.py`.

A random op's draw k in run c of a Session is a pure function of (key, c, k), so the
interpreter and the compiled stage produce the same numbers, and a seeded op gives the
same sequence in every new Session, as TF's seeded ops do.
"""
from __future__ import annotations

import numpy as np

_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)


def mix(key: int, counter: int, idx: np.ndarray) -> np.ndarray:
    idx = np.asarray(idx, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(key) ^ (np.uint64(counter) * _M1)
        z = z + idx * _M2 + _M3
        z = (z ^ (z >> np.uint64(30))) * _M2
        z = (z ^ (z >> np.uint64(27))) * _M3
    return z ^ (z >> np.uint64(31))


def u01(z: np.ndarray) -> np.ndarray:
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def _normal_at(key, counter, j):
    u1 = u01(mix(key, counter, 2 * j))
    u2 = u01(mix(key, counter, 2 * j + 1))
    return np.sqrt(-2.0 * np.log(1.0 - u1)) * np.cos(6.283185307179586 * u2)


def uniform(key, counter, n, dtype):
    out = u01(mix(key, counter, np.arange(n, dtype=np.uint64))).astype(dtype)
    out[out >= 1.0] = 0.0
    return out


def normal(key, counter, n, dtype):
    return _normal_at(key, counter, np.arange(n, dtype=np.uint64)).astype(dtype)


def truncated(key, counter, n, dtype):
    idx = np.arange(n, dtype=np.uint64)
    z = _normal_at(key, counter, idx)
    todo = np.flatnonzero(np.abs(z) >= 2.0)
    for a in range(1, 64):
        if not todo.size:
            break
        z[todo] = _normal_at(key, counter, idx[todo] + np.uint64(a * n))
        todo = todo[np.abs(z[todo]) >= 2.0]
    return z.astype(dtype)


def uniform_int(key, counter, n, lo, hi, dtype):
    z = mix(key, counter, np.arange(n, dtype=np.uint64))
    return (np.int64(lo) + (z % np.uint64(hi - lo)).astype(np.int64)).astype(dtype)
