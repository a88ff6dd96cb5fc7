"""The streaming AUC of TF 1.x's `tf.metrics.auc`, which the binary head reports as
`auc` (ROC, trapezoidal) and `auc_precision_recall` (PR, careful interpolation).

Confusion counts at 200 thresholds (0 - 1e-7, 1/199, ..., 1 + 1e-7) accumulate in local
variables; the value is computed from them as TF computes it.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.framework.graph import GraphKeys
from jitgraph.metrics import METRIC_VARIABLES
from jitgraph.ops import math_ops
from jitgraph.ops.array_ops import expand_dims, ones_like, reshape
from jitgraph.ops.nn_ops import div_no_nan
from jitgraph.ops.reduction_ops import reduce_sum
from jitgraph.variable_scope import variable_scope

_EPS = 1e-7


def _thresholds(n):
    inner = [(i + 1) * 1.0 / (n - 1) for i in range(n - 2)]
    return np.array([0.0 - _EPS] + inner + [1.0 + _EPS], np.float32)


def _local(name, n):
    from jitgraph.initializers import Zeros
    from jitgraph.variables import Variable
    return Variable(lambda: Zeros()([n], dtypes.float32), trainable=False, name=name,
                    collections=[GraphKeys.LOCAL_VARIABLES, METRIC_VARIABLES])


def auc(labels, predictions, weights=None, num_thresholds=200, curve="ROC", name=None,
        summation_method="trapezoidal"):
    """(value, update_op) of the area under the ROC or PR curve of `predictions` in
    [0, 1] against boolean `labels`."""
    with variable_scope(name, "auc"):
        labels = reshape(math_ops.cast(labels, dtypes.bool), [1, -1])
        preds = reshape(math_ops.cast(predictions, dtypes.float32), [1, -1])
        w = (ones_like(preds) if weights is None
             else reshape(math_ops.cast(weights, dtypes.float32), [1, -1]) * ones_like(preds))
        above = math_ops.greater(preds, expand_dims(_thresholds(num_thresholds), 1))
        pos = math_ops.cast(labels, dtypes.float32) * w
        neg = (1.0 - math_ops.cast(labels, dtypes.float32)) * w
        fa = math_ops.cast(above, dtypes.float32)
        counts = {"true_positives": fa * pos, "false_negatives": (1.0 - fa) * pos,
                  "true_negatives": (1.0 - fa) * neg, "false_positives": fa * neg}
        vars_, updates = {}, {}
        for key, v in counts.items():
            var = _local(key, num_thresholds)
            vars_[key] = var.value()
            updates[key] = var.assign_add(reduce_sum(v, axis=1))
        value = _area(vars_, num_thresholds, curve, summation_method)
        update = _area(updates, num_thresholds, curve, summation_method)
        return value, update


def _area(c, n, curve, method):
    tp, fn, tn, fp = (c["true_positives"], c["false_negatives"], c["true_negatives"],
                      c["false_positives"])
    if curve == "PR" and method == "careful_interpolation":
        dtp = tp[:n - 1] - tp[1:]
        p = tp + fp
        slope = div_no_nan(dtp, math_ops.maximum(p[:n - 1] - p[1:], 0.0))
        intercept = tp[1:] - slope * p[1:]
        both = math_ops.logical_and(p[:n - 1] > 0, p[1:] > 0)
        ratio = math_ops.where(both, div_no_nan(p[:n - 1], math_ops.maximum(p[1:],
                                                                                      0.0)),
                               ones_like(p[1:]))
        return reduce_sum(div_no_nan(slope * (dtp + intercept * math_ops.log(ratio)),
                                              math_ops.maximum(tp[1:] + fn[1:], 0.0)))
    rec = (tp + _EPS) / (tp + fn + _EPS)
    if curve == "ROC":
        x, y = fp / (fp + tn + _EPS), rec
    else:
        x, y = rec, (tp + _EPS) / (tp + fp + _EPS)
    return reduce_sum((x[:n - 1] - x[1:]) * (y[:n - 1] + y[1:]) / 2.0)
