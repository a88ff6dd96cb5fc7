"""Reusable compiled helpers that generated code calls (`K.name(...)` in generated source).

Each is compiled once per argument-type signature and cached on disk by Numba,
so a new graph that uses them pays only for its own glue code (NUMBA-NOTES:
reused helpers halve compile time against one big function).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from jitgraph.codegen.blas import blas_dot

_OPTS = dict(cache=True, nogil=True, error_model="numpy",
             fastmath={"reassoc", "contract", "arcp", "nsz", "afn"})

# Below this many multiply-adds a plain loop beats the BLAS call overhead.
SMALL_MATMUL = 4096


@njit(inline="always", **_OPTS)
def tanh32(x):
    # Branch-free rational approximation (max abs error ~4e-7 on float32): unlike a
    # libm call it lets LLVM vectorize the loop it sits in.
    x = min(max(x, np.float32(-9.0)), np.float32(9.0))
    x2 = x * x
    p = x2 * np.float32(-2.76076847742355e-16) + np.float32(2.00018790482477e-13)
    p = x2 * p + np.float32(-8.60467152213735e-11)
    p = x2 * p + np.float32(5.12229709037114e-08)
    p = x2 * p + np.float32(1.48572235717979e-05)
    p = x2 * p + np.float32(6.37261928875436e-04)
    p = x2 * p + np.float32(4.89352455891786e-03)
    p = x * p
    q = x2 * np.float32(1.19825839466702e-06) + np.float32(1.18534705686654e-04)
    q = x2 * q + np.float32(2.26843463243900e-03)
    q = x2 * q + np.float32(4.89352518554385e-03)
    return p / q


@njit(inline="always", **_OPTS)
def sigmoid32(x):
    return np.float32(0.5) * tanh32(np.float32(0.5) * x) + np.float32(0.5)


@njit(inline="always", **_OPTS)
def sigmoid64(x):
    return 0.5 * np.tanh(0.5 * x) + 0.5


# Edge values must come out as TF's, so these helpers carry no fast-math flags: flags sit
# on each instruction, so they stay exact even once LLVM inlines them into a fast-math loop
# (which still vectorizes). With `afn`/`arcp`, 1/sqrt(0) became an estimate giving NaN, and
# max/min lost NaN depending on the operand order. `fastmath=False` must be explicit: a
# helper compiled from a fast-math stage otherwise inherits the stage's flags.
_EXACT = dict(cache=True, nogil=True, error_model="numpy", fastmath=False)


@njit(**_EXACT)
def rsqrt32(x):
    return np.float32(1) / np.sqrt(x)


@njit(**_EXACT)
def rsqrt64(x):
    return 1.0 / np.sqrt(x)


@njit(**_EXACT)
def fmax(a, b):
    """max propagating NaN from either side (TF's Maximum)."""
    return a if (a >= b or a != a) else b


@njit(**_EXACT)
def fmin(a, b):
    return a if (a <= b or a != a) else b


@njit(**_EXACT)
def ipow(a, b):
    """Integer power by squaring (wrapping like TF); negative exponents are TF's error.
    Numba's own `**` on integers is undefined for them (it crashed the process)."""
    if b < 0:
        raise ValueError("Integers to negative integer powers are not allowed")
    r = np.int64(1)
    x = np.int64(a)
    e = np.int64(b)
    while e > 0:
        if e & 1:
            r *= x
        x *= x
        e >>= 1
    return r


@njit(**_EXACT)
def ifloordiv(a, b):
    if b == 0:
        raise ValueError("Integer division by zero")
    if b == -1:  # INT_MIN // -1 traps in hardware: it wraps in TF
        return -a
    return a // b


@njit(**_EXACT)
def ifloormod(a, b):
    if b == 0:
        raise ValueError("Integer division by zero")
    if b == -1:
        return a - a
    return a % b


@njit(**_EXACT)
def itruncdiv(a, b):
    """C division of integers (TF's RealDiv/TruncateDiv on integer tensors)."""
    if b == 0:
        raise ValueError("Integer division by zero")
    if b == -1:
        return -a
    q = a // b
    return q + 1 if q < 0 and q * b != a else q


@njit(**_EXACT)
def size_int32(n):
    if n > 2147483647:
        raise ValueError("Number of elements was larger than representable by 32-bit "
                         "output type")
    return np.int32(n)


@njit(**_OPTS)
def matmul2d_loop(a, b, ta, tb):
    """a @ b for 2-D arrays as plain loops (tiny sizes, integer dtypes)."""
    n = a.shape[1] if ta else a.shape[0]
    k = a.shape[0] if ta else a.shape[1]
    kb = b.shape[1] if tb else b.shape[0]
    m = b.shape[0] if tb else b.shape[1]
    if k != kb:
        raise ValueError("Matrix size-incompatible for MatMul")
    out = np.zeros((n, m), a.dtype)
    for i in range(n):
        for p in range(k):
            av = a[p, i] if ta else a[i, p]
            for j in range(m):
                out[i, j] += av * (b[j, p] if tb else b[p, j])
    return out


@njit(**_OPTS)
def matmul2d(a, b, ta, tb):
    """a @ b for 2-D float arrays, either side optionally transposed: BLAS unless tiny."""
    n = a.shape[1] if ta else a.shape[0]
    k = a.shape[0] if ta else a.shape[1]
    m = b.shape[0] if tb else b.shape[1]
    if n * k * m <= SMALL_MATMUL or k == 0:
        return matmul2d_loop(a, b, ta, tb)
    if k != (b.shape[1] if tb else b.shape[0]):
        raise ValueError("Matrix size-incompatible for MatMul")
    return blas_dot(a, b, ta, tb)


@njit(**_OPTS)
def matmul3d(a, b, ta, tb):
    """Batched a @ b over the leading dim (both operands rank 3, same batch)."""
    if a.shape[0] != b.shape[0] and a.shape[0] != 1 and b.shape[0] != 1:
        raise ValueError("Batch dimensions of MatMul operands are incompatible")
    nb = max(a.shape[0], b.shape[0])
    first = matmul2d(a[0], b[0], ta, tb)
    out = np.empty((nb, first.shape[0], first.shape[1]), first.dtype)
    for i in range(nb):
        out[i] = matmul2d(a[min(i, a.shape[0] - 1)], b[min(i, b.shape[0] - 1)], ta, tb)
    return out


@njit(**_OPTS)
def check_bcast(a, b):
    """Raises unless dims `a` and `b` broadcast; returns the broadcast dim."""
    if a == b or b == 1:
        return a
    if a == 1:
        return b
    raise ValueError("Incompatible shapes for broadcasting")


# Random numbers are counter-based (splitmix64 over key, counter, index): stateless, so
# the compiled stage and `runtime/rng.py` (numpy) draw the same stream. No fast-math:
# log/cos must not be approximated differently by the two engines.
_RNG_OPTS = dict(cache=True, nogil=True, error_model="numpy")


@njit(inline="always", **_RNG_OPTS)
def _mix(key, counter, i):
    z = np.uint64(key) ^ (np.uint64(counter) * np.uint64(0x9E3779B97F4A7C15))
    z = z + np.uint64(i) * np.uint64(0xBF58476D1CE4E5B9) + np.uint64(0x94D049BB133111EB)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(inline="always", **_RNG_OPTS)
def _u01(z):
    return np.float64(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(inline="always", **_RNG_OPTS)
def _normal_at(key, counter, j):
    # Box-Muller on draws 2j and 2j+1; 1 - u is in (0, 1], so the log is finite.
    u1 = _u01(_mix(key, counter, 2 * j))
    u2 = _u01(_mix(key, counter, 2 * j + 1))
    return np.sqrt(-2.0 * np.log(1.0 - u1)) * np.cos(6.283185307179586 * u2)


@njit(**_RNG_OPTS)
def counter_uniform(key, counter, out):
    """Fills `out` (1-d) with uniform [0, 1) draws number 0..n-1 of stream (key, counter)."""
    for i in range(out.size):
        out[i] = _u01(_mix(key, counter, i))
        if out[i] >= 1.0:  # float32 rounding of values just under 1
            out[i] = 0.0


@njit(**_RNG_OPTS)
def counter_normal(key, counter, out):
    for i in range(out.size):
        out[i] = _normal_at(key, counter, i)


@njit(**_RNG_OPTS)
def counter_truncated(key, counter, out):
    """Standard normal draws re-drawn while |z| >= 2 (attempt a of element i uses i + a*n)."""
    n = out.size
    for i in range(n):
        z = 0.0
        for a in range(64):
            z = _normal_at(key, counter, i + a * n)
            if abs(z) < 2.0:
                break
        out[i] = z


@njit(**_RNG_OPTS)
def counter_uniform_int(key, counter, lo, hi, out):
    span = np.uint64(hi - lo)
    for i in range(out.size):
        out[i] = lo + np.int64(_mix(key, counter, i) % span)

from jitgraph.codegen.nn_kernels import *  # noqa: E402,F401,F403 - nn kernels live beside
from jitgraph.codegen.conv_kernels import *  # noqa: E402,F401,F403 - conv kernels too
from jitgraph.codegen.reduce_kernels import *  # noqa: E402,F401,F403 - and accurate sums
from jitgraph.codegen.special_kernels import *  # noqa: E402,F401,F403 - special functions
from jitgraph.codegen.index_kernels import *  # noqa: E402,F401,F403 - and index loops
