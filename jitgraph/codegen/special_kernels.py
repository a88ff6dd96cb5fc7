"""Scalar special functions for generated code (`K.erf(x)`, `K.digamma(x)`, ...).

Computed in float64 and rounded by the caller, as TF's float32 kernels do through Eigen's
double-precision paths. `digamma`/`trigamma` are the classic recurrence + asymptotic
series (exact to ~1e-15 for x > 0; the reflection formula below 0).
"""
from __future__ import annotations

import math

from numba import njit

_EXACT = dict(cache=True, nogil=True, error_model="numpy", fastmath=False)


@njit(inline="always", **_EXACT)
def erf(x):
    return math.erf(float(x))


@njit(inline="always", **_EXACT)
def erfc(x):
    return math.erfc(float(x))


@njit(**_EXACT)
def lgamma(x):
    x = float(x)
    if x <= 0.0 and x == math.floor(x):
        return math.inf  # a pole: TF's (and C's) lgamma
    return math.lgamma(x)


@njit(**_EXACT)
def digamma(x):
    x = float(x)
    if x <= 0.0 and x == math.floor(x):
        return math.nan
    r = 0.0
    if x < 0.0:  # reflection: psi(x) = psi(1 - x) - pi / tan(pi x)
        r = -math.pi / math.tan(math.pi * x)
        x = 1.0 - x
    while x < 6.0:
        r -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)
    t = f * (-1.0 / 12 + f * (1.0 / 120 + f * (-1.0 / 252 + f * (1.0 / 240 + f * (-1.0 / 132)))))
    return r + math.log(x) - 0.5 / x + t


@njit(**_EXACT)
def trigamma(x):
    # Not recursive: Numba's cache cannot reload a self-calling function (LLVM aborts on
    # the unresolved symbol in the next process).
    x = float(x)
    if x <= 0.0 and x == math.floor(x):
        return math.inf
    if x < 0.0:  # reflection: psi1(x) = -psi1(1 - x) + (pi / sin(pi x))^2
        s = math.pi / math.sin(math.pi * x)
        return -_trigamma_positive(1.0 - x) + s * s
    return _trigamma_positive(x)


@njit(**_EXACT)
def _trigamma_positive(x):
    r = 0.0
    while x < 6.0:
        r += 1.0 / (x * x)
        x += 1.0
    f = 1.0 / (x * x)
    t = 1.0 / x + f / 2 + f / x * (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f / 30)))
    return r + t
