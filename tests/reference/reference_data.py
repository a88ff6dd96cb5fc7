"""Deterministic numpy inputs shared by ``make_tf_reference.py`` and jitgraph's tests.

This module imports only numpy, so jitgraph tests can rebuild exactly the arrays
that were fed to TensorFlow 1.x when ``tf_reference.json`` was generated.
Every builder returns fresh arrays (float32 unless noted) built from
``np.random.RandomState(seed)`` or literals; never mutate global state.

Index of builders (the JSON refers to them by these names):

* ``linreg_data()``            -> dict(x, y_true)                 section "linreg"
* ``mlp_data()``               -> dict(X, labels, W1, b1, W2, b2)  section "mlp"
* ``gradient_inputs()``        -> dict name -> array               section "gradients"
* ``loss_inputs()``            -> dict name -> array               section "losses"
* ``nn_inputs()``              -> dict name -> array               section "nn"
"""

import numpy as np

F32 = np.float32


# --------------------------------------------------------------------------- #
# 1. Guide linear regression
# --------------------------------------------------------------------------- #
def linreg_data():
    """The 'getting started' linear regression: y = -x + 1 sampled at x=1..4."""
    x = np.array([[1], [2], [3], [4]], dtype=F32)
    y_true = np.array([[0], [-1], [-2], [-3]], dtype=F32)
    return {"x": x, "y_true": y_true}


LINREG_KERNEL_INIT = 0.5
LINREG_BIAS_INIT = 0.1
LINREG_LEARNING_RATE = 0.01
LINREG_STEPS = 30


# --------------------------------------------------------------------------- #
# 2. Small MLP (6 -> 16 relu -> 4 logits, sparse softmax CE)
# --------------------------------------------------------------------------- #
MLP_STEPS = 15


def mlp_data():
    """X (32, 6) float32, labels (32,) int32 in [0, 4), initial weights (scale 0.3)."""
    rs = np.random.RandomState(1234)
    X = rs.randn(32, 6).astype(F32)
    labels = rs.randint(0, 4, size=(32,)).astype(np.int32)
    W1 = (0.3 * rs.randn(6, 16)).astype(F32)
    b1 = (0.3 * rs.randn(16)).astype(F32)
    W2 = (0.3 * rs.randn(16, 4)).astype(F32)
    b2 = (0.3 * rs.randn(4)).astype(F32)
    return {"X": X, "labels": labels, "W1": W1, "b1": b1, "W2": W2, "b2": b2}


# --------------------------------------------------------------------------- #
# 3. Gradients
# --------------------------------------------------------------------------- #
def gradient_inputs():
    """Named float32 arrays used by the gradient cases (plus int32 'gather_idx')."""
    rs = np.random.RandomState(42)
    d = {}
    d["x34"] = rs.randn(3, 4).astype(F32)
    d["w4"] = rs.randn(4).astype(F32)
    d["a34"] = rs.randn(3, 4).astype(F32)
    d["b42"] = rs.randn(4, 2).astype(F32)
    d["c34"] = rs.randn(3, 4).astype(F32)  # fixed coefficients
    # reduce_max with ties (row 0 has a 2-way tie, row 2 a 3-way tie)
    d["x_ties"] = np.array([[1.0, 3.0, 3.0, 0.0],
                            [2.0, -1.0, 0.5, 1.5],
                            [4.0, 4.0, 4.0, -2.0]], dtype=F32)
    d["params53"] = rs.randn(5, 3).astype(F32)
    d["gather_idx"] = np.array([0, 2, 2, 4], dtype=np.int32)
    d["c43"] = rs.randn(4, 3).astype(F32)
    d["a23"] = rs.randn(2, 3).astype(F32)
    d["b22"] = rs.randn(2, 2).astype(F32)
    d["x234"] = rs.randn(2, 3, 4).astype(F32)
    d["c46"] = rs.randn(4, 6).astype(F32)
    # strictly positive-ish values for prod, and one row containing a zero
    d["x_prod"] = (0.5 + rs.rand(3, 4)).astype(F32)
    d["x_prod_zero"] = np.array([[1.5, 0.0, 2.0, -1.0],
                                 [0.5, 2.0, -1.5, 1.0],
                                 [0.0, 0.0, 3.0, 1.0]], dtype=F32)
    d["x_pos34"] = (0.5 + rs.rand(3, 4)).astype(F32)
    return d


# --------------------------------------------------------------------------- #
# 4. Losses
# --------------------------------------------------------------------------- #
def loss_inputs():
    """Labels / predictions / weights for tf.losses.* (batch of 4).

    Elementwise losses (mse, absolute_difference, huber, log_loss, hinge,
    sigmoid_cross_entropy) use (4, 3) tensors and per-example weights (4, 1).
    softmax / sparse softmax cross entropy produce one loss per example and use
    per-example weights (4,).  The per-example weights contain a zero so the
    *_NONZERO_WEIGHTS reductions differ from MEAN.
    """
    rs = np.random.RandomState(7)
    d = {}
    d["reg_labels"] = rs.randn(4, 3).astype(F32)
    d["reg_predictions"] = (d["reg_labels"] + 1.2 * rs.randn(4, 3)).astype(F32)
    d["bin_labels"] = rs.randint(0, 2, size=(4, 3)).astype(F32)
    d["prob_predictions"] = rs.uniform(0.05, 0.95, size=(4, 3)).astype(F32)
    d["logits43"] = (2.0 * rs.randn(4, 3)).astype(F32)
    d["sparse_labels"] = np.array([0, 2, 1, 2], dtype=np.int32)
    d["onehot_labels"] = np.eye(3, dtype=F32)[d["sparse_labels"]]
    d["weights_col"] = np.array([[1.0], [0.0], [2.0], [0.5]], dtype=F32)  # (4, 1)
    d["weights_vec"] = np.array([1.0, 0.0, 2.0, 0.5], dtype=F32)  # (4,)
    return d


# --------------------------------------------------------------------------- #
# 5. nn functions
# --------------------------------------------------------------------------- #
def nn_inputs():
    """x (5, 4) float32 with mixed signs and a few large values; matching labels."""
    rs = np.random.RandomState(3)
    x = (2.0 * rs.randn(5, 4)).astype(F32)
    x[0, 0] = 7.5   # > 6 exercises relu6 clipping
    x[1, 1] = -6.0
    x[2, 2] = 0.0
    sig_labels = rs.uniform(0.0, 1.0, size=(5, 4)).astype(F32)
    p = rs.uniform(0.1, 1.0, size=(5, 4)).astype(F32)
    soft_labels = (p / p.sum(axis=1, keepdims=True)).astype(F32)
    sparse_labels = np.array([0, 3, 1, 2, 3], dtype=np.int32)
    return {"x": x, "sig_labels": sig_labels, "soft_labels": soft_labels,
            "sparse_labels": sparse_labels}
