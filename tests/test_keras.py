"""tf.keras inside TF 1.x graphs (issue 16): layers, functional/Sequential models called
on tensors, the learning phase, model.updates, and compile/fit/evaluate/predict on the
Keras session, to TF 1.x's numbers (tests/reference/tf_issue16.json, made by
tests/reference/make_tf_issue16.py with TF's tf_keras in graph mode)."""
import json
import os

import numpy as np
import pytest

import jitgraph as tf
from helpers import assert_structures_close, run_both, session
from reference import issue16_data, reference_data
from reference.issue16_builders import (KERAS_OPTIMIZER_CASES, keras_layer_model,
                                        keras_sequential)

REF = json.load(open(os.path.join(os.path.dirname(__file__), "reference",
                                  "tf_issue16.json")))["keras"]
K = tf.keras.backend


@pytest.fixture(autouse=True)
def _keras_session_per_test():
    """Keras runs on the interpreter unless a test says otherwise: a fit compiles three
    steps (train, test, predict), too many compiles for the default test run."""
    K.set_session(session(jit="interp"))
    yield
    K.clear_session()


def test_every_layer_kind_forward_and_training_matches_tf():
    """Conv1D/2D (causal, strided), pooling 1D/2D/global, Flatten, Embedding, Concatenate,
    Reshape, Dense, Lambda, Add, Activation, BatchNormalization: outputs and three SGD
    steps through all of them (the JIT: test_layers_on_the_jit_agree, slow)."""
    ref = REF["layers"]
    d = issue16_data.keras_layer_inputs()
    model = keras_layer_model(tf.keras, d)
    assert [v.name for v in tf.global_variables()] == ref["variable_names"]
    assert [v.name for v in model.weights] == ref["weight_names"]
    bn, ap1, gmp = model.outputs
    loss = tf.reduce_mean(tf.square(bn)) + tf.reduce_mean(ap1) + tf.reduce_mean(gmp)
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    feed = dict(zip(model.inputs, (d["img"], d["seq"], d["ids"])))
    sess = session(jit="interp")
    sess.run(tf.global_variables_initializer())
    runs = [sess.run((train, loss, model.outputs), feed)[1:] for _ in range(3)]
    for got, want in zip(runs[0][1], ref["outputs"]):
        np.testing.assert_allclose(np.ravel(got), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose([r[0] for r in runs], ref["losses"], rtol=1e-5)
    np.testing.assert_allclose(sess.run(loss, feed), ref["final_loss"], rtol=1e-5)


@pytest.mark.slow
def test_layers_on_the_jit_agree():
    """The model's forward pass and loss compiled (the training step with every layer's
    gradient takes minutes to compile) agree with the interpreter."""
    d = issue16_data.keras_layer_inputs()
    model = keras_layer_model(tf.keras, d)
    bn, ap1, gmp = model.outputs
    loss = tf.reduce_mean(tf.square(bn)) + tf.reduce_mean(ap1) + tf.reduce_mean(gmp)
    feed = dict(zip(model.inputs, (d["img"], d["seq"], d["ids"])))
    np.testing.assert_allclose(run_both((loss, model.outputs), feed,
                                        init=tf.global_variables_initializer())[0],
                               REF["layers"]["losses"][0], rtol=1e-5)


def test_compile_fit_evaluate_predict_match_tf():
    ref = REF["fit"]
    m = reference_data.mlp_data()
    model = keras_sequential(tf.keras, m["W1"], m["b1"], m["W2"], m["b2"], input_shape=(6,),
                             kernel_regularizer=tf.keras.regularizers.l2(0.001))
    model.compile(optimizer=tf.keras.optimizers.SGD(0.1, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(m["X"], m["labels"], batch_size=8, epochs=3, shuffle=False, verbose=0,
                     validation_split=0.25)
    assert model.metrics_names == ref["metrics_names"]
    assert sorted(hist.history) == sorted(ref["history"]) and hist.epoch == [0, 1, 2]
    for k, want in ref["history"].items():
        np.testing.assert_allclose(hist.history[k], want, rtol=2e-5, atol=1e-6, err_msg=k)
    np.testing.assert_allclose(model.evaluate(m["X"], m["labels"], batch_size=16, verbose=0),
                               ref["evaluate"], rtol=2e-5)
    np.testing.assert_allclose(model.predict(m["X"][:5]).ravel(), ref["predict"], rtol=2e-5,
                               atol=1e-6)
    assert [v.name for v in model.weights] == ref["weight_names"]
    for got, want in zip(model.get_weights(), ref["weights"]):
        np.testing.assert_allclose(np.ravel(got), want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("key", list(KERAS_OPTIMIZER_CASES))
def test_keras_optimizers_and_losses_match_tf(key):
    """Each keras optimizer (with a different loss/metric) through compile/fit, on the
    interpreter (the JIT is held to it by the other tests' fits)."""
    ref = REF["optimizers"][key]
    cls, kw, loss_name, act, metrics = KERAS_OPTIMIZER_CASES[key]
    m = reference_data.mlp_data()
    W, b = issue16_data.small_dense()
    model = tf.keras.Sequential([tf.keras.layers.Dense(
        4, activation=act, input_shape=(6,), kernel_initializer=tf.constant_initializer(W),
        bias_initializer=tf.constant_initializer(b))])
    lossf = (tf.keras.losses.CategoricalCrossentropy(from_logits=True)
             if loss_name == "cce_logits" else loss_name)
    model.compile(getattr(tf.keras.optimizers, cls)(**kw), lossf, metrics=metrics)
    y = m["labels"] if loss_name.startswith("sparse") else np.eye(4, dtype=np.float32)[
        m["labels"]]
    h = model.fit(m["X"], y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert sorted(h.history) == sorted(ref["history"])
    for k, want in ref["history"].items():
        np.testing.assert_allclose(h.history[k], want, rtol=2e-5, atol=1e-6, err_msg=k)
    for got, want in zip(model.get_weights(), ref["weights"]):
        np.testing.assert_allclose(np.ravel(got), want, rtol=1e-4, atol=1e-6)


@pytest.mark.slow  # a whole Keras model compiled; its ops are covered on the JIT elsewhere
def test_keras_model_in_a_tf1_training_loop():
    """Learning phase fed True, model.updates (BatchNormalization) run by the user's
    train op; the model's ops and variables named under its scope, as TF names them.
    The JIT compiles the training step and agrees step by step."""
    ref = REF["in_graph"]
    m = reference_data.mlp_data()
    x = tf.placeholder(tf.float32, [None, 6])
    y = tf.placeholder(tf.int32, [None])
    model = keras_sequential(tf.keras, m["W1"], m["b1"], m["W2"], m["b2"])
    logits = model(x)
    assert logits.name == ref["logits_name"]
    assert [v.name for v in tf.global_variables()] == ref["variable_names"]
    assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []  # Keras keeps them on the model
    loss = tf.losses.sparse_softmax_cross_entropy(y, logits)
    with tf.control_dependencies(model.updates):
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    moving_mean = model.layers[1].moving_mean
    fd = {x: m["X"], y: m["labels"]}
    steps = {}
    for engine in ("interp", "jit"):
        sess = session(jit=engine)
        K.set_session(sess)
        sess.run(tf.global_variables_initializer())
        steps[engine] = [sess.run((train, loss, moving_mean),
                                  {**fd, K.learning_phase(): True})[1:] for _ in range(5)]
        assert K.get_session() is sess
    np.testing.assert_allclose([s[0] for s in steps["interp"]], ref["losses"], rtol=1e-5)
    np.testing.assert_allclose(steps["interp"][-1][1], ref["moving_mean"], rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(sess.run(loss, fd), ref["eval_loss"], rtol=1e-5)
    assert_structures_close(steps["jit"], steps["interp"], rtol=1e-5, atol=1e-6,
                            what="engine jit diverged from engine interp")


@pytest.mark.slow
def test_fit_on_the_jit_agrees():
    """compile/fit/evaluate/predict with every step compiled (three compiles)."""
    m = reference_data.mlp_data()
    results = []
    for engine in ("interp", "jit"):
        K.clear_session()
        K.set_session(session(jit=engine))
        model = keras_sequential(tf.keras, m["W1"], m["b1"], m["W2"], m["b2"],
                                 input_shape=(6,))
        # Not Adam: the bias before BatchNormalization gets rounding-noise gradients,
        # which Adam scales up to full steps, so engines differ in the 4th digit.
        model.compile(tf.keras.optimizers.SGD(0.1, momentum=0.9),
                      "sparse_categorical_crossentropy", metrics=["accuracy"])
        h = model.fit(m["X"], m["labels"], batch_size=8, epochs=2, shuffle=False, verbose=0)
        results.append((h.history, model.evaluate(m["X"], m["labels"], verbose=0),
                        model.predict(m["X"]), model.get_weights()))
    assert_structures_close(results[1], results[0], rtol=1e-4, atol=1e-5,
                            what="engine jit diverged from engine interp")


def test_dropout_follows_the_learning_phase():
    x = tf.ones([200, 50])
    drop = tf.keras.layers.Dropout(0.5)
    y = drop(x)
    fixed = drop(x, training=True)
    sess = K.get_session()
    assert (sess.run(y) == 1).all()
    out = sess.run(y, {K.learning_phase(): True})
    assert set(np.unique(out)) == {0.0, 2.0} and 0.4 < (out == 0).mean() < 0.6
    assert (sess.run(fixed) == 0).any()


def test_fit_on_a_dataset_equals_fit_on_arrays():
    m = reference_data.mlp_data()

    def fit(data):
        K.clear_session()
        K.set_session(session(jit="interp"))
        model = keras_sequential(tf.keras, m["W1"], m["b1"], m["W2"], m["b2"],
                                 input_shape=(6,))
        model.compile("sgd", "sparse_categorical_crossentropy", metrics=["acc"])
        if data == "arrays":
            h = model.fit(m["X"], m["labels"], batch_size=8, epochs=2, shuffle=False,
                          verbose=0)
        else:
            ds = tf.data.Dataset.from_tensor_slices((m["X"], m["labels"])).batch(8)
            h = model.fit(ds, epochs=2, verbose=0)
            assert np.allclose(model.evaluate(ds, verbose=0),
                               model.evaluate(m["X"], m["labels"], verbose=0))
            assert np.allclose(model.predict(ds), model.predict(m["X"]), atol=1e-6)
        return h.history, model.get_weights()

    assert_structures_close(fit("arrays"), fit("dataset"), rtol=1e-5, atol=1e-6)


def test_subclassed_model_and_backend_helpers(capsys):
    class Net(tf.keras.Model):
        def __init__(self):
            super().__init__(name="net")
            self.hidden = tf.keras.layers.Dense(3, activation="relu")
            self.out = tf.keras.layers.Dense(1)

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    net = Net()
    x = np.random.RandomState(0).randn(20, 2).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    net.compile(tf.keras.optimizers.SGD(0.05), "mse")
    h = net.fit(x, y, epochs=3, batch_size=5, verbose=1)
    assert "Epoch 3/3" in capsys.readouterr().out
    assert [v.name for v in net.weights] == ["net/dense/kernel:0", "net/dense/bias:0",
                                             "net/dense_1/kernel:0", "net/dense_1/bias:0"]
    assert h.history["loss"][-1] < h.history["loss"][0]
    opt = net.optimizer
    K.set_value(opt.lr, 0.0)
    before = net.get_weights()
    net.train_on_batch(x, y)
    assert_structures_close(before, net.get_weights())
    assert K.get_value(opt.iterations) == 13
    assert tf.keras.utils.to_categorical([0, 2], 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    with pytest.raises(ValueError, match="Unknown loss function: nope"):
        net.compile("sgd", "nope")
    with pytest.raises(TypeError, match="Keyword argument not understood"):
        tf.keras.layers.Dense(2, bogus=1)


def test_weights_checkpoint_summary_callbacks_and_function(tmp_path, capsys):
    m = reference_data.mlp_data()
    model = keras_sequential(tf.keras, m["W1"], m["b1"], m["W2"], m["b2"], input_shape=(6,))
    model.compile(tf.keras.optimizers.SGD(0.1, clipnorm=1.0), "sparse_categorical_crossentropy")
    before = model.get_weights()
    path = str(tmp_path / "weights")
    model.save_weights(path)
    seen = []
    stop = tf.keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=10.0)
    h = model.fit(m["X"], m["labels"], epochs=5, verbose=0,
                  callbacks=[stop, tf.keras.callbacks.LambdaCallback(
                      on_epoch_end=lambda epoch, logs: seen.append(epoch))])
    assert len(h.history["loss"]) == 2 and seen == [0, 1]  # no 10.0 improvement: stops
    model.load_weights(path)
    assert_structures_close(model.get_weights(), before)
    model.summary()
    out = capsys.readouterr().out
    assert "dense (Dense)" in out and f"Total params: {model.count_params():,}" in out
    f = K.function([model.inputs[0]], [model.outputs[0]])
    np.testing.assert_allclose(f([m["X"][:3]])[0], model.predict(m["X"][:3]), rtol=1e-6)
