"""Scalar parameters of datasets (counts, sizes, seeds): Python ints or graph tensors.

A parameter given as a constant tensor is folded to a Python int at graph time;
any other tensor is captured and read from the run's Context when the iterator starts.
"""
from __future__ import annotations

from jitgraph.framework.graph import Tensor


def constant_int(x, name):
    """`x` as a Python int: a Python/numpy int or a constant tensor."""
    from jitgraph.ops.constant import constant_value
    if isinstance(x, Tensor):
        v = constant_value(x)
        if v is None:
            raise NotImplementedError(f"jitgraph: `{name}` must be a Python int or a constant "
                                      "tensor")
        x = v
    return int(x)


def static_int(x):
    """A Python int for an int or a constant tensor; the tensor itself otherwise."""
    from jitgraph.ops.constant import constant_value
    if isinstance(x, Tensor):
        v = constant_value(x)
        return x if v is None else int(v)
    return int(x)


def run_int(ctx, p):
    """A scalar parameter's value at run time (captured tensors are read from `ctx`)."""
    return int(ctx.value(p)) if isinstance(p, Tensor) else p
