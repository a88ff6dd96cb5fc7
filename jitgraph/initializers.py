"""Initializers (`tf.zeros_initializer()`, `tf.glorot_uniform_initializer()`, ...): callables
`init(shape, dtype=None, partition_info=None)` that build a tensor with TF 1.x's formulas."""
from __future__ import annotations

import math

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.ops import random_ops
from jitgraph.ops.array_ops import fill as _fill
from jitgraph.ops.array_ops import zeros as _zeros
from jitgraph.ops.constant import constant as _const
from jitgraph.ops.registry import make_tensor, register


def _dt(dtype, default):
    return dtypes.as_dtype(dtype if dtype is not None else default)


class Initializer:
    dtype = None

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Zeros(Initializer):
    def __init__(self, dtype=dtypes.float32):
        self.dtype = dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return _zeros(list(shape), dtype=_dt(dtype, self.dtype))


class Ones(Initializer):
    def __init__(self, dtype=dtypes.float32):
        self.dtype = dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        dt = _dt(dtype, self.dtype)
        return _fill(list(shape), _const(1, dtype=dt))


class Constant(Initializer):
    """A scalar fills the shape; an array (or list) must have as many elements as it."""

    def __init__(self, value=0, dtype=dtypes.float32, verify_shape=False):
        self.value, self.dtype, self.verify_shape = value, dtypes.as_dtype(dtype), verify_shape

    def __call__(self, shape, dtype=None, partition_info=None, verify_shape=None):
        dt = _dt(dtype, self.dtype)
        v = np.asarray(self.value)
        if v.ndim == 0:
            return _fill(list(shape), _const(v, dtype=dt))
        if verify_shape or (verify_shape is None and self.verify_shape):
            if tuple(v.shape) != tuple(shape):
                raise TypeError(f"Expected Tensor's shape: {tuple(shape)}, got {v.shape}.")
        return _const(v, dtype=dt, shape=list(shape))

    def get_config(self):
        return {"value": self.value, "dtype": self.dtype.name}


class RandomUniform(Initializer):
    def __init__(self, minval=0.0, maxval=None, seed=None, dtype=dtypes.float32):
        self.minval, self.maxval, self.seed = minval, maxval, seed
        self.dtype = dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return random_ops.random_uniform(list(shape), self.minval, self.maxval,
                                         _dt(dtype, self.dtype), seed=self.seed)


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=1.0, seed=None, dtype=dtypes.float32):
        self.mean, self.stddev, self.seed = mean, stddev, seed
        self.dtype = dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return random_ops.random_normal(list(shape), self.mean, self.stddev,
                                        _dt(dtype, self.dtype), seed=self.seed)


class TruncatedNormal(RandomNormal):
    def __call__(self, shape, dtype=None, partition_info=None):
        return random_ops.truncated_normal(list(shape), self.mean, self.stddev,
                                           _dt(dtype, self.dtype), seed=self.seed)


def _fans(shape):
    shape = [int(d) for d in shape]
    if not shape:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = float(np.prod(shape[:-2])) if len(shape) > 2 else 1.0
    return shape[-2] * receptive, shape[-1] * receptive


class VarianceScaling(Initializer):
    """stddev = sqrt(scale / n), n = fan_in, fan_out or their mean (TF 1.x formulas)."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 dtype=dtypes.float32):
        if scale <= 0.0:
            raise ValueError("`scale` must be positive float.")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"Invalid `mode` argument: {mode}")
        distribution = distribution.lower()
        if distribution not in ("normal", "uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(f"Invalid `distribution` argument: {distribution}")
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.seed, self.dtype = seed, dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        dt = _dt(dtype, self.dtype)
        fan_in, fan_out = _fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[
            self.mode]
        scale = self.scale / max(1.0, n)
        if self.distribution in ("normal", "truncated_normal"):
            # 0.879... is the stddev of a standard normal truncated to (-2, 2).
            stddev = math.sqrt(scale) / 0.87962566103423978
            return random_ops.truncated_normal(list(shape), 0.0, stddev, dt, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return random_ops.random_normal(list(shape), 0.0, math.sqrt(scale), dt,
                                            seed=self.seed)
        limit = math.sqrt(3.0 * scale)
        return random_ops.random_uniform(list(shape), -limit, limit, dt, seed=self.seed)


class GlorotUniform(VarianceScaling):
    def __init__(self, seed=None, dtype=dtypes.float32):
        super().__init__(1.0, "fan_avg", "uniform", seed, dtype)


class GlorotNormal(VarianceScaling):
    def __init__(self, seed=None, dtype=dtypes.float32):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed, dtype)


def _orthogonal_np(k, normal):
    # QR of a Gaussian matrix, signs fixed so the result is uniformly distributed.
    rows, cols = k.attrs["rows"], k.attrs["cols"]
    a = normal.reshape(max(rows, cols), min(rows, cols)).astype(np.float64)
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return (k.attrs["gain"] * q).reshape(k.attrs["shape"])


register("OrthogonalFromNormal", shape=lambda s: [tuple(s.attrs["shape"])],
         numpy=lambda k, x: _orthogonal_np(k, x).astype(k.op.outputs[0].dtype.as_numpy_dtype),
         host="a QR decomposition (numpy.linalg); initializers run once")


class Orthogonal(Initializer):
    def __init__(self, gain=1.0, seed=None, dtype=dtypes.float32):
        self.gain, self.seed, self.dtype = gain, seed, dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        dt = _dt(dtype, self.dtype)
        shape = [int(d) for d in shape]
        if len(shape) < 2:
            raise ValueError("The tensor to initialize must be at least two-dimensional")
        rows = int(np.prod(shape[:-1]))
        cols = shape[-1]
        normal = random_ops.random_normal([max(rows, cols), min(rows, cols)], dtype=dt,
                                          seed=self.seed)
        return make_tensor("OrthogonalFromNormal", [normal], dt,
                           {"rows": rows, "cols": cols, "gain": float(self.gain),
                            "shape": tuple(shape)}, name="Orthogonal")


class Identity(Initializer):
    def __init__(self, gain=1.0, dtype=dtypes.float32):
        self.gain, self.dtype = gain, dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        if len(shape) != 2:
            raise ValueError("Identity matrix initializer can only be used for 2D matrices.")
        return _const(self.gain * np.eye(*[int(d) for d in shape]), dtype=_dt(dtype,
                                                                                 self.dtype))


def he_normal(seed=None):
    return VarianceScaling(2.0, "fan_in", "truncated_normal", seed)


def he_uniform(seed=None):
    return VarianceScaling(2.0, "fan_in", "uniform", seed)


def lecun_normal(seed=None):
    return VarianceScaling(1.0, "fan_in", "truncated_normal", seed)


def lecun_uniform(seed=None):
    return VarianceScaling(1.0, "fan_in", "uniform", seed)


# TF 1.x spells them both ways: tf.zeros_initializer() and tf.initializers.zeros().
zeros_initializer = zeros = Zeros
ones_initializer = ones = Ones
constant_initializer = constant = Constant
random_uniform_initializer = random_uniform = RandomUniform
random_normal_initializer = random_normal = RandomNormal
truncated_normal_initializer = truncated_normal = TruncatedNormal
variance_scaling_initializer = variance_scaling = VarianceScaling
glorot_uniform_initializer = glorot_uniform = GlorotUniform
glorot_normal_initializer = glorot_normal = GlorotNormal
orthogonal_initializer = orthogonal = Orthogonal
identity_initializer = identity = Identity


def global_variables():
    from jitgraph.variables import global_variables_initializer
    return global_variables_initializer()


def local_variables():
    from jitgraph.variables import local_variables_initializer
    return local_variables_initializer()


def variables(var_list, name="init"):
    from jitgraph.variables import variables_initializer
    return variables_initializer(var_list, name)


def tables_initializer(name="init_all_tables"):
    from jitgraph.lookup import tables_initializer as make
    return make(name=name)
