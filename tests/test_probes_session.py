"""Probes of the run cache: a run key must never alias two different runs (issue 15.1)."""
import numpy as np
import pytest

import jitgraph as tf
from helpers import session


@pytest.mark.parametrize("jit", [False, True], ids=["interp", "jit"])
def test_fetch_by_name_built_at_run_time(jit):
    # A name built at run time is freed after the run (refcount drops to zero at once);
    # the next name gets its id().
    g = tf.Graph()
    with g.as_default():
        for k in range(20):
            tf.constant(float(k), name=f"c{k}")
    sess = session(g, jit)
    for _ in range(3):
        for k in range(20):
            assert sess.run("c" + str(k) + ":0") == k


@pytest.mark.parametrize("jit", [False, True], ids=["interp", "jit"])
def test_dict_fetch_by_name_with_fed_name(jit):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, (), name="x")
        for k in range(10):
            tf.multiply(x, float(k), name=f"y{k}")
    sess = session(g, jit)
    for k in range(10):
        out = sess.run({"out": f"y{k}:0"}, {"x:0": 1.0})
        assert out["out"] == k


def test_name_and_tensor_share_one_runner():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, (None,), name="x")
        y = tf.identity(x * 2.0, name="y")
    sess = session(g, jit=False)
    a = sess.run(y, {x: np.ones(3, np.float32)})
    b = sess.run("y:0", {"x:0": np.ones(3, np.float32)})
    np.testing.assert_array_equal(a, b)
    assert len({id(r) for r in sess._runners.values()}) == 1


def test_feed_order_is_part_of_the_key():
    g = tf.Graph()
    with g.as_default():
        a = tf.placeholder(tf.float32, (), name="a")
        b = tf.placeholder(tf.float32, (), name="b")
        d = a - b
    sess = session(g, jit=False)
    assert sess.run(d, {a: 5.0, b: 2.0}) == 3.0
    assert sess.run(d, {b: 2.0, a: 5.0}) == 3.0
    assert sess.run(d, {"b:0": 1.0, "a:0": 5.0}) == 4.0
