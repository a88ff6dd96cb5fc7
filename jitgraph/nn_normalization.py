"""`tf.nn.fused_batch_norm` and `tf.nn.local_response_normalization` (`lrn`), composed of
graph ops as TF 1.x defines them, so their gradients come from their parts and fuse."""
from __future__ import annotations

import numpy as np

from jitgraph.ops import array_ops, math_ops
from jitgraph.ops.api import name_scope
from jitgraph.ops.constant import convert_to_tensor


def fused_batch_norm(x, scale, offset, mean=None, variance=None, epsilon=0.001,
                     data_format="NHWC", is_training=True, name=None,
                     exponential_avg_factor=1.0):
    """`tf.nn.fused_batch_norm`: batch normalization of a 4-D `x` over its channel axis.

    Returns:
      (y, batch_mean, batch_variance). Training: the batch's moments normalize `x`; the
      returned variance is Bessel-corrected (n / (n - 1)), as TF returns it for the moving
      averages, and mixed into `mean`/`variance` by `exponential_avg_factor` below 1.
      Inference: the given `mean`/`variance`, returned as they are.
    """
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"data_format must be NHWC or NCHW, got {data_format!r}")
    with name_scope(name, "FusedBatchNorm") as scope:
        x = convert_to_tensor(x, name="input")
        if x.shape.ndims not in (None, 4):
            raise ValueError(f"Shape must be rank 4 but is rank {x.shape.ndims} for "
                             "'FusedBatchNorm'")
        scale = convert_to_tensor(scale, dtype=x.dtype, name="scale")
        offset = convert_to_tensor(offset, dtype=x.dtype, name="offset")
        channel = 3 if data_format == "NHWC" else 1
        axes = [a for a in range(4) if a != channel]

        def per_channel(t):  # a [C] vector broadcast along the channel axis
            return t if channel == 3 else array_ops.reshape(t, [-1, 1, 1])
        if is_training:
            from jitgraph.nn import moments
            batch_mean, batch_var = moments(x, axes)
            n = math_ops.cast(array_ops.size(x), x.dtype) / math_ops.cast(
                array_ops.shape(x)[channel], x.dtype)
            out_var = batch_var * n / math_ops.maximum(n - 1, 1)
            out_mean = batch_mean
            if exponential_avg_factor != 1.0:
                f = float(exponential_avg_factor)
                out_mean = (1 - f) * convert_to_tensor(mean, dtype=x.dtype) + f * batch_mean
                out_var = (1 - f) * convert_to_tensor(variance, dtype=x.dtype) + f * out_var
        else:
            if mean is None or variance is None:
                raise ValueError("Both 'mean' and 'variance' must be a 1D tensor when "
                                 "is_training is False.")
            # TF's gradient goes to x, scale and offset only, never to given statistics.
            batch_mean = out_mean = array_ops.stop_gradient(
                convert_to_tensor(mean, dtype=x.dtype, name="mean"))
            batch_var = out_var = array_ops.stop_gradient(
                convert_to_tensor(variance, dtype=x.dtype, name="variance"))
        inv = math_ops.rsqrt(batch_var + epsilon) * scale
        y = math_ops.add(x * per_channel(inv), per_channel(offset - batch_mean * inv),
                         name=scope)
        # As TF's FusedBatchNormGrad: the statistics outputs pass no gradient back.
        return y, array_ops.stop_gradient(out_mean), array_ops.stop_gradient(out_var)


def local_response_normalization(input, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5,  # noqa: A002
                                 name=None):
    """`tf.nn.local_response_normalization` (`lrn`): each value over
    (bias + alpha * sum of squares within `depth_radius` channels) ** beta, on a 4-D NHWC
    input whose channel count is known."""
    with name_scope(name, "LRN") as scope:
        x = convert_to_tensor(input, name="input")
        shape = x.shape.as_tuple()
        if shape is None or len(shape) != 4 or shape[3] is None:
            raise ValueError(f"jitgraph: local_response_normalization needs a 4-D input "
                             f"with a known channel count, got shape {x.shape}")
        depth, r = shape[3], int(depth_radius)
        sq = math_ops.square(x)
        padded = _pad_channels(sq, r)
        window = [padded[:, :, :, k:k + depth] for k in range(2 * r + 1)]
        sqr_sum = math_ops.add_n(window)
        denom = math_ops.pow(bias + alpha * sqr_sum, convert_to_tensor(beta, dtype=x.dtype))
        return math_ops.real_div(x, denom, name=scope)


def _pad_channels(x, r):
    from jitgraph.ops.manip_ops import pad
    return pad(x, np.array([[0, 0], [0, 0], [0, 0], [r, r]], np.int32))


lrn = local_response_normalization
