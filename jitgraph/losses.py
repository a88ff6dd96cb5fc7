"""`tf.losses` (TF 1.x): weighted losses, their reductions, and the LOSSES collection.

Every loss builds its elementwise form under its own name scope, then
`compute_weighted_loss` multiplies by `weights`, reduces, and adds the result to
`loss_collection`. As in TF, the reduced value is a `div_no_nan` named `value`
(e.g. `mean_squared_error/value:0`), so zero total weight gives 0, not NaN.
"""
from __future__ import annotations

import numbers

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.framework.graph import GraphKeys, get_default_graph
from jitgraph.ops import array_ops, math_ops, reduction_ops
from jitgraph.ops.constant import constant, convert_to_tensor
from jitgraph.ops.nn_ops import (div_no_nan, relu, softmax_cross_entropy_with_logits_v2,
                                 sparse_softmax_cross_entropy_with_logits)

__all__ = ["Reduction", "absolute_difference", "add_loss", "compute_weighted_loss",
           "cosine_distance", "get_losses", "get_regularization_loss",
           "get_regularization_losses", "get_total_loss", "hinge_loss", "huber_loss",
           "log_loss", "mean_squared_error", "sigmoid_cross_entropy", "softmax_cross_entropy",
           "sparse_softmax_cross_entropy"]


class Reduction:
    """Types of loss reduction (TF 1.x strings)."""

    NONE = "none"
    SUM = "weighted_sum"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    MEAN = "weighted_mean"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls):
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE,
                cls.SUM_OVER_NONZERO_WEIGHTS, cls.SUM_BY_NONZERO_WEIGHTS)

    @classmethod
    def validate(cls, key):
        if key not in cls.all():
            raise ValueError(f"Invalid Reduction Key {key}.")


def _scope(scope, default):
    return get_default_graph().name_scope(scope or default)


def _f32(x):
    return math_ops.cast(convert_to_tensor(x), dtypes.float32)


def _check_compatible(a, b):
    if not a.shape.is_compatible_with(b.shape):
        raise ValueError(f"Shapes {a.shape} and {b.shape} are incompatible")


_BCAST_PREFIX = "weights can not be broadcast to values."


def _assert_broadcastable(weights, values):
    """Static form of TF's assert_broadcastable: weights rank 0, or values' rank with each
    dim 1 or equal."""
    ws, vs = weights.shape, values.shape
    if ws.ndims is None or vs.ndims is None or ws.ndims == 0:
        return
    if ws.ndims != vs.ndims:
        raise ValueError(f"{_BCAST_PREFIX} values.rank={vs.ndims}. weights.rank={ws.ndims}. "
                         f"values.shape={vs}. weights.shape={ws}.")
    for i, (w, v) in enumerate(zip(ws.as_tuple(), vs.as_tuple())):
        if w is not None and v is not None and w not in (1, v):
            raise ValueError(f"{_BCAST_PREFIX} Mismatch at dim {i}. values.shape={vs} "
                             f"weights.shape={ws}.")


def _num_elements(losses):
    with get_default_graph().name_scope("num_elements") as scope:
        if losses.shape.is_fully_defined():
            return constant(float(losses.shape.num_elements()), dtype=losses.dtype,
                            name=scope)
        return math_ops.cast(array_ops.size(losses, name=scope), losses.dtype)


def _num_present(losses, weights, raw_weights):
    """How many elements of `losses` have a nonzero (broadcast) weight."""
    if isinstance(raw_weights, numbers.Real) and not isinstance(raw_weights, bool) and \
            raw_weights != 0:
        return _num_elements(losses)  # a nonzero Python scalar weights every element
    with get_default_graph().name_scope("num_present") as scope:
        present = math_ops.where(math_ops.equal(weights, 0.0), array_ops.zeros_like(weights),
                                 array_ops.ones_like(weights))
        present = math_ops.multiply(present, array_ops.ones_like(losses))
        return reduction_ops.reduce_sum(present, name=scope)


def compute_weighted_loss(losses, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """losses * weights, reduced by `reduction`, added to `loss_collection`."""
    Reduction.validate(reduction)
    with _scope(scope, "weighted_loss"):
        raw_weights = weights
        losses = convert_to_tensor(losses)
        input_dtype = losses.dtype
        losses = math_ops.cast(losses, dtypes.float32)
        weights = math_ops.cast(convert_to_tensor(weights), dtypes.float32)
        _assert_broadcastable(weights, losses)
        weighted_losses = math_ops.multiply(losses, weights)
        if reduction == Reduction.NONE:
            loss = weighted_losses
        else:
            loss = reduction_ops.reduce_sum(weighted_losses)
            if reduction == Reduction.MEAN:
                loss = div_no_nan(loss, reduction_ops.reduce_sum(
                    math_ops.multiply(array_ops.ones_like(losses), weights)), name="value")
            elif reduction == Reduction.SUM_BY_NONZERO_WEIGHTS:
                loss = div_no_nan(loss, _num_present(losses, weights, raw_weights),
                                  name="value")
            elif reduction == Reduction.SUM_OVER_BATCH_SIZE:
                loss = div_no_nan(loss, _num_elements(losses), name="value")
        loss = math_ops.cast(loss, input_dtype)
        add_loss(loss, loss_collection)
        return loss


def _require(labels, predictions, pred_name="predictions"):
    if labels is None:
        raise ValueError("labels must not be None.")
    if predictions is None:
        raise ValueError(f"{pred_name} must not be None.")


def mean_squared_error(labels, predictions, weights=1.0, scope=None,
                       loss_collection=GraphKeys.LOSSES,
                       reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted (predictions - labels) ** 2."""
    _require(labels, predictions)
    with _scope(scope, "mean_squared_error") as scope:
        predictions, labels = _f32(predictions), _f32(labels)
        _check_compatible(predictions, labels)
        losses = math_ops.squared_difference(predictions, labels)
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def absolute_difference(labels, predictions, weights=1.0, scope=None,
                        loss_collection=GraphKeys.LOSSES,
                        reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted |predictions - labels|."""
    _require(labels, predictions)
    with _scope(scope, "absolute_difference") as scope:
        predictions, labels = _f32(predictions), _f32(labels)
        _check_compatible(predictions, labels)
        losses = math_ops.abs(math_ops.subtract(predictions, labels))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def huber_loss(labels, predictions, weights=1.0, delta=1.0, scope=None,
               loss_collection=GraphKeys.LOSSES, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """0.5 * e ** 2 where |e| <= delta, else delta * (|e| - 0.5 * delta); e = pred - labels."""
    _require(labels, predictions)
    with _scope(scope, "huber_loss") as scope:
        predictions, labels = _f32(predictions), _f32(labels)
        _check_compatible(predictions, labels)
        error = math_ops.subtract(predictions, labels)
        abs_error = math_ops.abs(error)
        delta_t = convert_to_tensor(delta, dtype=dtypes.float32)
        quadratic = math_ops.minimum(abs_error, delta_t)
        linear = math_ops.subtract(abs_error, quadratic)
        losses = math_ops.add(
            math_ops.multiply(convert_to_tensor(0.5, dtype=quadratic.dtype),
                              math_ops.multiply(quadratic, quadratic)),
            math_ops.multiply(delta_t, linear))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def log_loss(labels, predictions, weights=1.0, epsilon=1e-7, scope=None,
             loss_collection=GraphKeys.LOSSES, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """-labels * log(p + eps) - (1 - labels) * log(1 - p + eps)."""
    _require(labels, predictions)
    with _scope(scope, "log_loss") as scope:
        predictions, labels = _f32(predictions), _f32(labels)
        _check_compatible(predictions, labels)
        eps = convert_to_tensor(epsilon, dtype=dtypes.float32)
        losses = -math_ops.multiply(labels, math_ops.log(predictions + eps)) - \
            math_ops.multiply(1 - labels, math_ops.log(1 - predictions + eps))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def hinge_loss(labels, logits, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
               reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """relu(1 - (2 * labels - 1) * logits), labels in {0, 1}."""
    _require(labels, logits, "logits")
    with _scope(scope, "hinge_loss") as scope:
        logits, labels = _f32(logits), _f32(labels)
        _check_compatible(logits, labels)
        all_ones = array_ops.ones_like(labels)
        labels = math_ops.subtract(2 * labels, all_ones)
        losses = relu(math_ops.subtract(all_ones, math_ops.multiply(labels, logits)))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def sigmoid_cross_entropy(multi_class_labels, logits, weights=1.0, label_smoothing=0,
                          scope=None, loss_collection=GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted sigmoid cross-entropy; labels smoothed towards 1/2 by `label_smoothing`."""
    from jitgraph.nn import sigmoid_cross_entropy_with_logits
    _require(multi_class_labels, logits, "logits")
    with _scope(scope, "sigmoid_cross_entropy_loss") as scope:
        logits = convert_to_tensor(logits)
        labels = math_ops.cast(convert_to_tensor(multi_class_labels), logits.dtype)
        _check_compatible(logits, labels)
        if label_smoothing > 0:
            labels = labels * (1 - label_smoothing) + 0.5 * label_smoothing
        losses = sigmoid_cross_entropy_with_logits(labels=labels, logits=logits,
                                                   name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def softmax_cross_entropy(onehot_labels, logits, weights=1.0, label_smoothing=0, scope=None,
                          loss_collection=GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted softmax cross-entropy [batch]; labels smoothed towards 1/num_classes."""
    _require(onehot_labels, logits, "logits")
    with _scope(scope, "softmax_cross_entropy_loss") as scope:
        logits = convert_to_tensor(logits)
        labels = math_ops.cast(convert_to_tensor(onehot_labels), logits.dtype)
        _check_compatible(logits, labels)
        if label_smoothing > 0:
            c = labels.shape.as_tuple()[-1] if labels.shape.ndims else None
            if c is not None:
                num_classes = convert_to_tensor(float(c), dtype=logits.dtype)
            else:  # the per-row count of entries is the number of classes
                num_classes = reduction_ops.reduce_sum(array_ops.ones_like(labels), -1,
                                                       keepdims=True)
            smooth_positives = 1.0 - label_smoothing
            smooth_negatives = label_smoothing / num_classes
            labels = labels * smooth_positives + smooth_negatives
        labels = array_ops.stop_gradient(labels, name="labels_stop_gradient")
        losses = softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits,
                                                      name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def _squeeze_last(t):
    return array_ops.squeeze(t, [-1])


def sparse_softmax_cross_entropy(labels, logits, weights=1.0, scope=None,
                                 loss_collection=GraphKeys.LOSSES,
                                 reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted softmax cross-entropy of integer class ids `labels` [batch] (or [batch, 1])."""
    _require(labels, logits, "logits")
    with _scope(scope, "sparse_softmax_cross_entropy_loss") as scope:
        labels = convert_to_tensor(labels)
        logits = convert_to_tensor(logits)
        # TF's _remove_squeezable_dimensions: labels [batch, 1] -> [batch], same for weights.
        lr, xr = labels.shape.ndims, logits.shape.ndims
        if lr is not None and xr is not None and lr == xr and \
                labels.shape.as_tuple()[-1] in (1, None):
            labels = _squeeze_last(labels)
        if not isinstance(weights, numbers.Real):
            w = convert_to_tensor(weights)
            wr = w.shape.ndims
            if wr is not None and xr is not None and wr == xr and wr > 0 and \
                    w.shape.as_tuple()[-1] == 1:
                weights = _squeeze_last(w)
        losses = sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits,
                                                          name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def cosine_distance(labels, predictions, axis=None, weights=1.0, scope=None,
                    loss_collection=GraphKeys.LOSSES,
                    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS, dim=None):
    """1 - sum(labels * predictions, axis) for unit-normalized inputs (keeps `axis`)."""
    if axis is not None and dim is not None:
        raise ValueError("Cannot specify both 'axis' and 'dim'.")
    if axis is None:
        axis = dim
    if axis is None:
        raise ValueError("You must specify 'axis'.")
    _require(labels, predictions)
    with _scope(scope, "cosine_distance_loss") as scope:
        predictions, labels = _f32(predictions), _f32(labels)
        _check_compatible(predictions, labels)
        radial_diffs = math_ops.multiply(predictions, labels)
        losses = 1 - reduction_ops.reduce_sum(radial_diffs, axis=(axis,), keepdims=True)
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


# -- the collections ------------------------------------------------------------------------
def add_loss(loss, loss_collection=GraphKeys.LOSSES):
    """Adds `loss` to `loss_collection` (nothing when the collection is None or empty)."""
    if loss_collection:
        get_default_graph().add_to_collection(loss_collection, loss)


def get_losses(scope=None, loss_collection=GraphKeys.LOSSES):
    return get_default_graph().get_collection(loss_collection, scope)


def get_regularization_losses(scope=None):
    return get_default_graph().get_collection(GraphKeys.REGULARIZATION_LOSSES, scope)


def get_regularization_loss(scope=None, name="total_regularization_loss"):
    """The sum of the regularization losses, or a constant 0.0 when there are none."""
    losses = get_regularization_losses(scope)
    if losses:
        return math_ops.add_n(losses, name=name)
    return constant(np.float32(0.0))


def get_total_loss(add_regularization_losses=True, name="total_loss", scope=None):
    """The sum of the LOSSES collection (plus the regularization losses)."""
    losses = get_losses(scope=scope)
    if add_regularization_losses:
        losses += get_regularization_losses(scope=scope)
    return math_ops.add_n(losses, name=name)
