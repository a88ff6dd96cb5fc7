"""tf.estimator as TF 1.x programs used it: a custom model_fn and a canned
DNNClassifier on feature columns, fed by numpy_input_fn, checkpoints and summaries in
model_dir, then train_and_evaluate. (TensorFlow dropped tf.estimator in 2.16.)

Synthetic data: points in the plane, class 1 inside a circle, plus a colour feature.
Runs in seconds; model_dir is a temporary directory.
"""
import os
import tempfile

import numpy as np

import jitgraph as tf


def data(rng, n):
    xy = rng.uniform(-1, 1, (n, 2)).astype(np.float32)
    label = (np.hypot(xy[:, 0], xy[:, 1]) < 0.7).astype(np.int64)
    color = np.where(rng.rand(n) < 0.5, "red", "blue")
    return {"xy": xy, "color": color}, label


def model_fn(features, labels, mode, params):
    """A small MLP written by hand."""
    net = tf.feature_column.input_layer(features, params["columns"])
    for units in params["hidden"]:
        net = tf.layers.dense(net, units, activation=tf.nn.relu)
    logits = tf.layers.dense(net, 2)
    classes = tf.argmax(logits, 1)
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={
            "class": classes, "probability": tf.nn.softmax(logits)})
    loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
    train_op = tf.train.AdamOptimizer(0.01).minimize(
        loss, global_step=tf.train.get_global_step())
    metrics = {"accuracy": tf.metrics.accuracy(labels, classes)}
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op,
                                      eval_metric_ops=metrics)


def main():
    tf.logging.set_verbosity(tf.logging.WARN)
    rng = np.random.RandomState(0)
    train_x, train_y = data(rng, 2000)
    test_x, test_y = data(rng, 500)
    columns = [tf.feature_column.numeric_column("xy", shape=(2,)),
               tf.feature_column.indicator_column(
                   tf.feature_column.categorical_column_with_vocabulary_list(
                       "color", ["red", "blue"]))]
    train_fn = tf.estimator.inputs.numpy_input_fn(train_x, train_y, batch_size=64,
                                                  num_epochs=None, shuffle=True)
    test_fn = tf.estimator.inputs.numpy_input_fn(test_x, test_y, batch_size=128,
                                                 shuffle=False)
    with tempfile.TemporaryDirectory() as model_dir:
        custom = tf.estimator.Estimator(
            model_fn, os.path.join(model_dir, "custom"),
            params={"columns": columns, "hidden": [16, 16]},
            config=tf.estimator.RunConfig(tf_random_seed=1, save_checkpoints_steps=200))
        custom.train(train_fn, steps=400)
        result = custom.evaluate(test_fn)
        print(f"custom model_fn: step {result['global_step']}, "
              f"accuracy {result['accuracy']:.3f}, loss {result['loss']:.3f}")
        preds = list(custom.predict(tf.estimator.inputs.numpy_input_fn(
            {k: v[:4] for k, v in test_x.items()}, shuffle=False)))
        print("predictions:", [int(p["class"]) for p in preds], "labels:", test_y[:4])
        print("checkpoint:", os.path.basename(custom.latest_checkpoint()))

        canned = tf.estimator.DNNClassifier(
            hidden_units=[16, 16], feature_columns=columns,
            model_dir=os.path.join(model_dir, "dnn"), optimizer="Adam",
            config=tf.estimator.RunConfig(tf_random_seed=1))
        result, _ = tf.estimator.train_and_evaluate(
            canned, tf.estimator.TrainSpec(train_fn, max_steps=400),
            tf.estimator.EvalSpec(test_fn, steps=None))
        print(f"DNNClassifier: step {result['global_step']}, "
              f"accuracy {result['accuracy']:.3f}, average loss "
              f"{result['average_loss']:.3f}")


if __name__ == "__main__":
    main()
