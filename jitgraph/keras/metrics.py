"""`tf.keras.metrics` as `compile(metrics=...)` uses them: per-sample functions whose
batch means `fit`/`evaluate` average over the samples of an epoch."""
from __future__ import annotations

from jitgraph.framework import dtypes
from jitgraph.keras import losses
from jitgraph.ops import math_ops
from jitgraph.ops.array_ops import reshape, squeeze
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.manip_ops import argmax
from jitgraph.ops.reduction_ops import reduce_mean
from jitgraph.ops.sort_ops import in_top_k


def _f(b, like):
    return math_ops.cast(b, like.dtype if like.dtype.is_floating else dtypes.float32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_pred = convert_to_tensor(y_pred)
    y_true = math_ops.cast(convert_to_tensor(y_true), y_pred.dtype)
    hit = math_ops.equal(y_true, math_ops.cast(y_pred > threshold, y_pred.dtype))
    return reduce_mean(_f(hit, y_pred), axis=-1)


def categorical_accuracy(y_true, y_pred):
    y_pred = convert_to_tensor(y_pred)
    return _f(math_ops.equal(argmax(y_true, axis=-1), argmax(y_pred, axis=-1)), y_pred)


def sparse_categorical_accuracy(y_true, y_pred):
    y_pred = convert_to_tensor(y_pred)
    y_true = convert_to_tensor(y_true)
    if y_true.shape.ndims is not None and y_pred.shape.ndims is not None and \
            y_true.shape.ndims == y_pred.shape.ndims:
        y_true = squeeze(y_true, [-1])
    pred = math_ops.cast(argmax(y_pred, axis=-1), dtypes.float32)
    return _f(math_ops.equal(math_ops.cast(y_true, dtypes.float32), pred), y_pred)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_pred = convert_to_tensor(y_pred)
    return _f(in_top_k(y_pred, math_ops.cast(argmax(y_true, axis=-1), dtypes.int32), k),
              y_pred)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_pred = convert_to_tensor(y_pred)
    labels = math_ops.cast(reshape(convert_to_tensor(y_true), [-1]), dtypes.int32)
    return _f(in_top_k(y_pred, labels, k), y_pred)


mean_squared_error = mse = losses.mean_squared_error
mean_absolute_error = mae = losses.mean_absolute_error
mean_absolute_percentage_error = mape = losses.mean_absolute_percentage_error
categorical_crossentropy = losses.categorical_crossentropy
sparse_categorical_crossentropy = losses.sparse_categorical_crossentropy
binary_crossentropy = losses.binary_crossentropy

_BY_NAME = {f.__name__: f for f in (
    binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, mean_squared_error,
    mean_absolute_error, mean_absolute_percentage_error, categorical_crossentropy,
    sparse_categorical_crossentropy, binary_crossentropy)}
_BY_NAME.update(mse=mse, mae=mae, mape=mape)


def resolve(metric, loss_fn, output):
    """(history name, fn) of one `compile(metrics=[...])` entry, as Keras 1.x names them:
    'acc'/'accuracy' -> 'acc' with the accuracy that fits the loss and output."""
    if metric in ("acc", "accuracy"):
        loss_name = getattr(loss_fn, "__name__", getattr(loss_fn, "name", ""))
        last = output.shape.as_list()[-1] if output.shape.ndims else None
        if last == 1 or loss_name == "binary_crossentropy":
            fn = binary_accuracy
        elif loss_name == "sparse_categorical_crossentropy":
            fn = sparse_categorical_accuracy
        else:
            fn = categorical_accuracy
        return "acc", fn
    if isinstance(metric, str):
        try:
            fn = _BY_NAME[metric]
        except KeyError:
            raise ValueError(f"Unknown metric function: {metric}") from None
        return fn.__name__, fn
    return getattr(metric, "__name__", getattr(metric, "name", "metric")), metric
