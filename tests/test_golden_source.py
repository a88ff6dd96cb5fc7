"""Golden generated code for a few canonical graphs: a codegen change shows up here as a
diff of programs, to be read and then accepted with JITGRAPH_UPDATE_GOLDEN=1."""
import os
import pathlib

import numpy as np
import pytest

import jitgraph as tf

GOLDEN = pathlib.Path(__file__).parent / "golden"


def _check(name, source):
    # The header names the jitgraph version: keep only the code below it.
    _pin(f"{name}.py.txt", source[source.index("import numpy"):])


def _check_runner(name, source):
    """The session-side runner is generated code too: pinned the same way."""
    assert source is not None and source.startswith("def fast_run(fv):")
    _pin(f"{name}.runner.py.txt", source)


def _pin(filename, body):
    path = GOLDEN / filename
    if os.environ.get("JITGRAPH_UPDATE_GOLDEN") == "1":
        path.write_text(body)
    assert path.exists(), f"no golden file {path.name}: run with JITGRAPH_UPDATE_GOLDEN=1"
    assert body == path.read_text(), (
        f"generated code in {filename} changed; read the diff and, if it is right, rerun "
        "with JITGRAPH_UPDATE_GOLDEN=1")


@pytest.fixture(autouse=True)
def _as_users_plan(folding):
    """The pinned sources are what users get: constants folded."""


def test_elementwise_chain_source():
    x = tf.placeholder(tf.float32, [None])
    y = tf.tanh(x * 1.5 + 0.5) * tf.sigmoid(x) - 0.1 * x * x
    _check("elementwise_chain", tf.inspect(tf.Session(), y, {x: np.ones(3)}).source)


def test_guide_training_step_source():
    x = tf.constant([[1], [2], [3], [4]], dtype=tf.float32)
    y_true = tf.constant([[0], [-1], [-2], [-3]], dtype=tf.float32)
    y_pred = tf.layers.Dense(units=1)(x)
    loss = tf.losses.mean_squared_error(labels=y_true, predictions=y_pred)
    train = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    found = tf.inspect(sess, (train, loss))
    _check("guide_training_step", found.source)
    _check_runner("guide_training_step", found.runner_source)


def test_adam_mlp_step_source():
    X = tf.placeholder(tf.float32, [None, 8])
    labels = tf.placeholder(tf.int32, [None])
    h = tf.layers.dense(X, 16, activation=tf.nn.relu)
    loss = tf.losses.sparse_softmax_cross_entropy(labels, tf.layers.dense(h, 3))
    train = tf.train.AdamOptimizer(0.01).minimize(loss)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    feed = {X: np.ones((4, 8), np.float32), labels: np.zeros(4, np.int32)}
    found = tf.inspect(sess, (train, loss), feed)
    _check("adam_mlp_step", found.source)
    _check_runner("adam_mlp_step", found.runner_source)
