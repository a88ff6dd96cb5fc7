"""TF 1.x's op signatures (op_defs.json, written by tests/reference/make_op_defs.py).

Our op types and attr names are TF's; what a NodeDef holds besides them (the `T`,
`N`, `Tidx` ... attrs that type TF's kernels) follows from the signature, and so do
the number and dtypes of a TF node's outputs.
"""
from __future__ import annotations

import functools
import json
import os
from typing import NamedTuple


class Arg(NamedTuple):
    name: str
    type: int          # a fixed DataType enum, or 0
    type_attr: str
    number_attr: str
    type_list_attr: str
    is_ref: bool


class OpSig(NamedTuple):
    inputs: list
    outputs: list
    attrs: dict        # name -> (attr type, has_default, default DataType enum)


@functools.cache
def _table():
    with open(os.path.join(os.path.dirname(__file__), "op_defs.json")) as f:
        raw = json.load(f)
    return {name: OpSig([Arg(*a) for a in d["inputs"]], [Arg(*a) for a in d["outputs"]],
                        {k: tuple(v) for k, v in d["attrs"].items()})
            for name, d in raw.items()}


def get(op_type):
    """The signature of TF's op type, or None for a type TF does not have."""
    return _table().get(op_type)


def split_inputs(sig, n):
    """[(Arg, start, count)] binding `n` inputs to the signature's args: a list arg
    (number_attr / type_list_attr) takes what the fixed ones leave."""
    lists = [a for a in sig.inputs if a.number_attr or a.type_list_attr]
    rest = n - (len(sig.inputs) - len(lists))
    out, pos = [], 0
    for a in sig.inputs:
        k = (rest // len(lists) if lists else 0) if (a.number_attr or a.type_list_attr) else 1
        out.append((a, pos, k))
        pos += k
    return out
