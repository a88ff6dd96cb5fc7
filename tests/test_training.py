"""Training to TF 1.x's numbers: tf.layers + tf.losses + every tf.train optimizer.

The reference numbers in tests/reference/tf_reference.json were made once with
TensorFlow 1.x graph mode (see tests/reference/README.md); the same initial
weights come from tests/reference/reference_data.py.
"""
import json
import os

import numpy as np
import pytest

import jitgraph as tf
from helpers import session
from reference import reference_data

REF = json.load(open(os.path.join(os.path.dirname(__file__), "reference",
                                  "tf_reference.json")))
OPTIMIZERS = {
    "GradientDescent": lambda: tf.train.GradientDescentOptimizer(0.1),
    "Momentum": lambda: tf.train.MomentumOptimizer(0.1, momentum=0.9),
    "MomentumNesterov": lambda: tf.train.MomentumOptimizer(0.1, momentum=0.9,
                                                           use_nesterov=True),
    "Adam": lambda: tf.train.AdamOptimizer(0.01),
    "Adagrad": lambda: tf.train.AdagradOptimizer(0.1),
    "RMSProp": lambda: tf.train.RMSPropOptimizer(0.01),
}


def test_guide_linear_regression_matches_tf(engine):
    ref = REF["linreg"]
    d = reference_data.linreg_data()
    x = tf.constant(d["x"])
    y_true = tf.constant(d["y_true"])
    linear_model = tf.layers.Dense(units=1,
                                   kernel_initializer=tf.constant_initializer(
                                       ref["kernel_init"]),
                                   bias_initializer=tf.constant_initializer(ref["bias_init"]))
    y_pred = linear_model(x)
    loss = tf.losses.mean_squared_error(labels=y_true, predictions=y_pred)
    train = tf.train.GradientDescentOptimizer(ref["learning_rate"]).minimize(loss)
    assert [v.name for v in tf.global_variables()] == ref["variable_names"]
    assert (y_pred.name, loss.name, train.name) == (ref["y_pred_name"], ref["loss_name"],
                                                    ref["train_op_name"])
    init = tf.global_variables_initializer()
    sess = session(jit=engine)
    sess.run(init)
    np.testing.assert_allclose(sess.run(y_pred).ravel(), ref["initial_y_pred"], rtol=1e-6)
    losses = [sess.run((train, loss))[1] for _ in range(ref["steps"])]
    np.testing.assert_allclose(losses, ref["losses"], rtol=2e-6)
    np.testing.assert_allclose(sess.run(loss), ref["final_loss"], rtol=1e-5)
    np.testing.assert_allclose(sess.run(linear_model.kernel), ref["final_kernel"],
                               rtol=1e-5)
    np.testing.assert_allclose(sess.run(y_pred), ref["final_y_pred"], rtol=1e-5)


def _mlp(opt_key):
    d = reference_data.mlp_data()
    X = tf.constant(d["X"])
    labels = tf.constant(d["labels"])
    h = tf.layers.dense(X, 16, activation=tf.nn.relu,
                        kernel_initializer=tf.constant_initializer(d["W1"]),
                        bias_initializer=tf.constant_initializer(d["b1"]))
    logits = tf.layers.dense(h, 4, kernel_initializer=tf.constant_initializer(d["W2"]),
                             bias_initializer=tf.constant_initializer(d["b2"]))
    loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
    gs = tf.train.get_or_create_global_step()
    opt = OPTIMIZERS[opt_key]()
    train = opt.minimize(loss, global_step=gs)
    return h, logits, loss, gs, opt, train


@pytest.mark.parametrize("opt_key", list(OPTIMIZERS))
def test_mlp_optimizers_match_tf(opt_key, engine):
    ref = REF["mlp"][opt_key]
    h, logits, loss, gs, opt, train = _mlp(opt_key)
    assert [v.name for v in tf.global_variables()] == ref["global_variable_names"]
    assert [v.name for v in tf.trainable_variables()] == ref["trainable_variable_names"]
    assert opt.get_slot_names() == ref["slot_names"]
    assert (train.name, train.type) == (ref["train_op_name"], ref["train_op_type"])
    assert (loss.name, logits.name, h.name) == (ref["loss_name"], ref["logits_name"],
                                                ref["hidden_name"])
    assert gs.name == ref["global_step_name"] and gs.dtype.name == ref["global_step_dtype"]
    init = tf.global_variables_initializer()
    sess = session(jit=engine)
    sess.run(init)
    losses, steps = [], []
    for _ in range(ref["steps"]):
        _, l, g = sess.run([train, loss, gs])
        losses.append(l)
        steps.append(g)
    np.testing.assert_allclose(losses, ref["losses"], rtol=1e-5, atol=1e-6)
    assert steps == ref["global_step_fetched_with_train"]  # post-increment, as TF
    np.testing.assert_allclose(sess.run(loss), ref["final_loss"], rtol=1e-5)
    assert sess.run(gs) == ref["final_global_step"]
    byname = {v.name: v for v in tf.global_variables()}
    for name, want in {**ref["final_variables"], **ref["final_slots"],
                       **ref["final_other_variables"]}.items():
        np.testing.assert_allclose(np.ravel(sess.run(byname[name])), np.ravel(want),
                                   rtol=1e-4, atol=1e-6, err_msg=f"{name} ({engine})")


def test_train_step_is_one_compiled_stage():
    """Forward, gradients and Adam's updates run as one kernel stage (no host ops)."""
    X = tf.placeholder(tf.float32, [None, 8])
    y = tf.placeholder(tf.int32, [None])
    h = tf.layers.dense(X, 16, activation=tf.nn.relu)
    logits = tf.layers.dense(h, 3)
    loss = tf.losses.sparse_softmax_cross_entropy(y, logits)
    train = tf.train.AdamOptimizer(0.01).minimize(loss)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    feed = {X: np.random.RandomState(0).randn(32, 8).astype(np.float32),
            y: np.arange(32) % 3}
    kinds = [st.kind for st in sess._plan_for((train, loss), feed).stages]
    assert kinds == ["kernel"], kinds
    first = sess.run((train, loss), feed)[1]
    for _ in range(50):
        last = sess.run((train, loss), feed)[1]
    assert last < first * 0.5


def test_minimize_errors():
    x = tf.constant(1.0)
    with pytest.raises(ValueError, match="No variables to optimize"):
        tf.train.GradientDescentOptimizer(0.1).minimize(x * 2.0)
    v = tf.Variable(1.0)
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        tf.train.GradientDescentOptimizer(0.1).minimize(x * 2.0, var_list=[v])
    with pytest.raises(ValueError, match="'global_step' already exists"):
        tf.train.create_global_step()
        tf.train.create_global_step()


def test_layers_names_shapes_and_reuse():
    ref = REF["names"]["layers_dense_twice"]
    X = tf.placeholder(tf.float32, [None, 3])
    h1 = tf.layers.dense(X, 4)
    h2 = tf.layers.dense(h1, 2, activation=tf.nn.relu)
    assert (h1.name, h2.name) == (ref["h1"], ref["h2"])
    assert (str(h1.shape), str(h2.shape)) == (ref["h1_shape"], ref["h2_shape"])
    assert [v.name for v in tf.global_variables()] == ref["global_variables"]
    layer = tf.layers.Dense(5, use_bias=False, name="shared")
    a, b = layer(X), layer(X * 2.0)
    assert layer.kernel.name == "shared/kernel:0" and len(layer.variables) == 1
    assert layer.trainable_weights == [layer.kernel] and layer.bias is None
    flat = tf.layers.flatten(tf.placeholder(tf.float32, [None, 2, 3]))
    assert flat.shape.as_list() == [None, 6]
    drop = tf.layers.Dropout(0.5)
    xd = tf.ones([1000])
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    out = sess.run([a, b, drop(xd, training=True), drop(xd, training=False)],
                   {X: np.ones((2, 3), np.float32)})
    np.testing.assert_allclose(out[1], 2 * out[0], rtol=1e-6)
    assert set(np.unique(out[2]).tolist()) <= {0.0, 2.0} and 350 < (out[2] == 0).sum() < 650
    assert (out[3] == 1.0).all()


def test_regularization_losses():
    X = tf.placeholder(tf.float32, [None, 3])
    reg = tf.contrib.layers.l2_regularizer(0.1)
    tf.layers.dense(X, 2, kernel_regularizer=reg,
                    kernel_initializer=tf.constant_initializer(1.0))
    losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert len(losses) == 1
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    np.testing.assert_allclose(sess.run(tf.losses.get_regularization_loss()), 0.1 * 6 / 2,
                               rtol=1e-6)


def test_learning_rate_schedules():
    gs = tf.Variable(10, dtype=tf.int64, trainable=False)
    lrs = [tf.train.exponential_decay(0.1, gs, 5, 0.5),
           tf.train.exponential_decay(0.1, gs, 4, 0.5, staircase=True),
           tf.train.inverse_time_decay(0.1, gs, 5, 0.5),
           tf.train.natural_exp_decay(0.1, gs, 5, 0.5),
           tf.train.polynomial_decay(0.1, gs, 20, 0.01),
           tf.train.piecewise_constant(gs, [5, 15], [1.0, 0.5, 0.1])]
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    np.testing.assert_allclose(sess.run(lrs), [0.1 * 0.5 ** 2, 0.1 * 0.5 ** 2, 0.1 / 2,
                                               0.1 * np.exp(-1.0), 0.055, 0.5], rtol=1e-6)


def test_named_layers_reuse_like_tf():
    x = tf.placeholder(tf.float32, [None, 3])
    with tf.variable_scope("model"):
        a = tf.layers.dense(x, 2, name="fc")
    with tf.variable_scope("model", reuse=True):
        b = tf.layers.dense(x * 2.0, 2, name="fc")  # the same variables
    c = tf.layers.Dense(2, name="head")
    d = tf.layers.Dense(2, name="head")
    c(x), d(x)
    names = [v.name for v in tf.global_variables()]
    assert names == ["model/fc/kernel:0", "model/fc/bias:0", "head/kernel:0", "head/bias:0",
                     "head_1/kernel:0", "head_1/bias:0"]
    assert a.name == "model/fc/BiasAdd:0" and b.name == "model_1/fc/BiasAdd:0"
    with pytest.raises(ValueError, match="does not exist"):
        with tf.variable_scope("model", reuse=True):
            tf.layers.dense(x, 2)  # unnamed: a new unique scope, which does not exist
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    va, vb = sess.run([a, b], {x: np.ones((1, 3), np.float32)})
    np.testing.assert_allclose(vb, 2 * va - sess.run(tf.global_variables()[1]), rtol=1e-5)


def test_batch_normalization_training_and_inference():
    rs = np.random.RandomState(0)
    data = (rs.randn(64, 4) * [1.0, 2.0, 3.0, 4.0] + [1.0, -1.0, 0.5, 2.0]).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 4])
    training = tf.placeholder_with_default(False, [])
    y = tf.layers.batch_normalization(x, momentum=0.9, training=training)
    names = [v.name for v in tf.global_variables()]
    assert names == ["batch_normalization/gamma:0", "batch_normalization/beta:0",
                     "batch_normalization/moving_mean:0",
                     "batch_normalization/moving_variance:0"]
    assert [v.name for v in tf.trainable_variables()] == names[:2]
    update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert len(update_ops) == 2
    loss = tf.reduce_mean(tf.square(y - 1.0))
    with tf.control_dependencies(update_ops):
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    init = tf.global_variables_initializer()
    results = []
    for jit in (True, False):
        sess = session(jit=jit)
        sess.run(init)
        out = sess.run(y, {x: data, training: True})
        np.testing.assert_allclose(out.mean(0), 0.0, atol=1e-5)
        np.testing.assert_allclose(out.var(0), data.var(0) / (data.var(0) + 1e-3), rtol=1e-4)
        for _ in range(3):
            sess.run(train, {x: data, training: True})
        mm = sess.run(tf.global_variables()[2])
        # three updates of the moving mean towards the batch mean, momentum 0.9
        np.testing.assert_allclose(mm, data.mean(0) * (1 - 0.9 ** 3), rtol=1e-4)
        infer = sess.run(y, {x: data})  # uses the moving averages, updates nothing
        np.testing.assert_allclose(sess.run(tf.global_variables()[2]), mm)
        results.append((out, infer))
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-4, atol=1e-5)


def test_streaming_metrics_and_moving_averages():
    labels = tf.placeholder(tf.int64, [None])
    preds = tf.placeholder(tf.int64, [None])
    acc, acc_update = tf.metrics.accuracy(labels, preds)
    mean, mean_update = tf.metrics.mean(tf.constant([1.0, 3.0]), weights=[1.0, 0.0])
    assert [v.name for v in tf.local_variables()] == [
        "accuracy/total:0", "accuracy/count:0", "mean/total:0", "mean/count:0"]
    w = tf.Variable(1.0, name="w")
    ema = tf.train.ExponentialMovingAverage(0.9)
    ema_op = ema.apply([w])
    assert ema.average(w).name == "w/ExponentialMovingAverage:0"
    assert ema.variables_to_restore() == {"w/ExponentialMovingAverage": w}
    sess = tf.Session()
    sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
    assert np.isclose(sess.run(acc_update, {labels: [1, 2, 3], preds: [1, 2, 0]}), 2 / 3)
    assert sess.run(acc_update, {labels: [1], preds: [0]}) == 0.5
    assert sess.run(acc) == 0.5 and sess.run(mean_update) == 1.0 and sess.run(mean) == 1.0
    sess.run(w.assign(2.0))
    sess.run(ema_op)
    np.testing.assert_allclose(sess.run(ema.average(w)), 1.1, rtol=1e-6)
