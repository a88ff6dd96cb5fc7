"""Keras's core layers: Input, Dense, Activation, Dropout, Flatten, Reshape, Lambda,
Embedding, and the activation layers."""
from __future__ import annotations

import numpy as np

from jitgraph import nn
from jitgraph.framework import dtypes
from jitgraph.framework.graph import get_default_graph
from jitgraph.framework.tensor_shape import TensorShape
from jitgraph.keras import activations, backend as K, initializers, regularizers
from jitgraph.keras.base_layer import Layer, nodes
from jitgraph.ops import math_ops
from jitgraph.ops.array_ops import identity, reshape, shape, stack
from jitgraph.ops.constant import placeholder
from jitgraph.ops.linalg_ops import matmul, tensordot
from jitgraph.ops.manip_ops import gather


class InputLayer(Layer):
    """Holds the placeholder of a model's input (`<name>:0`)."""

    def __init__(self, input_shape=None, batch_size=None, dtype=None, input_tensor=None,
                 sparse=False, name=None, batch_input_shape=None, **kwargs):
        super().__init__(name=name or f"input_{K.get_uid('input')}", dtype=dtype)
        if batch_input_shape is None and input_shape is not None:
            batch_input_shape = (batch_size,) + tuple(input_shape)
        dt = dtypes.as_dtype(dtype or K.floatx())
        if input_tensor is None:
            g = get_default_graph()
            with g.name_scope(None):
                input_tensor = placeholder(dt, batch_input_shape, name=self._name)
        self._batch_input_shape = batch_input_shape
        self.built = True
        self._inbound.append((input_tensor, input_tensor))
        nodes()[input_tensor] = (self, None, (), {})


def Input(shape=None, batch_size=None, name=None, dtype=None, sparse=False, tensor=None,  # noqa: N802
          batch_shape=None, **kwargs):
    """A placeholder [batch_size] + shape that a functional `Model` starts from."""
    if batch_shape is None and shape is None and tensor is None:
        raise ValueError("Please provide to Input either a `shape` or a `tensor` argument. "
                         "Note that `shape` does not include the batch dimension.")
    layer = InputLayer(input_shape=shape, batch_size=batch_size, dtype=dtype,
                       input_tensor=tensor, name=name, batch_input_shape=batch_shape)
    return layer.output


def is_keras_input(t):
    node = nodes().get(t)
    return node is not None and isinstance(node[0], InputLayer)


class Dense(Layer):
    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.kernel = self.bias = None

    def build(self, input_shape):
        last = TensorShape(input_shape)[-1].value if TensorShape(input_shape).ndims else None
        if last is None:
            raise ValueError("The last dimension of the inputs to `Dense` should be defined. "
                             "Found `None`.")
        self.kernel = self.add_weight("kernel", [last, self.units], None,
                                      self.kernel_initializer, self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", [self.units], None, self.bias_initializer,
                                        self.bias_regularizer, constraint=self.bias_constraint)

    def call(self, inputs):
        rank = inputs.shape.ndims
        if inputs.dtype != self.kernel.dtype:
            inputs = math_ops.cast(inputs, self.kernel.dtype)
        if rank is not None and rank > 2:
            out = tensordot(inputs, self.kernel, [[rank - 1], [0]])
        else:
            out = matmul(inputs, self.kernel)
        if self.use_bias:
            out = nn.bias_add(out, self.bias)
        return self.activation(out) if self.activation is not activations.linear else out


class Activation(Layer):
    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)


class ReLU(Layer):
    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold

    def call(self, inputs):
        return activations.relu(inputs, self.negative_slope, self.max_value, self.threshold)


class LeakyReLU(Layer):
    def __init__(self, alpha=0.3, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        return nn.leaky_relu(inputs, alpha=self.alpha)


class Softmax(Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        return nn.softmax(inputs, axis=self.axis)


class Dropout(Layer):
    """Drops `rate` of the units when `training` (default: the learning phase)."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.noise_shape, self.seed = float(rate), noise_shape, seed

    def call(self, inputs, training=None):
        if isinstance(training, (bool, int, np.bool_)):
            if not training or self.rate == 0:
                return identity(inputs)
            return nn.dropout(inputs, rate=self.rate, noise_shape=self.noise_shape,
                              seed=self.seed)
        dropped = nn.dropout(inputs, rate=self.rate, noise_shape=self.noise_shape,
                             seed=self.seed)
        return math_ops.where(training, dropped, inputs)


class Flatten(Layer):
    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)

    def call(self, inputs):
        dims = inputs.shape.as_list() if inputs.shape.ndims is not None else None
        if dims is not None and all(d is not None for d in dims[1:]):
            return reshape(inputs, [-1, int(np.prod(dims[1:]))])
        return reshape(inputs, stack([shape(inputs)[0], -1]))


class Reshape(Layer):
    """[batch] + target_shape (one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)

    def call(self, inputs):
        return reshape(inputs, stack([shape(inputs)[0], *self.target_shape])
                       if inputs.shape.ndims is None or inputs.shape[0].value is None
                       else [inputs.shape[0].value, *self.target_shape])


class Lambda(Layer):
    """Wraps `function(inputs, **arguments)` as a layer."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        self.function, self.arguments = function, arguments or {}
        self._output_shape = output_shape

    def call(self, inputs, mask=None, training=None):
        import inspect
        kw = dict(self.arguments)
        try:
            params = inspect.signature(self.function).parameters
        except (TypeError, ValueError):
            params = {}
        if "training" in params:
            kw["training"] = training
        return self.function(inputs, **kw)


class Embedding(Layer):
    """Rows of `embeddings` [input_dim, output_dim] gathered by integer ids."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, activity_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, input_length=None, **kwargs):
        if "input_shape" not in kwargs and "batch_input_shape" not in kwargs \
                and input_length is not None:
            kwargs["input_shape"] = (input_length,) if np.isscalar(input_length) \
                else tuple(input_length)
        kwargs.setdefault("dtype", K.floatx())
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = embeddings_constraint
        self.mask_zero, self.input_length = mask_zero, input_length

    def build(self, input_shape):
        self.embeddings = self.add_weight("embeddings", [self.input_dim, self.output_dim],
                                          None, self.embeddings_initializer,
                                          self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)

    def call(self, inputs):
        if not inputs.dtype.is_integer:
            inputs = math_ops.cast(inputs, dtypes.int32)
        return gather(self.embeddings, inputs)
