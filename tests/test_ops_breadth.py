"""nn and math op breadth (issue 14): special functions, segment reductions, N-d gathers
and scatters, variable scatters, dynamic partition/stitch, cumprod, einsum, sampled losses
(nce_loss, sampled_softmax_loss) and their samplers, fused_batch_norm, lrn; values and
sparse tensors (fed, fetched, densified, multiplied, embedding_lookup_sparse); values and
gradients against TF 1.x's numbers on both engines, gradients against finite differences.

The graphs are those of tests/reference/make_ops_breadth.py, built here with jitgraph;
its TF numbers are in tests/reference/ops_breadth.json.
"""
import json
import pathlib

import numpy as np
import pytest

import jitgraph as tf
from helpers import check_gradients, run_both, session
from reference import make_ops_breadth as ref

TF = json.loads((pathlib.Path(__file__).parent / "reference" / "ops_breadth.json").read_text())


def _assert_tf(got, want, rtol=2e-5, atol=2e-6):
    assert len(got) == len(want)
    for i, (a, b) in enumerate(zip(got, want)):
        np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                                   rtol=rtol, atol=atol, err_msg=f"fetch #{i}")


@pytest.mark.parametrize("name", ref.GRAPHS)
def test_values_and_gradients_match_tf(name):
    ph, value, fetch = getattr(ref, name)(tf)
    _assert_tf(session(jit="interp").run(fetch, {ph: value}), TF[name])


# The nn and sparse graphs are compositions of the ops below (and of matmuls, pads and
# slices) whose gradient graphs take minutes to compile: the interpreter checks them.
@pytest.mark.slow  # ≈1 min of compiles: every op and gradient of the reference graphs
@pytest.mark.parametrize("name", [g for g in ref.GRAPHS if g not in ("nn_ops", "sparse")])
def test_values_and_gradients_match_tf_on_both_engines(name):
    ph, value, fetch = getattr(ref, name)(tf)
    _assert_tf(run_both(fetch, {ph: value}, rtol=1e-5, atol=1e-6), TF[name])


def test_compiled_forms_match_tf():
    # One graph, one compile, through every new emitter: the fused special functions, a
    # sorted and an unsorted segment reduction, gather_nd, scatter_nd, a tensor scatter.
    # (einsum and the sparse ops are compositions of these and of matmuls: the slow test
    # runs them, and every graph's gradients, on both engines.)
    x, x_value, special = ref.special(tf)
    d, d_value, segments = ref.segments(tf)
    p, p_value, gathers = ref.gather_scatter(tf)
    got = run_both(special[:14] + [segments[1], segments[6]] + gathers[:3] + [gathers[4]],
                   {x: x_value, d: d_value, p: p_value})
    _assert_tf(got, TF["special"][:14] + [TF["segments"][1], TF["segments"][6]]
               + TF["gather_scatter"][:3] + [TF["gather_scatter"][4]])


def test_variable_scatters_in_order_match_tf():
    v, last = ref.variable_scatters(tf)
    sess = session(jit="interp")
    sess.run(v.initializer)
    _assert_tf([sess.run(last), sess.run(v)], TF["variable_scatters"])


def test_variable_scatters_compile_into_one_ordered_stage():
    v = tf.Variable(np.arange(8, dtype=np.float32).reshape(4, 2))
    up = tf.scatter_update(v, [0, 2], [[10.0, 10.0], [20.0, 20.0]])
    with tf.control_dependencies([up]):
        add = tf.scatter_add(v, [1, 1], [[1.0, 1.0], [2.0, 2.0]])  # a repeated row sums
    with tf.control_dependencies([add]):
        last = tf.scatter_nd_sub(v, [[3, 1]], [0.25])
    got = run_both(last, init=v.initializer)
    np.testing.assert_array_equal(got, [[10, 10], [5, 6], [20, 20], [6, 6.75]])


def _f64(v):
    return tf.constant(v, tf.float64)


_GRADIENT_CASES = {
    "special": lambda x: (tf.erf(x) + tf.erfc(x * 2) + tf.lgamma(x + 2) + tf.digamma(x + 2)
                          + tf.asin(x / 2) * tf.acos(x / 3) + tf.atan(x) + tf.sinh(x)
                          + tf.cosh(x) + tf.asinh(x) + tf.atanh(x / 2) + tf.acosh(x + 2)
                          + tf.atan2(x, x * x + 1) + tf.math.log_sigmoid(x)),
    "segments": lambda x: (tf.math.segment_mean(x, [0, 0, 1]) ** 2
                           + tf.math.segment_max(x, [0, 1, 1]) * 3
                           + tf.math.unsorted_segment_min(x, [1, -1, 0], 2) ** 2
                           + tf.math.unsorted_segment_sum(x, [1, 1, 0], 2) ** 2),
    "gather_scatter": lambda x: (tf.gather_nd(x, [[2, 1], [0, 0]]) ** 2 * [1., 2.]
                                 + tf.reduce_sum(tf.scatter_nd([[1], [0], [1]], x, [2, 2])
                                                 ** 2)
                                 + tf.reduce_sum(tf.tensor_scatter_nd_update(
                                     x, [[1]], x[2:] * 3) ** 2)),
    "nn": lambda x: (tf.reduce_sum(tf.nn.fused_batch_norm(
        tf.reshape(x, [1, 1, 3, 2]), [1.5, 0.5], [0.1, 0.2])[0] * [[1.0, 2.0], [0.5, 3.0],
                                                                   [2.0, 1.0]])
        + tf.reduce_sum(tf.nn.lrn(tf.reshape(x, [1, 3, 1, 2]), 1, 1.0, 0.5, 0.75) ** 2)
        + tf.reduce_sum(tf.nn.sampled_softmax_loss(
            tf.concat([x, x * 2], 0), tf.range(6, dtype=tf.float64) / 10, [[1], [4]], x[:2], 3, 6,
            sampled_values=([0, 4, 5], _f64([[0.3], [0.2]]), _f64([0.5, 0.2, 0.1]))))
        + tf.reduce_sum(tf.nn.nce_loss(
            tf.concat([x, x * 2], 0), tf.range(6, dtype=tf.float64) / 10, [[1], [4]], x[:2], 3, 6,
            sampled_values=([0, 3, 5], _f64([[0.3], [0.2]]), _f64([0.5, 0.2, 0.1]))))),
    "einsum": lambda x: (tf.einsum("ij,kj->ik", x, x * x) ** 2
                         + tf.reduce_sum(tf.einsum("bi,bj->bij", x, x) ** 2)),
    "partitions": lambda x: (tf.reduce_sum(tf.dynamic_partition(x, [1, 0, 1], 2)[1] ** 2)
                             + tf.reduce_sum(tf.dynamic_stitch([[1], [0, 2]],
                                                               [x[:1] ** 2, x[1:] * 3]) ** 2)
                             + tf.reduce_sum(tf.cumprod(x, 1, exclusive=True) ** 2)),
}


@pytest.mark.parametrize("name", sorted(_GRADIENT_CASES))
def test_gradients_agree_with_finite_differences(name):
    x = np.random.RandomState(3).rand(3, 2) * 0.5 + 0.25
    check_gradients(_GRADIENT_CASES[name], {"x": x}, engine="interp")


def test_out_of_range_indices_raise_tf_s_errors():
    p = tf.placeholder(tf.float32, [None, 3])
    g = tf.gather_nd(p, [[5, 0]])
    s = tf.math.unsorted_segment_sum(p, [0, 7], 2)
    sorted_ids = tf.math.segment_sum(p, [1, 0])
    sess = session(jit="interp")  # a compiled stage that raises is re-run here for the message
    feed = {p: np.ones((2, 3), np.float32)}
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"indices\[0\] = \[5, 0\] does not index into param shape"):
        sess.run(g, feed)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"segment_ids\[1\] = 7 is out of range \[0, 2\)"):
        sess.run(s, feed)
    with pytest.raises(tf.errors.InvalidArgumentError, match="segment ids are not increasing"):
        sess.run(sorted_ids, feed)


def test_static_shapes():
    d = tf.placeholder(tf.float32, [None, 3])
    assert tf.math.segment_sum(d, [0, 1]).shape.as_list() == [None, 3]
    assert tf.math.unsorted_segment_max(d, [0, 1], 5).shape.as_list() == [5, 3]
    assert tf.gather_nd(d, [[0, 1], [1, 2]]).shape.as_list() == [2]
    assert tf.scatter_nd([[0]], [[1., 2.]], [4, 2]).shape.as_list() == [4, 2]
    assert [t.shape.as_list() for t in tf.dynamic_partition(d, [0, 1], 2)] == [[None, 3]] * 2
    assert tf.erf(d).shape.as_list() == [None, 3]


def test_candidate_samplers_draw_as_tf_describes():
    t = tf.constant([[0, 3], [19, 7]], tf.int64)
    samples = [tf.nn.log_uniform_candidate_sampler(t, 2, 15, True, 20, seed=4),
               tf.nn.uniform_candidate_sampler(t, 2, 6, False, 20, seed=4),
               tf.nn.log_uniform_candidate_sampler(t, 2, 6, True, 20)]
    first = session(jit="interp").run(samples)
    again = session(jit="interp").run(samples)
    unique, plain, unseeded = first
    assert sorted(set(unique[0].tolist())) == sorted(unique[0].tolist())  # distinct classes
    assert unique[0].min() >= 0 and unique[0].max() < 20 and plain[0].max() < 20
    # Expected counts of unique draws: 1 - (1 - p) ** tries, with tries >= num_sampled.
    p0 = np.log(2.0) / np.log(21.0)
    tries = np.log1p(-unique[1][0, 0]) / np.log1p(-p0)
    assert tries >= 15 and abs(tries - round(tries)) < 1e-2  # float32 counts
    np.testing.assert_array_equal(again[0][0], unique[0])  # seeded: repeats in a new Session
    np.testing.assert_array_equal(again[1][0], plain[0])
    assert unseeded[0].shape == (6,)


@pytest.mark.slow  # the sampler splits the step into stages: ≈20 s of compiles
def test_nce_loss_trains_a_word_embedding_on_both_engines():
    # A skip-gram step as in TF's word2vec tutorial, with the default sampler.
    tf.set_random_seed(7)
    vocab, dim = 30, 8
    embeddings = tf.Variable(tf.random_uniform([vocab, dim], -1.0, 1.0))
    nce_w = tf.Variable(tf.truncated_normal([vocab, dim], stddev=0.3))
    nce_b = tf.Variable(tf.zeros([vocab]))
    inputs = tf.placeholder(tf.int32, [None])
    labels = tf.placeholder(tf.int64, [None, 1])
    loss = tf.reduce_mean(tf.nn.nce_loss(nce_w, nce_b, labels,
                                         tf.nn.embedding_lookup(embeddings, inputs), 5, vocab))
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    feed = {inputs: np.arange(12) % vocab, labels: ((np.arange(12) + 1) % vocab)[:, None]}
    curves = []
    for engine in ("jit", "interp"):
        sess = session(jit=engine)
        sess.run(tf.global_variables_initializer())
        curves.append([sess.run([train, loss], feed)[1] for _ in range(12)])
    np.testing.assert_allclose(curves[0], curves[1], rtol=1e-4)
    assert curves[0][-1] < 0.7 * curves[0][0]


def test_sparse_tensors_feed_and_fetch_as_tf():
    sp = tf.sparse_placeholder(tf.float32, shape=[2, 3])
    doubled = tf.SparseTensor(sp.indices, sp.values * 2.0, sp.dense_shape)
    sess = session(jit="interp")
    value = tf.SparseTensorValue([[0, 2], [1, 0]], np.array([1.5, -1.0], np.float32), [2, 3])
    got = sess.run(doubled, {sp: value})
    assert isinstance(got, tf.SparseTensorValue)
    np.testing.assert_array_equal(got.indices, [[0, 2], [1, 0]])
    np.testing.assert_array_equal(got.values, [3.0, -2.0])
    np.testing.assert_array_equal(got.dense_shape, [2, 3])
    # A plain (indices, values, dense_shape) tuple feeds it too; dense_shape defaults.
    dense = sess.run(tf.sparse.to_dense(sp), {sp: ([[1, 1]], [4.0], [2, 3])})
    np.testing.assert_array_equal(dense, [[0, 0, 0], [0, 4, 0]])
    assert tf.sparse_tensor_to_dense(sp).shape.ndims == 2
    with pytest.raises(TypeError, match="SparseTensorValue"):
        sess.run(sp.values, {sp: 3.0})
