"""`jitgraph.compat.v1` and `tf.contrib` (layers, framework).

The CNN's reference numbers are TF 1.x's for the same program written without contrib
(tensorflow.compat.v1 2.21 dropped tf.contrib): conv2d + relu, batch norm as contrib ran it
(the fused kernel: momentum 0.999, epsilon 0.001, no gamma, moving variance from the
Bessel-corrected batch variance), flatten, a dense layer, SGD 0.1 with UPDATE_OPS first."""
import traceback

import numpy as np
import pytest

import jitgraph as tf
from helpers import session

TF_LOSSES = [3.3968467712402344, 3.946074962615967, 5.255521774291992]
TF_MOVING_MEAN = [0.0013217140221968293, 0.0016147652640938759, 0.0014065863797441125]
TF_MOVING_VAR = [0.998271644115448, 0.998796284198761, 0.9982832670211792]


def test_compat_v1_is_jitgraph_and_behaviour_switches():
    import jitgraph.compat.v1 as v1
    from jitgraph.compat.v1 import placeholder
    assert v1 is tf and tf.compat.v1 is tf and placeholder is tf.placeholder
    for name in ("disable_v2_behavior", "disable_eager_execution", "disable_v2_tensorshape",
                 "disable_control_flow_v2", "disable_resource_variables"):
        assert getattr(v1, name)() is None
    assert not v1.executing_eagerly()
    with pytest.raises(NotImplementedError, match="enable_eager_execution"):
        v1.enable_eager_execution()
    assert tf.compat.as_bytes("é") == "é".encode() and tf.compat.as_text(b"x") == "x"


def test_unsupported_contrib_module_says_so_without_a_guess():
    with pytest.raises(AttributeError) as info:
        tf.contrib.slim  # noqa: B018
    text = "".join(traceback.format_exception(info.value))
    assert "tf.contrib.slim is not supported by jitgraph yet" in text
    assert "Did you mean" not in text


def _cnn():
    rng = np.random.RandomState(0)
    x = tf.constant(rng.randn(2, 5, 5, 2).astype(np.float32))
    t = rng.randn(2, 4).astype(np.float32)
    wc = (rng.randn(3, 3, 2, 3) * 0.3).astype(np.float32)
    wf = (rng.randn(75, 4) * 0.1).astype(np.float32)
    layers = tf.contrib.layers
    gs = tf.contrib.framework.get_or_create_global_step()
    with tf.contrib.framework.arg_scope([layers.conv2d, layers.fully_connected],
                                        biases_initializer=tf.zeros_initializer()):
        h = layers.conv2d(x, 3, 3, weights_initializer=tf.constant_initializer(wc))
        h = layers.batch_norm(h, is_training=True)
        h = layers.flatten(h)
        out = layers.fully_connected(h, 4, activation_fn=None,
                                     weights_initializer=tf.constant_initializer(wf))
    loss = tf.reduce_mean(tf.square(out - t))
    return layers.optimize_loss(loss, gs, 0.1, "SGD"), gs


def test_contrib_cnn_trains_like_tf(heavy_engine):
    step, gs = _cnn()
    names = sorted(v.op.name for v in tf.contrib.framework.get_model_variables())
    assert names == ["BatchNorm/beta", "BatchNorm/moving_mean", "BatchNorm/moving_variance",
                     "Conv/biases", "Conv/weights", "fully_connected/biases",
                     "fully_connected/weights"]
    assert [v.op.name for v in tf.contrib.framework.get_variables("Conv", "weights")] == [
        "Conv/weights"]
    sess = session(jit=heavy_engine)
    sess.run(tf.global_variables_initializer())
    losses = [float(sess.run(step)) for _ in range(3)]
    np.testing.assert_allclose(losses, TF_LOSSES, rtol=2e-5)
    mm, mv = tf.contrib.framework.get_variables("BatchNorm", "moving_mean")[0], \
        tf.contrib.framework.get_variables("BatchNorm", "moving_variance")[0]
    np.testing.assert_allclose(sess.run(mm), TF_MOVING_MEAN, rtol=1e-4)
    np.testing.assert_allclose(sess.run(mv), TF_MOVING_VAR, rtol=1e-6)
    assert sess.run(gs) == 3


def test_batch_norm_inference_and_forced_updates():
    x = tf.placeholder(tf.float32, [4, 3])
    data = np.arange(12, dtype=np.float32).reshape(4, 3)
    y_train = tf.contrib.layers.batch_norm(x, updates_collections=None, decay=0.5, scope="bn")
    y_eval = tf.contrib.layers.batch_norm(x, is_training=False, scope="bn", reuse=True)
    assert not tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    sess = session(jit=False)
    sess.run(tf.global_variables_initializer())
    out = sess.run(y_train, {x: data})
    np.testing.assert_allclose(out, (data - data.mean(0)) / np.sqrt(data.var(0) + 1e-3),
                               rtol=1e-5)
    mean = 0.5 * data.mean(0)
    var = 0.5 + 0.5 * data.var(0, ddof=1)  # rank 2 is fused in TF: unbiased variance
    np.testing.assert_allclose(sess.run(y_eval, {x: data}),
                               (data - mean) / np.sqrt(var + 1e-3), rtol=1e-5)


def test_arg_scope_defaults_nesting_and_errors():
    fw, layers = tf.contrib.framework, tf.contrib.layers
    x = tf.zeros([2, 3])
    with fw.arg_scope([layers.fully_connected], activation_fn=None,
                      weights_initializer=tf.ones_initializer()) as outer:
        with fw.arg_scope([layers.fully_connected], weights_initializer=tf.zeros_initializer()):
            inner = layers.fully_connected(x + 1.0, 2, scope="inner")
        restored = layers.fully_connected(x + 1.0, 2, scope="restored")
        explicit = layers.fully_connected(x - 1.0, 2, activation_fn=tf.nn.relu, scope="expl")
    with fw.arg_scope(outer):
        again = layers.fully_connected(x + 1.0, 2, scope="again")
    sess = session(jit=False)
    sess.run(tf.global_variables_initializer())
    i, r, e, a = sess.run([inner, restored, explicit, again])
    np.testing.assert_array_equal(i, np.zeros((2, 2)))
    np.testing.assert_array_equal(r, np.full((2, 2), 3.0))
    np.testing.assert_array_equal(e, np.zeros((2, 2)))
    np.testing.assert_array_equal(a, np.full((2, 2), 3.0))
    with pytest.raises(ValueError, match="is not decorated with @add_arg_scope"):
        with fw.arg_scope([tf.nn.relu], name="x"):
            pass


def test_contrib_initializers_use_contrib_formulas():
    layers = tf.contrib.layers
    xu = layers.xavier_initializer(seed=1)([200, 300])
    vs = layers.variance_scaling_initializer(seed=2)([3, 3, 20, 40])  # FAN_IN, factor 2
    sess = session(jit=False)
    u, v = sess.run([xu, vs])
    limit = np.sqrt(6.0 / 500)
    assert np.abs(u).max() <= limit and np.abs(u).max() > 0.99 * limit
    stddev = np.sqrt(1.3 * 2.0 / (3 * 3 * 20))
    assert np.abs(v).max() <= 2 * stddev + 1e-6
    assert abs(v.std() - stddev * 0.8796) < 0.05 * stddev
    with pytest.raises(TypeError, match="non-floating"):
        layers.xavier_initializer(dtype=tf.int32)


def test_optimize_loss_rejects_unknown_optimizer():
    w = tf.Variable(1.0)
    gs = tf.train.get_or_create_global_step()
    with pytest.raises(ValueError, match="Optimizer name should be one of"):
        tf.contrib.layers.optimize_loss(w * w, gs, 0.1, "NoSuchOpt")
