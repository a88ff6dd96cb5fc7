"""`tf.layers` convolutions and pooling: Conv1D, Conv2D, Conv2DTranspose, SeparableConv2D,
MaxPooling2D, AveragePooling2D and their function forms (channels_last or channels_first)."""
from __future__ import annotations

from jitgraph.layers.base import Layer


def _normalize_tuple(value, name, n=2):
    """Keras's rule: an int means the same value for every spatial dim."""
    if isinstance(value, int):
        return (value,) * n
    try:
        vals = tuple(value)
    except TypeError:
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received: "
                         f"{value}") from None
    if len(vals) != n or not all(isinstance(v, int) for v in vals):
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received: "
                         f"{value}")
    return vals


def _normalize_padding(value):
    padding = value.lower() if isinstance(value, str) else value
    if padding not in ("valid", "same"):
        raise ValueError("The `padding` argument must be one of \"valid\", \"same\". "
                         f"Received: {value}")
    return padding


def _data_format(value):
    fmt = value.lower() if isinstance(value, str) else value
    if fmt is None:
        return "channels_last"
    if fmt not in ("channels_first", "channels_last"):
        raise ValueError("The `data_format` argument must be one of \"channels_first\", "
                         f"\"channels_last\". Received: {value}")
    return fmt


def _check_data_format(value):
    """channels_last only, for layers that lay out channels last whatever they are told
    (keras/layers/convolutional.py's 1-D layers)."""
    if _data_format(value) == "channels_first":
        raise ValueError("jitgraph: data_format 'channels_first' is not supported here "
                         "(only 'channels_last')")
    return "channels_last"


def _nn_format(data_format, rank=4):
    if data_format == "channels_first":
        return "NCHW" if rank == 4 else "NCW"
    return "NHWC" if rank == 4 else "NWC"


def _finish(layer, nn, out):
    """A convolution layer's tail: bias, activation, activity regularizer."""
    if layer.use_bias:
        out = nn.bias_add(out, layer.bias, data_format=_nn_format(layer.data_format))
    if layer.activation is not None:
        out = layer.activation(out)
    if layer.activity_regularizer is not None:
        layer.add_loss(layer.activity_regularizer(out))
    return out


def _out_dim(n, k, s, padding):
    if n is None:
        return None
    if padding == "same":
        return -(-n // s)
    return (n - k) // s + 1


def _input_dims(input_shape, layer, ndim=4):
    from jitgraph.framework.tensor_shape import TensorShape
    shape = TensorShape(input_shape)
    if shape.ndims != ndim:
        raise ValueError(f"Input 0 of layer {layer} is incompatible with the layer: expected "
                         f"ndim={ndim}, found ndim={shape.ndims}. Full shape received: "
                         f"{shape.as_list() if shape.ndims is not None else None}")
    return shape.as_list()


def _channels(layer, dims):
    c = dims[1] if layer.data_format == "channels_first" else dims[-1]
    if c is None:
        raise ValueError("The channel dimension of the inputs should be defined. "
                         "Found `None`.")
    return c


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
        self.data_format = _data_format(data_format)
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
        channels = _channels(self, _input_dims(input_shape, self.name))
        self.kernel = self.add_weight("kernel", list(self.kernel_size) + [channels,
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
        out = conv2d(inputs, self.kernel, strides=list(self.strides),
                     padding=self.padding.upper(), data_format=_nn_format(self.data_format),
                     dilations=list(self.dilation_rate), name="Conv2D")
        return _finish(self, nn, out)

    def compute_output_shape(self, input_shape):
        from jitgraph.framework.tensor_shape import TensorShape
        dims = _input_dims(input_shape, self.name)
        cf = self.data_format == "channels_first"
        h, w = dims[2:4] if cf else dims[1:3]
        keff = [(k - 1) * d + 1 for k, d in zip(self.kernel_size, self.dilation_rate)]
        h = _out_dim(h, keff[0], self.strides[0], self.padding)
        w = _out_dim(w, keff[1], self.strides[1], self.padding)
        return TensorShape([dims[0], self.filters, h, w] if cf
                           else [dims[0], h, w, self.filters])


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
        self.data_format = _data_format(data_format)

    def call(self, inputs):
        from jitgraph.ops import conv_ops
        return getattr(conv_ops, self._op)(inputs, ksize=list(self.pool_size),
                                           strides=list(self.strides),
                                           padding=self.padding.upper(),
                                           data_format=_nn_format(self.data_format),
                                           name=self._op_name)

    def compute_output_shape(self, input_shape):
        from jitgraph.framework.tensor_shape import TensorShape
        dims = _input_dims(input_shape, self.name)
        cf = self.data_format == "channels_first"
        h, w = dims[2:4] if cf else dims[1:3]
        h = _out_dim(h, self.pool_size[0], self.strides[0], self.padding)
        w = _out_dim(w, self.pool_size[1], self.strides[1], self.padding)
        return TensorShape([dims[0], dims[1], h, w] if cf else [dims[0], h, w, dims[3]])


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



class Conv1D(Layer):
    """outputs = activation(conv1d(inputs, kernel) + bias); kernel [k, in, filters]."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format="channels_last", dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer=None, bias_initializer=None, kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, trainable=True, name=None, **kwargs):
        from jitgraph.initializers import Zeros
        super().__init__(trainable=trainable, name=name, **kwargs)
        self.filters = int(filters)
        self.kernel_size = _normalize_tuple(kernel_size, "kernel_size", 1)
        self.strides = _normalize_tuple(strides, "strides", 1)
        self.padding = _normalize_padding(padding)
        self.data_format = _data_format(data_format)
        self.dilation_rate = _normalize_tuple(dilation_rate, "dilation_rate", 1)
        self.activation, self.use_bias = activation, use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer if bias_initializer is not None else Zeros()
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.activity_regularizer = activity_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.kernel = self.bias = None

    def build(self, input_shape):
        channels = _channels(self, _input_dims(input_shape, self.name, 3))
        self.kernel = self.add_weight("kernel", [self.kernel_size[0], channels, self.filters],
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
        from jitgraph.ops.conv_ops import conv1d
        out = conv1d(inputs, self.kernel, self.strides[0], self.padding.upper(),
                     data_format=_nn_format(self.data_format, 3),
                     dilations=self.dilation_rate[0])
        return _finish(self, nn, out)

    def compute_output_shape(self, input_shape):
        from jitgraph.framework.tensor_shape import TensorShape
        n, a, b = _input_dims(input_shape, self.name, 3)
        cf = self.data_format == "channels_first"
        keff = (self.kernel_size[0] - 1) * self.dilation_rate[0] + 1
        w = _out_dim(b if cf else a, keff, self.strides[0], self.padding)
        return TensorShape([n, self.filters, w] if cf else [n, w, self.filters])


def conv1d(inputs, filters, kernel_size, strides=1, padding="valid",
           data_format="channels_last", dilation_rate=1, activation=None, use_bias=True,
           kernel_initializer=None, bias_initializer=None, kernel_regularizer=None,
           bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
           bias_constraint=None, trainable=True, name=None, reuse=None):
    """The function form of `Conv1D`."""
    layer = Conv1D(filters, kernel_size, strides, padding, data_format, dilation_rate,
                   activation, use_bias, kernel_initializer, bias_initializer,
                   kernel_regularizer, bias_regularizer, activity_regularizer,
                   kernel_constraint, bias_constraint, trainable, name, _scope=name,
                   _reuse=reuse)
    return layer(inputs)


def _deconv_length(n, k, padding, s):
    """Keras's deconv_output_length (no output_padding); works on ints and tensors."""
    if n is None:
        return None
    if padding == "same":
        return n * s
    return n * s + max(k - s, 0)


class Conv2DTranspose(Conv2D):
    """The transpose of Conv2D (its input gradient as a layer); kernel [kh, kw, filters, in]."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 data_format="channels_last", activation=None, use_bias=True,
                 kernel_initializer=None, bias_initializer=None, kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, trainable=True, name=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, (1, 1),
                         activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, trainable, name, **kwargs)

    def build(self, input_shape):
        channels = _channels(self, _input_dims(input_shape, self.name))
        self.kernel = self.add_weight("kernel", list(self.kernel_size) + [self.filters,
                                                                          channels],
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
        from jitgraph.ops.array_ops import shape, stack
        from jitgraph.ops.conv_ops import conv2d_transpose
        cf = self.data_format == "channels_first"
        dyn = shape(inputs)
        static = inputs.shape.as_list()
        hw = []
        for k, axis in enumerate((2, 3) if cf else (1, 2)):
            n = static[axis] if static[axis] is not None else dyn[axis]
            hw.append(_deconv_length(n, self.kernel_size[k], self.padding, self.strides[k]))
        dims = [dyn[0], self.filters, *hw] if cf else [dyn[0], *hw, self.filters]
        out = conv2d_transpose(inputs, self.kernel, stack(dims), list(self.strides),
                               self.padding.upper(), data_format=_nn_format(self.data_format))
        out.set_shape(self.compute_output_shape(inputs.shape))
        return _finish(self, nn, out)

    def compute_output_shape(self, input_shape):
        from jitgraph.framework.tensor_shape import TensorShape
        dims = _input_dims(input_shape, self.name)
        cf = self.data_format == "channels_first"
        h, w = dims[2:4] if cf else dims[1:3]
        h = _deconv_length(h, self.kernel_size[0], self.padding, self.strides[0])
        w = _deconv_length(w, self.kernel_size[1], self.padding, self.strides[1])
        return TensorShape([dims[0], self.filters, h, w] if cf
                           else [dims[0], h, w, self.filters])


def conv2d_transpose(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
                     data_format="channels_last", activation=None, use_bias=True,
                     kernel_initializer=None, bias_initializer=None, kernel_regularizer=None,
                     bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                     bias_constraint=None, trainable=True, name=None, reuse=None):
    """The function form of `Conv2DTranspose`."""
    layer = Conv2DTranspose(filters, kernel_size, strides, padding, data_format, activation,
                            use_bias, kernel_initializer, bias_initializer,
                            kernel_regularizer, bias_regularizer, activity_regularizer,
                            kernel_constraint, bias_constraint, trainable, name, _scope=name,
                            _reuse=reuse)
    return layer(inputs)


class SeparableConv2D(Conv2D):
    """A depthwise convolution (depth_multiplier filters per input channel), then a 1x1
    convolution to `filters` channels, then bias and activation."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 data_format="channels_last", dilation_rate=(1, 1), depth_multiplier=1,
                 activation=None, use_bias=True, depthwise_initializer=None,
                 pointwise_initializer=None, bias_initializer=None, depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 trainable=True, name=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         activation, use_bias, None, bias_initializer, None,
                         bias_regularizer, activity_regularizer, None, bias_constraint,
                         trainable, name, **kwargs)
        self.depth_multiplier = int(depth_multiplier)
        self.depthwise_initializer = depthwise_initializer
        self.pointwise_initializer = pointwise_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.pointwise_regularizer = pointwise_regularizer
        self.depthwise_constraint = depthwise_constraint
        self.pointwise_constraint = pointwise_constraint
        self.depthwise_kernel = self.pointwise_kernel = None

    def build(self, input_shape):
        channels = _channels(self, _input_dims(input_shape, self.name))
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", list(self.kernel_size) + [channels, self.depth_multiplier],
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", [1, 1, channels * self.depth_multiplier, self.filters],
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", [self.filters],
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.built = True

    def call(self, inputs):
        from jitgraph import nn
        from jitgraph.ops.depthwise_ops import separable_conv2d
        cf = self.data_format == "channels_first"
        strides = [1, 1, *self.strides] if cf else [1, *self.strides, 1]
        out = separable_conv2d(inputs, self.depthwise_kernel, self.pointwise_kernel, strides,
                               self.padding.upper(), rate=list(self.dilation_rate),
                               data_format=_nn_format(self.data_format))
        return _finish(self, nn, out)


def separable_conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
                     data_format="channels_last", dilation_rate=(1, 1), depth_multiplier=1,
                     activation=None, use_bias=True, depthwise_initializer=None,
                     pointwise_initializer=None, bias_initializer=None,
                     depthwise_regularizer=None, pointwise_regularizer=None,
                     bias_regularizer=None, activity_regularizer=None,
                     depthwise_constraint=None, pointwise_constraint=None,
                     bias_constraint=None, trainable=True, name=None, reuse=None):
    """The function form of `SeparableConv2D`."""
    layer = SeparableConv2D(filters, kernel_size, strides, padding, data_format, dilation_rate,
                            depth_multiplier, activation, use_bias, depthwise_initializer,
                            pointwise_initializer, bias_initializer, depthwise_regularizer,
                            pointwise_regularizer, bias_regularizer, activity_regularizer,
                            depthwise_constraint, pointwise_constraint, bias_constraint,
                            trainable, name, _scope=name, _reuse=reuse)
    return layer(inputs)
