"""`tf.nn`: activations, softmax, cross-entropies, normalization helpers, dropout.

The ops live in `jitgraph.ops.nn_ops`; this module re-exports them under TF 1.x
names and builds the composites (sigmoid cross-entropy, l2_normalize, moments,
dropout) from graph ops the way TF 1.x does, with its name scopes.
"""
from __future__ import annotations

import numbers

import numpy as np

from jitgraph.framework.graph import get_default_graph
from jitgraph.ops import array_ops, math_ops, reduction_ops
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.math_ops import sigmoid, tanh
from jitgraph.ops.nn_ops import (bias_add, elu, l2_loss, leaky_relu, log_softmax, relu, relu6,
                                 selu, softmax, softmax_cross_entropy_with_logits,
                                 softmax_cross_entropy_with_logits_v2, softplus, softsign,
                                 sparse_softmax_cross_entropy_with_logits)

__all__ = ["in_top_k", "top_k", "batch_normalization", "bias_add", "dropout", "elu",
           "embedding_lookup", "l2_loss",
           "l2_normalize", "avg_pool", "conv2d", "max_pool",
           "atrous_conv2d", "conv1d", "conv2d_backprop_filter", "conv2d_backprop_input",
           "conv2d_transpose", "depthwise_conv2d", "depthwise_conv2d_native",
           "depthwise_conv2d_native_backprop_filter", "depthwise_conv2d_native_backprop_input",
           "separable_conv2d",
           "leaky_relu", "log_softmax", "moments", "relu", "relu6", "relu_layer", "selu",
           "sigmoid", "sigmoid_cross_entropy_with_logits", "softmax",
           "softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits_v2",
           "softplus", "softsign", "sparse_softmax_cross_entropy_with_logits", "swish", "tanh",
           "weighted_cross_entropy_with_logits", "xw_plus_b"]


def _scope(name, default):
    return get_default_graph().name_scope(name or default)


def sigmoid_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    """Elementwise logistic loss: max(x, 0) - x * z + log(1 + exp(-|x|)) (stable form)."""
    if _sentinel is not None:
        raise ValueError("Only call `sigmoid_cross_entropy_with_logits` with named arguments "
                         "(labels=..., logits=..., ...)")
    with _scope(name, "logistic_loss") as scope:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, dtype=logits.dtype, name="labels")
        if not logits.shape.is_compatible_with(labels.shape):
            raise ValueError(f"logits and labels must have the same shape ({logits.shape} vs "
                             f"{labels.shape})")
        zeros = array_ops.zeros_like(logits)
        cond = math_ops.greater_equal(logits, zeros)
        relu_logits = math_ops.where(cond, logits, zeros)
        neg_abs_logits = math_ops.where(cond, -logits, logits)
        return math_ops.add(relu_logits - logits * labels,
                            math_ops.log1p(math_ops.exp(neg_abs_logits)), name=scope)


def weighted_cross_entropy_with_logits(targets=None, logits=None, pos_weight=None, name=None,
                                       labels=None):
    """Logistic loss with the positive term scaled by `pos_weight`."""
    if labels is None:
        labels = targets
    with _scope(name, "logistic_loss") as scope:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, dtype=logits.dtype, name="labels")
        log_weight = 1 + (pos_weight - 1) * labels
        return math_ops.add(
            (1 - labels) * logits,
            log_weight * (math_ops.log1p(math_ops.exp(-math_ops.abs(logits)))
                          + relu(-logits)), name=scope)


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """x / sqrt(max(sum(x ** 2, axis), epsilon))."""
    if axis is None:
        axis = dim
    with _scope(name, "l2_normalize") as scope:
        x = convert_to_tensor(x, name="x")
        square_sum = reduction_ops.reduce_sum(math_ops.square(x), axis, keepdims=True)
        eps = convert_to_tensor(epsilon, dtype=x.dtype)
        x_inv_norm = math_ops.rsqrt(math_ops.maximum(square_sum, eps))
        return math_ops.multiply(x, x_inv_norm, name=scope)


def moments(x, axes, shift=None, name=None, keep_dims=None, keepdims=None):
    """(mean, variance) of `x` over `axes`; the variance does not backprop into the mean."""
    if keep_dims is not None and keepdims is not None:
        raise ValueError("Cannot specify both 'keep_dims' and 'keepdims'.")
    keep = bool(keep_dims if keep_dims is not None else keepdims)
    with _scope(name, "moments"):
        y = convert_to_tensor(x, name="x")
        axes = list(axes)
        mean = reduction_ops.reduce_mean(y, axes, keepdims=True, name="mean")
        variance = reduction_ops.reduce_mean(
            math_ops.squared_difference(y, array_ops.stop_gradient(mean)), axes,
            keepdims=True, name="variance")
        if not keep:
            mean = array_ops.squeeze(mean, axes)
            variance = array_ops.squeeze(variance, axes)
        return mean, variance


def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    """Zeroes each element with probability `rate` (= 1 - keep_prob), scales the kept ones
    by 1 / keep_prob so the expected sum is unchanged."""
    try:
        keep = 1. - keep_prob if keep_prob is not None else None
    except TypeError:
        raise ValueError("keep_prob must be a floating point number or Tensor "
                         f"(got {keep_prob!r})") from None
    if rate is not None and keep is not None:
        raise ValueError("Cannot specify both 'rate' and 'keep_prob'")
    rate = keep if rate is None else rate
    if rate is None:
        raise ValueError("You must provide a rate to dropout.")
    from jitgraph.ops.random_ops import random_uniform
    with _scope(name, "dropout") as scope:
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_floating:
            raise ValueError("x has to be a floating point tensor since it's going to be "
                             f"scaled. Got a {x.dtype.name} tensor instead.")
        if isinstance(rate, numbers.Real):
            if not 0 <= rate < 1:
                raise ValueError("rate must be a scalar tensor or a float in the range [0, 1), "
                                 f"got {rate:g}")
        rate_t = convert_to_tensor(rate, dtype=x.dtype, name="rate")
        if noise_shape is None:
            noise_shape = (np.array(x.shape.as_list(), np.int32) if x.shape.is_fully_defined()
                           else array_ops.shape(x))
        random_tensor = random_uniform(noise_shape, seed=seed, dtype=x.dtype)
        keep_prob_t = 1 - rate_t
        scale = 1 / keep_prob_t
        # A value equal to `rate` is kept (>=), as in TF.
        keep_mask = math_ops.greater_equal(random_tensor, rate_t)
        return math_ops.multiply(x * scale, math_ops.cast(keep_mask, x.dtype), name=scope)


def embedding_lookup(params, ids, partition_strategy="mod", name=None, validate_indices=True,
                     max_norm=None):
    """Rows of `params` at `ids` (one params tensor, or a list holding one)."""
    from jitgraph.ops.manip_ops import gather
    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            raise NotImplementedError("jitgraph: embedding_lookup over a partitioned list of "
                                      "params is not supported; concat them first")
        params = params[0]
    with _scope(name, "embedding_lookup") as scope:
        params = convert_to_tensor(params, name="params")
        ids = convert_to_tensor(ids, name="ids")
        out = gather(params, ids, name=scope if max_norm is None else None)
        if max_norm is not None:
            # Rows with an l2 norm above max_norm are scaled down to it.
            norms = math_ops.sqrt(reduction_ops.reduce_sum(math_ops.square(out), -1,
                                                           keepdims=True))
            mx = convert_to_tensor(max_norm, dtype=out.dtype)
            out = math_ops.multiply(out, mx / math_ops.maximum(norms, mx), name=scope)
        return out


def xw_plus_b(x, weights, biases, name=None):
    """matmul(x, weights) + biases."""
    from jitgraph.ops.linalg_ops import matmul
    with _scope(name, "xw_plus_b") as scope:
        return bias_add(matmul(x, weights), biases, name=scope)


def relu_layer(x, weights, biases, name=None):
    """relu(matmul(x, weights) + biases)."""
    from jitgraph.ops.linalg_ops import matmul
    with _scope(name, "relu_layer") as scope:
        return relu(bias_add(matmul(x, weights), biases), name=scope)


def swish(features, name=None):
    """features * sigmoid(features)."""
    with _scope(name, "swish") as scope:
        features = convert_to_tensor(features, name="features")
        return math_ops.multiply(features, sigmoid(features), name=scope)


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """(x - mean) * scale / sqrt(variance + eps) + offset, as TF 1.x writes it:
    x * inv + (offset - mean * inv) with inv = scale * rsqrt(variance + eps)."""
    with _scope(name, "batchnorm") as scope:
        inv = math_ops.rsqrt(variance + variance_epsilon)
        if scale is not None:
            inv = inv * scale
        shift = -mean * inv if offset is None else offset - mean * inv
        return math_ops.add(x * inv, shift, name=scope)


from jitgraph.ops.sort_ops import in_top_k, top_k  # noqa: E402 - TF exports them under tf.nn
from jitgraph.ops.conv_ops import conv2d, max_pool, avg_pool  # noqa: E402
from jitgraph.ops.conv_ops import (atrous_conv2d, conv1d, conv2d_backprop_filter,  # noqa: E402
                                   conv2d_backprop_input, conv2d_transpose)
from jitgraph.ops.depthwise_ops import (depthwise_conv2d, depthwise_conv2d_native,  # noqa: E402
                                        depthwise_conv2d_native_backprop_filter,
                                        depthwise_conv2d_native_backprop_input,
                                        separable_conv2d)
from jitgraph import rnn_cell  # noqa: E402 - tf.nn.rnn_cell
from jitgraph.rnn import (bidirectional_dynamic_rnn, dynamic_rnn,  # noqa: E402
                          static_bidirectional_rnn, static_rnn)

__all__ += ["bidirectional_dynamic_rnn", "dynamic_rnn", "rnn_cell", "static_bidirectional_rnn",
            "static_rnn"]
from jitgraph.nn_normalization import (fused_batch_norm, local_response_normalization,  # noqa: E402
                                       lrn)
from jitgraph.nn_sampled import nce_loss, sampled_softmax_loss  # noqa: E402
from jitgraph.ops.candidate_sampling_ops import (compute_accidental_hits,  # noqa: E402
                                                 log_uniform_candidate_sampler,
                                                 uniform_candidate_sampler)

__all__ += ["compute_accidental_hits", "fused_batch_norm", "local_response_normalization",
            "log_uniform_candidate_sampler", "lrn", "nce_loss", "sampled_softmax_loss",
            "uniform_candidate_sampler"]
from jitgraph.ops.sparse_ops import embedding_lookup_sparse  # noqa: E402

__all__ += ["embedding_lookup_sparse"]
