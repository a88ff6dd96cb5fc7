"""Fault probes of issue 15 against compiled code: values that contradict what generated code
assumes, integer edge cases, read-only feeds, float16. Each runs on both engines."""
import numpy as np
import pytest

import jitgraph as tf
from jitgraph.codegen.guards import StageGuard
from tests.helpers import session

BOTH = pytest.mark.parametrize("jit", [True, False], ids=["jit", "interp"])


def _run(jit, fetches, feed=None, graph=None):
    return session(graph, jit).run(fetches, feed)


# -- shapes that contradict the compiled code (finding 2) -----------------------------------
@BOTH
def test_assign_add_after_shrinking_assign_raises_before_writing(jit):
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(np.zeros(1000, np.float32), name="v")
        shrink = tf.assign(v, tf.zeros([3]), validate_shape=False)
        inc = tf.assign_add(v, tf.ones([1000]), name="inc")
        init = tf.global_variables_initializer()
    sess = session(g, jit)
    sess.run(init)
    sess.run(inc)  # binds the fast path to the 1000-element buffer
    sess.run(shrink)
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        sess.run(inc)
    assert "[3]" in str(e.value) and "[1000]" in str(e.value)
    if jit:
        assert e.value.op.name == "inc"
    np.testing.assert_array_equal(sess.run(v), np.zeros(3, np.float32))


@BOTH
def test_assign_without_shape_validation_reallocates(jit):
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(np.zeros(3, np.float32))
        x = tf.placeholder(tf.float32, [None])
        a = tf.assign(v, x * 2.0, validate_shape=False)
        init = tf.global_variables_initializer()
    sess = session(g, jit)
    sess.run(init)
    for n in (2, 3, 100_000):
        out = sess.run(a, {x: np.ones(n, np.float32)})
        assert out.shape == (n,) and sess.run(v).shape == (n,)
        assert float(sess.run(v)[-1]) == 2.0


@BOTH
@pytest.mark.parametrize("value", [np.ones(2, np.float32), np.ones((4, 1), np.float32)],
                         ids=["smaller", "other_rank"])
def test_py_func_result_contradicting_its_static_shape_raises(jit, value):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None])
        y = tf.py_func(lambda a: value, [x], tf.float32, name="pf")
        y.set_shape([4])
        z = y * 2.0 + 1.0
    sess = session(g, jit)
    for _ in range(2):  # the general path, then the fast runner
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"pf.*\[4\]"):
            sess.run(z, {x: np.ones(3, np.float32)})


def test_stage_guard_refuses_host_values_of_other_shapes():
    # A host op whose value contradicts the compiled stage's static shape, as seen by the
    # stage's entry check (py_func's own check would catch this one first).
    x = tf.placeholder(tf.float32, [None])
    y = tf.py_func(lambda a: a, [x], tf.float32)
    y.set_shape([5])
    z = y * 3.0
    sess = session(jit=True)
    feed = {x: np.ones(5, np.float32)}
    np.testing.assert_allclose(sess.run(z, feed), np.full(5, 3.0))
    plan = sess._plan_for(z, feed)
    guard = StageGuard(plan, plan.kernel_stages[0])
    guard.check_env({y: np.ones(5, np.float32)})
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[5\].*\[2\]"):
        guard.check_env({y: np.ones(2, np.float32)})


# -- integer math (findings 4 and 12) --------------------------------------------------------
@BOTH
@pytest.mark.parametrize("dt", [tf.int32, tf.int64])
def test_integer_pow(jit, dt):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(dt, [None])
        y = tf.placeholder(dt, [None])
        p = tf.pow(x, y)
    npt = dt.as_numpy_dtype
    sess = session(g, jit)
    base, expo = np.array([2, 3, -1, 0, 7], npt), np.array([0, 2, 3, 3, 1], npt)
    np.testing.assert_array_equal(sess.run(p, {x: base, y: expo}), np.power(base, expo))
    for b in (2, 1, -1):  # TF refuses every negative exponent, even for bases 1 and -1
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Integers to negative integer powers are not allowed"):
            sess.run(p, {x: np.array([b, 3], npt), y: np.array([-1, 2], npt)})


@BOTH
@pytest.mark.parametrize("op", [tf.floordiv, tf.floormod, tf.realdiv])
def test_integer_division_by_zero_raises(jit, op):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.int32, [None])
        y = tf.placeholder(tf.int32, [None])
        q = op(x, y)
    sess = session(g, jit)
    sess.run(q, {x: np.array([7, -7], np.int32), y: np.array([2, 2], np.int32)})
    with pytest.raises(tf.errors.InvalidArgumentError, match="Integer division by zero"):
        sess.run(q, {x: np.array([7, 8], np.int32), y: np.array([2, 0], np.int32)})


def test_integer_division_results_agree():
    x = tf.placeholder(tf.int64, [None])
    y = tf.placeholder(tf.int64, [None])
    fetches = [x // y, tf.floormod(x, y), tf.realdiv(x, y)]
    lo = np.iinfo(np.int64).min
    feed = {x: np.array([7, -7, 7, -7, lo, 5], np.int64),
            y: np.array([2, 2, -2, -2, -1, 7], np.int64)}
    jit_r, interp_r = _run(True, fetches, feed), _run(False, fetches, feed)
    for a, b in zip(jit_r, interp_r):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(jit_r[2], [3, -3, -3, 3, lo, 0])  # C division truncates


@BOTH
def test_size_beyond_int32(jit):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.int8, [None])
        s32, s64 = tf.size(x), tf.size(x, out_type=tf.int64)
    big = np.zeros(2**31 + 7, np.int8)  # zero pages: never touched, costs no memory
    sess = session(g, jit)
    assert sess.run(s64, {x: big}) == 2**31 + 7
    with pytest.raises(tf.errors.InvalidArgumentError, match="larger than representable"):
        sess.run(s32, {x: big})


def test_int64_min_constant_stays_int64(engine):
    c = tf.constant(-2**63, dtype=tf.int64)
    assert c.dtype == tf.int64 and c.op.attrs["value"].dtype == np.int64
    assert tf.constant([-2**63, 1]).dtype == tf.int64
    x = tf.placeholder(tf.int64, [None])
    feed = {x: np.array([1, 2, 2**62], np.int64)}
    np.testing.assert_array_equal(_run(engine, x + c, feed),
                                  np.array([1, 2, 2**62], np.int64) + np.int64(-2**63))
    for bad in (-2**63 - 1, [-2**63, 2**63]):  # numpy: object and float64 arrays
        with pytest.raises(ValueError, match="out of"):
            tf.constant(bad)
    for bad, dt in ((2**63, tf.int64), (2**31, tf.int32), (-1, tf.uint8)):  # numpy wraps
        with pytest.raises(ValueError, match="out of range"):
            tf.constant(bad, dtype=dt)


# -- floating edge values (finding 12) -------------------------------------------------------
@BOTH
def test_maximum_minimum_propagate_nan(jit):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None])
        y = tf.placeholder(tf.float32, [None])
        f = [tf.maximum(x, y), tf.minimum(x, y), tf.maximum(y, x), tf.minimum(y, x)]
    nan = np.nan
    feed = {x: np.array([nan, 1, nan, 2], np.float32), y: np.array([1, nan, nan, 3], np.float32)}
    for r in _run(jit, f, feed, g):
        np.testing.assert_array_equal(np.isnan(r), [True, True, True, False])


@BOTH
def test_rsqrt_of_zero_is_inf(jit):
    g = tf.Graph()
    with g.as_default():
        x32 = tf.placeholder(tf.float32, [None])
        x64 = tf.placeholder(tf.float64, [None])
        f = [tf.rsqrt(x32), tf.rsqrt(x64)]
    v = [0.0, -0.0, 4.0]
    r32, r64 = _run(jit, f, {x32: np.array(v, np.float32), x64: np.array(v)}, g)
    for r in (r32, r64):
        np.testing.assert_array_equal(r, [np.inf, -np.inf, 0.5])


def test_float16_graph_runs_on_the_jit():
    x = tf.placeholder(tf.float16, [None])
    y = tf.placeholder(tf.float32, [None])
    f = [tf.tanh(x * 2.0) + tf.exp(x), tf.cast(x, tf.float32) * y]
    feed = {x: np.array([0.5, 1, 2], np.float16), y: np.array([1, 2, 3], np.float32)}
    jit_r, interp_r = _run(True, f, feed), _run(False, f, feed)
    for a, b in zip(jit_r, interp_r):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


# -- read-only feeds (finding 5) ---------------------------------------------------------------
@BOTH
def test_read_only_feeds(jit, tmp_path):
    x = tf.placeholder(tf.float32, [None, 2])
    b = tf.placeholder(tf.float32, [])
    f = x * 2.0 + b
    data = np.arange(4, dtype=np.float32).reshape(2, 2)
    np.save(tmp_path / "a.npy", data)
    frozen = data.copy()
    frozen.setflags(write=False)
    feeds = [np.frombuffer(data.tobytes(), np.float32).reshape(2, 2),
             np.load(tmp_path / "a.npy", mmap_mode="r"), frozen, data]
    sess = session(jit=jit)
    for _ in range(2):  # the general path binds the fast runner; both must accept them
        for a in feeds:
            np.testing.assert_array_equal(sess.run(f, {x: a, b: 1.0}), data * 2 + 1)
