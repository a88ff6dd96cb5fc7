"""`tf.metrics`: streaming metrics as (value, update_op) pairs over local variables.

Each metric keeps `total` and `count` local variables under its own variable scope
(`accuracy/total:0`, ...), initialized by `tf.local_variables_initializer()`;
running `update_op` folds in a batch and returns the new value.
"""
from __future__ import annotations

from jitgraph.framework import dtypes
from jitgraph.framework.graph import GraphKeys, get_default_graph
from jitgraph.ops import math_ops
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.nn_ops import div_no_nan
from jitgraph.ops.reduction_ops import reduce_sum

METRIC_VARIABLES = "metric_variables"


def _metric_variable(name):
    from jitgraph.initializers import Zeros
    from jitgraph.variables import Variable
    return Variable(lambda: Zeros()([], dtypes.float32), trainable=False, name=name,
                    collections=[GraphKeys.LOCAL_VARIABLES, METRIC_VARIABLES])


def _add(collections, value):
    for c in collections or ():
        get_default_graph().add_to_collection(c, value)


def mean(values, weights=None, metrics_collections=None, updates_collections=None,
         name=None):
    """The (weighted) mean of every value seen so far."""
    from jitgraph.variable_scope import variable_scope
    with variable_scope(name, "mean", [values, weights]):
        return _mean_here(values, weights, metrics_collections, updates_collections)


def _mean_here(values, weights, metrics_collections, updates_collections):
    """`mean`'s variables and ops in the current scope."""
    from jitgraph.ops.array_ops import ones_like
    v = math_ops.cast(convert_to_tensor(values), dtypes.float32)
    total = _metric_variable("total")
    count = _metric_variable("count")
    if weights is None:
        n = math_ops.cast(_size(v), dtypes.float32)
    else:
        w = math_ops.cast(convert_to_tensor(weights), dtypes.float32) * ones_like(v)
        v = v * w
        n = reduce_sum(w)
    upd_total = total.assign_add(reduce_sum(v))
    upd_count = count.assign_add(n)
    value = div_no_nan(total.value(), count.value(), name="value")
    update_op = div_no_nan(upd_total, upd_count, name="update_op")
    _add(metrics_collections, value)
    _add(updates_collections, update_op)
    return value, update_op


def _size(t):
    from jitgraph.ops.array_ops import size
    return size(t)


def accuracy(labels, predictions, weights=None, metrics_collections=None,
             updates_collections=None, name=None):
    """How often `predictions` equals `labels` (weighted), accumulated over batches."""
    from jitgraph.variable_scope import variable_scope
    with variable_scope(name, "accuracy", [labels, predictions, weights]):
        p = convert_to_tensor(predictions)
        lab = convert_to_tensor(labels)
        if lab.dtype != p.dtype:
            lab = math_ops.cast(lab, p.dtype)
        is_correct = math_ops.cast(math_ops.equal(p, lab), dtypes.float32)
        return _mean_here(is_correct, weights, metrics_collections, updates_collections)
