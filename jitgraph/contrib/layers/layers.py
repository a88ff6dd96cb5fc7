"""`tf.contrib.layers` layer functions, as TF 1.x contrib named and built them.

Variables are `<scope>/weights`, `<scope>/biases`, `<scope>/beta`, ... made by
get_variable (so `reuse` and arg_scope work as in TF) and also put in MODEL_VARIABLES.
"""
from __future__ import annotations

import numpy as np

from jitgraph.contrib.arg_scope import add_arg_scope
from jitgraph.contrib.layers.initializers import xavier_initializer
from jitgraph.framework import dtypes
from jitgraph.framework.graph import GraphKeys, get_default_graph
from jitgraph.initializers import Ones, Zeros
from jitgraph.ops import math_ops
from jitgraph.ops.array_ops import identity, reshape
from jitgraph.ops.constant import convert_to_tensor


def _relu(x):
    from jitgraph import nn
    return nn.relu(x)


def _collections(variables_collections, key):
    """contrib's `variables_collections`: a list for every variable, or a dict by role."""
    if isinstance(variables_collections, dict):
        extra = variables_collections.get(key)
    else:
        extra = variables_collections
    extra = [extra] if isinstance(extra, str) else list(extra or [])
    return [GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES] + extra


def _model_variable(name, shape, dtype, initializer, regularizer, trainable, collections):
    from jitgraph.variable_scope import get_variable
    if trainable:
        collections = collections + [GraphKeys.TRAINABLE_VARIABLES]
    return get_variable(name, shape=shape, dtype=dtype, initializer=initializer,
                        regularizer=regularizer, trainable=trainable,
                        collections=list(dict.fromkeys(collections)))


def _collect_outputs(outputs_collections, alias, outputs):
    if outputs_collections:
        outputs.alias = alias
        for c in outputs_collections:
            get_default_graph().add_to_collection(c, outputs)
    return outputs


def _finish(outputs, sc, activation_fn, outputs_collections, normalizer_fn=None,
            normalizer_params=None):
    if normalizer_fn is not None:
        outputs = normalizer_fn(outputs, **(normalizer_params or {}))
    if activation_fn is not None:
        outputs = activation_fn(outputs)
    return _collect_outputs(outputs_collections, sc.name, outputs)


def _bias(outputs, num_outputs, dtype, normalizer_fn, biases_initializer, biases_regularizer,
          variables_collections, trainable):
    from jitgraph import nn
    if normalizer_fn is not None or biases_initializer is None:
        return outputs
    b = _model_variable("biases", [num_outputs], dtype, biases_initializer, biases_regularizer,
                        trainable, _collections(variables_collections, "biases"))
    return nn.bias_add(outputs, b)


@add_arg_scope
def fully_connected(inputs, num_outputs, activation_fn=_relu, normalizer_fn=None,
                    normalizer_params=None, weights_initializer=None, weights_regularizer=None,
                    biases_initializer=Zeros(), biases_regularizer=None, reuse=None,
                    variables_collections=None, outputs_collections=None, trainable=True,
                    scope=None):
    from jitgraph.ops.linalg_ops import matmul, tensordot
    from jitgraph.variable_scope import variable_scope
    if not isinstance(num_outputs, (int, np.integer)):
        raise ValueError(f"num_outputs type should be one of (int, long), got {num_outputs}.")
    with variable_scope(scope, "fully_connected", [inputs], reuse=reuse) as sc:
        x = convert_to_tensor(inputs)
        dims = x.shape.as_list() if x.shape.ndims is not None else None
        if not dims or dims[-1] is None:
            raise ValueError("The last dimension of the inputs to `Dense` should be defined. "
                             "Found `None`.")
        dt = x.dtype.base_dtype
        w = _model_variable("weights", [dims[-1], num_outputs], dt,
                            weights_initializer or xavier_initializer(), weights_regularizer,
                            trainable, _collections(variables_collections, "weights"))
        out = matmul(x, w) if len(dims) == 2 else tensordot(x, w, [[len(dims) - 1], [0]])
        out = _bias(out, num_outputs, dt, normalizer_fn, biases_initializer,
                    biases_regularizer, variables_collections, trainable)
        return _finish(out, sc, activation_fn, outputs_collections, normalizer_fn,
                       normalizer_params)


def _pair(v):
    return [int(v), int(v)] if np.isscalar(v) else [int(x) for x in v]


@add_arg_scope
def convolution2d(inputs, num_outputs, kernel_size, stride=1, padding="SAME",
                  data_format=None, rate=1, activation_fn=_relu, normalizer_fn=None,
                  normalizer_params=None, weights_initializer=None, weights_regularizer=None,
                  biases_initializer=Zeros(), biases_regularizer=None, reuse=None,
                  variables_collections=None, outputs_collections=None, trainable=True,
                  scope=None):
    from jitgraph import nn
    from jitgraph.variable_scope import variable_scope
    if data_format not in (None, "NHWC"):
        raise ValueError(f"data_format {data_format!r}: jitgraph supports NHWC only")
    with variable_scope(scope, "Conv", [inputs], reuse=reuse) as sc:
        x = convert_to_tensor(inputs)
        if x.shape.ndims != 4:
            raise ValueError(f"Convolution expects input with rank 4, got {x.shape.ndims}")
        cin = x.shape.as_list()[-1]
        dt = x.dtype.base_dtype
        kh, kw = _pair(kernel_size)
        w = _model_variable("weights", [kh, kw, cin, num_outputs], dt,
                            weights_initializer or xavier_initializer(), weights_regularizer,
                            trainable, _collections(variables_collections, "weights"))
        sh, sw = _pair(stride)
        rh, rw = _pair(rate)
        out = nn.conv2d(x, w, [1, sh, sw, 1], padding.upper(), dilations=[1, rh, rw, 1])
        out = _bias(out, num_outputs, dt, normalizer_fn, biases_initializer,
                    biases_regularizer, variables_collections, trainable)
        return _finish(out, sc, activation_fn, outputs_collections, normalizer_fn,
                       normalizer_params)


conv2d = convolution2d


@add_arg_scope
def flatten(inputs, outputs_collections=None, scope=None):
    from jitgraph.ops.api import name_scope
    with name_scope(scope, "Flatten", [inputs]) as sc:
        x = convert_to_tensor(inputs)
        dims = x.shape.as_list() if x.shape.ndims is not None else None
        if dims is None or len(dims) < 2:
            raise ValueError(f"Inputs must have a least 2 dimensions. {x.shape}")
        rest = dims[1:]
        if None not in rest:
            out = reshape(x, [-1 if dims[0] is None else dims[0], int(np.prod(rest))])
        elif dims[0] is not None:
            out = reshape(x, [dims[0], -1])
        else:
            from jitgraph.ops.api import shape, stack
            out = reshape(x, stack([shape(x)[0], -1]))
        return _collect_outputs(outputs_collections, sc, out)


def _is_python_bool(v):
    return isinstance(v, (bool, np.bool_))


@add_arg_scope
def batch_norm(inputs, decay=0.999, center=True, scale=False, epsilon=0.001,
               activation_fn=None, param_initializers=None, param_regularizers=None,
               updates_collections=GraphKeys.UPDATE_OPS, is_training=True, reuse=None,
               variables_collections=None, outputs_collections=None, trainable=True,
               batch_weights=None, fused=None, data_format="NHWC",
               zero_debias_moving_mean=False, scope=None, renorm=False,
               renorm_clipping=None, renorm_decay=0.99, adjustment=None):
    """contrib's batch_norm: moments over all axes but the last; the moving variance
    takes the unbiased batch variance where TF fuses (rank 2 or 4), as TF's fused kernel
    does, the biased one otherwise."""
    from jitgraph.variable_scope import variable_scope
    if batch_weights is not None or renorm or adjustment is not None or zero_debias_moving_mean:
        raise NotImplementedError("batch_norm: batch_weights, renorm, adjustment and "
                                  "zero_debias_moving_mean are not supported by jitgraph yet")
    if data_format != "NHWC":
        raise ValueError(f"data_format {data_format!r}: jitgraph supports NHWC only")
    inits, regs = param_initializers or {}, param_regularizers or {}
    with variable_scope(scope, "BatchNorm", [inputs], reuse=reuse) as sc:
        x = convert_to_tensor(inputs)
        rank = x.shape.ndims
        if rank is None:
            raise ValueError(f"Inputs {x.name} has undefined rank.")
        n = x.shape.as_list()[-1]
        if n is None:
            raise ValueError(f"Inputs {x.name} has undefined last dimension {x.shape}.")
        dt = x.dtype.base_dtype

        def var(name, default_init, trainable_=trainable):
            return _model_variable(name, [n], dt, inits.get(name, default_init),
                                   regs.get(name), trainable_,
                                   _collections(variables_collections, name))

        beta = var("beta", Zeros()) if center else None
        gamma = var("gamma", Ones()) if scale else None
        moving_mean = var("moving_mean", Zeros(), False)
        moving_var = var("moving_variance", Ones(), False)
        unbiased = fused is not False and rank in (2, 4)
        out = _batch_norm_core(x, beta, gamma, moving_mean, moving_var, decay, epsilon,
                               is_training, updates_collections, unbiased)
        if activation_fn is not None:
            out = activation_fn(out)
        return _collect_outputs(outputs_collections, sc.name, out)


def _batch_norm_core(x, beta, gamma, moving_mean, moving_var, decay, epsilon, is_training,
                     updates_collections, unbiased):
    from jitgraph import nn
    if _is_python_bool(is_training) and not is_training:
        return nn.batch_normalization(x, moving_mean, moving_var, beta, gamma, epsilon)
    axes = list(range(x.shape.ndims - 1))
    mean, var = nn.moments(x, axes)
    # TF's fused kernel: the moving variance takes the Bessel-corrected batch variance.
    moving_var_target = var * _bessel(x, axes) if unbiased else var
    rate = 1.0 - decay
    if not _is_python_bool(is_training):
        training = convert_to_tensor(is_training, dtype=dtypes.bool)
        mean = math_ops.where(training, mean, moving_mean.value())
        var = math_ops.where(training, var, moving_var.value())
        rate = math_ops.where(training, rate, 0.0)
    g = get_default_graph()
    with g.name_scope("AssignMovingAvg"):
        upd_mean = moving_mean.assign_sub((moving_mean.value() - mean) * rate)
    with g.name_scope("AssignMovingAvg_1"):
        upd_var = moving_var.assign_sub((moving_var.value() - moving_var_target) * rate)
    if updates_collections is None:
        # TF's "force updates": the output waits on the moving-average updates.
        with g.control_dependencies([upd_mean, upd_var]):
            mean, var = identity(mean), identity(var)
    else:
        for u in (upd_mean, upd_var):
            g.add_to_collection(updates_collections, u)
    return nn.batch_normalization(x, mean, var, beta, gamma, epsilon)


def _bessel(x, axes):
    dims = x.shape.as_list()
    if None not in [dims[a] for a in axes]:
        count = float(np.prod([dims[a] for a in axes]))
        return count / max(count - 1.0, 1.0)
    from jitgraph.ops.array_ops import shape, size
    count = math_ops.cast(size(x) // shape(x)[-1], x.dtype.base_dtype)
    return count / math_ops.maximum(count - 1.0, 1.0)


@add_arg_scope
def dropout(inputs, keep_prob=0.5, noise_shape=None, is_training=True,
            outputs_collections=None, scope=None, seed=None):
    from jitgraph.layers.core import dropout as _dropout
    from jitgraph.ops.api import name_scope
    with name_scope(scope, "Dropout", [inputs]) as sc:
        out = _dropout(inputs, rate=1 - keep_prob, noise_shape=noise_shape, seed=seed,
                       training=is_training)
        return _collect_outputs(outputs_collections, sc, out)


def _pool(fn, default_name, inputs, kernel_size, stride, padding, data_format,
          outputs_collections, scope):
    from jitgraph.ops.api import name_scope
    if data_format != "NHWC":
        raise ValueError(f"data_format {data_format!r}: jitgraph supports NHWC only")
    with name_scope(scope, default_name, [inputs]) as sc:
        out = fn(inputs, _pair(kernel_size), _pair(stride), padding=padding.lower())
        return _collect_outputs(outputs_collections, sc, out)


@add_arg_scope
def max_pool2d(inputs, kernel_size, stride=2, padding="VALID", data_format="NHWC",
               outputs_collections=None, scope=None):
    from jitgraph.layers.convolutional import max_pooling2d
    return _pool(max_pooling2d, "MaxPool2D", inputs, kernel_size, stride, padding,
                 data_format, outputs_collections, scope)


@add_arg_scope
def avg_pool2d(inputs, kernel_size, stride=2, padding="VALID", data_format="NHWC",
               outputs_collections=None, scope=None):
    from jitgraph.layers.convolutional import average_pooling2d
    return _pool(average_pooling2d, "AvgPool2D", inputs, kernel_size, stride, padding,
                 data_format, outputs_collections, scope)


def linear(inputs, num_outputs, **kwargs):
    return fully_connected(inputs, num_outputs, activation_fn=None, **kwargs)
