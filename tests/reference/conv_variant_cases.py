"""The convolution variants of issue 14 as small programs written once against a `tf`
module, so the same text builds the graph in TensorFlow (make_tf_conv_variants.py) and
in jitgraph (tests/test_conv_variants.py). Inputs come from closed formulas, not an RNG,
so both sides rebuild them bit for bit."""
import numpy as np


def values(shape, seed):
    """A deterministic float32 array of `shape` in about [-1, 1]."""
    n = int(np.prod(shape))
    return np.sin(np.arange(n) * 0.731 + seed * 1.37).reshape(shape).astype(np.float32)


# name -> (input shapes, build(tf, *inputs) -> output). Gradients are those of
# sum(output * values(output.shape, 99)) wrt every input.
CASES = {
    "conv2d_dilated_same": ([(2, 7, 6, 3), (3, 2, 3, 4)], lambda tf, x, f: tf.nn.conv2d(
        x, f, [1, 1, 1, 1], "SAME", dilations=[1, 2, 2, 1])),
    "conv2d_dilated_valid": ([(2, 7, 6, 3), (2, 3, 3, 4)], lambda tf, x, f: tf.nn.conv2d(
        x, f, [1, 1, 1, 1], "VALID", dilations=[1, 2, 1, 1])),
    "conv2d_nchw": ([(2, 3, 7, 6), (3, 3, 3, 4)], lambda tf, x, f: tf.nn.conv2d(
        x, f, [1, 1, 2, 2], "SAME", data_format="NCHW")),
    "conv2d_strided_1x1": ([(2, 5, 6, 3), (1, 1, 3, 4)], lambda tf, x, f: tf.nn.conv2d(
        x, f, [1, 2, 2, 1], "VALID")),
    "conv1d_same_stride2": ([(2, 9, 3), (3, 3, 4)], lambda tf, x, f: tf.nn.conv1d(
        x, f, 2, "SAME")),
    "conv1d_valid_dilated": ([(2, 9, 3), (3, 3, 4)], lambda tf, x, f: tf.nn.conv1d(
        x, f, 1, "VALID", dilations=2)),
    "conv2d_transpose_same": ([(2, 4, 3, 4), (3, 3, 5, 4)], lambda tf, x, f:
                              tf.nn.conv2d_transpose(x, f, [2, 7, 6, 5], [1, 2, 2, 1],
                                                     "SAME")),
    "conv2d_transpose_valid": ([(2, 3, 2, 4), (3, 3, 5, 4)], lambda tf, x, f:
                               tf.nn.conv2d_transpose(x, f, [2, 7, 5, 5], [1, 2, 2, 1],
                                                      "VALID")),
    "conv2d_transpose_stride1": ([(1, 4, 4, 2), (3, 3, 3, 2)], lambda tf, x, f:
                                 tf.nn.conv2d_transpose(x, f, [1, 4, 4, 3], [1, 1, 1, 1],
                                                        "SAME")),
    "depthwise_same_stride2": ([(2, 7, 6, 3), (3, 3, 3, 2)], lambda tf, x, f:
                               tf.nn.depthwise_conv2d(x, f, [1, 2, 2, 1], "SAME")),
    "depthwise_rate2_valid": ([(2, 7, 6, 3), (2, 2, 3, 1)], lambda tf, x, f:
                              tf.nn.depthwise_conv2d(x, f, [1, 1, 1, 1], "VALID",
                                                     rate=[2, 2])),
    "depthwise_nchw": ([(1, 3, 5, 5), (3, 3, 3, 2)], lambda tf, x, f:
                       tf.nn.depthwise_conv2d(x, f, [1, 1, 1, 1], "SAME",
                                              data_format="NCHW")),
    "separable_same": ([(2, 6, 5, 3), (3, 3, 3, 2), (1, 1, 6, 4)], lambda tf, x, d, p:
                       tf.nn.separable_conv2d(x, d, p, [1, 1, 1, 1], "SAME")),
    "separable_rate2_valid": ([(1, 7, 7, 2), (2, 2, 2, 1), (1, 1, 2, 3)], lambda tf, x, d, p:
                              tf.nn.separable_conv2d(x, d, p, [1, 1, 1, 1], "VALID",
                                                     rate=[2, 2])),
    "atrous_same": ([(2, 7, 6, 3), (3, 3, 3, 2)], lambda tf, x, f:
                    tf.nn.atrous_conv2d(x, f, 2, "SAME")),
    "atrous_valid": ([(1, 9, 8, 2), (2, 2, 2, 3)], lambda tf, x, f:
                     tf.nn.atrous_conv2d(x, f, 3, "VALID")),
    "max_pool_nchw": ([(2, 3, 6, 5)], lambda tf, x:
                      tf.nn.max_pool(x, [1, 1, 2, 2], [1, 1, 2, 2], "SAME",
                                     data_format="NCHW")),
    "avg_pool_nchw": ([(2, 3, 6, 5)], lambda tf, x:
                      tf.nn.avg_pool(x, [1, 1, 3, 3], [1, 1, 2, 2], "VALID",
                                     data_format="NCHW")),
}


def build(tf, name):
    """(placeholders, output, gradients, feed values) of case `name` in module `tf`."""
    shapes, fn = CASES[name]
    xs = [values(s, seed) for seed, s in enumerate(shapes)]
    phs = [tf.placeholder(tf.float32, s) for s in shapes]
    y = fn(tf, *phs)
    w = values(tuple(y.shape.as_list()), 99)
    grads = tf.gradients(tf.reduce_sum(y * w), phs)
    return phs, y, grads, xs


# Layers: name -> (input shape, build(tf, x) -> output); kernels and biases from `values`.
def _init(tf, seed):
    def init(shape, dtype=None, partition_info=None):
        return tf.constant(values(tuple(shape), seed))
    return init


LAYERS = {
    "Conv1D": ((2, 9, 3), lambda tf, x: tf.layers.conv1d(
        x, 4, 3, strides=2, padding="same", kernel_initializer=_init(tf, 5),
        bias_initializer=_init(tf, 6), activation=tf.nn.relu)),
    "Conv2DTranspose": ((2, 4, 3, 3), lambda tf, x: tf.layers.conv2d_transpose(
        x, 5, 3, strides=2, padding="same", kernel_initializer=_init(tf, 5),
        bias_initializer=_init(tf, 6))),
    "Conv2DTransposeValid": ((2, 4, 3, 3), lambda tf, x: tf.layers.conv2d_transpose(
        x, 2, (3, 2), strides=(2, 1), padding="valid", kernel_initializer=_init(tf, 5),
        use_bias=False)),
    "SeparableConv2D": ((2, 6, 5, 3), lambda tf, x: tf.layers.separable_conv2d(
        x, 4, 3, padding="same", depth_multiplier=2,
        depthwise_initializer=_init(tf, 5), pointwise_initializer=_init(tf, 7),
        bias_initializer=_init(tf, 6))),
    "Conv2DChannelsFirst": ((2, 3, 6, 5), lambda tf, x: tf.layers.conv2d(
        x, 4, 3, padding="same", data_format="channels_first",
        kernel_initializer=_init(tf, 5), bias_initializer=_init(tf, 6))),
}
