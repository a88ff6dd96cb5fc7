"""Session.run: fetch structures, feeds, errors, the signature cache, threads."""
import collections
import threading

import numpy as np
import pytest

import jitgraph as tf
from jitgraph import config
from jitgraph.ops import state_ops


def test_guide_session_and_feeding():
    a = tf.constant(3.0, dtype=tf.float32)
    b = tf.constant(4.0)
    total = a + b
    sess = tf.Session()
    v = sess.run(total)
    assert v == 7.0 and type(v) is np.float32 and repr(v) == "7.0"
    assert sess.run({"ab": (a, b), "total": total}) == {"ab": (3.0, 4.0), "total": 7.0}
    x = tf.placeholder(tf.float32)
    y = tf.placeholder(tf.float32)
    z = x + y
    assert sess.run(z, feed_dict={x: 3, y: 4.5}) == 7.5
    np.testing.assert_array_equal(sess.run(z, feed_dict={x: [1, 3], y: [2, 4]}), [3.0, 7.0])


def test_fetch_structures():
    a, b = tf.constant(1.0), tf.constant([2, 3])
    noop = tf.no_op()
    Pair = collections.namedtuple("Pair", "first second")
    sess = tf.Session()
    out = sess.run({"x": [a, (b, noop)], "p": Pair(a, "Const_1:0"), "n": "Const"})
    assert out["x"][0] == 1.0 and isinstance(out["x"][1], tuple) and out["x"][1][1] is None
    np.testing.assert_array_equal(out["x"][1][0], [2, 3])
    assert isinstance(out["p"], Pair) and out["p"].first == 1.0
    assert out["n"] is None  # an op name fetches the Operation: None, as in TF
    assert list(out) == ["x", "p", "n"]  # the caller's key order
    assert sess.run([]) == [] and sess.run(()) == ()
    assert sess.run(noop) is None


def test_feed_conversion_and_overrides():
    x = tf.placeholder(tf.float32, shape=[None, 2], name="x")
    y = x * 2.0
    w = tf.placeholder_with_default(tf.constant(5.0), shape=[])
    sess = tf.Session()
    r = sess.run(y, {x: np.ones((3, 2), np.float64)})  # float64 into float32: converted
    assert r.dtype == np.float32 and r.shape == (3, 2)
    r = sess.run(y, {"x:0": [[1, 2]]})  # names as keys, lists as values
    np.testing.assert_array_equal(r, [[2.0, 4.0]])
    assert sess.run(w) == 5.0 and sess.run(w, {w: 7.0}) == 7.0
    np.testing.assert_array_equal(sess.run(y, {y: [[9.0, 9.0]]}), [[9.0, 9.0]])  # feed any tensor
    i = tf.placeholder(tf.int32)
    np.testing.assert_array_equal(sess.run(i * 1, {i: [1.5, 2.5]}), [1, 2])


def test_unfed_placeholder_error_and_session_stays_usable():
    x = tf.placeholder(tf.float32, shape=[None, 3], name="Placeholder")
    y = x + 1.0
    sess = tf.Session()
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        sess.run(y)
    assert ("You must feed a value for placeholder tensor 'Placeholder' with dtype float "
            "and shape [?,3]") in str(e.value)
    assert sess.run(y, {x: np.zeros((1, 3))}).shape == (1, 3)


def test_wrong_feed_shape_and_dtype():
    x = tf.placeholder(tf.float32, shape=[None, 3])
    sess = tf.Session()
    with pytest.raises(ValueError, match=r"Cannot feed value of shape \(2, 4\) for Tensor "
                                         r"'Placeholder:0', which has shape '\(\?, 3\)'"):
        sess.run(x + 1.0, {x: np.zeros((2, 4))})
    with pytest.raises((TypeError, ValueError)):
        sess.run(x + 1.0, {x: [["a", "b", "c"]]})
    with pytest.raises(TypeError, match="cannot be a tf.Tensor"):
        sess.run(x + 1.0, {x: tf.constant(np.zeros((1, 3), np.float32))})


def test_fetch_errors():
    other = tf.Graph()
    with other.as_default():
        c = tf.constant(1.0)
    tf.constant(2.0)
    sess = tf.Session()
    with pytest.raises(ValueError, match="is not an element of this graph"):
        sess.run(c)
    with pytest.raises(TypeError, match="None"):
        sess.run(None)
    with pytest.raises(ValueError):
        sess.run("nope:0")
    with pytest.raises(TypeError):
        sess.run(3.5)


def test_closed_session():
    c = tf.constant(1.0)
    sess = tf.Session()
    sess.close()
    with pytest.raises(RuntimeError, match="Attempted to use a closed Session."):
        sess.run(c)


def test_default_session_eval_and_interactive():
    c = tf.constant(2.0) * 3.0
    with pytest.raises(ValueError, match="No default session"):
        c.eval()
    with tf.Session() as sess:
        assert tf.get_default_session() is sess
        assert c.eval() == 6.0
        tf.no_op().run()
    assert tf.get_default_session() is None
    isess = tf.InteractiveSession()
    assert c.eval() == 6.0
    isess.close()


def test_uninitialized_variable_error_then_usable():
    v = state_ops.variable_op([2], tf.float32, name="dense/kernel")
    init = state_ops.assign(v, tf.constant([1.0, 2.0]))
    sess = tf.Session()
    with pytest.raises(tf.errors.FailedPreconditionError,
                       match="Attempting to use uninitialized value dense/kernel"):
        sess.run(v * 2.0)
    sess.run(init)
    np.testing.assert_array_equal(sess.run(v * 2.0), [2.0, 4.0])


def test_fetched_value_before_update_and_no_aliasing():
    v = state_ops.variable_op([3], tf.float32, name="v")
    init = state_ops.assign(v, tf.constant([1.0, 2.0, 3.0]))
    total = tf.reduce_sum(v * v)
    step = state_ops.assign_sub(v, v * 0.5)
    sess = tf.Session()
    sess.run(init)
    _, before = sess.run((step, total))
    assert before == 14.0  # read before the update, as in TF
    held = sess.run(v)
    sess.run(step)
    np.testing.assert_array_equal(held, [0.5, 1.0, 1.5])  # a fetched value is a copy


def test_new_batch_size_does_not_recompile():
    x = tf.placeholder(tf.float32, [None, 4])
    y = tf.reduce_sum(tf.tanh(x) * 2.0, axis=1)
    sess = tf.Session()
    sess.run(y, {x: np.ones((2, 4))})
    before = config.compile_count
    for n in (1, 7, 64):
        assert sess.run(y, {x: np.ones((n, 4))}).shape == (n,)
    assert config.compile_count == before
    sess.run(y, {x: np.ones((3, 4)), tf.constant(0.0): 1.0})  # another signature compiles
    assert config.compile_count == before + 1


def test_threads_share_a_session():
    x = tf.placeholder(tf.float32, [None])
    y = tf.reduce_sum(x * x)
    sess = tf.Session()
    errors, results = [], []

    def work(k):
        try:
            for _ in range(50):
                results.append(sess.run(y, {x: np.full(100, k, np.float32)}) == 100 * k * k)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and all(results) and len(results) == 200


def test_run_options_accepted():
    c = tf.constant(1.0)
    sess = tf.Session(config=tf.ConfigProto(log_device_placement=False))
    assert sess.run(c, options=tf.RunOptions(), run_metadata=tf.RunMetadata()) == 1.0


def test_fetching_a_variable_the_compiled_stage_does_not_touch():
    # The one-stage fast runner once looked such a fetch up among the constants (KeyError).
    x = tf.placeholder(tf.float32, [None])
    gs = tf.train.get_or_create_global_step()
    m, update = tf.metrics.mean(x)
    sess = tf.Session()
    sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
    sess.run(update, {x: np.array([1.0, 3.0], np.float32)})
    for _ in range(3):  # the first run binds the fast runner, later ones use it
        assert sess.run({"m": m, "gs": gs}, {x: np.ones(2, np.float32)}) == {"m": 2.0, "gs": 0}
