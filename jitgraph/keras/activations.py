"""`tf.keras.activations`: the functions and `get`, which resolves Keras's string names."""
from __future__ import annotations

from jitgraph import nn
from jitgraph.ops import math_ops


def relu(x, alpha=0.0, max_value=None, threshold=0):
    if alpha == 0 and max_value is None and threshold == 0:
        return nn.relu(x)
    neg = math_ops.maximum(-x + threshold, 0.0) * alpha if alpha else None
    if threshold:
        x = x * math_ops.cast(math_ops.greater(x, threshold), x.dtype)
    else:
        x = nn.relu(x)
    if max_value is not None:
        x = math_ops.minimum(x, float(max_value))
    return x - neg if neg is not None else x


def softmax(x, axis=-1):
    return nn.softmax(x, axis=axis)


def linear(x):
    return x


def elu(x, alpha=1.0):
    out = nn.elu(x)
    return out if alpha == 1.0 else math_ops.where(x > 0, out, out * alpha)


def selu(x):
    return nn.selu(x)


def softplus(x):
    return nn.softplus(x)


def softsign(x):
    return nn.softsign(x)


def sigmoid(x):
    return math_ops.sigmoid(x)


def hard_sigmoid(x):
    return math_ops.minimum(math_ops.maximum(x * 0.2 + 0.5, 0.0), 1.0)


def exponential(x):
    return math_ops.exp(x)


def tanh(x):
    return math_ops.tanh(x)


def swish(x):
    return x * math_ops.sigmoid(x)


_BY_NAME = {f.__name__: f for f in (relu, softmax, linear, elu, selu, softplus, softsign,
                                     sigmoid, hard_sigmoid, exponential, tanh, swish)}


def get(identifier):
    """None -> linear; a name -> that activation; a callable -> itself."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        try:
            return _BY_NAME[identifier]
        except KeyError:
            raise ValueError(f"Unknown activation function: {identifier}") from None
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret activation function identifier: {identifier!r}")


def serialize(activation):
    return getattr(activation, "__name__", str(activation))


def deserialize(name, custom_objects=None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return get(name)


__all__ = sorted(_BY_NAME) + ["get", "serialize", "deserialize"]
