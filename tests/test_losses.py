"""tf.losses: every loss x weights x reduction against the TF 1.x reference numbers, both
engines, names, collections and gradients."""
import json
import os

import numpy as np
import pytest
from helpers import check_gradients, run_both, session

import jitgraph as tf
from reference.reference_data import loss_inputs

REF = json.load(open(os.path.join(os.path.dirname(__file__), "reference",
                                  "tf_reference.json")))["losses"]
L = loss_inputs()
REDUCTIONS = ["NONE", "SUM", "MEAN", "SUM_OVER_BATCH_SIZE", "SUM_OVER_NONZERO_WEIGHTS",
              "SUM_BY_NONZERO_WEIGHTS"]

# name in the reference -> (function(t, weights, reduction), per-example weights key)
SPECS = {
    "mean_squared_error": (lambda t, w, r: tf.losses.mean_squared_error(
        t["reg_labels"], t["reg_predictions"], weights=w, reduction=r), "weights_col"),
    "absolute_difference": (lambda t, w, r: tf.losses.absolute_difference(
        t["reg_labels"], t["reg_predictions"], weights=w, reduction=r), "weights_col"),
    "huber_loss_delta1.0": (lambda t, w, r: tf.losses.huber_loss(
        t["reg_labels"], t["reg_predictions"], weights=w, delta=1.0, reduction=r),
        "weights_col"),
    "huber_loss_delta0.5": (lambda t, w, r: tf.losses.huber_loss(
        t["reg_labels"], t["reg_predictions"], weights=w, delta=0.5, reduction=r),
        "weights_col"),
    "log_loss": (lambda t, w, r: tf.losses.log_loss(
        t["bin_labels"], t["prob_predictions"], weights=w, reduction=r), "weights_col"),
    "hinge_loss": (lambda t, w, r: tf.losses.hinge_loss(
        t["bin_labels"], t["logits43"], weights=w, reduction=r), "weights_col"),
    "sigmoid_cross_entropy": (lambda t, w, r: tf.losses.sigmoid_cross_entropy(
        t["bin_labels"], t["logits43"], weights=w, reduction=r), "weights_col"),
    "sigmoid_cross_entropy_ls0.1": (lambda t, w, r: tf.losses.sigmoid_cross_entropy(
        t["bin_labels"], t["logits43"], weights=w, label_smoothing=0.1, reduction=r),
        "weights_col"),
    "softmax_cross_entropy": (lambda t, w, r: tf.losses.softmax_cross_entropy(
        t["onehot_labels"], t["logits43"], weights=w, reduction=r), "weights_vec"),
    "softmax_cross_entropy_ls0.1": (lambda t, w, r: tf.losses.softmax_cross_entropy(
        t["onehot_labels"], t["logits43"], weights=w, label_smoothing=0.1, reduction=r),
        "weights_vec"),
    "sparse_softmax_cross_entropy": (lambda t, w, r: tf.losses.sparse_softmax_cross_entropy(
        t["sparse_labels"], t["logits43"], weights=w, reduction=r), "weights_vec"),
}
WEIGHT_VARIANTS = ["scalar_1.0", "scalar_2.0", "scalar_0.0", "per_example"]


def _placeholders():
    return {k: tf.placeholder(tf.as_dtype(v.dtype), [None] + list(v.shape[1:]), name=k)
            for k, v in L.items()}


def _feeds(t):
    return {t[k]: v for k, v in L.items()}


def _check(name, got, want):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want, np.float32), rtol=2e-5,
                               atol=2e-6, err_msg=name)


def test_reference_table_matches_spec():
    assert set(SPECS) == set(REF["losses"])
    for r in REDUCTIONS:
        assert getattr(tf.losses.Reduction, r) == REF["reductions"][r]


def test_every_loss_weight_and_reduction_interpreter():
    # The full table (264 values) on the numpy interpreter: one graph, no compile.
    t = _placeholders()
    fetches = {}
    for name, (fn, wkey) in SPECS.items():
        for wv in WEIGHT_VARIANTS:
            w = t[wkey] if wv == "per_example" else float(wv.split("_")[1])
            for red in REDUCTIONS:
                fetches[name, wv, red] = fn(t, w, getattr(tf.losses.Reduction, red))
    out = session(jit=False).run(fetches, _feeds(t))
    for (name, wv, red), got in out.items():
        assert got.dtype == np.float32
        _check(f"{name} {wv} {red}", got, REF["losses"][name]["values"][wv][red])


@pytest.mark.parametrize("name", sorted(SPECS))
def test_per_example_weights_both_engines(name):
    # One small compiled graph per loss (a single graph of all of them compiles for minutes).
    fn, wkey = SPECS[name]
    reductions = REDUCTIONS if name == "mean_squared_error" else \
        ["NONE", "SUM_BY_NONZERO_WEIGHTS"]
    t = _placeholders()
    fetches = {red: fn(t, t[wkey], getattr(tf.losses.Reduction, red)) for red in reductions}
    out = run_both(fetches, _feeds(t))
    for red, got in out.items():
        _check(f"{name} {red}", got, REF["losses"][name]["values"]["per_example"][red])


@pytest.mark.parametrize("name", sorted(SPECS))
def test_default_reduction_name_and_collection(name):
    t = {k: tf.constant(v) for k, v in L.items()}
    loss = SPECS[name][0](t, 1.0, tf.losses.Reduction.SUM_BY_NONZERO_WEIGHTS)
    ref = REF["losses"][name]
    assert loss.name == ref["loss_name"]
    assert len(tf.get_collection(tf.GraphKeys.LOSSES)) == ref["losses_collection_size"]
    assert tf.losses.get_losses() == [loss]
    _check(name, session(jit=False).run(loss), ref["default_reduction_value_weights_1.0"])


def test_default_arguments_are_tf1():
    t = {k: tf.constant(v) for k, v in L.items()}
    loss = tf.losses.mean_squared_error(t["reg_labels"], t["reg_predictions"])
    _check("mse default", session(jit=False).run(loss),
           REF["losses"]["mean_squared_error"]["default_reduction_value_weights_1.0"])
    assert loss.shape.as_list() == []
    assert tf.losses.Reduction.SUM_OVER_NONZERO_WEIGHTS == \
        tf.losses.Reduction.SUM_BY_NONZERO_WEIGHTS == "weighted_sum_by_nonzero_weights"


def test_sparse_labels_and_weights_with_trailing_one_are_squeezed():
    t = {k: tf.constant(v) for k, v in L.items()}
    lab = tf.constant(L["sparse_labels"][:, None])
    w = tf.constant(L["weights_vec"][:, None])
    loss = tf.losses.sparse_softmax_cross_entropy(lab, t["logits43"], weights=w)
    _check("sparse squeezed", session(jit=False).run(loss),
           REF["losses"]["sparse_softmax_cross_entropy"]["values"]["per_example"][
               "SUM_BY_NONZERO_WEIGHTS"])


def test_cosine_distance():
    rs = np.random.RandomState(11)
    a, b = rs.randn(4, 3), rs.randn(4, 3)
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.placeholder(tf.float32, [None, 3])
    loss = tf.losses.cosine_distance(x, y, axis=1)
    none = tf.losses.cosine_distance(x, y, axis=1, reduction=tf.losses.Reduction.NONE)
    assert loss.name == "cosine_distance_loss/value:0"
    out = run_both([loss, none], {x: a.astype(np.float32), y: b.astype(np.float32)})
    per = 1 - (a * b).sum(1, keepdims=True)
    np.testing.assert_allclose(out[1], per, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[0], per.mean(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="You must specify 'axis'"):
        tf.losses.cosine_distance(x, y)


def test_collections_and_total_loss():
    a = tf.losses.mean_squared_error([1.0, 2.0], [1.5, 2.5])
    b = tf.losses.absolute_difference([1.0], [3.0], scope="mine")
    c = tf.losses.mean_squared_error([1.0], [3.0], loss_collection=None)
    assert b.name == "mine/value:0"
    assert tf.losses.get_losses() == [a, b]
    assert tf.losses.get_losses(scope="mine") == [b]
    assert c not in tf.losses.get_losses()
    assert tf.losses.get_regularization_losses() == []
    reg0 = tf.losses.get_regularization_loss()
    tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES, tf.constant(0.5))
    reg = tf.losses.get_regularization_loss()
    total = tf.losses.get_total_loss()
    no_reg = tf.losses.get_total_loss(add_regularization_losses=False)
    extra = tf.constant(10.0)
    tf.losses.add_loss(extra)
    assert tf.losses.get_losses()[-1] is extra
    out = session(jit=False).run([a, b, reg0, reg, total, no_reg])
    np.testing.assert_allclose(out, [0.25, 2.0, 0.0, 0.5, 2.75, 2.25], rtol=1e-6)


def test_errors():
    x = tf.constant(np.zeros((4, 3), np.float32))
    with pytest.raises(ValueError, match="Invalid Reduction Key bogus"):
        tf.losses.mean_squared_error(x, x, reduction="bogus")
    with pytest.raises(ValueError, match="weights can not be broadcast to values"):
        tf.losses.mean_squared_error(x, x, weights=tf.constant(np.ones(4, np.float32)))
    with pytest.raises(ValueError, match="labels must not be None"):
        tf.losses.mean_squared_error(None, x)
    with pytest.raises(ValueError, match="incompatible"):
        tf.losses.mean_squared_error(x, tf.zeros([4, 2]))


def test_loss_gradients(heavy_engine):
    d = loss_inputs()
    w_col = d["weights_col"].astype(np.float64)
    w_vec = d["weights_vec"].astype(np.float64)

    def build(pred, logits):
        probs = tf.sigmoid(pred)
        onehot = tf.constant(d["onehot_labels"].astype(np.float64))
        losses = [
            tf.losses.mean_squared_error(d["reg_labels"], pred, weights=w_col),
            tf.losses.absolute_difference(d["reg_labels"], pred),
            tf.losses.huber_loss(d["reg_labels"], pred, delta=0.5,
                                 reduction=tf.losses.Reduction.SUM),
            tf.losses.log_loss(d["bin_labels"], probs, weights=w_col,
                               reduction=tf.losses.Reduction.MEAN),
            tf.losses.hinge_loss(d["bin_labels"], logits),
            tf.losses.sigmoid_cross_entropy(d["bin_labels"], logits, label_smoothing=0.1),
            tf.losses.softmax_cross_entropy(onehot, logits, weights=w_vec, label_smoothing=0.1),
            tf.losses.sparse_softmax_cross_entropy(d["sparse_labels"], logits, weights=w_vec),
            tf.losses.cosine_distance(tf.nn.l2_normalize(pred, 1),
                                      tf.nn.l2_normalize(logits, 1), axis=1)]
        # Losses computed in float32 (as TF casts them) come back as float32.
        return tf.add_n([tf.cast(x, tf.float64) for x in losses])
    rs = np.random.RandomState(2)
    pred = d["reg_labels"] + rs.uniform(0.2, 0.8, (4, 3)) * np.sign(rs.randn(4, 3))
    logits = d["logits43"].astype(np.float64)
    check_gradients(build, {"pred": pred, "logits": logits}, atol=3e-3, engine=heavy_engine)
