"""Conv2D, MaxPool, AvgPool (and their gradient ops) on both engines, and tf.layers forms."""
from __future__ import annotations

import numpy as np
import pytest

import jitgraph as tf
from tests.helpers import check_gradients, run_both, session

CASES = [("SAME", 1), ("SAME", 2), ("VALID", 1), ("VALID", 2)]


# -- an independent reference: one output element at a time --------------------------------
def _geom(n, k, s, padding):
    if padding == "SAME":
        out = -(-n // s)
        return out, max((out - 1) * s + k - n, 0) // 2
    return (n - k) // s + 1, 0


def ref_conv(x, f, s, padding):
    n, h, w, c = x.shape
    kh, kw, _, o = f.shape
    oh, ph = _geom(h, kh, s, padding)
    ow, pw = _geom(w, kw, s, padding)
    out = np.zeros((n, oh, ow, o))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for di in range(kh):
                    for dj in range(kw):
                        y, xx = i * s - ph + di, j * s - pw + dj
                        if 0 <= y < h and 0 <= xx < w:
                            out[b, i, j] += x[b, y, xx] @ f[di, dj]
    return out


def ref_pool(x, k, s, padding, reduce):
    n, h, w, c = x.shape
    oh, ph = _geom(h, k, s, padding)
    ow, pw = _geom(w, k, s, padding)
    out = np.zeros((n, oh, ow, c))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                y0, x0 = i * s - ph, j * s - pw
                win = x[b, max(y0, 0):y0 + k, max(x0, 0):x0 + k]
                out[b, i, j] = reduce(win.reshape(-1, c), axis=0)
    return out


def test_forward_matches_loops_on_both_engines():
    rng = np.random.default_rng(0)
    xv = rng.standard_normal((2, 7, 6, 3))
    fv = rng.standard_normal((3, 2, 3, 4))
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 7, 6, 3])
        x64 = tf.placeholder(tf.float64, [None, None, None, 3])
        f = tf.constant(fv, tf.float32)
        outs, refs = [], []
        for pad, s in CASES:
            outs.append(tf.nn.conv2d(x, f, [1, s, s, 1], pad))
            refs.append(ref_conv(xv, fv, s, pad))
            outs.append(tf.nn.max_pool(x, [1, 3, 3, 1], [1, s, s, 1], pad))
            refs.append(ref_pool(xv, 3, s, pad, np.max))
            outs.append(tf.nn.avg_pool(x, [1, 2, 2, 1], [1, s, s, 1], pad))
            refs.append(ref_pool(xv, 2, s, pad, np.mean))
        outs.append(tf.nn.conv2d(x64, fv, 2, "SAME"))
        refs.append(ref_conv(xv, fv, 2, "SAME"))
        outs.append(tf.nn.max_pool(x64, 2, 2, "SAME"))
        refs.append(ref_pool(xv, 2, 2, "SAME", np.max))
        outs.append(tf.nn.avg_pool(x64, 3, 2, "SAME"))
        refs.append(ref_pool(xv, 3, 2, "SAME", np.mean))
    feed = {x: xv.astype(np.float32), x64: xv}
    got = run_both(outs, feed, graph=g, rtol=1e-4, atol=1e-5)
    for i, (a, r) in enumerate(zip(got, refs)):
        assert a.dtype == (np.float64 if i >= len(CASES) * 3 else np.float32)
        np.testing.assert_allclose(a, r, rtol=1e-4, atol=1e-5, err_msg=f"output {i}")
    src = tf.inspect(tf.Session(graph=g), outs, feed).source
    for kernel in ("K.conv2d_fwd", "K.pool_max", "K.pool_avg"):
        assert kernel in src
    # A new batch size (and image size for the rank-only float64 input) reuses the plan.
    xv2 = rng.standard_normal((1, 5, 9, 3))
    sess = session(g)
    y64, = sess.run([outs[-3]], {x64: xv2})
    np.testing.assert_allclose(y64, ref_conv(xv2, fv, 2, "SAME"), rtol=1e-10)


def test_gradient_ops_compile_and_agree():
    rng = np.random.default_rng(1)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 6, 5, 2])
        f = tf.constant(rng.standard_normal((3, 3, 2, 4)), tf.float32)
        y = tf.nn.conv2d(x, f, [1, 2, 2, 1], "SAME")
        p = tf.nn.max_pool(y, [1, 2, 2, 1], [1, 1, 1, 1], "VALID")
        a = tf.nn.avg_pool(y, [1, 3, 3, 1], [1, 2, 2, 1], "SAME")
        loss = tf.reduce_sum(p * p) + tf.reduce_sum(a * a)
        grads = tf.gradients(loss, [x, f])
    assert grads[0].shape.as_list() == [None, 6, 5, 2]
    assert grads[1].shape.as_list() == [3, 3, 2, 4]
    feed = {x: rng.standard_normal((3, 6, 5, 2)).astype(np.float32)}
    run_both(grads, feed, graph=g, rtol=1e-4, atol=1e-4)
    src = tf.inspect(tf.Session(graph=g), grads, feed).source
    for kernel in ("K.conv2d_bprop_input", "K.conv2d_bprop_filter", "K.pool_max_grad",
                   "K.pool_avg_grad"):
        assert kernel in src


def _weights(shape, seed):
    return tf.constant(np.random.default_rng(seed).standard_normal(shape))


def test_conv_gradients(heavy_engine):
    rng = np.random.default_rng(2)

    def build(x, w):
        same = tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME")      # [1, 3, 2, 3]
        valid = tf.nn.conv2d(x, w, [1, 1, 1, 1], "VALID")    # [1, 3, 3, 3]
        return (tf.reduce_sum(same * _weights([1, 3, 2, 3], 3))
                + tf.reduce_sum(valid * _weights([1, 3, 3, 3], 4)))
    check_gradients(build, {"x": rng.standard_normal((1, 5, 4, 2)),
                            "w": rng.standard_normal((3, 2, 2, 3))}, engine=heavy_engine)


def test_backprop_ops_gradients(engine):
    """Conv2DBackpropInput/Filter as ops of their own (as in second-order gradients)."""
    from jitgraph.ops.conv_ops import conv2d_backprop_filter, conv2d_backprop_input
    rng = np.random.default_rng(10)

    def build(f, dy, x):
        dx = conv2d_backprop_input([1, 5, 4, 2], f, dy, [1, 2, 2, 1], "SAME")
        dw = conv2d_backprop_filter(x, [3, 3, 2, 3], dy, [1, 2, 2, 1], "SAME")
        return (tf.reduce_sum(dx * _weights([1, 5, 4, 2], 11))
                + tf.reduce_sum(dw * _weights([3, 3, 2, 3], 12)))
    check_gradients(build, {"f": rng.standard_normal((3, 3, 2, 3)),
                            "dy": rng.standard_normal((1, 3, 2, 3)),
                            "x": rng.standard_normal((1, 5, 4, 2))}, engine=engine)


def test_pool_gradients(heavy_engine):
    rng = np.random.default_rng(5)
    # Distinct values keep the max unique, so finite differences see one winner per window.
    xv = rng.permutation(50).reshape(1, 5, 5, 2) / 7.0

    def build(x):
        mp = tf.nn.max_pool(x, [1, 3, 3, 1], [1, 2, 2, 1], "SAME")     # [1, 3, 3, 2]
        mv = tf.nn.max_pool(x, [1, 2, 2, 1], [1, 1, 1, 1], "VALID")    # [1, 4, 4, 2]
        ap = tf.nn.avg_pool(x, [1, 3, 3, 1], [1, 2, 2, 1], "SAME")     # [1, 3, 3, 2]
        av = tf.nn.avg_pool(x, [1, 2, 3, 1], [1, 1, 1, 1], "VALID")    # [1, 4, 3, 2]
        return (tf.reduce_sum(mp * _weights([1, 3, 3, 2], 6))
                + tf.reduce_sum(mv * _weights([1, 4, 4, 2], 7))
                + tf.reduce_sum(ap * _weights([1, 3, 3, 2], 8))
                + tf.reduce_sum(av * _weights([1, 4, 3, 2], 9)))
    check_gradients(build, {"x": xv}, eps=1e-4, engine=heavy_engine)


def test_integer_max_pool_runs_as_host_op():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.int32, [None, 4, 4, 2])
        y = tf.nn.max_pool(x, 2, 2, "SAME")
    xv = np.arange(32, dtype=np.int32).reshape(1, 4, 4, 2)[:, ::-1].copy()
    got = run_both(y, {x: xv}, graph=g)
    np.testing.assert_array_equal(got, ref_pool(xv, 2, 2, "SAME", np.max).astype(np.int32))


def test_max_pool_grad_ties_go_to_first_max():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [1, 2, 4, 1])
        y = tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
        dx, = tf.gradients(y, [x])
    xv = np.array([[1, 1, 0, 2], [1, 0, 2, 2]], np.float32).reshape(1, 2, 4, 1)
    got = run_both(dx, {x: xv}, graph=g)
    want = np.array([[1, 0, 0, 1], [0, 0, 0, 0]], np.float32).reshape(1, 2, 4, 1)
    np.testing.assert_array_equal(got, want)


def test_static_shapes_and_errors():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 28, 27, 3])
        f = tf.zeros([5, 4, 3, 8])
        assert tf.nn.conv2d(x, f, [1, 1, 1, 1], "SAME").shape.as_list() == [None, 28, 27, 8]
        assert tf.nn.conv2d(x, f, [1, 2, 3, 1], "SAME").shape.as_list() == [None, 14, 9, 8]
        assert tf.nn.conv2d(x, f, [1, 1, 1, 1], "VALID").shape.as_list() == [None, 24, 24, 8]
        assert tf.nn.conv2d(x, f, [1, 2, 2, 1], "VALID").shape.as_list() == [None, 12, 12, 8]
        assert tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME").shape.as_list() == \
            [None, 14, 14, 3]
        assert tf.nn.avg_pool(x, [1, 3, 3, 1], [1, 2, 2, 1], "VALID").shape.as_list() == \
            [None, 13, 13, 3]
        y = tf.nn.conv2d(x, f, [1, 1, 1, 1], "SAME", name="c")
        assert y.op.type == "Conv2D" and y.op.name == "c"
        unknown = tf.placeholder(tf.float32)
        assert tf.nn.conv2d(unknown, f, [1, 1, 1, 1], "SAME").shape.as_list() == \
            [None, None, None, 8]
        with pytest.raises(ValueError, match="Dimensions must be equal"):
            tf.nn.conv2d(x, tf.zeros([3, 3, 4, 8]), [1, 1, 1, 1], "SAME")
        with pytest.raises(ValueError, match="rank 4"):
            tf.nn.conv2d(tf.zeros([2, 3, 3]), f, [1, 1, 1, 1], "SAME")
        with pytest.raises(ValueError, match="padding"):
            tf.nn.conv2d(x, f, [1, 1, 1, 1], "same")
        with pytest.raises(ValueError, match="Unknown data_format"):
            tf.nn.conv2d(x, f, [1, 1, 1, 1], "SAME", data_format="HWNC")
        with pytest.raises(ValueError, match="batch and depth"):
            tf.nn.conv2d(x, f, [2, 1, 1, 1], "SAME")
        with pytest.raises(ValueError, match="Negative dimension"):
            tf.nn.max_pool(x, [1, 30, 2, 1], [1, 1, 1, 1], "VALID")
        with pytest.raises(TypeError):
            tf.nn.conv2d(x, tf.zeros([5, 4, 3, 8], tf.float64), [1, 1, 1, 1], "SAME")


def test_layers_names_and_shapes():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 9, 9, 2])
        y = tf.layers.conv2d(x, 4, 3, padding="same", activation=tf.nn.relu)
        assert y.shape.as_list() == [None, 9, 9, 4]
        names = sorted(v.name for v in tf.trainable_variables())
        assert names == ["conv2d/bias:0", "conv2d/kernel:0"]
        assert tf.get_default_graph().get_operation_by_name("conv2d/BiasAdd").type == "BiasAdd"
        y2 = tf.layers.conv2d(x, 5, (3, 2), strides=(2, 1), use_bias=False)
        assert y2.shape.as_list() == [None, 4, 8, 5]
        assert "conv2d_1/kernel:0" in [v.name for v in tf.global_variables()]
        layer = tf.layers.Conv2D(6, [2, 2], strides=2, name="c")
        assert layer(x).shape.as_list() == [None, 4, 4, 6]
        assert layer.kernel.shape.as_list() == [2, 2, 2, 6]
        assert layer.compute_output_shape([None, 9, 9, 2]).as_list() == [None, 4, 4, 6]
        assert tf.layers.max_pooling2d(y, 2, 2).shape.as_list() == [None, 4, 4, 4]
        assert tf.layers.average_pooling2d(y, 3, 2, padding="same").shape.as_list() == \
            [None, 5, 5, 4]
        assert tf.layers.MaxPooling2D((2, 3), (1, 2))(y).op.type == "MaxPool"
        with pytest.raises(ValueError, match="channels_first"):
            tf.layers.conv2d(x, 4, 3, data_format="NCHW")


def test_tiny_cnn_trains_on_jit():
    rng = np.random.default_rng(7)
    images = rng.standard_normal((16, 8, 8, 1)).astype(np.float32)
    labels = (images[:, :4].mean(axis=(1, 2, 3)) > images[:, 4:].mean(axis=(1, 2, 3)))
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(3)
        x = tf.placeholder(tf.float32, [None, 8, 8, 1])
        y = tf.placeholder(tf.int64, [None])
        h = tf.layers.conv2d(x, 4, 3, padding="same", activation=tf.nn.relu)
        h = tf.layers.max_pooling2d(h, 2, 2)
        logits = tf.layers.dense(tf.layers.flatten(h), 2)
        loss = tf.losses.sparse_softmax_cross_entropy(y, logits)
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        init = tf.global_variables_initializer()
    sess = session(g)
    sess.run(init)
    feed = {x: images, y: labels.astype(np.int64)}
    losses = [sess.run([loss, train], feed)[0] for _ in range(15)]
    assert losses[-1] < 0.8 * losses[0], losses


@pytest.mark.slow  # every kernel path compiled in two dtypes; the default run keeps the common ones
def test_kernel_paths_agree():
    """Conv2DBackpropInput at stride 1 runs as a correlation with the flipped filter when
    the input is deep (64 channels here) and as product + col2im otherwise; both against
    the numpy reference, with SAME, VALID and dilated windows; Winograd 3x3 convolutions;
    and a 1x1 convolution."""
    from jitgraph.ops.conv_ops import conv2d_backprop_input
    rng = np.random.default_rng(11)
    g = tf.Graph()
    outs, feed = [], {}
    with g.as_default():
        for c in (64, 2):
            f = tf.constant(rng.standard_normal((3, 2, c, 5)), tf.float32)
            for pad, dil, oh, ow in (("SAME", 1, 5, 4), ("VALID", 1, 3, 3), ("SAME", 2, 5, 4)):
                dy = tf.placeholder(tf.float32, [None, oh, ow, 5])
                feed[dy] = rng.standard_normal((2, oh, ow, 5)).astype(np.float32)
                outs.append(conv2d_backprop_input([2, 5, 4, c], f, dy, 1, pad,
                                                  dilations=dil))
        # 3x3 stride 1, 32+ channels in and out: Winograd, forward, filter gradient and
        # (64 channels, via the flipped filter) input gradient; odd sizes leave partial
        # 2x2 output blocks.
        x3 = tf.placeholder(tf.float32, [None, 5, 7, 64])
        feed[x3] = rng.standard_normal((2, 5, 7, 64)).astype(np.float32)
        f3 = tf.constant(rng.standard_normal((3, 3, 64, 32)), tf.float32)
        for pad in ("SAME", "VALID"):
            y3 = tf.nn.conv2d(x3, f3, 1, pad)
            w3 = tf.constant(rng.standard_normal(y3.shape.as_list()[1:]), tf.float32)
            outs += [y3] + tf.gradients(tf.reduce_sum(y3 * w3), [x3, f3])
        # A 1x1 stride-1 convolution is one product over the batch, no patches.
        x = tf.placeholder(tf.float32, [None, 3, 4, 6])
        feed[x] = rng.standard_normal((2, 3, 4, 6)).astype(np.float32)
        w1 = rng.standard_normal((1, 1, 6, 5)).astype(np.float32)
        outs.append(tf.nn.conv2d(x, tf.constant(w1), 1, "VALID"))
    got = run_both(outs, feed, graph=g, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got[-1], feed[x] @ w1[0, 0], rtol=1e-5, atol=1e-5)
