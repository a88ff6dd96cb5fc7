"""Issue 15 probes on reductions: accurate float32 sums (finding 3), and both engines
giving numpy's/TF's answer on empty axes and NaN (finding 12)."""
import numpy as np
import pytest

import jitgraph as tf
from helpers import session

ENGINES = [True, False]
IDS = ["jit", "interpreter"]


def _exact(x, axis):
    return np.sum(np.asarray(x, np.float64), axis=axis)


@pytest.mark.parametrize("jit", ENGINES, ids=IDS)
def test_sum_and_mean_of_ten_million_float32_are_accurate(jit):
    x = tf.placeholder(tf.float32, [None])
    xv = np.full(10 ** 7, 0.1, np.float32)
    total, mean = session(jit=jit).run([tf.reduce_sum(x), tf.reduce_mean(x)], {x: xv})
    np.testing.assert_allclose(total, _exact(xv, None), rtol=1e-6)
    np.testing.assert_allclose(mean, _exact(xv, None) / xv.size, rtol=1e-6)


@pytest.mark.parametrize("jit", ENGINES, ids=IDS)
def test_axis_sums_are_accurate(jit):
    # Column sums (BiasAddGrad's shape), row sums, a middle run of axes and scattered
    # axes each take a different compiled path.
    a = tf.placeholder(tf.float32, [None, None])
    b = tf.placeholder(tf.float32, [None, None, None])
    fetches = {
        "cols": tf.reduce_sum(a, axis=0), "rows": tf.reduce_sum(a, axis=1),
        "col_mean": tf.reduce_mean(a, axis=0, keepdims=True),
        "mid": tf.reduce_sum(b, axis=1), "ends": tf.reduce_sum(b, axis=[0, 2]),
        "ends_mean": tf.reduce_mean(b, axis=[0, 2], keepdims=True),
    }
    rng = np.random.RandomState(0)
    av = (0.1 + rng.rand(400_000, 3) * 1e-3).astype(np.float32)
    bv = np.full((3, 300_000, 2), 0.1, np.float32)
    got = session(jit=jit).run(fetches, {a: av, b: bv})
    want = {"cols": _exact(av, 0), "rows": _exact(av.T[:, :5].T, 1),
            "col_mean": _exact(av, 0)[None] / av.shape[0], "mid": _exact(bv, 1),
            "ends": _exact(bv, (0, 2)), "ends_mean": _exact(bv, (0, 2))[None, :, None] / 6}
    got["rows"] = got["rows"][:5]
    for k, v in want.items():
        assert got[k].dtype == np.float32, k
        np.testing.assert_allclose(got[k], v, rtol=1e-6, err_msg=k)


@pytest.mark.parametrize("jit", ENGINES, ids=IDS)
def test_broadcast_gradient_sums_are_accurate(jit):
    x = tf.placeholder(tf.float32, [None, None])
    bias = tf.Variable(np.zeros(4, np.float32))       # leading dims summed: SumToShape
    col = tf.Variable(np.zeros((4, 1), np.float32))   # a size-1 dim between: the loop path
    scalar = tf.Variable(np.float32(0))
    nb = tf.Variable(np.zeros(4, np.float32))          # BiasAddGrad
    loss = (tf.reduce_sum(x + bias) + tf.reduce_sum(tf.transpose(x) + col)
            + tf.reduce_sum(x * scalar) + tf.reduce_sum(tf.nn.bias_add(x, nb)))
    grads = tf.gradients(loss, [bias, col, scalar, nb])
    sess = session(jit=jit)
    sess.run(tf.global_variables_initializer())
    xv = np.full((500_000, 4), 0.1, np.float32)
    g_bias, g_col, g_scalar, g_nb = sess.run(grads, {x: xv})
    rows = np.full(4, 500_000.0)
    np.testing.assert_allclose(g_bias, rows, rtol=1e-6)
    np.testing.assert_allclose(g_col, rows[:, None], rtol=1e-6)
    np.testing.assert_allclose(g_scalar, _exact(xv, None), rtol=1e-6)
    np.testing.assert_allclose(g_nb, rows, rtol=1e-6)


@pytest.mark.parametrize("jit", ENGINES, ids=IDS)
def test_reductions_over_an_empty_axis_give_tfs_identities(jit):
    f = tf.placeholder(tf.float32, [None, None])
    i = tf.placeholder(tf.int32, [None, None])
    fetches = [tf.reduce_max(f, 1), tf.reduce_min(f, 1), tf.reduce_sum(f, 1),
               tf.reduce_prod(f, 1), tf.reduce_mean(f, 1), tf.reduce_max(f),
               tf.reduce_max(i, 1), tf.reduce_min(i, 1), tf.reduce_mean(i, 1),
               tf.reduce_mean(i)]
    got = session(jit=jit).run(fetches, {f: np.zeros((2, 0), np.float32),
                                         i: np.zeros((2, 0), np.int32)})
    lo, hi = np.iinfo(np.int32).min, np.iinfo(np.int32).max
    want = [[-np.inf] * 2, [np.inf] * 2, [0, 0], [1, 1], [np.nan] * 2, -np.inf,
            [lo, lo], [hi, hi], [0, 0], 0]
    for k, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_array_equal(g, np.asarray(w, g.dtype), err_msg=str(k))


@pytest.mark.parametrize("jit", ENGINES, ids=IDS)
def test_nan_propagates_through_max_min_and_arg_reductions_as_numpy(jit):
    x = tf.placeholder(tf.float32, [None, None])
    ops = [(tf.reduce_max, np.max), (tf.reduce_min, np.min)]
    fetches, want = [], []
    xv = np.array([[np.nan, 1, 2, 3], [1, np.nan, 3, 0], [3, 2, 1, np.nan], [1, 5, 2, 0]],
                  np.float32)
    for op, ref in ops:
        for axis in (None, 0, 1):
            fetches.append(op(x, axis=axis))
            want.append(ref(xv, axis=axis))
    for op, ref in [(tf.argmax, np.argmax), (tf.argmin, np.argmin)]:
        for axis in (0, 1):
            fetches.append(op(x, axis=axis))
            want.append(ref(xv, axis=axis))
    got = session(jit=jit).run(fetches, {x: xv})
    for k, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_array_equal(g, w, err_msg=str(k))


@pytest.mark.parametrize("jit", ENGINES, ids=IDS)
def test_nan_in_a_long_vectorized_reduction_is_kept(jit):
    x = tf.placeholder(tf.float32, [None, None])
    xv = np.random.RandomState(1).rand(3, 5003).astype(np.float32)
    xv[0, 4001] = xv[1, 17] = np.nan
    fetches = [tf.reduce_max(x, 1), tf.reduce_min(x, 1), tf.reduce_max(x), tf.reduce_min(x),
               tf.reduce_max(x, 0), tf.argmax(x, 1), tf.argmin(x, 1)]
    want = [np.max(xv, 1), np.min(xv, 1), np.max(xv), np.min(xv), np.max(xv, 0),
            np.argmax(xv, 1), np.argmin(xv, 1)]
    for k, (g, w) in enumerate(zip(session(jit=jit).run(fetches, {x: xv}), want)):
        np.testing.assert_array_equal(g, w, err_msg=str(k))
