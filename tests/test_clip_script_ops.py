"""Norms, clipping, count_nonzero, and the Python-running ops (py_func, Print,
check_numerics), on both engines."""
import numpy as np
import pytest

import jitgraph as tf
from helpers import check_gradients, run_both, run_on


def test_norms_and_clipping_match_tf_formulas():
    x = tf.constant([[3.0, 4.0], [0.0, 0.0]])
    g1, g2 = tf.constant([3.0, 4.0]), tf.constant([[12.0]])
    clipped, gn = tf.clip_by_global_norm([g1, None, g2], 6.5)
    assert clipped[1] is None
    out = run_both([tf.norm(x), tf.norm(x, axis=1), tf.norm(x, ord=1),
                    tf.global_norm([g1, g2]), tf.clip_by_norm(g1, 2.5), tf.clip_by_norm(g1, 9.0),
                    clipped[0], clipped[2], gn, tf.count_nonzero(x),
                    tf.count_nonzero(x, axis=0), tf.clip_by_average_norm(g1, 1.0)])
    expect = [5.0, [5.0, 0.0], 7.0, 13.0, [1.5, 2.0], [3.0, 4.0], [1.5, 2.0], [[6.0]], 13.0,
              2, [1, 1], [1.2, 1.6]]
    for got, want in zip(out, expect):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_clip_by_norm_gradient(engine):
    check_gradients(lambda t: tf.clip_by_norm(t, 1.0) * tf.constant([1.0, 2.0, 3.0], tf.float64),
                    {"t": np.array([0.5, -1.0, 2.0])}, engine=engine)


def test_py_func_print_check_numerics():
    x = tf.placeholder(tf.float32, [None])
    doubled = tf.py_func(lambda a: (a * 2).astype(np.float32), [x], tf.float32)
    a, b = tf.py_func(lambda v: (v + 1, v.astype(np.int64)), [x], [tf.float32, tf.int64])
    y = tf.Print(doubled, [doubled], "doubled: ") + 1.0
    out = run_both([y, a, b], {x: [1.0, 2.5]})
    np.testing.assert_allclose(out[0], [3.0, 6.0])
    assert out[2].dtype == np.int64 and out[2].tolist() == [1, 2]
    checked = tf.check_numerics(x * 2.0, "scaled x")
    sess = tf.Session()
    np.testing.assert_allclose(sess.run(checked, {x: [1.0]}), [2.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="scaled x : Tensor had Inf"):
        sess.run(checked, {x: [np.inf]})
    np.testing.assert_allclose(sess.run(checked, {x: [3.0]}), [6.0])  # still usable


def test_eye_linspace_and_math_namespace():
    out = run_both([tf.eye(2, 3), tf.linspace(0.0, 1.0, 5), tf.math.reduce_sum([1, 2]),
                    tf.math.log1p(tf.constant(0.0)), tf.math.divide_no_nan(1.0, 0.0)])
    np.testing.assert_array_equal(out[0], np.eye(2, 3))
    np.testing.assert_allclose(out[1], [0, 0.25, 0.5, 0.75, 1.0])
    assert out[2] == 3 and out[3] == 0.0 and out[4] == 0.0


def test_asserts_raise_at_run_time_and_statically():
    x = tf.placeholder(tf.float32, [None])
    with tf.control_dependencies([tf.assert_positive(x, message="x must be positive")]):
        y = x * 2.0
    sess = tf.Session()
    np.testing.assert_allclose(sess.run(y, {x: [1.0, 2.0]}), [2.0, 4.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="x must be positive"):
        sess.run(y, {x: [1.0, -2.0]})
    np.testing.assert_allclose(sess.run(y, {x: [3.0]}), [6.0])  # the session goes on
    with pytest.raises(ValueError, match="must have rank 2"):
        tf.assert_rank(tf.constant([1, 2]), 2)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.assert_equal(tf.constant(1), tf.constant(2))  # both known: fails while building
    check = tf.Assert(tf.reduce_all(x < 10.0), ["too big:", x])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"too big:\] \[\[11.0\]"):
        sess.run(check, {x: [11.0]})


def test_top_k_in_top_k_sort_sequence_mask(engine):
    x = tf.constant([[1.0, 5.0, 3.0, 5.0], [2.0, 0.0, 7.0, 1.0]])
    v, i = tf.nn.top_k(x, 2)
    out = run_on(engine, [v, i, tf.nn.in_top_k(x, [1, 3], 2), tf.sequence_mask([1, 3], 4),
                          tf.sort(x, direction="DESCENDING"), tf.argsort(x)])
    np.testing.assert_array_equal(out[0], [[5, 5], [7, 2]])
    np.testing.assert_array_equal(out[1], [[1, 3], [2, 0]])  # ties: the lower index first
    assert out[2].tolist() == [True, False]
    assert out[3].tolist() == [[True, False, False, False], [True, True, True, False]]
    np.testing.assert_array_equal(out[4], [[5, 5, 3, 1], [7, 2, 1, 0]])
    np.testing.assert_array_equal(out[5], [[0, 2, 1, 3], [1, 3, 0, 2]])
    check_gradients(lambda t: tf.nn.top_k(t, 2)[0] * tf.constant([1.0, 2.0], tf.float64),
                    {"t": np.array([[0.3, -1.0, 2.0], [1.5, 0.2, 0.1]])}, engine=engine)
