"""Known sharp edges of graph-mode programs on a JIT, each pinned as an executable test."""
import numpy as np
import pytest

import jitgraph as tf
from jitgraph import config


def test_graph_grown_inside_the_loop_warns():
    x = tf.placeholder(tf.float32)
    sess = tf.Session()
    with pytest.warns(RuntimeWarning, match="build the graph once"):
        for i in range(10):
            sess.run(x * float(i) + 1.0, {x: 1.0})  # a new op per step: a new program


def test_same_graph_in_a_loop_compiles_once():
    x = tf.placeholder(tf.float32)
    y = x * 3.0
    sess = tf.Session()
    sess.run(y, {x: 1.0})
    before = config.compile_count
    for i in range(20):
        assert sess.run(y, {x: float(i)}) == 3.0 * i
    assert config.compile_count == before


def test_non_contiguous_and_strided_feeds():
    x = tf.placeholder(tf.float32, [None, 3])
    y = x * 2.0
    base = np.arange(24, dtype=np.float32).reshape(6, 4)
    view = base[::2, 1:]  # neither C-contiguous nor the fed dtype's default layout
    np.testing.assert_array_equal(tf.Session().run(y, {x: view}), view * 2)
    np.testing.assert_array_equal(tf.Session().run(y, {x: np.asfortranarray(base[:, :3])}),
                                  base[:, :3] * 2)


def test_fed_array_is_not_modified_and_result_is_not_the_feed():
    x = tf.placeholder(tf.float32, [3])
    y = tf.identity(x)
    data = np.ones(3, np.float32)
    out = tf.Session().run(y, {x: data})
    out[0] = 5
    assert data[0] == 1.0


def test_python_float64_lists_feed_float32():
    x = tf.placeholder(tf.float32, [None])
    r = tf.Session().run(x * 1.0, {x: [0.1, 0.2]})
    assert r.dtype == np.float32
