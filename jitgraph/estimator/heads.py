"""The canned estimators' heads (TF 1.x `head.py`): from logits to predictions, the
training loss (summed over the batch: `loss_reduction=SUM`), eval metrics and train op."""
from __future__ import annotations

from jitgraph import metrics, nn
from jitgraph.estimator.model_fn import EstimatorSpec, ModeKeys
from jitgraph.framework import dtypes
from jitgraph.ops import math_ops
from jitgraph.ops.api import name_scope
from jitgraph.ops.array_ops import expand_dims, ones_like, reshape, size, zeros_like
from jitgraph.ops.manip_ops import argmax, concat
from jitgraph.ops.reduction_ops import reduce_sum
from jitgraph.ops.string_ops import as_string
from jitgraph.summary.summary_ops import scalar


class _Head:
    def __init__(self, logits_dimension, weight_column=None, label_vocabulary=None):
        self.logits_dimension = logits_dimension
        self._weight_column, self._vocab = weight_column, label_vocabulary

    def _weights(self, features):
        if self._weight_column is None:
            return None
        key = getattr(self._weight_column, "key", self._weight_column)
        return reshape(math_ops.cast(features[key], dtypes.float32), [-1, 1])

    def _label_ids(self, labels):
        if self._vocab is None:
            return math_ops.cast(reshape(labels, [-1, 1]), dtypes.int64)
        from jitgraph.lookup import index_table_from_tensor
        table = index_table_from_tensor(list(self._vocab), name="class_id_lookup")
        return table.lookup(reshape(labels, [-1, 1]))

    def _classes(self, class_ids):
        if self._vocab is None:
            return as_string(class_ids, name="str_classes")
        from jitgraph.lookup import index_to_string_table_from_tensor
        return index_to_string_table_from_tensor(list(self._vocab)).lookup(class_ids)

    def create_estimator_spec(self, features, mode, logits, labels=None, optimizer=None,
                              train_op_fn=None):
        with name_scope("head"):
            preds = self._predictions(logits)
            if mode == ModeKeys.PREDICT:
                return EstimatorSpec(mode, predictions=preds)
            unweighted, label_t = self._unweighted_loss(logits, labels)
            w = self._weights(features)
            per = unweighted if w is None else unweighted * w
            loss = reduce_sum(per)
            if mode == ModeKeys.EVAL:
                with name_scope(None):
                    ops = self._metrics(preds, label_t, unweighted, w)
                return EstimatorSpec(mode, predictions=preds, loss=loss, eval_metric_ops=ops)
            with name_scope(""):
                scalar("loss", loss)
                n = (reduce_sum(w * ones_like(unweighted)) if w is not None
                     else math_ops.cast(size(unweighted), dtypes.float32))
                scalar("average_loss", loss / n)
            if optimizer is not None:
                from jitgraph.train.training_util import get_global_step
                train_op = optimizer.minimize(loss, global_step=get_global_step())
            else:
                train_op = train_op_fn(loss)
            return EstimatorSpec(mode, predictions=preds, loss=loss, train_op=train_op)


class RegressionHead(_Head):
    def _predictions(self, logits):
        return {"predictions": logits}

    def _unweighted_loss(self, logits, labels):
        labels = reshape(math_ops.cast(labels, dtypes.float32), [-1, self.logits_dimension])
        return math_ops.squared_difference(logits, labels), labels

    def _metrics(self, preds, labels, unweighted, w):
        return {"average_loss": metrics.mean(unweighted, w, name="average_loss"),
                "label/mean": metrics.mean(labels, w, name="label/mean"),
                "prediction/mean": metrics.mean(preds["predictions"], w,
                                                name="prediction/mean")}


class BinaryClassHead(_Head):
    """A sigmoid on one logit; class 1 when its probability passes 0.5."""

    def _predictions(self, logits):
        two = concat([zeros_like(logits), logits], axis=-1, name="two_class_logits")
        class_ids = expand_dims(argmax(two, axis=-1), -1)
        return {"logits": logits, "logistic": math_ops.sigmoid(logits, name="logistic"),
                "probabilities": nn.softmax(two, name="probabilities"),
                "class_ids": class_ids, "classes": self._classes(class_ids)}

    def _unweighted_loss(self, logits, labels):
        ids = self._label_ids(labels)
        lab = math_ops.cast(ids, dtypes.float32)
        return nn.sigmoid_cross_entropy_with_logits(labels=lab, logits=logits), ids

    def _metrics(self, preds, ids, unweighted, w):
        lab = math_ops.cast(ids, dtypes.float32)
        pred = math_ops.cast(preds["class_ids"], dtypes.float32)
        label_mean = metrics.mean(lab, w, name="label/mean")
        base_value = math_ops.maximum(label_mean[0], 1.0 - label_mean[0])
        base_update = math_ops.maximum(label_mean[1], 1.0 - label_mean[1])
        hit = math_ops.cast(math_ops.equal(pred, lab), dtypes.float32)
        pw = pred if w is None else pred * w
        lw = lab if w is None else lab * w
        from jitgraph.estimator.auc import auc
        return {"accuracy": metrics.mean(hit, w, name="accuracy"),
                "accuracy_baseline": (base_value, base_update),
                "auc": auc(ids, preds["logistic"], w, name="auc"),
                "auc_precision_recall": auc(ids, preds["logistic"], w, curve="PR",
                                            name="auc_precision_recall",
                                            summation_method="careful_interpolation"),
                "average_loss": metrics.mean(unweighted, w, name="average_loss"),
                "label/mean": label_mean,
                "prediction/mean": metrics.mean(preds["logistic"], w, name="prediction/mean"),
                "precision": metrics.mean(lab, pw, name="precision"),
                "recall": metrics.mean(pred, lw, name="recall")}


class MultiClassHead(_Head):
    """A softmax over `n_classes` logits."""

    def _predictions(self, logits):
        class_ids = expand_dims(argmax(logits, axis=-1), -1)
        return {"logits": logits, "probabilities": nn.softmax(logits, name="probabilities"),
                "class_ids": class_ids, "classes": self._classes(class_ids)}

    def _unweighted_loss(self, logits, labels):
        ids = self._label_ids(labels)
        loss = nn.sparse_softmax_cross_entropy_with_logits(labels=reshape(ids, [-1]),
                                                           logits=logits)
        return expand_dims(loss, -1), ids

    def _metrics(self, preds, ids, unweighted, w):
        hit = math_ops.cast(math_ops.equal(preds["class_ids"], ids), dtypes.float32)
        return {"accuracy": metrics.mean(hit, w, name="accuracy"),
                "average_loss": metrics.mean(unweighted, w, name="average_loss")}


def classification_head(n_classes, weight_column=None, label_vocabulary=None):
    if n_classes < 2:
        raise ValueError(f"n_classes must be > 1 for classification: {n_classes}")
    if n_classes == 2:
        return BinaryClassHead(1, weight_column, label_vocabulary)
    return MultiClassHead(n_classes, weight_column, label_vocabulary)
