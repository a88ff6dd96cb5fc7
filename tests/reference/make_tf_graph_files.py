"""Writes the TF 1.x graph files under tests/reference/tf_graph/ (run offline, with TF).

    TF_USE_LEGACY_KERAS=1 python tests/reference/make_tf_graph_files.py

- `mlp-5.meta` + checkpoint: a dense 6-8-3 classifier trained 5 Adam steps by TF, with
  a global step and `train_op`/`logits` collections (Saver.save writes the meta graph);
- `cnn-3.meta` + checkpoint: conv 3x3x4 -> max pool -> dense 5, 3 SGD-momentum steps;
- `cnn_frozen.pb`: that CNN frozen by `convert_variables_to_constants` (probabilities)
  after the extra step below;
- `bcast-2.meta` + checkpoint: a linear model whose gradients hold TF's
  BroadcastGradientArgs and StridedSliceGrad, 2 SGD steps;
- `zoo_frozen.pb`: a frozen graph of other inference ops (fused batch norm, average
  pooling, padding, concat, ...), and its output on `zoo_batch(100)`;
- `bn_train.pb`: FusedBatchNormV3 in training form (y, batch mean, batch variance);
- `expected.json`: TF's numbers on the inputs below: each model's outputs as restored,
  and its loss and outputs after one more training step from the restored state.

The inputs are the functions below; tests/test_meta_graph.py and
tests/test_import_graph_def.py build the same arrays.
"""
import json
import os
import shutil
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tf_graph")


def mlp_batch(seed):
    rs = np.random.RandomState(seed)
    return rs.randn(4, 6).astype(np.float32), rs.randint(0, 3, 4).astype(np.int32)


def cnn_batch(seed):
    rs = np.random.RandomState(seed)
    return rs.rand(2, 8, 8, 1).astype(np.float32), rs.randint(0, 5, 2).astype(np.int32)


def zoo_batch(seed):
    return np.random.RandomState(seed).randn(3, 6, 6, 2).astype(np.float32)


def _zoo(tf):
    """Inference ops frozen graphs hold besides the CNN's: batch norm (fused), average
    pooling, padding, concat, mean, squeeze, relu6/leaky relu/tanh/sigmoid, slicing."""
    x = tf.placeholder(tf.float32, [None, 6, 6, 2], name="x")
    h = tf.layers.conv2d(x, 3, 3, padding="same", use_bias=False, name="conv")
    h = tf.layers.batch_normalization(h, training=False, name="bn")
    h = tf.nn.relu6(h) + tf.nn.leaky_relu(h, 0.2)
    h = tf.pad(h, [[0, 0], [1, 1], [1, 1], [0, 0]])
    h = tf.layers.average_pooling2d(h, 2, 2)
    m = tf.reduce_mean(h, axis=[1, 2], keepdims=True)
    feats = tf.squeeze(m, [1, 2])
    both = tf.concat([tf.tanh(feats), tf.sigmoid(feats[:, 1:])], axis=1)
    out = tf.identity(tf.layers.dense(both, 4, name="head") * 2.0, name="out")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        # Non-trivial moving statistics, as a trained model's.
        for v in tf.global_variables():
            if "moving" in v.name or "gamma" in v.name or "beta" in v.name:
                n = int(np.prod(v.shape.as_list()))
                sess.run(v.assign(np.linspace(0.5, 1.5, n).astype(np.float32)))
        frozen = tf.graph_util.convert_variables_to_constants(
            sess, sess.graph.as_graph_def(), ["out"])
        value = sess.run(out, {x: zoo_batch(100)})
    tf.train.write_graph(frozen, OUT, "zoo_frozen.pb", as_text=False)
    return value.tolist()


def _bn_train(tf):
    """FusedBatchNormV3 in training form: the batch's moments, TF's corrected variance."""
    x = tf.placeholder(tf.float32, [None, 6, 6, 2], name="x")
    y, mean, var = tf.nn.fused_batch_norm(x, tf.constant([1.5, 0.5]), tf.constant([0.1, -0.2]),
                                          epsilon=1e-3, is_training=True)
    outs = [tf.identity(t, name=n) for t, n in ((y, "y"), (mean, "mean"), (var, "var"))]
    with tf.Session() as sess:
        values = sess.run(outs, {x: zoo_batch(101)})
        gd = tf.graph_util.extract_sub_graph(sess.graph.as_graph_def(), ["y", "mean", "var"])
    tf.train.write_graph(gd, OUT, "bn_train.pb", as_text=False)
    return [v.tolist() for v in values]


def _bcast(tf):
    """Training through TF's broadcast gradients (BroadcastGradientArgs with an unknown
    batch) and a strided slice's gradient, plain SGD."""
    x = tf.placeholder(tf.float32, [None, 6], name="x")
    y = tf.placeholder(tf.int32, [None], name="y")
    w = tf.get_variable("w", [6, 4])
    b = tf.get_variable("b", [4], initializer=tf.constant_initializer(0.1))
    logits = tf.identity((tf.matmul(x, w) + b)[:, :3] * tf.reduce_mean(x, 1, keepdims=True),
                         name="logits")
    loss = tf.losses.sparse_softmax_cross_entropy(labels=y, logits=logits)
    step = tf.train.get_or_create_global_step()
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss, global_step=step)
    return x, y, logits, loss, train, 2, mlp_batch


def _mlp(tf):
    x = tf.placeholder(tf.float32, [None, 6], name="x")
    y = tf.placeholder(tf.int32, [None], name="y")
    h = tf.layers.dense(x, 8, activation=tf.nn.relu, name="hidden")
    logits = tf.identity(tf.layers.dense(h, 3, name="out"), name="logits")
    loss = tf.losses.sparse_softmax_cross_entropy(labels=y, logits=logits)
    step = tf.train.get_or_create_global_step()
    train = tf.train.AdamOptimizer(0.01).minimize(loss, global_step=step)
    return x, y, logits, loss, train, 5, mlp_batch


def _cnn(tf):
    x = tf.placeholder(tf.float32, [None, 8, 8, 1], name="images")
    y = tf.placeholder(tf.int32, [None], name="labels")
    h = tf.layers.conv2d(x, 4, 3, padding="same", activation=tf.nn.relu, name="conv")
    h = tf.layers.max_pooling2d(h, 2, 2, name="pool")
    logits = tf.layers.dense(tf.layers.flatten(h), 5, name="dense")
    probs = tf.nn.softmax(logits, name="probs")
    loss = tf.losses.sparse_softmax_cross_entropy(labels=y, logits=logits)
    step = tf.train.get_or_create_global_step()
    train = tf.train.MomentumOptimizer(0.1, 0.9).minimize(loss, global_step=step)
    return x, y, probs, loss, train, 3, cnn_batch


def _write(tf, build, name):
    expected = {}
    with tf.Graph().as_default():
        tf.set_random_seed(1)
        x, y, out, loss, train, steps, batch = build(tf)
        tf.add_to_collection("train_op", train)
        tf.add_to_collection("outputs", out)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for i in range(steps):
                sess.run(train, {x: batch(i)[0], y: batch(i)[1]})
            prefix = saver.save(sess, os.path.join(OUT, name), global_step=steps)
            ex, ey = batch(100)
            expected["restored"] = sess.run(out, {x: ex}).tolist()
            loss_v, _ = sess.run([loss, train], {x: ex, y: ey})
            expected["loss_before_step"] = float(loss_v)
            expected["after_step"] = sess.run(out, {x: ex}).tolist()
            expected["global_step_after"] = int(sess.run(tf.train.get_global_step()))
            if name == "cnn":
                frozen = tf.graph_util.convert_variables_to_constants(
                    sess, sess.graph.as_graph_def(), ["probs"])
                tf.train.write_graph(frozen, OUT, "cnn_frozen.pb", as_text=False)
    expected["prefix"] = os.path.basename(prefix)
    return expected


def main():
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    expected = {"tf_version": tf.__version__, "mlp": _write(tf, _mlp, "mlp"),
                "cnn": _write(tf, _cnn, "cnn"), "bcast": _write(tf, _bcast, "bcast")}
    with tf.Graph().as_default():
        tf.set_random_seed(2)
        expected["zoo"] = _zoo(tf)
    with tf.Graph().as_default():
        expected["bn_train"] = _bn_train(tf)
    os.remove(os.path.join(OUT, "checkpoint"))  # tests name the prefixes
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print("\n".join(sorted(os.listdir(OUT))), file=sys.stderr)


if __name__ == "__main__":
    main()
