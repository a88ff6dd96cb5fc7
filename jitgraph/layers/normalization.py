"""`tf.layers.BatchNormalization` / `batch_normalization`, TF 1.x's non-fused path.

Training normalizes with the batch's moments and puts the moving-average updates in
`GraphKeys.UPDATE_OPS`, which a training loop runs through
`tf.control_dependencies(update_ops)`; inference uses the moving averages.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.framework.graph import GraphKeys, get_default_graph
from jitgraph.layers.base import Layer
from jitgraph.ops import math_ops
from jitgraph.ops.array_ops import reshape
from jitgraph.ops.constant import convert_to_tensor


class BatchNormalization(Layer):
    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer=None, gamma_initializer=None,
                 moving_mean_initializer=None, moving_variance_initializer=None,
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, fused=None, trainable=True,
                 virtual_batch_size=None, adjustment=None, name=None, **kwargs):
        from jitgraph.initializers import Ones, Zeros
        super().__init__(trainable=trainable, name=name, **kwargs)
        if renorm or virtual_batch_size or adjustment:
            raise NotImplementedError("batch renormalization, virtual batches and "
                                      "adjustment are not supported")
        self.axis, self.momentum, self.epsilon = axis, momentum, epsilon
        self.center, self.scale = center, scale
        self.beta_initializer = beta_initializer or Zeros()
        self.gamma_initializer = gamma_initializer or Ones()
        self.moving_mean_initializer = moving_mean_initializer or Zeros()
        self.moving_variance_initializer = moving_variance_initializer or Ones()
        self.beta_regularizer, self.gamma_regularizer = beta_regularizer, gamma_regularizer
        self.beta = self.gamma = self.moving_mean = self.moving_variance = None

    def build(self, input_shape):
        dims = input_shape.as_list() if input_shape.ndims is not None else None
        if dims is None:
            raise ValueError("Input has undefined rank.")
        axis = self.axis if self.axis >= 0 else len(dims) + self.axis
        if not 0 <= axis < len(dims) or dims[axis] is None:
            raise ValueError(f"Input has undefined `axis` dimension. Input shape: {dims}")
        self._axis, self._rank, n = axis, len(dims), dims[axis]
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
        self.built = True

    def _broadcastable(self, v):
        if self._axis == self._rank - 1 or v is None:
            return v
        shape = [1] * self._rank
        shape[self._axis] = -1
        return reshape(v, shape)

    def call(self, inputs, training=False):
        from jitgraph import nn
        x = convert_to_tensor(inputs)
        gamma, beta = self._broadcastable(self.gamma), self._broadcastable(self.beta)
        if isinstance(training, (bool, np.bool_)) and not training:
            return nn.batch_normalization(x, self._broadcastable(self.moving_mean),
                                          self._broadcastable(self.moving_variance),
                                          beta, gamma, self.epsilon)
        axes = [i for i in range(self._rank) if i != self._axis]
        mean, var = nn.moments(x, axes)
        decay = 1.0 - self.momentum
        if not isinstance(training, (bool, np.bool_)):
            # A training tensor: batch moments (and moving-average updates) only when true.
            training = convert_to_tensor(training, dtype=dtypes.bool)
            mean = math_ops.where(training, mean, self.moving_mean.value())
            var = math_ops.where(training, var, self.moving_variance.value())
            decay = math_ops.where(training, decay, 0.0)
        out = nn.batch_normalization(x, self._broadcastable(mean), self._broadcastable(var),
                                     beta, gamma, self.epsilon)
        g = get_default_graph()
        with g.name_scope("AssignMovingAvg"):
            upd_mean = self.moving_mean.assign_sub(
                (self.moving_mean.value() - mean) * decay)
        with g.name_scope("AssignMovingAvg_1"):
            upd_var = self.moving_variance.assign_sub(
                (self.moving_variance.value() - var) * decay)
        for u in (upd_mean, upd_var):
            self.add_update(u)
            g.add_to_collection(GraphKeys.UPDATE_OPS, u)
        return out


def batch_normalization(inputs, axis=-1, momentum=0.99, epsilon=1e-3, center=True,
                        scale=True, beta_initializer=None, gamma_initializer=None,
                        moving_mean_initializer=None, moving_variance_initializer=None,
                        beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                        gamma_constraint=None, training=False, trainable=True, name=None,
                        reuse=None, renorm=False, renorm_clipping=None, renorm_momentum=0.99,
                        fused=None, virtual_batch_size=None, adjustment=None):
    layer = BatchNormalization(axis, momentum, epsilon, center, scale, beta_initializer,
                               gamma_initializer, moving_mean_initializer,
                               moving_variance_initializer, beta_regularizer,
                               gamma_regularizer, trainable=trainable, name=name, _scope=name,
                               _reuse=reuse)
    return layer(inputs, training=training)
