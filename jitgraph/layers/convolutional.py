"""`tf.layers.Conv2D`, `MaxPooling2D`, `AveragePooling2D` and their function forms
(channels_last only)."""
from __future__ import annotations

from jitgraph.layers.base import Layer


def _normalize_tuple(value, name):
    """Keras's rule: an int means the same value for both spatial dims."""
    if isinstance(value, int):
        return (value, value)
    try:
        vals = tuple(value)
    except TypeError:
        raise ValueError(f"The `{name}` argument must be a tuple of 2 integers. Received: "
                         f"{value}") from None
    if len(vals) != 2 or not all(isinstance(v, int) for v in vals):
        raise ValueError(f"The `{name}` argument must be a tuple of 2 integers. Received: "
                         f"{value}")
    return vals


def _normalize_padding(value):
    padding = value.lower() if isinstance(value, str) else value
    if padding not in ("valid", "same"):
        raise ValueError("The `padding` argument must be one of \"valid\", \"same\". "
                         f"Received: {value}")
    return padding


def _check_data_format(value):
    fmt = value.lower() if isinstance(value, str) else value
    if fmt == "channels_first":
        raise ValueError("jitgraph: data_format 'channels_first' is not supported (only "
                         "'channels_last')")
    if fmt not in (None, "channels_last"):
        raise ValueError("The `data_format` argument must be one of \"channels_first\", "
                         f"\"channels_last\". Received: {value}")
    return "channels_last"


def _out_dim(n, k, s, padding):
    if n is None:
        return None
    if padding == "same":
        return -(-n // s)
    return (n - k) // s + 1


def _input_dims(input_shape, layer):
    from jitgraph.framework.tensor_shape import TensorShape
    shape = TensorShape(input_shape)
    if shape.ndims != 4:
        raise ValueError(f"Input 0 of layer {layer} is incompatible with the layer: expected "
                         f"ndim=4, found ndim={shape.ndims}. Full shape received: "
                         f"{shape.as_list() if shape.ndims is not None else None}")
    return shape.as_list()


class Conv2D(Layer):
    """outputs = activation(conv2d(inputs, kernel) + bias); kernel [kh, kw, in, filters]."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 data_format="channels_last", dilation_rate=(1, 1), activation=None,
                 use_bias=True, kernel_initializer=None, bias_initializer=None,
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
                 **kwargs):
        from jitgraph.initializers import Zeros
        super().__init__(trainable=trainable, name=name, **kwargs)
        self.filters = int(filters)
        self.kernel_size = _normalize_tuple(kernel_size, "kernel_size")
        self.strides = _normalize_tuple(strides, "strides")
        self.padding = _normalize_padding(padding)
        self.data_format = _check_data_format(data_format)
        self.dilation_rate = _normalize_tuple(dilation_rate, "dilation_rate")
        self.activation = activation
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer if bias_initializer is not None else Zeros()
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.activity_regularizer = activity_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.kernel = self.bias = None

    def build(self, input_shape):
        dims = _input_dims(input_shape, self.name)
        if dims[-1] is None:
            raise ValueError("The channel dimension of the inputs should be defined. "
                             "Found `None`.")
        self.kernel = self.add_weight("kernel", list(self.kernel_size) + [dims[-1],
                                                                          self.filters],
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", [self.filters],
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.built = True

    def call(self, inputs):
        from jitgraph import nn
        from jitgraph.ops.conv_ops import conv2d
        out = conv2d(inputs, self.kernel, strides=[1, *self.strides, 1],
                     padding=self.padding.upper(),
                     dilations=[1, *self.dilation_rate, 1], name="Conv2D")
        if self.use_bias:
            out = nn.bias_add(out, self.bias)
        if self.activation is not None:
            out = self.activation(out)
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(out))
        return out

    def compute_output_shape(self, input_shape):
        from jitgraph.framework.tensor_shape import TensorShape
        n, h, w, _ = _input_dims(input_shape, self.name)
        return TensorShape([n, _out_dim(h, self.kernel_size[0], self.strides[0], self.padding),
                            _out_dim(w, self.kernel_size[1], self.strides[1], self.padding),
                            self.filters])


def conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
           data_format="channels_last", dilation_rate=(1, 1), activation=None, use_bias=True,
           kernel_initializer=None, bias_initializer=None, kernel_regularizer=None,
           bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
           bias_constraint=None, trainable=True, name=None, reuse=None):
    """The function form of `Conv2D`: a new layer (or, with `reuse`, the scope's variables)."""
    layer = Conv2D(filters, kernel_size, strides, padding, data_format, dilation_rate,
                   activation, use_bias, kernel_initializer, bias_initializer,
                   kernel_regularizer, bias_regularizer, activity_regularizer,
                   kernel_constraint, bias_constraint, trainable, name, _scope=name,
                   _reuse=reuse)
    return layer(inputs)


class _Pooling2D(Layer):
    _op = None  # "max_pool" or "avg_pool"
    _op_name = None

    def __init__(self, pool_size, strides=None, padding="valid", data_format="channels_last",
                 name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.pool_size = _normalize_tuple(pool_size, "pool_size")
        self.strides = _normalize_tuple(strides if strides is not None else pool_size,
                                        "strides")
        self.padding = _normalize_padding(padding)
        self.data_format = _check_data_format(data_format)

    def call(self, inputs):
        from jitgraph.ops import conv_ops
        return getattr(conv_ops, self._op)(inputs, ksize=[1, *self.pool_size, 1],
                                           strides=[1, *self.strides, 1],
                                           padding=self.padding.upper(), name=self._op_name)

    def compute_output_shape(self, input_shape):
        from jitgraph.framework.tensor_shape import TensorShape
        n, h, w, c = _input_dims(input_shape, self.name)
        return TensorShape([n, _out_dim(h, self.pool_size[0], self.strides[0], self.padding),
                            _out_dim(w, self.pool_size[1], self.strides[1], self.padding), c])


class MaxPooling2D(_Pooling2D):
    """The max over each `pool_size` window."""
    _op, _op_name = "max_pool", "MaxPool"


class AveragePooling2D(_Pooling2D):
    """The mean over each `pool_size` window (padding not counted)."""
    _op, _op_name = "avg_pool", "AvgPool"


def max_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                  name=None):
    return MaxPooling2D(pool_size, strides, padding, data_format, name=name)(inputs)


def average_pooling2d(inputs, pool_size, strides, padding="valid",
                      data_format="channels_last", name=None):
    return AveragePooling2D(pool_size, strides, padding, data_format, name=name)(inputs)

