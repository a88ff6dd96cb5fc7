"""tf.nn: activations, softmax, cross-entropies, bias_add, l2 helpers, moments, dropout.

Every function runs on both engines and is compared with numpy formulas and with the
TF 1.x numbers in tests/reference/tf_reference.json (section "nn").
"""
import json
import os

import numpy as np
import pytest
from helpers import check_gradients, run_both, session
from hypothesis import given, settings
from hypothesis import strategies as st

import jitgraph as tf
from reference.reference_data import nn_inputs

REF = json.load(open(os.path.join(os.path.dirname(__file__), "reference",
                                  "tf_reference.json")))["nn"]["functions"]
N = nn_inputs()
X = N["x"]


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


NUMPY = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
    "leaky_relu_0.2": lambda x: np.where(x > 0, x, 0.2 * x),
    "leaky_relu_default": lambda x: np.where(x > 0, x, 0.2 * x),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softmax": _softmax,
    "softmax_axis0": lambda x: _softmax(x, 0),
    "log_softmax": lambda x: np.log(_softmax(x)),
    "l2_normalize_axis1": lambda x: x / np.sqrt((x * x).sum(1, keepdims=True)),
    "l2_normalize_axis0": lambda x: x / np.sqrt((x * x).sum(0, keepdims=True)),
    "moments_axes0_mean": lambda x: x.mean(0),
    "moments_axes0_variance": lambda x: x.var(0),
    "l2_loss": lambda x: (x.astype(np.float64) ** 2).sum() / 2,
}


def _build_all(x, sl, so, sp):
    mean, var = tf.nn.moments(x, axes=[0])
    return {
        "relu": tf.nn.relu(x), "relu6": tf.nn.relu6(x), "elu": tf.nn.elu(x),
        "selu": tf.nn.selu(x), "leaky_relu_0.2": tf.nn.leaky_relu(x, alpha=0.2),
        "leaky_relu_default": tf.nn.leaky_relu(x), "softplus": tf.nn.softplus(x),
        "softsign": tf.nn.softsign(x), "sigmoid": tf.nn.sigmoid(x), "tanh": tf.nn.tanh(x),
        "softmax": tf.nn.softmax(x), "softmax_axis0": tf.nn.softmax(x, axis=0),
        "log_softmax": tf.nn.log_softmax(x),
        "l2_normalize_axis1": tf.nn.l2_normalize(x, axis=1),
        "l2_normalize_axis0": tf.nn.l2_normalize(x, axis=0),
        "moments_axes0_mean": mean, "moments_axes0_variance": var,
        "sigmoid_cross_entropy_with_logits":
            tf.nn.sigmoid_cross_entropy_with_logits(labels=sl, logits=x),
        "softmax_cross_entropy_with_logits_v2":
            tf.nn.softmax_cross_entropy_with_logits_v2(labels=so, logits=x),
        "sparse_softmax_cross_entropy_with_logits":
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=sp, logits=x),
        "l2_loss": tf.nn.l2_loss(x),
        "bias_add": tf.nn.bias_add(x, so[0]),
    }


def test_every_function_matches_tf_reference_and_numpy():
    x = tf.placeholder(tf.float32, [None, 4])
    sl = tf.placeholder(tf.float32, [None, 4])
    so = tf.placeholder(tf.float32, [None, 4])
    sp = tf.placeholder(tf.int32, [None])
    fetches = _build_all(x, sl, so, sp)
    feeds = {x: X, sl: N["sig_labels"], so: N["soft_labels"], sp: N["sparse_labels"]}
    out = run_both(fetches, feeds)
    assert set(REF) <= set(out), set(REF) - set(out)
    for name, ref in REF.items():
        got = out[name]
        assert got.dtype == np.float32, name
        assert list(got.shape) == ref["shape"], name
        np.testing.assert_allclose(got, np.array(ref["value"], np.float32), rtol=2e-5,
                                   atol=2e-6, err_msg=name)
        if name in NUMPY:
            np.testing.assert_allclose(got, NUMPY[name](X), rtol=2e-5, atol=2e-6,
                                       err_msg=name)


def test_static_shapes_and_op_names():
    x = tf.placeholder(tf.float32, [None, 4])
    f = _build_all(x, tf.zeros([5, 4]), tf.zeros([5, 4]), tf.zeros([5], tf.int32))
    assert f["relu"].name == "Relu:0" and f["relu"].op.type == "Relu"
    assert f["bias_add"].name == "BiasAdd:0" and f["bias_add"].op.type == "BiasAdd"
    assert f["softmax"].op.type == "Softmax" and f["log_softmax"].op.type == "LogSoftmax"
    assert f["leaky_relu_0.2"].name == "LeakyRelu:0"
    assert f["l2_loss"].shape.as_list() == []
    assert f["moments_axes0_mean"].shape.as_list() == [4]
    assert f["sparse_softmax_cross_entropy_with_logits"].shape.as_list() == [None]
    assert f["softmax_cross_entropy_with_logits_v2"].shape.as_list() == [None]
    assert f["sigmoid_cross_entropy_with_logits"].name == "logistic_loss:0"
    assert f["l2_normalize_axis1"].name == "l2_normalize:0"
    assert f["bias_add"].shape.as_list() == [None, 4]
    with tf.name_scope("dense"):
        assert tf.nn.relu(x, name="Relu").name == "dense/Relu:0"


def test_rank1_and_rank3_rows():
    # The row kernels reshape N-d tensors to [rows, classes]; rank 1 is one row.
    rs = np.random.RandomState(5)
    x3v = rs.randn(2, 3, 5).astype(np.float32)
    lab3 = rs.randint(0, 5, (2, 3)).astype(np.int64)
    soft3 = _softmax(rs.randn(2, 3, 5)).astype(np.float32)
    x3 = tf.placeholder(tf.float32, [None, 3, 5])
    x1 = tf.constant(x3v[0, 0])
    l3 = tf.placeholder(tf.int64, [None, 3])
    s3 = tf.constant(soft3)
    out = run_both({
        "sm3": tf.nn.softmax(x3), "lsm3": tf.nn.log_softmax(x3), "sm1": tf.nn.softmax(x1),
        "sp3": tf.nn.sparse_softmax_cross_entropy_with_logits(labels=l3, logits=x3),
        "ce3": tf.nn.softmax_cross_entropy_with_logits_v2(labels=s3, logits=x3),
        "ce1": tf.nn.softmax_cross_entropy_with_logits_v2(labels=s3[0, 0], logits=x1),
        "sp1": tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant(2),
                                                              logits=x1),
        "ce_ax1": tf.nn.softmax_cross_entropy_with_logits_v2(
            labels=tf.nn.softmax(x3, axis=1), logits=x3, axis=1),
        "bias3": tf.nn.bias_add(x3, tf.constant(np.arange(5, dtype=np.float32))),
    }, {x3: x3v, l3: lab3})
    logsm = np.log(_softmax(x3v))
    np.testing.assert_allclose(out["sm3"], _softmax(x3v), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(out["lsm3"], logsm, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["sm1"], _softmax(x3v[0, 0]), rtol=1e-5, atol=1e-7)
    sp = -np.take_along_axis(logsm, lab3[..., None], -1)[..., 0]
    np.testing.assert_allclose(out["sp3"], sp, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["ce3"], -(soft3 * logsm).sum(-1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["ce1"], -(soft3[0, 0] * logsm[0, 0]).sum(), rtol=1e-5)
    np.testing.assert_allclose(out["sp1"], -logsm[0, 0, 2], rtol=1e-5)
    assert out["sp1"].shape == () and out["ce1"].shape == ()
    p1 = _softmax(x3v, 1)
    np.testing.assert_allclose(out["ce_ax1"], -(p1 * np.log(p1)).sum(1), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(out["bias3"], x3v + np.arange(5), rtol=1e-6)


def test_softmax_is_stable_for_large_logits():
    x = tf.placeholder(tf.float32, [None, 3])
    big = np.array([[1000.0, 0.0, -1000.0], [-1e30, -1e30, -1e30]], np.float32)
    lab = tf.constant(np.array([2, 0], np.int32))
    out = run_both([tf.nn.softmax(x), tf.nn.log_softmax(x),
                    tf.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=x)],
                   {x: big})
    np.testing.assert_allclose(out[0], [[1, 0, 0], [1 / 3] * 3], rtol=1e-6)
    np.testing.assert_allclose(out[1][0], [0, -1000, -2000], rtol=1e-6)
    np.testing.assert_allclose(out[2], [2000, np.log(3)], rtol=1e-6)
    assert np.all(np.isfinite(out[2]))


# -- gradients --------------------------------------------------------------------------------
def _away_from_kinks(shape, seed):
    rs = np.random.RandomState(seed)
    x = rs.uniform(-3, 8, shape)
    bad = (np.abs(x) < 0.1) | (np.abs(x - 6) < 0.1)
    x[bad] += 0.3
    return x


def test_activation_gradients(engine):
    rs = np.random.RandomState(1)
    c = [rs.randn(3, 4) for _ in range(7)]

    def build(x):
        acts = [tf.nn.relu(x), tf.nn.relu6(x), tf.nn.elu(x), tf.nn.selu(x),
                tf.nn.leaky_relu(x, alpha=0.3), tf.nn.softplus(x), tf.nn.softsign(x)]
        return tf.add_n([a * ci for a, ci in zip(acts, c)])
    check_gradients(build, {"x": _away_from_kinks((3, 4), 2)}, engine=engine)


def test_softmax_and_cross_entropy_gradients(engine):
    rs = np.random.RandomState(3)
    c = rs.randn(3, 4)
    labels = np.array([1, 3, 0], np.int32)
    w = rs.randn(3)

    def build(x, y):
        return (tf.reduce_sum(tf.nn.softmax(x) * c) + tf.reduce_sum(tf.nn.log_softmax(x) * c)
                + tf.reduce_sum(w * tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=labels, logits=x))
                + tf.reduce_sum(w * tf.nn.softmax_cross_entropy_with_logits_v2(
                    labels=tf.nn.softmax(y), logits=x))
                + tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(
                    labels=tf.sigmoid(y), logits=x) * c)
                + tf.reduce_sum(tf.nn.softmax(x, axis=0) * c))
    check_gradients(build, {"x": rs.randn(3, 4), "y": rs.randn(3, 4)}, engine=engine)


def test_bias_add_l2_and_moments_gradients(engine):
    rs = np.random.RandomState(4)
    c = rs.randn(3, 4)

    def build(x, b):
        m, v = tf.nn.moments(x, axes=[0])
        return (tf.reduce_sum(tf.nn.bias_add(x, b) * c) + tf.nn.l2_loss(x) * 0.1
                + tf.reduce_sum(tf.nn.l2_normalize(x, axis=1) * c)
                + tf.reduce_sum(m * b) + tf.reduce_sum(v * b))
    check_gradients(build, {"x": rs.randn(3, 4), "b": rs.randn(4)}, engine=engine)


def test_softmax_cross_entropy_v1_stops_label_gradient():
    logits = tf.placeholder(tf.float32, [2, 3])
    labels = tf.placeholder(tf.float32, [2, 3])
    v1 = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    v2 = tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits)
    assert tf.gradients(v1, labels) == [None]
    assert tf.gradients(v2, labels)[0] is not None


# -- errors -------------------------------------------------------------------------------------
def test_errors():
    x = tf.placeholder(tf.float32, [None, 4])
    with pytest.raises(ValueError, match="Rank mismatch"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=x, logits=x)
    with pytest.raises(ValueError, match="named arguments"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(x, x)
    with pytest.raises(ValueError, match="named arguments"):
        tf.nn.softmax_cross_entropy_with_logits(x, x)
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 4 and 3"):
        tf.nn.bias_add(x, tf.zeros([3]))
    with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
        tf.nn.bias_add(x, tf.zeros([1, 4]))
    with pytest.raises(ValueError, match="must have the same shape"):
        tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.zeros([5, 3]), logits=tf.zeros([5, 4]))
    with pytest.raises(ValueError, match="Cannot specify both 'rate' and 'keep_prob'"):
        tf.nn.dropout(x, keep_prob=0.5, rate=0.5)
    with pytest.raises(ValueError, match="You must provide a rate to dropout"):
        tf.nn.dropout(x)
    with pytest.raises(ValueError, match=r"range \[0, 1\)"):
        tf.nn.dropout(x, rate=1.0)


def test_label_out_of_range_is_invalid_argument(engine):
    x = tf.placeholder(tf.float32, [None, 4])
    lab = tf.placeholder(tf.int32, [None])
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=x)
    sess = session(jit=engine)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Received a label value of 4 which is outside the valid range "
                             r"of \[0, 4\)"):
        sess.run(loss, {x: X, lab: np.array([0, 4, 1, 2, 3], np.int32)})


# -- dropout / embedding_lookup ---------------------------------------------------------------
def test_dropout_scales_kept_units():
    x = tf.placeholder(tf.float32, [None, 50])
    xv = np.ones((40, 50), np.float32)
    d1 = tf.nn.dropout(x, keep_prob=0.5, seed=1)
    d2 = tf.nn.dropout(x, rate=0.25, seed=2)
    d3 = tf.nn.dropout(x, 0.8, noise_shape=[1, 50], seed=3)
    assert d1.name.startswith("dropout")
    out = run_both([d1, d2, d3], {x: xv})
    assert set(np.unique(out[0])) <= {0.0, 2.0}
    assert abs(out[0].mean() - 1.0) < 0.1
    kept = out[1][out[1] != 0]
    np.testing.assert_allclose(kept, 1 / 0.75, rtol=1e-6)
    assert abs((out[1] == 0).mean() - 0.25) < 0.05
    assert np.all(out[2] == out[2][0])  # one mask row broadcast over the batch
    assert out[0].shape == (40, 50) and d1.shape.as_list() == [None, 50]


def test_embedding_lookup():
    params = tf.constant(np.arange(15, dtype=np.float32).reshape(5, 3))
    ids = tf.placeholder(tf.int32, [None])
    e = tf.nn.embedding_lookup(params, ids)
    e2 = tf.nn.embedding_lookup([params], ids, max_norm=5.0)
    out = run_both([e, e2], {ids: np.array([4, 0, 2], np.int32)})
    p = np.arange(15, dtype=np.float32).reshape(5, 3)
    np.testing.assert_allclose(out[0], p[[4, 0, 2]])
    rows = p[[4, 0, 2]]
    n = np.sqrt((rows ** 2).sum(1, keepdims=True))
    np.testing.assert_allclose(out[1], rows * 5 / np.maximum(n, 5), rtol=1e-6)


def test_xw_plus_b_relu_layer_swish():
    rs = np.random.RandomState(8)
    xv, wv, bv = (rs.randn(3, 4).astype(np.float32), rs.randn(4, 2).astype(np.float32),
                  rs.randn(2).astype(np.float32))
    x = tf.placeholder(tf.float32, [None, 4])
    out = run_both([tf.nn.xw_plus_b(x, wv, bv), tf.nn.relu_layer(x, wv, bv),
                    tf.nn.swish(x)], {x: xv})
    np.testing.assert_allclose(out[0], xv @ wv + bv, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[1], np.maximum(xv @ wv + bv, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[2], xv * _sigmoid(xv), rtol=1e-5, atol=1e-6)


# -- random sizes: one compiled graph, many shapes ----------------------------------------------
_GRAPH = {}


def _xent_graph():
    if not _GRAPH:
        g = tf.Graph()
        with g.as_default():
            x = tf.placeholder(tf.float32, [None, None])
            lab = tf.placeholder(tf.int32, [None])
            loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=x)
            sm = tf.nn.softmax(x)
            gx = tf.gradients(tf.reduce_mean(loss), x)[0]
        sessions = []
        for jit in (True, False):
            s = tf.Session(graph=g)
            s.jit = jit
            sessions.append(s)
        _GRAPH.update(x=x, lab=lab, fetches=[loss, sm, gx], sessions=sessions)
    return _GRAPH


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(1, 20), classes=st.integers(1, 12), seed=st.integers(0, 2 ** 16))
def test_sparse_xent_random_shapes(rows, classes, seed):
    rs = np.random.RandomState(seed)
    xv = (3 * rs.randn(rows, classes)).astype(np.float32)
    lv = rs.randint(0, classes, rows).astype(np.int32)
    G = _xent_graph()
    outs = [s.run(G["fetches"], {G["x"]: xv, G["lab"]: lv}) for s in G["sessions"]]
    p = _softmax(xv.astype(np.float64))
    loss = -np.log(p[np.arange(rows), lv])
    grad = (p - np.eye(classes)[lv]) / rows
    for loss_o, sm_o, g_o in outs:
        np.testing.assert_allclose(loss_o, loss, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(sm_o, p, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(g_o, grad, rtol=1e-4, atol=1e-6)


# -- against TF's own gradients and training run -------------------------------------------------
FULL_REF = json.load(open(os.path.join(os.path.dirname(__file__), "reference",
                                       "tf_reference.json")))


def test_softmax_log_gradient_matches_tf(engine):
    from reference.reference_data import gradient_inputs
    case = FULL_REF["gradients"]["cases"]["softmax_log"]
    d = gradient_inputs()
    x = tf.placeholder(tf.float32, [3, 4])
    c = tf.placeholder(tf.float32, [3, 4])
    y = tf.reduce_sum(tf.log(tf.nn.softmax(x)) * c)
    sess = session(jit=engine)
    val, gx, gc = sess.run([y] + tf.gradients(y, [x, c]), {x: d["x34"], c: d["c34"]})
    np.testing.assert_allclose(val, case["value"], rtol=1e-5)
    np.testing.assert_allclose(gx, case["grads"]["x"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gc, case["grads"]["c"], rtol=1e-5, atol=1e-6)


def test_mlp_gradient_descent_matches_tf(engine):
    # TF's MLP reference (relu dense layer, sparse softmax CE loss, SGD 0.1), with the
    # update done in numpy so only tf.nn / tf.losses and gradients are under test.
    from reference.reference_data import mlp_data
    ref = FULL_REF["mlp"]["GradientDescent"]
    d = mlp_data()
    names = ["W1", "b1", "W2", "b2"]
    ph = {k: tf.placeholder(tf.float32, d[k].shape) for k in names}
    h = tf.nn.relu(tf.nn.bias_add(tf.matmul(tf.constant(d["X"]), ph["W1"]), ph["b1"]))
    logits = tf.nn.bias_add(tf.matmul(h, ph["W2"]), ph["b2"])
    loss = tf.losses.sparse_softmax_cross_entropy(tf.constant(d["labels"]), logits)
    grads = tf.gradients(loss, [ph[k] for k in names])
    sess = session(jit=engine)
    w = {k: d[k].copy() for k in names}
    losses = []
    for _ in range(ref["steps"]):
        out = sess.run([loss] + grads, {ph[k]: w[k] for k in names})
        losses.append(out[0])
        for k, g in zip(names, out[1:]):
            w[k] = (w[k] - np.float32(0.1) * g).astype(np.float32)
    np.testing.assert_allclose(losses, ref["losses"], rtol=2e-5)
    final = sess.run(loss, {ph[k]: w[k] for k in names})
    np.testing.assert_allclose(final, ref["final_loss"], rtol=2e-5)
