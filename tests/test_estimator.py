"""tf.estimator (issue 16): Estimator with a model_fn, numpy_input_fn, RunConfig,
train/evaluate/predict, train_and_evaluate, and the canned Linear/DNN estimators on
feature columns, to the numbers of the same graphs written by hand in TF 1.x
(tests/reference/tf_issue16.json: tf.estimator is gone from TF 2.16+).

Estimators make a new graph (and Session) for every train/evaluate/predict: most tests
run them on the interpreter; test_estimator_on_the_jit compiles one."""
import glob
import json
import os

import numpy as np
import pytest

import jitgraph as tf
from reference import issue16_data

REF = json.load(open(os.path.join(os.path.dirname(__file__), "reference",
                                  "tf_issue16.json")))["estimator"]


@pytest.fixture
def interp(monkeypatch):
    monkeypatch.setenv("JITGRAPH_DISABLE_JIT", "1")


def _model_fn(features, labels, mode, params):
    w = tf.get_variable("w", [3, 1], initializer=tf.zeros_initializer())
    b = tf.get_variable("b", [1], initializer=tf.zeros_initializer())
    pred = tf.matmul(features["x"], w) + b
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"y": pred})
    lab = tf.reshape(labels, [-1, 1])
    loss = tf.losses.mean_squared_error(lab, pred)
    train = tf.train.GradientDescentOptimizer(params["lr"]).minimize(
        loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train,
                                      eval_metric_ops={"mae": tf.metrics.mean(tf.abs(
                                          lab - pred))})


def _input(x, y=None, batch_size=8, num_epochs=1):
    return tf.estimator.inputs.numpy_input_fn(x, y, batch_size=batch_size,
                                              num_epochs=num_epochs, shuffle=False)


def _check_custom_model_fn(tmp_path):
    ref = REF["model_fn"]
    x, y = issue16_data.regression_data()
    est = tf.estimator.Estimator(_model_fn, str(tmp_path), params={"lr": 0.1})
    assert est.train(_input({"x": x}, y, num_epochs=3)) is est
    np.testing.assert_allclose(est.get_variable_value("w").ravel(), ref["w"], rtol=1e-5)
    np.testing.assert_allclose(est.get_variable_value("b"), ref["b"], rtol=1e-5)
    ev = est.evaluate(_input({"x": x}, y, batch_size=16))
    assert ev["global_step"] == 15 and sorted(ev) == ["global_step", "loss", "mae"]
    for k, want in ref["metrics"].items():
        np.testing.assert_allclose(ev[k], want, rtol=1e-5, err_msg=k)
    preds = list(est.predict(_input({"x": x[:5]})))
    assert len(preds) == 5 and list(preds[0]) == ["y"]
    np.testing.assert_allclose([p["y"][0] for p in preds], ref["predictions"], rtol=1e-5)
    return est, x, y


def test_custom_model_fn_train_evaluate_predict(interp, tmp_path):
    est, x, y = _check_custom_model_fn(tmp_path)
    assert est.get_variable_names() == ["b", "global_step", "w"]
    assert os.path.exists(str(tmp_path / "model.ckpt-15.index"))
    assert est.latest_checkpoint().endswith("model.ckpt-15")
    assert glob.glob(str(tmp_path / "events.out.tfevents.*"))
    assert glob.glob(str(tmp_path / "eval" / "events.out.tfevents.*"))
    # Training resumes from the checkpoint; max_steps already reached trains nothing.
    est.train(_input({"x": x}, y, num_epochs=None), steps=2)
    assert est.get_variable_value("global_step") == 17
    est.train(_input({"x": x}, y), max_steps=10)
    assert est.get_variable_value("global_step") == 17
    with pytest.raises(ValueError, match="Can not provide both steps and max_steps"):
        est.train(_input({"x": x}, y), steps=1, max_steps=3)
    with pytest.raises(ValueError, match="shuffle must be provided explicitly as a bool"):
        tf.estimator.inputs.numpy_input_fn({"x": x}, y)
    with pytest.raises(ValueError, match="Missing train_op"):
        tf.estimator.EstimatorSpec(tf.estimator.ModeKeys.TRAIN, loss=tf.constant(1.0))
    batches = list(est.predict(_input({"x": x}, batch_size=16), yield_single_examples=False))
    assert [len(b["y"]) for b in batches] == [16, 16, 8]


@pytest.mark.slow  # a whole estimator compiled; its ops are covered on the JIT elsewhere
def test_estimator_on_the_jit(tmp_path):
    """The same run with every graph compiled gives the same numbers."""
    _check_custom_model_fn(tmp_path)


def test_linear_regressor(interp, tmp_path):
    ref = REF["linear_regressor"]
    x, y = issue16_data.regression_data()
    est = tf.estimator.LinearRegressor([tf.feature_column.numeric_column("x", shape=(3,))],
                                       model_dir=str(tmp_path))
    est.train(_input({"x": x}, y, num_epochs=3))
    np.testing.assert_allclose(est.get_variable_value("linear/linear_model/x/weights").ravel(),
                               ref["w"], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(est.get_variable_value("linear/linear_model/bias_weights"),
                               ref["b"], rtol=1e-5, atol=1e-7)
    ev = est.evaluate(_input({"x": x}, y, batch_size=16))
    for k, want in ref["metrics"].items():
        np.testing.assert_allclose(ev[k], want, rtol=1e-5, err_msg=k)
    preds = [p["predictions"][0] for p in est.predict(_input({"x": x[:5]}))]
    np.testing.assert_allclose(preds, ref["predictions"], rtol=1e-5)


def test_dnn_classifier_warm_started(interp, tmp_path):
    ref = REF["dnn_classifier"]
    x, _, binary, _ = issue16_data.classifier_data()
    init_dir = str(tmp_path / "init")
    os.makedirs(init_dir)
    with tf.Graph().as_default():
        vs = [tf.get_variable(k, initializer=v) for k, v in issue16_data.dnn_weights().items()]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.train.Saver(vs).save(sess, os.path.join(init_dir, "model.ckpt"))
    est = tf.estimator.DNNClassifier([4], [tf.feature_column.numeric_column("x", shape=(3,))],
                                     model_dir=str(tmp_path / "model"),
                                     warm_start_from=init_dir)
    est.train(_input({"x": x}, binary, num_epochs=3))
    for name, want in ref["weights"].items():
        np.testing.assert_allclose(est.get_variable_value(name).ravel(), want, rtol=1e-5,
                                   atol=1e-7, err_msg=name)
    assert "dnn/hiddenlayer_0/kernel/Adagrad" in est.get_variable_names()
    ev = est.evaluate(_input({"x": x}, binary, batch_size=16))
    for k, want in ref["metrics"].items():
        np.testing.assert_allclose(ev[k], want, rtol=1e-5, err_msg=k)
    preds = list(est.predict(_input({"x": x[:5]})))
    np.testing.assert_allclose([p["logistic"][0] for p in preds], ref["logistic"], rtol=1e-5)
    assert [p["classes"][0] for p in preds] == [b"1" if p > 0.5 else b"0"
                                               for p in ref["logistic"]]
    np.testing.assert_allclose(preds[0]["probabilities"].sum(), 1.0, rtol=1e-6)


def test_linear_classifier_with_a_vocabulary_column(interp, tmp_path):
    ref = REF["linear_classifier"]
    x, colors, _, three = issue16_data.classifier_data()
    cols = [tf.feature_column.numeric_column("x", shape=(3,)),
            tf.feature_column.categorical_column_with_vocabulary_list(
                "color", ["red", "green", "blue"])]
    est = tf.estimator.LinearClassifier(cols, model_dir=str(tmp_path), n_classes=3)
    fn = _input({"x": x, "color": colors}, three, num_epochs=3)
    est.train(fn)
    for short, name in (("color", "linear/linear_model/color/weights"),
                        ("x", "linear/linear_model/x/weights"),
                        ("bias", "linear/linear_model/bias_weights")):
        np.testing.assert_allclose(est.get_variable_value(name).ravel(), ref["weights"][short],
                                   rtol=1e-5, atol=1e-7, err_msg=name)
    ev = est.evaluate(_input({"x": x, "color": colors}, three, batch_size=16))
    for k, want in ref["metrics"].items():
        np.testing.assert_allclose(ev[k], want, rtol=1e-5, err_msg=k)


def test_train_and_evaluate_and_run_config(interp, tmp_path):
    x, y = issue16_data.regression_data()
    config = tf.estimator.RunConfig(model_dir=str(tmp_path), save_checkpoints_steps=4,
                                    tf_random_seed=3, keep_checkpoint_max=2)
    assert config.save_checkpoints_secs is None
    with pytest.raises(ValueError, match="Can not provide both save_checkpoints_steps"):
        tf.estimator.RunConfig(save_checkpoints_steps=1, save_checkpoints_secs=1)
    est = tf.estimator.DNNRegressor([5], [tf.feature_column.numeric_column("x", shape=(3,))],
                                    config=config, optimizer="Adam")
    result, exports = tf.estimator.train_and_evaluate(
        est, tf.estimator.TrainSpec(_input({"x": x}, y, num_epochs=None), max_steps=10),
        tf.estimator.EvalSpec(_input({"x": x}, y), steps=3, name="holdout"))
    assert result["global_step"] == 10 and exports == []
    assert set(result) == {"average_loss", "label/mean", "prediction/mean", "loss",
                           "global_step"}
    assert glob.glob(str(tmp_path / "eval_holdout" / "events.out.tfevents.*"))
    ckpts = sorted(os.path.basename(p) for p in glob.glob(str(tmp_path / "model.ckpt-*.index")))
    assert ckpts == ["model.ckpt-10.index", "model.ckpt-8.index"]  # keep_checkpoint_max=2
    # the seed fixes the initial weights: a second estimator trains to the same numbers
    other = tf.estimator.DNNRegressor([5], [tf.feature_column.numeric_column("x", shape=(3,))],
                                      config=config.replace(model_dir=str(tmp_path / "b")),
                                      optimizer="Adam")
    other.train(_input({"x": x}, y, num_epochs=None), max_steps=10)
    np.testing.assert_allclose(other.get_variable_value("dnn/logits/kernel"),
                               est.get_variable_value("dnn/logits/kernel"), rtol=1e-6)


def test_queue_based_input_fn(interp, tmp_path):
    """An input_fn of 2017 (slice_input_producer + tf.train.batch): the Estimator starts
    its queue runners, and training ends when the epochs run out, as in TF."""
    x, y = issue16_data.regression_data()

    def input_fn():
        xs, ys = tf.train.slice_input_producer([x, y], num_epochs=2, shuffle=False)
        xb, yb = tf.train.batch([xs, ys], batch_size=8, allow_smaller_final_batch=True)
        return {"x": xb}, yb

    est = tf.estimator.Estimator(_model_fn, str(tmp_path), params={"lr": 0.1})
    est.train(input_fn)
    assert est.get_variable_value("global_step") == 10
    assert est.evaluate(input_fn)["global_step"] == 10


def test_label_vocabulary_is_the_same_model_as_integer_labels(interp, tmp_path):
    x, _, binary, _ = issue16_data.classifier_data()
    col = [tf.feature_column.numeric_column("x", shape=(3,))]
    results = []
    for vocab, labels in ((None, binary), (["no", "yes"], np.array(["no", "yes"])[binary])):
        est = tf.estimator.LinearClassifier(col, model_dir=str(tmp_path / str(vocab)),
                                            label_vocabulary=vocab)
        est.train(_input({"x": x}, labels, num_epochs=3))
        ev = est.evaluate(_input({"x": x}, labels, batch_size=16))
        classes = [p["classes"][0] for p in est.predict(_input({"x": x[:6]}))]
        results.append((ev, classes))
    assert results[0][0] == results[1][0]
    assert [{b"0": b"no", b"1": b"yes"}[c] for c in results[0][1]] == results[1][1]
