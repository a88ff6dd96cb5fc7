"""Ops that only graphs imported from TF hold.

`BroadcastGradientArgs` is how TF's gradients sum a broadcast operand back to its
shape: the importer turns the usual `Reshape(Sum(dy, BroadcastGradientArgs(..)[k]),
Shape(x))` into our SumToShape, but the op itself can still be fetched.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import errors
from jitgraph.ops.registry import NotDifferentiable, register


def broadcast_gradient_args(s0, s1):
    """TF's BCast reduction indices: the dims (of the broadcast shape) along which each
    operand was broadcast, a dim of 1 in both counting for both."""
    s0, s1 = [int(d) for d in np.ravel(s0)], [int(d) for d in np.ravel(s1)]
    n = max(len(s0), len(s1))
    x, y = [1] * (n - len(s0)) + s0, [1] * (n - len(s1)) + s1
    for a, b in zip(x, y):
        if a != b and a != 1 and b != 1:
            raise errors.InvalidArgumentError(
                None, None, f"Incompatible shapes: [{','.join(map(str, s0))}] vs. "
                            f"[{','.join(map(str, s1))}]")
    return [i for i in range(n) if x[i] == 1], [i for i in range(n) if y[i] == 1]


def _bga_np(k, s0, s1):
    r0, r1 = broadcast_gradient_args(s0, s1)
    dt = k.op.outputs[0].dtype.as_numpy_dtype
    return np.asarray(r0, dtype=dt), np.asarray(r1, dtype=dt)


register("BroadcastGradientArgs", shape=lambda s: [(None,), (None,)], numpy=_bga_np,
         host="shape arithmetic on two small int vectors")
NotDifferentiable("BroadcastGradientArgs")
