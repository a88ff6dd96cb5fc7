"""Writes the TF 1.x graph files under tests/reference/tf_graph/ (run offline, with TF).

    TF_USE_LEGACY_KERAS=1 python tests/reference/make_tf_graph_files.py

- `mlp-5.meta` + checkpoint: a dense 6-8-3 classifier trained 5 Adam steps by TF, with
  a global step and `train_op`/`logits` collections (Saver.save writes the meta graph);
- `cnn-3.meta` + checkpoint: conv 3x3x4 -> max pool -> dense 5, 3 SGD-momentum steps;
- `cnn_frozen.pb`: that CNN frozen by `convert_variables_to_constants` (probabilities)
  after the extra step below;
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
                "cnn": _write(tf, _cnn, "cnn")}
    os.remove(os.path.join(OUT, "checkpoint"))  # tests name the prefixes
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print("\n".join(sorted(os.listdir(OUT))), file=sys.stderr)


if __name__ == "__main__":
    main()
