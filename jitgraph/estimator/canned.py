"""The canned estimators of TF 1.x: DNNClassifier/DNNRegressor (a ReLU MLP on
`input_layer`, Adagrad at 0.05 by default) and LinearClassifier/LinearRegressor (a
zero-initialized linear model, FTRL at min(0.2, 1/sqrt(#columns)) by default), with
TF's variable names (`dnn/hiddenlayer_0/kernel`, `linear/linear_model/x/weights`, ...)
so their checkpoints are TF's."""
from __future__ import annotations

import math

from jitgraph import nn
from jitgraph.estimator.estimator import Estimator
from jitgraph.estimator.heads import RegressionHead, classification_head
from jitgraph.estimator.model_fn import ModeKeys
from jitgraph.feature_column.columns import _DenseColumn
from jitgraph.feature_column.input_layer import input_layer
from jitgraph.framework import dtypes
from jitgraph.ops import math_ops
from jitgraph.ops.math_ops import add_n
from jitgraph.variable_scope import variable_scope

_OPTIMIZERS = {"Adagrad": "AdagradOptimizer", "Adam": "AdamOptimizer",
               "Ftrl": "FtrlOptimizer", "RMSProp": "RMSPropOptimizer",
               "SGD": "GradientDescentOptimizer"}


def _optimizer(opt, default_lr):
    from jitgraph import train
    if callable(opt) and not hasattr(opt, "minimize"):
        opt = opt()
    if isinstance(opt, str):
        if opt not in _OPTIMIZERS:
            raise ValueError(f"Unsupported optimizer name: {opt}. Supported names are: "
                             f"{tuple(sorted(_OPTIMIZERS))}")
        return getattr(train, _OPTIMIZERS[opt])(learning_rate=default_lr)
    return opt


def _dnn_logits(features, hidden_units, feature_columns, units, activation_fn, dropout,
                batch_norm, mode):
    from jitgraph.layers.core import dense, dropout as dropout_layer
    from jitgraph.layers.normalization import batch_normalization
    from jitgraph.initializers import GlorotUniform
    with variable_scope("dnn"):
        with variable_scope("input_from_feature_columns"):
            net = input_layer(features, feature_columns)
        for i, n in enumerate(hidden_units):
            net = dense(net, n, activation=activation_fn, kernel_initializer=GlorotUniform(),
                        name=f"hiddenlayer_{i}")
            if dropout is not None and mode == ModeKeys.TRAIN:
                net = dropout_layer(net, rate=dropout, training=True)
            if batch_norm:
                net = batch_normalization(net, momentum=0.999,
                                          training=mode == ModeKeys.TRAIN,
                                          name=f"hiddenlayer_{i}/batchnorm_{i}")
        return dense(net, units, kernel_initializer=GlorotUniform(), name="logits")


def linear_model(features, feature_columns, units=1, sparse_combiner="sum"):
    """`linear_model`'s logits: one zero-initialized weight per dense input value and per
    category id (summed over a row's ids), plus `bias_weights`."""
    from jitgraph.feature_column.columns import indicator_column
    from jitgraph.ops.linalg_ops import matmul
    from jitgraph.initializers import Zeros
    from jitgraph.variable_scope import get_variable
    parts = []
    with variable_scope("linear_model"):
        for col in sorted(feature_columns, key=lambda c: c.name):
            dense_col = col if isinstance(col, _DenseColumn) else indicator_column(col)
            with variable_scope(col.name):
                x = input_layer(features, [dense_col])
                w = get_variable("weights", [x.shape[-1].value, units], initializer=Zeros())
                if x.dtype != dtypes.float32:
                    x = math_ops.cast(x, dtypes.float32)
                if sparse_combiner == "mean" and dense_col is not col:
                    x = x / math_ops.maximum(math_ops.reduce_sum(x, 1, keepdims=True), 1.0)
                parts.append(matmul(x, w))
        bias = get_variable("bias_weights", [units], initializer=Zeros())
        return nn.bias_add(add_n(parts) if len(parts) > 1 else parts[0], bias,
                           name="weighted_sum")


class _Canned(Estimator):
    def __init__(self, head, body, optimizer, default_lr, model_dir, config, warm_start_from):
        self._head = head

        def model_fn(features, labels, mode, config):
            logits = body(features, mode)
            opt = _optimizer(optimizer, default_lr) if mode == ModeKeys.TRAIN else None
            return head.create_estimator_spec(features, mode, logits, labels, optimizer=opt)

        super().__init__(model_fn, model_dir=model_dir, config=config,
                         warm_start_from=warm_start_from)


def _check_loss_reduction(loss_reduction):
    from jitgraph.losses import Reduction
    if loss_reduction not in (None, Reduction.SUM):
        raise NotImplementedError("jitgraph's canned estimators sum the loss over the batch "
                                  "(TF 1.x's default loss_reduction=SUM) only")


class DNNRegressor(_Canned):
    def __init__(self, hidden_units, feature_columns, model_dir=None, label_dimension=1,
                 weight_column=None, optimizer="Adagrad", activation_fn=nn.relu, dropout=None,
                 input_layer_partitioner=None, config=None, warm_start_from=None,
                 loss_reduction=None, batch_norm=False):
        _check_loss_reduction(loss_reduction)
        head = RegressionHead(label_dimension, weight_column)
        cols = list(feature_columns)
        super().__init__(head, lambda f, m: _dnn_logits(
            f, hidden_units, cols, label_dimension, activation_fn, dropout, batch_norm, m),
            optimizer, 0.05, model_dir, config, warm_start_from)


class DNNClassifier(_Canned):
    def __init__(self, hidden_units, feature_columns, model_dir=None, n_classes=2,
                 weight_column=None, label_vocabulary=None, optimizer="Adagrad",
                 activation_fn=nn.relu, dropout=None, input_layer_partitioner=None,
                 config=None, warm_start_from=None, loss_reduction=None, batch_norm=False):
        _check_loss_reduction(loss_reduction)
        head = classification_head(n_classes, weight_column, label_vocabulary)
        cols = list(feature_columns)
        super().__init__(head, lambda f, m: _dnn_logits(
            f, hidden_units, cols, head.logits_dimension, activation_fn, dropout, batch_norm,
            m), optimizer, 0.05, model_dir, config, warm_start_from)


def _linear_lr(feature_columns):
    return min(0.2, 1.0 / math.sqrt(len(feature_columns)))


class LinearRegressor(_Canned):
    def __init__(self, feature_columns, model_dir=None, label_dimension=1, weight_column=None,
                 optimizer="Ftrl", config=None, partitioner=None, warm_start_from=None,
                 loss_reduction=None, sparse_combiner="sum"):
        _check_loss_reduction(loss_reduction)
        cols = list(feature_columns)

        def body(f, m):
            with variable_scope("linear"):
                return linear_model(f, cols, label_dimension, sparse_combiner)

        super().__init__(RegressionHead(label_dimension, weight_column), body, optimizer,
                         _linear_lr(cols), model_dir, config, warm_start_from)


class LinearClassifier(_Canned):
    def __init__(self, feature_columns, model_dir=None, n_classes=2, weight_column=None,
                 label_vocabulary=None, optimizer="Ftrl", config=None, partitioner=None,
                 warm_start_from=None, loss_reduction=None, sparse_combiner="sum"):
        _check_loss_reduction(loss_reduction)
        head = classification_head(n_classes, weight_column, label_vocabulary)
        cols = list(feature_columns)

        def body(f, m):
            with variable_scope("linear"):
                return linear_model(f, cols, head.logits_dimension, sparse_combiner)

        super().__init__(head, body, optimizer, _linear_lr(cols), model_dir, config,
                         warm_start_from)
