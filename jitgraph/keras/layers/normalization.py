"""Keras's BatchNormalization: batch moments while training (default: the learning
phase), moving averages otherwise. Its moving-average updates are the layer's
`updates` (and the model's), not `GraphKeys.UPDATE_OPS` as tf.layers' are: TF's Keras
runs them from `fit`, and a hand-written loop must run `model.updates`."""
from __future__ import annotations

import numpy as np

from jitgraph import nn
from jitgraph.framework import dtypes
from jitgraph.framework.graph import get_default_graph
from jitgraph.framework.tensor_shape import TensorShape
from jitgraph.keras import initializers, regularizers
from jitgraph.keras.base_layer import Layer
from jitgraph.ops import math_ops
from jitgraph.ops.array_ops import reshape


class BatchNormalization(Layer):
    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, fused=None, virtual_batch_size=None,
                 adjustment=None, **kwargs):
        if renorm or virtual_batch_size or adjustment:
            raise NotImplementedError("batch renormalization, virtual batches and "
                                      "adjustment are not supported")
        super().__init__(**kwargs)
        self.axis, self.momentum, self.epsilon = axis, momentum, epsilon
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta = self.gamma = None

    def build(self, input_shape):
        shape = TensorShape(input_shape)
        if shape.ndims is None:
            raise ValueError(f"Input has undefined rank: {shape}")
        rank = shape.ndims
        axis = self.axis if self.axis >= 0 else rank + self.axis
        n = shape[axis].value
        if n is None:
            raise ValueError(f"Input has undefined `axis` dimension. Received input with "
                             f"shape {shape}.")
        self._axis, self._rank = axis, rank
        dt = dtypes.float32 if self._dtype in (None, dtypes.float16) else self._dtype
        if self.scale:
            self.gamma = self.add_weight("gamma", [n], dt, self.gamma_initializer,
                                         self.gamma_regularizer)
        if self.center:
            self.beta = self.add_weight("beta", [n], dt, self.beta_initializer,
                                        self.beta_regularizer)
        self.moving_mean = self.add_weight("moving_mean", [n], dt,
                                           self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", [n], dt,
                                               self.moving_variance_initializer,
                                               trainable=False)

    def _b(self, v):
        if v is None or self._axis == self._rank - 1:
            return v
        shape = [1] * self._rank
        shape[self._axis] = -1
        return reshape(v, shape)

    def call(self, inputs, training=None):
        b = self._b
        if isinstance(training, (bool, int, np.bool_)) and not training:
            return nn.batch_normalization(inputs, b(self.moving_mean.value()),
                                          b(self.moving_variance.value()), b(self.beta),
                                          b(self.gamma), self.epsilon)
        mean, var = nn.moments(inputs, [i for i in range(self._rank) if i != self._axis])
        decay = 1.0 - self.momentum
        if not isinstance(training, (bool, int, np.bool_)):
            mean = math_ops.where(training, mean, self.moving_mean.value())
            var = math_ops.where(training, var, self.moving_variance.value())
            decay = math_ops.where(training, decay, 0.0)
        out = nn.batch_normalization(inputs, b(mean), b(var), b(self.beta), b(self.gamma),
                                     self.epsilon)
        g = get_default_graph()
        with g.name_scope("AssignMovingAvg"):
            self.add_update(self.moving_mean.assign_sub(
                (self.moving_mean.value() - mean) * decay))
        with g.name_scope("AssignMovingAvg_1"):
            self.add_update(self.moving_variance.assign_sub(
                (self.moving_variance.value() - var) * decay))
        return out
