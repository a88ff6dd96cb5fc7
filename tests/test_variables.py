"""Variables, initializers, get_variable/variable_scope, random ops and their seeds."""
import numpy as np
import pytest

import jitgraph as tf
from helpers import session


def test_variable_basics_and_names(engine):
    v = tf.Variable([1.0, 2.0, 3.0])
    w = tf.Variable(0, name="counter", trainable=False)
    assert v.name == "Variable:0" and v.op.name == "Variable" and v.dtype == tf.float32
    assert repr(v) == "<tf.Variable 'Variable:0' shape=(3,) dtype=float32_ref>"
    assert w.dtype == tf.int32 and w.name == "counter:0"
    assert tf.global_variables() == [v, w] and tf.trainable_variables() == [v]
    assert v.initializer.name == "Variable/Assign" and v.value().name == "Variable/read:0"
    y = v * 2.0 + 1.0
    init = tf.global_variables_initializer()
    sess = session(jit=engine)
    with pytest.raises(tf.errors.FailedPreconditionError,
                       match="Attempting to use uninitialized value Variable"):
        sess.run(y)
    sess.run(init)  # the session is still usable after the error
    np.testing.assert_array_equal(sess.run(y), [3.0, 5.0, 7.0])
    assert sess.run(v.assign_add([1.0, 1.0, 1.0])).tolist() == [2.0, 3.0, 4.0]
    assert sess.run(tf.assign_sub(w, 2)) == -2
    v.load([5.0, 6.0, 7.0], sess)
    np.testing.assert_array_equal(sess.run(y), [11.0, 13.0, 15.0])


def test_initializer_covers_only_existing_variables():
    a = tf.Variable(1.0)
    init = tf.global_variables_initializer()
    b = tf.Variable(2.0)
    sess = tf.Session()
    sess.run(init)
    assert sess.run(a) == 1.0
    with pytest.raises(tf.errors.FailedPreconditionError, match="Variable_1"):
        sess.run(b)
    assert sess.run(tf.report_uninitialized_variables()).tolist() == [b"Variable_1"]
    sess.run(tf.variables_initializer([b]))
    assert sess.run(a + b) == 3.0 and sess.run(tf.is_variable_initialized(b))


def test_initialized_value_and_dependent_init():
    w = tf.Variable(tf.constant([1.0, 2.0]), name="w")
    w2 = tf.Variable(w.initialized_value() * 2.0, name="w2")
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    np.testing.assert_array_equal(sess.run(w2), [2.0, 4.0])


def test_variable_scope_and_get_variable():
    with tf.variable_scope("vs"):
        w = tf.get_variable("w", shape=[2, 3])
        b = tf.get_variable("b", [3], initializer=tf.zeros_initializer())
        with tf.name_scope("ns"):
            c = tf.get_variable("c", [], initializer=tf.constant_initializer(4.0))
    assert [w.name, b.name, c.name] == ["vs/w:0", "vs/b:0", "vs/c:0"]
    with tf.variable_scope("vs", reuse=True):
        assert tf.get_variable("w") is w
    with tf.variable_scope("vs", reuse=tf.AUTO_REUSE):
        assert tf.get_variable("w", [2, 3]) is w
        d = tf.get_variable("d", [1])
    assert d.name == "vs/d:0"
    with pytest.raises(ValueError, match="Variable vs/w already exists, disallowed"):
        with tf.variable_scope("vs"):
            tf.get_variable("w", [2, 3])
    with pytest.raises(ValueError, match="Variable vs/zz does not exist"):
        with tf.variable_scope("vs", reuse=True):
            tf.get_variable("zz", [1])
    with pytest.raises(ValueError, match="Trying to share variable vs/w, but specified shape"):
        with tf.variable_scope("vs", reuse=True):
            tf.get_variable("w", [4])
    with tf.variable_scope("outer") as outer:
        pass
    with tf.variable_scope(outer):
        e = tf.get_variable("e", [1])
    assert e.name == "outer/e:0"
    with tf.variable_scope(None, default_name="layer"):
        f1 = tf.get_variable("f", [1])
    with tf.variable_scope(None, default_name="layer"):
        f2 = tf.get_variable("f", [1])
    assert (f1.name, f2.name) == ("layer/f:0", "layer_1/f:0")
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    assert sess.run(c) == 4.0 and sess.run(b).tolist() == [0, 0, 0]
    limit = np.sqrt(6.0 / (2 + 3))  # glorot_uniform is get_variable's default
    assert np.all(np.abs(sess.run(w)) <= limit)


def test_initializers_statistics():
    shapes = {"ru": [200, 100], "rn": [200, 100]}
    inits = {
        "zeros": tf.zeros_initializer()([2, 2]),
        "ones": tf.ones_initializer()([2, 2]),
        "const": tf.constant_initializer([1, 2, 3, 4])([2, 2]),
        "ru": tf.random_uniform_initializer(-2.0, 2.0, seed=1)(shapes["ru"]),
        "rn": tf.random_normal_initializer(1.0, 0.5, seed=2)(shapes["rn"]),
        "tn": tf.truncated_normal_initializer(0.0, 1.0, seed=3)([200, 100]),
        "gu": tf.glorot_uniform_initializer(seed=4)([300, 100]),
        "gn": tf.glorot_normal_initializer(seed=5)([300, 100]),
        "vs": tf.variance_scaling_initializer(2.0, "fan_in", "uniform", seed=6)([50, 40]),
        "orth": tf.orthogonal_initializer(seed=7)([6, 4]),
    }
    sess = tf.Session()
    r = sess.run(inits)
    assert r["zeros"].tolist() == [[0, 0], [0, 0]] and r["ones"].sum() == 4
    assert r["const"].tolist() == [[1, 2], [3, 4]]
    assert -2 <= r["ru"].min() and r["ru"].max() < 2 and abs(r["ru"].mean()) < 0.05
    assert abs(r["rn"].mean() - 1.0) < 0.02 and abs(r["rn"].std() - 0.5) < 0.02
    assert np.abs(r["tn"]).max() < 2.0 and abs(r["tn"].std() - 0.88) < 0.03
    lim = np.sqrt(6.0 / 400)
    assert np.abs(r["gu"]).max() <= lim and abs(r["gu"].std() - lim / np.sqrt(3)) < 0.005
    assert abs(r["gn"].std() - np.sqrt(2.0 / 400)) < 0.005
    assert np.abs(r["vs"]).max() <= np.sqrt(3 * 2.0 / 50)
    np.testing.assert_allclose(r["orth"].T @ r["orth"], np.eye(4), atol=1e-5)


def test_random_ops_seeds_and_engines_agree():
    tf.set_random_seed(42)
    u = tf.random_uniform([3, 4])
    n = tf.random_normal([5], mean=2.0, stddev=0.1)
    t = tf.truncated_normal([1000])
    i = tf.random_uniform([6], 0, 10, dtype=tf.int64)
    s = tf.random_shuffle(tf.range(10))
    fetches = [u, n, t, i, s]
    a = [session(jit=True).run(fetches), session(jit=False).run(fetches)]
    for x, y in zip(a[0], a[1]):
        np.testing.assert_allclose(x, y, rtol=1e-6)
    sess = tf.Session()
    first, second = sess.run(u), sess.run(u)
    assert not np.array_equal(first, second)  # each run draws anew
    np.testing.assert_array_equal(tf.Session().run(u), first)  # a new session repeats
    assert a[0][0].dtype == np.float32 and (0 <= a[0][0]).all() and (a[0][0] < 1).all()
    assert np.abs(a[0][2]).max() < 2 and a[0][3].dtype == np.int64
    assert sorted(a[0][4].tolist()) == list(range(10))
    assert u.name == "random_uniform:0" and u.shape.as_list() == [3, 4]


def test_unseeded_random_differs_between_sessions():
    u = tf.random_normal([8])
    assert not np.array_equal(tf.Session().run(u), tf.Session().run(u))
    v = tf.random_normal([8], seed=3)
    np.testing.assert_array_equal(tf.Session().run(v), tf.Session().run(v))
