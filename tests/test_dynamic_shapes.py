"""Unknown ranks and dynamic shapes (issue 14): programs built on `tf.placeholder("float")`
train as in TF 1.x, every gradient builds without a static rank, static facts survive
where they are known, and a read ordered after a write sees it.

Reference numbers: tests/reference/make_dynamic_shapes.py (TensorFlow 1.x)."""
import numpy as np
import pytest

import jitgraph as tf
from helpers import run_both, session

# TF 1.x's numbers for the programs below (see the reference script).
LINEAR = [1.0559499263763428, 0.601902186870575, 0.317641019821167]
LOGISTIC = [1.0432372093200684, 0.4583333432674408]
MLP = [0.9400181770324707]
ORDERING = [2.0, [3.0, 3.0], [4.0, 4.0], [22.0, 24.0], [[21.0, 22.0], [21.0, 22.0]]]


def _data():
    rng = np.random.RandomState(0)
    xs = rng.rand(24, 5).astype(np.float32)
    labels = np.eye(3, dtype=np.float32)[rng.randint(0, 3, 24)]
    w1 = (rng.randn(5, 8) * 0.5).astype(np.float32)
    w2 = (rng.randn(8, 3) * 0.5).astype(np.float32)
    return xs, labels, w1, w2


def _linear_regression():
    xs = np.linspace(0.0, 1.0, 9).astype(np.float32)
    ys = 2.0 * xs + 1.0
    X, Y = tf.placeholder("float"), tf.placeholder("float")
    W, b = tf.Variable(0.3, name="weight"), tf.Variable(-0.2, name="bias")
    pred = tf.add(tf.multiply(X, W), b)
    cost = tf.reduce_sum(tf.pow(pred - Y, 2)) / (2 * 9)
    opt = tf.train.GradientDescentOptimizer(0.1).minimize(cost)
    return (X, Y, xs, ys), opt, [cost, W, b]


def _logistic_regression():
    xs, labels, _, _ = _data()
    x, y = tf.placeholder("float"), tf.placeholder("float")
    W, b = tf.Variable(tf.zeros([5, 3])), tf.Variable(tf.zeros([3]))
    pred = tf.nn.softmax(tf.matmul(x, W) + b)
    cost = tf.reduce_mean(-tf.reduce_sum(y * tf.log(pred), reduction_indices=1))
    opt = tf.train.GradientDescentOptimizer(0.5).minimize(cost)
    acc = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(pred, 1), tf.argmax(y, 1)), tf.float32))
    return (x, y, xs, labels), opt, [cost, acc]


def _mlp():
    xs, labels, w1, w2 = _data()
    x, y = tf.placeholder("float"), tf.placeholder("float")
    h = tf.nn.relu(tf.matmul(x, tf.Variable(w1)) + tf.Variable(tf.zeros([8])))
    out = tf.matmul(h, tf.Variable(w2)) + tf.Variable(tf.zeros([3]))
    cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(logits=out, labels=y))
    opt = tf.train.AdamOptimizer(0.05).minimize(cost)
    return (x, y, xs, labels), opt, [cost]


_PROGRAMS = {"linear_regression": (_linear_regression, True, 3, LINEAR),
             "logistic_regression": (_logistic_regression, False, 8, LOGISTIC),
             "mlp": (_mlp, False, 8, MLP)}


@pytest.mark.parametrize("program, engine", [
    ("linear_regression", "jit"), ("linear_regression", "interp"),
    pytest.param("logistic_regression", "jit", marks=pytest.mark.slow),
    ("logistic_regression", "interp"),
    pytest.param("mlp", "jit", marks=pytest.mark.slow),  # compiles: ≈4 s each, loaded CI
    ("mlp", "interp")])
def test_guide_programs_on_unknown_rank_placeholders_train_as_tf(program, engine):
    build, per_sample, steps, expected = _PROGRAMS[program]
    (x, y, xs, ys), opt, fetch = build()
    assert x.shape.ndims is None
    sess = session(jit=engine)
    sess.run(tf.global_variables_initializer())
    for _ in range(steps):
        if per_sample:  # scalars one at a time, then the whole vector: two ranks, one graph
            for a, b in zip(xs, ys):
                sess.run(opt, {x: a, y: b})
            got = sess.run(fetch, {x: xs, y: ys})
        else:  # one signature per program: the values before the last step's update
            got = sess.run([opt] + fetch, {x: xs, y: ys})[1:]
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-6)


# Functions whose gradient TF builds from tf.shape/tf.rank at run time when the rank is
# unknown; each is compared with the same function on a statically shaped input.
_FUNCTIONS = {
    "reduce_sum_axis": lambda x: tf.reduce_sum(x, 1),
    "reduce_mean_neg_axis": lambda x: tf.reduce_mean(x, axis=-1),
    "reduce_max_keepdims": lambda x: tf.reduce_max(x, 0, keepdims=True),
    "reduce_prod": lambda x: tf.reduce_prod(x, 1),
    "logsumexp": lambda x: tf.reduce_logsumexp(x, 1),
    "logsumexp_all": lambda x: tf.reduce_logsumexp(x),
    "softmax": lambda x: tf.nn.softmax(x) * tf.constant([1., 2, 3, 4]),
    "log_softmax": lambda x: tf.nn.log_softmax(x),
    "moments": lambda x: tf.add_n(list(tf.nn.moments(x, [0]))),
    "l2_normalize": lambda x: tf.nn.l2_normalize(x, 1),
    "bias_add": lambda x: tf.nn.bias_add(x, tf.ones([4])) ** 2,
    "concat_neg_axis": lambda x: tf.concat([x, 2 * x], -1) ** 2,
    "split_neg_axis": lambda x: tf.split(x, 2, axis=-1)[1] ** 2,
    "cumsum_neg_axis": lambda x: tf.cumsum(x, axis=-1) ** 2,
    "tile": lambda x: tf.tile(x, [2, 1]) ** 2,
    "transpose": lambda x: tf.transpose(x) * tf.constant([1., 2, 3]),
    "slice": lambda x: x[1:, :2] ** 2,
    "gather_axis": lambda x: tf.gather(x, [0, 2, 2], axis=1) ** 2,
    "expand_squeeze": lambda x: tf.squeeze(tf.expand_dims(x, -1), [-1]) ** 2,
    "losses_softmax": lambda x: tf.losses.softmax_cross_entropy(tf.ones_like(x) / 4, x),
    "argmin_neg_axis": lambda x: x * tf.cast(tf.argmin(x, -1)[0], tf.float32),
    "gather_neg_axis": lambda x: tf.gather(x, [1, 0, 1], axis=-1) ** 2,
    "unsorted_segment_max": lambda x: tf.math.unsorted_segment_max(x, [0, -1, 1], 3) ** 2,
    "segment_mean": lambda x: tf.math.segment_mean(x, [0, 0, 1]) ** 2,
    "einsum": lambda x: tf.einsum("ij,kj->ik", x, x),
    "fused_batch_norm": lambda x: tf.nn.fused_batch_norm(
        tf.reshape(x, [1, 1, 3, 4]), tf.ones([4]), tf.zeros([4]))[0] * tf.range(4.0),
}


def _value_and_grad(f, x_value, unknown_rank):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, None if unknown_rank else x_value.shape)
        y = f(x)
        dx = tf.gradients(tf.reduce_sum(y), x)[0]
    return g, [y, dx], {x: x_value}


@pytest.mark.parametrize("name", sorted(_FUNCTIONS))
def test_gradients_build_and_agree_without_a_static_rank(name):
    x_value = np.random.RandomState(1).rand(3, 4).astype(np.float32) + 0.5
    g, fetch, feed = _value_and_grad(_FUNCTIONS[name], x_value, unknown_rank=True)
    got = session(g, "interp").run(fetch, feed)
    g, fetch, feed = _value_and_grad(_FUNCTIONS[name], x_value, unknown_rank=False)
    want = session(g, "interp").run(fetch, feed)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_unknown_rank_gradients_compile_and_match_the_interpreter():
    # One graph holding the runtime-shape gradients (ReducedShape, negative axes resolved
    # at plan time), so the JIT compiles once.
    x = tf.placeholder("float")
    y = tf.reduce_sum(tf.reduce_mean(x, axis=-1) ** 2) + tf.reduce_sum(tf.concat([x, x], -1) ** 2)
    dx = tf.gradients(y, x)[0]
    x_value = np.random.RandomState(2).rand(3, 4).astype(np.float32)
    run_both([y, dx], {x: x_value}, rtol=1e-4, atol=1e-5)


def test_reduction_over_all_axes_of_unknown_rank_is_a_scalar():
    x = tf.placeholder("float")
    assert tf.reduce_sum(x).shape.ndims == 0
    assert tf.reduce_mean(x, keepdims=True).shape.ndims is None
    assert tf.reduce_sum(x, 1).shape.ndims is None


def test_reshape_with_tensor_entries_keeps_its_constant_dims_for_layers():
    x = tf.placeholder(tf.float32, [None, 64])
    image = tf.reshape(x, [tf.shape(x)[0], 8, 8, 1])
    assert image.shape.as_list() == [None, 8, 8, 1]
    conv = tf.layers.conv2d(image, 2, 3, padding="same")
    assert conv.shape.as_list() == [None, 8, 8, 2]
    flat = tf.reshape(conv, tf.stack([-1, 8 * 8 * 2]))
    assert flat.shape.as_list() == [None, 128]
    unknown = tf.reshape(tf.placeholder("float"), [-1, 8, 8, 1])
    assert tf.layers.conv2d(unknown, 2, 3).shape.as_list() == [None, 6, 6, 2]
    out = tf.layers.dense(flat, 3)
    sess = session(jit="interp")
    sess.run(tf.global_variables_initializer())
    assert sess.run(out, {x: np.ones((2, 64))}).shape == (2, 3)


def test_mismatched_labels_fed_to_unknown_ranks_raise_tf_s_error():
    logits, labels = tf.placeholder("float"), tf.placeholder("float")
    loss = tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="logits and labels must be broadcastable"):
        session(jit="interp").run(loss, {logits: np.ones((2, 3)), labels: np.ones((2, 1, 3))})


def test_a_read_under_control_dependencies_sees_the_write(engine):
    v = tf.Variable(1.0)
    inc = tf.assign_add(v, 1.0)
    with tf.control_dependencies([inc]):
        r = tf.identity(v)
    u = tf.Variable([1.0, 2.0])
    up = tf.assign_add(u, [10.0, 10.0])
    with tf.control_dependencies([up]):
        ru = tf.identity(u) * 2.0
    sess = session(jit=engine)
    sess.run(tf.global_variables_initializer())
    got = [float(sess.run(r)), [float(a) for a in sess.run([v, inc])],
           [float(a) for a in sess.run([r, v])], sess.run(ru).tolist(),
           [a.tolist() for a in sess.run([u, up])]]
    assert got == ORDERING


_FED_SHAPE_ERRORS = {
    "add": (lambda a, b: a + b, r"Incompatible shapes: \[2,3\] vs. \[4\]"),
    "reshape": (lambda a, b: tf.reshape(a, [5, -1]),
                "Input to reshape is a tensor with 6 values, but the requested shape requires "
                "a multiple of 5"),
    "squeeze": (lambda a, b: tf.squeeze(a, [0]),
                r"Can not squeeze dim\[0\], expected a dimension of 1, got 2"),
    "sparse_xent": (lambda a, b: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(b, tf.int32), logits=a),
        r"logits and labels must have the same first dimension, got logits shape \[2,3\] "
        r"and labels shape \[4\]"),
    "reduce_axis": (lambda a, b: tf.reduce_sum(a, 3),
                    "Invalid reduction dimension 3 for input with 2 dimensions"),
    # Plan-time checks once the fed ranks are known (the JIT met a Numba typing error, or
    # none at all, before):
    "concat_ranks": (lambda a, b: tf.concat([a, b], 0),
                     "ConcatOp : Ranks of all input tensors should match"),
    "expand_dims": (lambda a, b: tf.expand_dims(a, 5),
                    "Tried to expand dim index 5 for tensor with 2 dimensions"),
}


@pytest.mark.parametrize("name", sorted(_FED_SHAPE_ERRORS))
def test_fed_shapes_that_do_not_fit_raise_tf_s_errors_not_numpy_s(name):
    build, message = _FED_SHAPE_ERRORS[name]
    a, b = tf.placeholder("float"), tf.placeholder("float")
    out = build(a, b)
    engines = ("interp", "jit") if name in ("concat_ranks", "expand_dims") else ("interp",)
    for engine in engines:
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            session(jit=engine).run(out, {a: np.ones((2, 3)), b: np.ones(4)})
