"""Keras's merge layers: Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum,
Dot, and their function forms."""
from __future__ import annotations

from functools import reduce

from jitgraph.keras.base_layer import Layer
from jitgraph.ops import math_ops
from jitgraph.ops.manip_ops import concat
from jitgraph.ops.reduction_ops import reduce_sum


class _Merge(Layer):
    def _merge(self, inputs):
        raise NotImplementedError

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError("A merge layer should be called on a list of at least 2 inputs. "
                             f"Got {len(inputs) if isinstance(inputs, (list, tuple)) else 1} "
                             "inputs.")
        return self._merge(list(inputs))


class Add(_Merge):
    def _merge(self, xs):
        return reduce(math_ops.add, xs)


class Subtract(_Merge):
    def _merge(self, xs):
        if len(xs) != 2:
            raise ValueError("A `Subtract` layer should be called on exactly 2 inputs")
        return xs[0] - xs[1]


class Multiply(_Merge):
    def _merge(self, xs):
        return reduce(math_ops.multiply, xs)


class Average(_Merge):
    def _merge(self, xs):
        return reduce(math_ops.add, xs) / float(len(xs))


class Maximum(_Merge):
    def _merge(self, xs):
        return reduce(math_ops.maximum, xs)


class Minimum(_Merge):
    def _merge(self, xs):
        return reduce(math_ops.minimum, xs)


class Concatenate(_Merge):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def _merge(self, xs):
        return concat(xs, axis=self.axis)


class Dot(_Merge):
    """Sum over `axes` of the product of two [batch, n] inputs (the 2D case)."""

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        self.axes, self.normalize = axes, normalize

    def _merge(self, xs):
        a, b = xs
        if self.normalize:
            from jitgraph.nn import l2_normalize
            a, b = l2_normalize(a, axis=-1), l2_normalize(b, axis=-1)
        axis = self.axes if isinstance(self.axes, int) else self.axes[0]
        return reduce_sum(a * b, axis=axis, keepdims=True)


def add(inputs, **kwargs):
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes, normalize=False, **kwargs):
    return Dot(axes, normalize, **kwargs)(inputs)
