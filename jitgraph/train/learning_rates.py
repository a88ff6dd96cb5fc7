"""Learning-rate schedules of the global step (`tf.train.exponential_decay`, ...)."""
from __future__ import annotations

from jitgraph.framework import dtypes
from jitgraph.ops import math_ops
from jitgraph.ops.constant import convert_to_tensor


def _step_and_rate(learning_rate, global_step):
    if global_step is None:
        raise ValueError("global_step is required for exponential_decay.")
    lr = convert_to_tensor(learning_rate, name="learning_rate")
    if not lr.dtype.is_floating:
        lr = math_ops.cast(lr, dtypes.float32)
    step = math_ops.cast(convert_to_tensor(global_step), lr.dtype)
    return lr, step


def _as(value, like):
    return math_ops.cast(convert_to_tensor(value), like.dtype)


def _decay(name, default, learning_rate, global_step, decay_steps, decay_rate, staircase,
           formula):
    """lr * formula(rate, p) with p = global_step / decay_steps (floored when staircase)."""
    from jitgraph.ops.api import name_scope
    with name_scope(name, default) as scope:
        lr, step = _step_and_rate(learning_rate, global_step)
        p = step / _as(decay_steps, lr)
        if staircase:
            p = math_ops.floor(p)
        return math_ops.multiply(lr, formula(_as(decay_rate, lr), p), name=scope)


def exponential_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                      name=None):
    """lr * decay_rate ^ (global_step / decay_steps)."""
    return _decay(name, "ExponentialDecay", learning_rate, global_step, decay_steps,
                  decay_rate, staircase, math_ops.pow)


def inverse_time_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                       name=None):
    """lr / (1 + decay_rate * global_step / decay_steps)."""
    return _decay(name, "InverseTimeDecay", learning_rate, global_step, decay_steps,
                  decay_rate, staircase, lambda rate, p: 1 / (1 + rate * p))


def natural_exp_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                      name=None):
    """lr * exp(-decay_rate * global_step / decay_steps)."""
    return _decay(name, "NaturalExpDecay", learning_rate, global_step, decay_steps,
                  decay_rate, staircase, lambda rate, p: math_ops.exp(-rate * p))


def polynomial_decay(learning_rate, global_step, decay_steps, end_learning_rate=0.0001,
                     power=1.0, cycle=False, name=None):
    from jitgraph.ops.api import name_scope
    with name_scope(name, "PolynomialDecay") as scope:
        lr, step = _step_and_rate(learning_rate, global_step)
        steps = _as(decay_steps, lr)
        if cycle:
            steps = steps * math_ops.maximum(math_ops.ceil(step / steps), 1.0)
        else:
            step = math_ops.minimum(step, steps)
        end = _as(end_learning_rate, lr)
        frac = math_ops.pow(1 - step / steps, _as(power, lr))
        return math_ops.add((lr - end) * frac, end, name=scope)


def piecewise_constant(x, boundaries, values, name=None):
    """values[i] where boundaries[i-1] < x <= boundaries[i]."""
    from jitgraph.ops.api import name_scope
    if len(values) != len(boundaries) + 1:
        raise ValueError("The length of boundaries should be 1 less than the length of "
                         "values")
    with name_scope(name, "PiecewiseConstant") as scope:
        x = convert_to_tensor(x)
        vals = [convert_to_tensor(v) for v in values]
        out = vals[-1]
        for b, v in reversed(list(zip(boundaries, vals[:-1]))):
            out = math_ops.where(math_ops.less_equal(x, math_ops.cast(
                convert_to_tensor(b), x.dtype)), v, out)
        from jitgraph.ops.array_ops import identity
        return identity(out, name=scope)
