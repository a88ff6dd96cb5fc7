"""`tf.keras.losses`: per-sample loss functions (mean over the last axis) and their class
forms, which reduce over the batch (SUM_OVER_BATCH_SIZE), as Keras computes them.

Probabilities that come straight from a softmax (sigmoid) op are turned back into its
logits, as Keras does, so the loss is the numerically stable one TF computes.
"""
from __future__ import annotations

from jitgraph import nn
from jitgraph.framework import dtypes
from jitgraph.keras import backend as K
from jitgraph.ops import math_ops
from jitgraph.ops.array_ops import reshape, shape
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.manip_ops import clip_by_value
from jitgraph.ops.nn_ops import (softmax_cross_entropy_with_logits_v2,
                                 sparse_softmax_cross_entropy_with_logits)
from jitgraph.ops.reduction_ops import reduce_mean, reduce_sum


def _pair(y_true, y_pred):
    y_pred = convert_to_tensor(y_pred)
    y_true = convert_to_tensor(y_true)
    if y_true.dtype != y_pred.dtype and y_pred.dtype.is_floating:
        y_true = math_ops.cast(y_true, y_pred.dtype)
    return y_true, y_pred


def _logits_of(output, op_type):
    return output.op.inputs[0] if output.op.type == op_type else None


def mean_squared_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return reduce_mean(math_ops.squared_difference(y_pred, y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return reduce_mean(math_ops.abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    diff = math_ops.abs((y_true - y_pred) / math_ops.maximum(math_ops.abs(y_true), K.epsilon()))
    return 100.0 * reduce_mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    a = math_ops.log(math_ops.maximum(y_pred, K.epsilon()) + 1.0)
    b = math_ops.log(math_ops.maximum(y_true, K.epsilon()) + 1.0)
    return reduce_mean(math_ops.squared_difference(a, b), axis=-1)


def hinge(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return reduce_mean(math_ops.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return reduce_mean(math_ops.square(math_ops.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def logcosh(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    x = y_pred - y_true
    return reduce_mean(x + nn.softplus(-2.0 * x) - 0.6931471805599453, axis=-1)


def kullback_leibler_divergence(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = clip_by_value(y_true, K.epsilon(), 1.0)
    y_pred = clip_by_value(y_pred, K.epsilon(), 1.0)
    return reduce_sum(y_true * math_ops.log(y_true / y_pred), axis=-1)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0):
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        n = math_ops.cast(shape(y_true)[-1], y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / n
    logits = y_pred if from_logits else _logits_of(y_pred, "Softmax")
    if logits is not None:
        return softmax_cross_entropy_with_logits_v2(labels=y_true, logits=logits)
    p = y_pred / reduce_sum(y_pred, axis=-1, keepdims=True)
    p = clip_by_value(p, K.epsilon(), 1.0 - K.epsilon())
    return -reduce_sum(y_true * math_ops.log(p), axis=-1)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    y_pred = convert_to_tensor(y_pred)
    logits = y_pred if from_logits else _logits_of(y_pred, "Softmax")
    if logits is None:
        logits = math_ops.log(clip_by_value(y_pred, K.epsilon(), 1.0 - K.epsilon()))
    labels = convert_to_tensor(y_true)
    if labels.dtype != dtypes.int64:
        labels = math_ops.cast(labels, dtypes.int64)
    rank = logits.shape.ndims
    # Keras flattens [batch, 1] (or any) labels against logits flattened to [-1, classes].
    flat_labels = reshape(labels, [-1])
    out = sparse_softmax_cross_entropy_with_logits(
        labels=flat_labels, logits=reshape(logits, [-1, shape(logits)[-1]]))
    if rank is not None and rank == 2:
        return out
    return reshape(out, shape(logits)[:-1])


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0):
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    logits = y_pred if from_logits else _logits_of(y_pred, "Sigmoid")
    if logits is not None:
        bce = nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=logits)
    else:
        eps = K.epsilon()
        p = clip_by_value(y_pred, eps, 1.0 - eps)
        bce = -(y_true * math_ops.log(p + eps) + (1.0 - y_true) * math_ops.log(1.0 - p + eps))
    return reduce_mean(bce, axis=-1)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence


class Reduction:
    NONE, SUM, SUM_OVER_BATCH_SIZE, AUTO = "none", "sum", "sum_over_batch_size", "auto"


class Loss:
    """A loss function with its arguments, reducing per-sample losses to a scalar."""

    def __init__(self, reduction=Reduction.AUTO, name=None):
        self.reduction, self.name = reduction, name

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        per_sample = self.call(y_true, y_pred)
        if sample_weight is not None:
            per_sample = per_sample * math_ops.cast(sample_weight, per_sample.dtype)
        if self.reduction == Reduction.NONE:
            return per_sample
        if self.reduction == Reduction.SUM:
            return reduce_sum(per_sample)
        return reduce_mean(per_sample)


class LossFunctionWrapper(Loss):
    def __init__(self, fn, reduction=Reduction.AUTO, name=None, **kwargs):
        super().__init__(reduction, name or fn.__name__)
        self.fn, self._fn_kwargs = fn, kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)


def _wrapper(fn, default_name, **defaults):
    def init(self, *args, reduction=Reduction.AUTO, name=default_name, **kwargs):
        kw = dict(defaults)
        kw.update(zip(defaults, args))
        kw.update(kwargs)
        LossFunctionWrapper.__init__(self, fn, reduction, name, **kw)
    return init


class MeanSquaredError(LossFunctionWrapper):
    __init__ = _wrapper(mean_squared_error, "mean_squared_error")


class MeanAbsoluteError(LossFunctionWrapper):
    __init__ = _wrapper(mean_absolute_error, "mean_absolute_error")


class CategoricalCrossentropy(LossFunctionWrapper):
    __init__ = _wrapper(categorical_crossentropy, "categorical_crossentropy",
                        from_logits=False, label_smoothing=0)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    __init__ = _wrapper(sparse_categorical_crossentropy, "sparse_categorical_crossentropy",
                        from_logits=False)


class BinaryCrossentropy(LossFunctionWrapper):
    __init__ = _wrapper(binary_crossentropy, "binary_crossentropy", from_logits=False,
                        label_smoothing=0)


class Hinge(LossFunctionWrapper):
    __init__ = _wrapper(hinge, "hinge")


_BY_NAME = {f.__name__: f for f in (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, hinge, squared_hinge, logcosh, kullback_leibler_divergence,
    categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy)}
_BY_NAME.update(mse=mse, mae=mae, mape=mape, msle=msle, kld=kld, MSE=mse, MAE=mae,
                MAPE=mape, MSLE=msle, KLD=kld)


def get(identifier):
    if callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier in _BY_NAME:
        return _BY_NAME[identifier]
    raise ValueError(f"Unknown loss function: {identifier}")
