"""Keras's Conv1D/Conv2D and the 1D/2D/global pooling layers (channels_last).

The 1D forms run as their 2D ops on a height-1 image, as TF's conv1d does."""
from __future__ import annotations

from jitgraph import nn
from jitgraph.framework.tensor_shape import TensorShape
from jitgraph.keras import activations, initializers, regularizers
from jitgraph.keras.base_layer import Layer
from jitgraph.layers.convolutional import _check_data_format, _normalize_padding
from jitgraph.ops import conv_ops
from jitgraph.ops.array_ops import expand_dims, squeeze
from jitgraph.ops.manip_ops import pad
from jitgraph.ops.reduction_ops import reduce_max, reduce_mean


def _tuple(value, n, name):
    if isinstance(value, int):
        return (value,) * n
    vals = tuple(value)
    if len(vals) != n or not all(isinstance(v, int) for v in vals):
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. "
                         f"Received: {value}")
    return vals


class _Conv(Layer):
    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format="channels_last", dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        n = self.rank
        self.filters = int(filters)
        self.kernel_size = _tuple(kernel_size, n, "kernel_size")
        self.strides = _tuple(strides, n, "strides")
        causal = n == 1 and isinstance(padding, str) and padding.lower() == "causal"
        self.padding = "causal" if causal else _normalize_padding(padding)
        self.data_format = _check_data_format(data_format)
        self.dilation_rate = _tuple(dilation_rate, n, "dilation_rate")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint

    def build(self, input_shape):
        shape = TensorShape(input_shape)
        if shape.ndims != self.rank + 2:
            raise ValueError(f"Input 0 of layer {self.name} is incompatible with the layer: "
                             f"expected ndim={self.rank + 2}, found ndim={shape.ndims}. "
                             f"Full shape received: {shape.as_list() if shape.ndims else None}")
        channels = shape[-1].value
        if channels is None:
            raise ValueError("The channel dimension of the inputs should be defined. "
                             "Found `None`.")
        self.kernel = self.add_weight("kernel", list(self.kernel_size) + [channels,
                                                                          self.filters],
                                      None, self.kernel_initializer, self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = (self.add_weight("bias", [self.filters], None, self.bias_initializer,
                                     self.bias_regularizer, constraint=self.bias_constraint)
                     if self.use_bias else None)

    def _conv(self, x, kernel, strides, dilations, padding):
        return conv_ops.conv2d(x, kernel, strides=[1, *strides, 1], padding=padding.upper(),
                               dilations=[1, *dilations, 1])

    def call(self, inputs):
        if self.rank == 1:
            x = inputs
            padding = self.padding
            if padding == "causal":
                left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
                x = pad(x, [[0, 0], [left, 0], [0, 0]])
                padding = "valid"
            out = squeeze(self._conv(expand_dims(x, 1), expand_dims(self.kernel, 0),
                                     (1, self.strides[0]), (1, self.dilation_rate[0]),
                                     padding), [1])
        else:
            out = self._conv(inputs, self.kernel, self.strides, self.dilation_rate,
                             self.padding)
        if self.use_bias:
            out = nn.bias_add(out, self.bias)
        return out if self.activation is activations.linear else self.activation(out)


class Conv1D(_Conv):
    rank = 1


class Conv2D(_Conv):
    rank = 2


class _Pool(Layer):
    rank, op = 2, "max_pool"

    def __init__(self, pool_size=2, strides=None, padding="valid",
                 data_format="channels_last", **kwargs):
        super().__init__(**kwargs)
        self.pool_size = _tuple(pool_size, self.rank, "pool_size")
        self.strides = _tuple(strides if strides is not None else pool_size, self.rank,
                              "strides")
        self.padding = _normalize_padding(padding)
        self.data_format = _check_data_format(data_format)

    def call(self, inputs):
        pool = getattr(conv_ops, self.op)
        if self.rank == 1:
            out = pool(expand_dims(inputs, 1), ksize=[1, 1, self.pool_size[0], 1],
                       strides=[1, 1, self.strides[0], 1], padding=self.padding.upper())
            return squeeze(out, [1])
        return pool(inputs, ksize=[1, *self.pool_size, 1], strides=[1, *self.strides, 1],
                    padding=self.padding.upper())


class MaxPooling1D(_Pool):
    rank, op = 1, "max_pool"


class MaxPooling2D(_Pool):
    rank, op = 2, "max_pool"


class AveragePooling1D(_Pool):
    rank, op = 1, "avg_pool"


class AveragePooling2D(_Pool):
    rank, op = 2, "avg_pool"


class _GlobalPool(Layer):
    rank, reduce = 2, staticmethod(reduce_mean)

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)

    def call(self, inputs):
        return self.reduce(inputs, axis=list(range(1, self.rank + 1)))


class GlobalAveragePooling1D(_GlobalPool):
    rank, reduce = 1, staticmethod(reduce_mean)


class GlobalAveragePooling2D(_GlobalPool):
    rank, reduce = 2, staticmethod(reduce_mean)


class GlobalMaxPooling1D(_GlobalPool):
    rank, reduce = 1, staticmethod(reduce_max)


class GlobalMaxPooling2D(_GlobalPool):
    rank, reduce = 2, staticmethod(reduce_max)


MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = (MaxPooling1D, MaxPooling2D, AveragePooling1D,
                                              AveragePooling2D)
Convolution1D, Convolution2D = Conv1D, Conv2D
