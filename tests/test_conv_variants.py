"""Issue 14's convolution variants (dilations, NCHW, conv1d, conv2d_transpose, depthwise,
separable, atrous) against TensorFlow's numbers, on both engines, with gradients."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

import jitgraph as tf
from tests.helpers import check_gradients, run_both, session
from reference import conv_variant_cases as cases

with open(os.path.join(os.path.dirname(__file__), "reference", "tf_conv_variants.json")) as fh:
    REF = json.load(fh)


# One case per kernel path, compiled together (compiles are this file's cost): a dilated
# forward with the col2im input gradient, the strided col2im gradient of a transpose, the
# three depthwise kernels, NCHW's transposes, and a transpose layer (its output shape is
# built at run time).
JIT_CASES = ["conv2d_dilated_same", "conv2d_transpose_same", "depthwise_same_stride2",
             "conv2d_nchw"]
JIT_LAYERS = ["Conv2DTranspose"]


def _build_all(names, layers):
    g = tf.Graph()
    fetches, feed = {}, {}
    with g.as_default():
        for name in names:
            phs, y, grads, xs = cases.build(tf, name)
            assert y.shape.as_list() == REF["cases"][name]["shape"], name
            fetches[name] = [y] + grads
            feed.update(zip(phs, xs))
        for name in layers:
            shape, fn = cases.LAYERS[name]
            before = len(tf.global_variables())
            x = tf.placeholder(tf.float32, shape)
            y = fn(tf, x)
            ref = REF["layers"][name]
            assert y.shape.as_list() == ref["static_shape"], name
            made = [[v.name, v.shape.as_list()] for v in tf.global_variables()[before:]]
            # One graph holds every case: a layer's scope may carry a suffix here.
            assert [[n.split("/")[1], s] for n, s in made] == \
                [[n.split("/")[1], s] for n, s in ref["variables"]], name
            fetches[name] = [y]
            feed[x] = cases.values(shape, 0)
        init = tf.global_variables_initializer()
    return g, fetches, feed, init


def _check_against_tf(got):
    for name, vals in got.items():
        ref = REF["cases"].get(name) or REF["layers"][name]
        want = [ref["y"]] + ref.get("grads", [])
        for k, (a, r) in enumerate(zip(vals, want)):
            np.testing.assert_allclose(np.ravel(a), r, rtol=1e-4, atol=2e-5,
                                       err_msg=f"{name}: fetch {k}")


def test_every_case_matches_tensorflow_on_the_interpreter():
    """Outputs and gradients of every op case and tf.layers case against TF's numbers;
    layers also against TF's variable names and shapes and static output shapes."""
    g, fetches, feed, init = _build_all(list(cases.CASES), list(cases.LAYERS))
    sess = session(g, "interp")
    sess.run(init)
    _check_against_tf(sess.run(fetches, feed))


@pytest.mark.slow  # five conv variants compiled; the interpreter checks them in the default run
def test_kernel_paths_match_tensorflow_on_both_engines():
    g, fetches, feed, init = _build_all(JIT_CASES, JIT_LAYERS)
    _check_against_tf(run_both(fetches, feed, graph=g, init=init, rtol=1e-4, atol=1e-5))


def test_new_ops_compile_to_kernels():
    g = tf.Graph()
    with g.as_default():
        phs, y, grads, xs = cases.build(tf, "depthwise_same_stride2")
    src = tf.inspect(tf.Session(graph=g), [y] + grads, dict(zip(phs, xs))).source
    for kernel in ("K.depthwise_fwd", "K.depthwise_bprop_input", "K.depthwise_bprop_filter"):
        assert kernel in src


def test_variant_gradients():
    """Finite differences through the new ops' gradients (graph-level, on the interpreter:
    the compiled gradient kernels are checked against TF's gradients above)."""
    _variant_gradients("interp")


@pytest.mark.slow
def test_variant_gradients_jit():
    _variant_gradients("jit")


def _variant_gradients(engine):
    def w(shape, seed):
        return tf.constant(cases.values(shape, seed).astype(np.float64))

    def build(x, f, d, t, x1):
        dw = tf.nn.depthwise_conv2d(x, d, [1, 2, 2, 1], "SAME")        # [1, 3, 2, 4]
        dil = tf.nn.conv2d(x, f, [1, 1, 1, 1], "VALID", dilations=[1, 2, 1, 1])
        tr = tf.nn.conv2d_transpose(t, f[:, :, :2, :], [1, 5, 4, 2], [1, 2, 2, 1], "SAME")
        c1 = tf.nn.conv1d(x1, f[0], 2, "SAME")
        return (tf.reduce_sum(dw * w((1, 3, 2, 4), 0)) + tf.reduce_sum(dil * w((1, 3, 3, 3), 1))
                + tf.reduce_sum(tr * w((1, 5, 4, 2), 2)) + tf.reduce_sum(c1 * w((1, 3, 3), 3)))
    check_gradients(build, {"x": cases.values((1, 5, 4, 2), 1).astype(np.float64),
                            "f": cases.values((2, 2, 2, 3), 2).astype(np.float64),
                            "d": cases.values((2, 2, 2, 2), 3).astype(np.float64),
                            "t": cases.values((1, 3, 2, 3), 4).astype(np.float64),
                            "x1": cases.values((1, 5, 2), 5).astype(np.float64)},
                    engine=engine)


def test_static_shapes_and_errors():
    x = tf.placeholder(tf.float32, [None, 9, 8, 3])
    f = tf.zeros([3, 3, 3, 2])
    assert tf.nn.depthwise_conv2d(x, f, [1, 2, 2, 1], "SAME").shape.as_list() == \
        [None, 5, 4, 6]
    assert tf.nn.conv2d(x, tf.zeros([3, 3, 3, 4]), 1, "VALID",
                        dilations=2).shape.as_list() == [None, 5, 4, 4]
    assert tf.nn.atrous_conv2d(x, tf.zeros([3, 3, 3, 4]), 2, "SAME").shape.as_list() == \
        [None, 9, 8, 4]
    nchw = tf.placeholder(tf.float32, [None, 3, 9, 8])
    assert tf.nn.conv2d(nchw, tf.zeros([3, 3, 3, 4]), [1, 1, 2, 2], "SAME",
                        data_format="NCHW").shape.as_list() == [None, 4, 5, 4]
    assert tf.nn.conv1d(tf.zeros([2, 10, 3]), tf.zeros([3, 3, 5]), 2,
                        "VALID").shape.as_list() == [2, 4, 5]
    assert tf.nn.conv2d_transpose(tf.zeros([2, 4, 4, 3]), tf.zeros([3, 3, 5, 3]),
                                  [2, 8, 8, 5], 2).shape.as_list() == [2, 8, 8, 5]
    with pytest.raises(ValueError, match="cannot be less than one"):
        tf.nn.atrous_conv2d(x, tf.zeros([3, 3, 3, 4]), 0, "SAME")
    with pytest.raises(ValueError, match="input channels does not match"):
        tf.nn.conv2d_transpose(tf.zeros([2, 4, 4, 3]), tf.zeros([3, 3, 5, 2]), [2, 8, 8, 5], 2)
    with pytest.raises(ValueError, match="output_shape does not match"):
        tf.nn.conv2d_transpose(tf.zeros([2, 4, 4, 3]), tf.zeros([3, 3, 5, 3]), [2, 8, 8, 4], 2)
    with pytest.raises(ValueError, match="dilation_rate > 1"):
        tf.nn.depthwise_conv2d(x, f, [1, 2, 2, 1], "SAME", rate=[2, 2])
    with pytest.raises(ValueError, match='"NWC" or "NCW"'):
        tf.nn.conv1d(tf.zeros([2, 10, 3]), tf.zeros([3, 3, 5]), 1, "SAME", data_format="NHWC2")
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        tf.nn.depthwise_conv2d(x, tf.zeros([3, 3, 4, 2]), [1, 1, 1, 1], "SAME")
    from jitgraph.ops.registry import make_tensor  # an NCHW op, as an imported graph has
    with pytest.raises(NotImplementedError, match="data_format NCHW"):
        make_tensor("Conv2D", [nchw, tf.zeros([3, 3, 3, 4])], tf.float32,
                    {"strides": [1, 1, 1, 1], "padding": "SAME", "data_format": "NCHW",
                     "dilations": [1, 1, 1, 1]})
