"""Nested values of control flow (tensors, TensorArrays, Python numbers) as flat tensors.

A TensorArray travels as its flow tensor and is rebuilt around the new flow, as
TF 1.x carries TensorArrays through `cond` and `while_loop`.
"""
from __future__ import annotations

from jitgraph.control_flow.tensor_array import TensorArray
from jitgraph.framework import nest
from jitgraph.ops.constant import convert_to_tensor


def flatten(x) -> list:
    if isinstance(x, TensorArray):
        return [x]
    return nest.flatten(x)


def to_tensor(x):
    if isinstance(x, TensorArray):
        return x.flow
    return convert_to_tensor(x)


def pack(template, flat_tensors):
    """`template`'s structure holding `flat_tensors` (TensorArrays get the new flows)."""
    leaves = flatten(template)
    out = [leaf._with_flow(t) if isinstance(leaf, TensorArray) else t
           for leaf, t in zip(leaves, flat_tensors)]
    if isinstance(template, TensorArray) or not nest.is_nested(template):
        return out[0]
    return nest.pack_sequence_as(template, out)
