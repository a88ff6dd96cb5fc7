"""`tf.layers.Dense`, `Dropout`, `Flatten` and their function forms."""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.layers.base import Layer
from jitgraph.ops import math_ops
from jitgraph.ops.array_ops import identity, reshape, shape
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.linalg_ops import matmul


class Dense(Layer):
    """outputs = activation(inputs @ kernel + bias); kernel is [input_dim, units]."""

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer=None,
                 bias_initializer=None, kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 trainable=True, name=None, **kwargs):
        from jitgraph.initializers import Zeros
        super().__init__(trainable=trainable, name=name, **kwargs)
        self.units = int(units)
        self.activation = activation
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer if bias_initializer is not None else Zeros()
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.activity_regularizer = activity_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.kernel = self.bias = None

    def build(self, input_shape):
        dims = input_shape.as_list() if input_shape.ndims is not None else None
        if not dims or dims[-1] is None:
            raise ValueError("The last dimension of the inputs to `Dense` should be defined. "
                             "Found `None`.")
        self.kernel = self.add_weight("kernel", [dims[-1], self.units],
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", [self.units], initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.built = True

    def call(self, inputs):
        from jitgraph import nn
        rank = inputs.shape.ndims
        if rank is not None and rank > 2:
            from jitgraph.ops.linalg_ops import tensordot
            out = tensordot(inputs, self.kernel, [[rank - 1], [0]])
        else:
            if inputs.dtype != self.kernel.dtype:
                inputs = math_ops.cast(inputs, self.kernel.dtype)
            out = matmul(inputs, self.kernel)
        if self.use_bias:
            out = nn.bias_add(out, self.bias)
        if self.activation is not None:
            out = self.activation(out)
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(out))
        return out

    def compute_output_shape(self, input_shape):
        from jitgraph.framework.tensor_shape import TensorShape
        return TensorShape(TensorShape(input_shape).as_list()[:-1] + [self.units])


def dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None,
          bias_initializer=None, kernel_regularizer=None, bias_regularizer=None,
          activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
          trainable=True, name=None, reuse=None):
    """The function form of `Dense`: a new layer (or, with `reuse`, the scope's variables)."""
    layer = Dense(units, activation, use_bias, kernel_initializer, bias_initializer,
                  kernel_regularizer, bias_regularizer, activity_regularizer,
                  kernel_constraint, bias_constraint, trainable, name, _scope=name,
                  _reuse=reuse)
    return layer(inputs)


class Dropout(Layer):
    """Zeroes a `rate` fraction of units while training, scaling the rest by 1/(1-rate)."""

    def __init__(self, rate=0.5, noise_shape=None, seed=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed

    def call(self, inputs, training=False):
        from jitgraph import nn
        if isinstance(training, (bool, np.bool_)):
            if not training or self.rate == 0:
                return identity(inputs)
            return nn.dropout(inputs, rate=self.rate, noise_shape=self.noise_shape,
                              seed=self.seed)
        training = convert_to_tensor(training, dtype=dtypes.bool)
        dropped = nn.dropout(inputs, rate=self.rate, noise_shape=self.noise_shape,
                             seed=self.seed)
        return math_ops.where(training, dropped, inputs)


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
    return Dropout(rate, noise_shape, seed, name)(inputs, training=training)


class Flatten(Layer):
    """[batch, d1, d2, ...] -> [batch, d1*d2*...]."""

    def __init__(self, data_format=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, inputs):
        dims = inputs.shape.as_list() if inputs.shape.ndims is not None else None
        if dims is not None and all(d is not None for d in dims[1:]):
            n = int(np.prod(dims[1:])) if len(dims) > 1 else 1
            return reshape(inputs, [-1 if dims[0] is None else dims[0], n])
        from jitgraph.ops.array_ops import stack
        batch = shape(inputs)[0]
        return reshape(inputs, stack([batch, -1]))


def flatten(inputs, name=None, data_format="channels_last"):
    return Flatten(name=name)(inputs)
