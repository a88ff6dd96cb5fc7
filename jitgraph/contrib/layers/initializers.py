"""`tf.contrib.layers` initializers: contrib's own variance scaling, with its fan
arithmetic and its 1.3 truncated-normal factor (not tf.initializers' 0.8796 correction)."""
from __future__ import annotations

import math

from jitgraph.framework import dtypes
from jitgraph.initializers import Initializer
from jitgraph.ops import random_ops

_MODES = ("FAN_IN", "FAN_OUT", "FAN_AVG")


class _ContribVarianceScaling(Initializer):
    def __init__(self, factor, mode, uniform, seed, dtype):
        self.factor, self.mode, self.uniform = factor, mode, uniform
        self.seed, self.dtype = seed, dtypes.as_dtype(dtype)

    def _n(self, shape):
        shape = list(shape)
        fan_in = float(shape[-2]) if len(shape) > 1 else float(shape[-1]) if shape else 1.0
        fan_out = float(shape[-1]) if shape else 1.0
        for dim in shape[:-2]:
            fan_in *= float(dim)
            fan_out *= float(dim)
        return {"FAN_IN": fan_in, "FAN_OUT": fan_out,
                "FAN_AVG": (fan_in + fan_out) / 2.0}[self.mode]

    def __call__(self, shape, dtype=None, partition_info=None):
        dt = dtypes.as_dtype(dtype) if dtype is not None else self.dtype
        if not dt.is_floating:
            raise TypeError("Cannot create initializer for non-floating point type.")
        n = self._n(shape)
        if self.uniform:
            limit = math.sqrt(3.0 * self.factor / n)
            return random_ops.random_uniform(list(shape), -limit, limit, dt, seed=self.seed)
        stddev = math.sqrt(1.3 * self.factor / n)
        return random_ops.truncated_normal(list(shape), 0.0, stddev, dt, seed=self.seed)


def variance_scaling_initializer(factor=2.0, mode="FAN_IN", uniform=False, seed=None,
                                 dtype=dtypes.float32):
    if not dtypes.as_dtype(dtype).is_floating:
        raise TypeError("Cannot create initializer for non-floating point type.")
    if mode not in _MODES:
        raise TypeError(f"Unknown mode {mode} [FAN_IN, FAN_OUT, FAN_AVG]")
    return _ContribVarianceScaling(factor, mode, uniform, seed, dtype)


def xavier_initializer(uniform=True, seed=None, dtype=dtypes.float32):
    return variance_scaling_initializer(1.0, "FAN_AVG", uniform, seed, dtype)


xavier_initializer_conv2d = xavier_initializer
