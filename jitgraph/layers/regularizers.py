"""Weight regularizers (`tf.contrib.layers.l2_regularizer`, ...): tensor -> scalar loss."""
from __future__ import annotations

import numbers

from jitgraph.ops import math_ops
from jitgraph.ops.reduction_ops import reduce_sum


def _check_scale(scale):
    if isinstance(scale, numbers.Integral):
        raise ValueError(f"scale cannot be an integer: {scale}")
    if isinstance(scale, numbers.Real) and scale < 0.0:
        raise ValueError(f"Setting a scale less than 0 on a regularizer: {scale}")


def l1_regularizer(scale, scope=None):
    """scale * sum(|w|)."""
    _check_scale(scale)
    if scale == 0.0:
        return lambda _: None

    def l1(weights):
        from jitgraph.ops.api import name_scope
        with name_scope(scope, "l1_regularizer") as sc:
            return math_ops.multiply(scale, reduce_sum(math_ops.abs(weights)), name=sc)
    return l1


def l2_regularizer(scale, scope=None):
    """scale * sum(w^2) / 2 (TF's l2_loss)."""
    _check_scale(scale)
    if scale == 0.0:
        return lambda _: None

    def l2(weights):
        from jitgraph.ops.api import name_scope
        with name_scope(scope, "l2_regularizer") as sc:
            half_sq = reduce_sum(math_ops.square(weights)) * 0.5
            return math_ops.multiply(scale, half_sq, name=sc)
    return l2


def l1_l2_regularizer(scale_l1=1.0, scale_l2=1.0, scope=None):
    l1, l2 = l1_regularizer(scale_l1), l2_regularizer(scale_l2)

    def l1_l2(weights):
        parts = [r(weights) for r in (l1, l2)]
        parts = [p for p in parts if p is not None]
        return math_ops.add_n(parts) if parts else None
    return l1_l2


def apply_regularization(regularizer, weights_list=None):
    """Sum of `regularizer(w)` over `weights_list`, also added to REGULARIZATION_LOSSES."""
    from jitgraph.framework.graph import GraphKeys, get_default_graph
    g = get_default_graph()
    if weights_list is None:
        weights_list = g.get_collection(GraphKeys.WEIGHTS)
    if not weights_list:
        raise ValueError("No weights to regularize.")
    parts = [p for p in (regularizer(w) for w in weights_list) if p is not None]
    total = math_ops.add_n(parts)
    g.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, total)
    return total
