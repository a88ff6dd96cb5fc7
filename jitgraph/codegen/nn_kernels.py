"""Numba kernels for the nn ops (softmax, cross-entropy rows): reached as `K.<name>` from
generated code, because `codegen/kernels.py` re-exports this module.

Every kernel works on 2-D `[rows, classes]` arrays (the emitters reshape N-d tensors
to that view) and is numerically stable: each row is shifted by its max before `exp`.
Sums accumulate in float64 so float32 rows of any length stay accurate.
All names start with `nn_` so they never collide with `kernels.py`.
"""
from __future__ import annotations

import numpy as np
from numba import njit

# Same flags as kernels.py but without "nnan"/"ninf": a row max starts at -inf.
_NN_OPTS = dict(cache=True, nogil=True, error_model="numpy",
                fastmath={"reassoc", "contract", "arcp", "nsz", "afn"})


@njit(inline="always", **_NN_OPTS)
def nn_row_max(x, i):
    m = -np.inf
    for j in range(x.shape[1]):
        m = max(m, x[i, j])
    return x.dtype.type(m)


@njit(**_NN_OPTS)
def nn_softmax_rows(x):
    """softmax over the last axis of a 2-D array."""
    n, c = x.shape
    out = np.empty((n, c), x.dtype)
    for i in range(n):
        m = nn_row_max(x, i)
        s = 0.0
        for j in range(c):
            e = np.exp(x[i, j] - m)
            out[i, j] = e
            s += e
        inv = 1.0 / s
        for j in range(c):
            out[i, j] = out[i, j] * inv
    return out


@njit(**_NN_OPTS)
def nn_log_softmax_rows(x):
    """log(softmax) over the last axis of a 2-D array: x - max - log(sum(exp(x - max)))."""
    n, c = x.shape
    out = np.empty((n, c), x.dtype)
    for i in range(n):
        m = nn_row_max(x, i)
        s = 0.0
        for j in range(c):
            z = x[i, j] - m
            out[i, j] = z  # stored first: (x - m) - lse, never x - (m + lse), loses no bits
            s += np.exp(z)
        lse = out.dtype.type(np.log(s))
        for j in range(c):
            out[i, j] = out[i, j] - lse
    return out


@njit(**_NN_OPTS)
def nn_softmax_grad_rows(y, dy):
    """Gradient of softmax given its output y: (dy - sum(dy * y)) * y, row by row."""
    n, c = y.shape
    if dy.shape != y.shape:
        raise ValueError("SoftmaxGrad: y and dy must have the same shape")
    out = np.empty((n, c), y.dtype)
    for i in range(n):
        d = 0.0
        for j in range(c):
            d += dy[i, j] * y[i, j]
        for j in range(c):
            out[i, j] = (dy[i, j] - d) * y[i, j]
    return out


@njit(**_NN_OPTS)
def nn_log_softmax_grad_rows(y, dy):
    """Gradient of log_softmax given its output y: dy - exp(y) * sum(dy), row by row."""
    n, c = y.shape
    if dy.shape != y.shape:
        raise ValueError("LogSoftmaxGrad: y and dy must have the same shape")
    out = np.empty((n, c), y.dtype)
    for i in range(n):
        s = 0.0
        for j in range(c):
            s += dy[i, j]
        for j in range(c):
            out[i, j] = dy[i, j] - np.exp(y[i, j]) * s
    return out


@njit(**_NN_OPTS)
def nn_sparse_xent_rows(logits, labels):
    """TF's SparseSoftmaxCrossEntropyWithLogits: (loss [n], backprop [n, c]) in one pass.

    loss = log(sum(exp(x - m))) - (x[label] - m); backprop = softmax(x) - onehot(label).
    """
    n, c = logits.shape
    if labels.shape[0] != n:
        raise ValueError("logits and labels must have the same first dimension, got logits "
                         "rows " + str(n) + " and labels rows " + str(labels.shape[0]))
    loss = np.empty(n, logits.dtype)
    back = np.empty((n, c), logits.dtype)
    for i in range(n):
        lab = labels[i]
        if lab < 0 or lab >= c:
            raise ValueError("Received a label value of " + str(lab) + " which is outside the "
                             "valid range of [0, " + str(c) + ").")
        m = nn_row_max(logits, i)
        s = 0.0
        for j in range(c):
            e = np.exp(logits[i, j] - m)
            back[i, j] = e
            s += e
        inv = 1.0 / s
        for j in range(c):
            back[i, j] = back[i, j] * inv
        back[i, lab] -= 1
        loss[i] = np.log(s) - (logits[i, lab] - m)
    return loss, back


@njit(**_NN_OPTS)
def nn_softmax_xent_rows(logits, labels):
    """TF's SoftmaxCrossEntropyWithLogits: (loss [n], backprop [n, c]) in one pass.

    loss = sum(labels * (log(sum(exp(x - m))) - (x - m))); backprop = softmax(x) - labels.
    """
    n, c = logits.shape
    if labels.shape[0] != n or labels.shape[1] != c:
        raise ValueError("logits and labels must be broadcastable: logits_size=[" + str(n)
                         + "," + str(c) + "] labels_size=[" + str(labels.shape[0]) + ","
                         + str(labels.shape[1]) + "]")
    loss = np.empty(n, logits.dtype)
    back = np.empty((n, c), logits.dtype)
    for i in range(n):
        m = nn_row_max(logits, i)
        s = 0.0
        for j in range(c):
            e = np.exp(logits[i, j] - m)
            back[i, j] = e
            s += e
        inv = 1.0 / s
        lse = np.log(s)
        acc = 0.0
        for j in range(c):
            acc += labels[i, j] * (lse - (logits[i, j] - m))
            back[i, j] = back[i, j] * inv - labels[i, j]
        loss[i] = acc
    return loss, back


@njit(**_NN_OPTS)
def nn_l2_loss(x):
    """sum(x ** 2) / 2 over a 1-D array (TF's L2Loss)."""
    acc = 0.0
    for i in range(x.shape[0]):
        acc += x[i] * x[i]
    return x.dtype.type(acc * 0.5)
