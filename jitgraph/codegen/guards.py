"""Run-time checks of what a compiled stage takes on trust.

Generated code bakes static dims into loop bounds and indexes tensors whose dims carry
one symbol without a bounds check (emit.py). A value that contradicts those assumptions
(a variable re-assigned with `validate_shape=False`, a host op returning another shape
than its static one) would make the compiled code read or write out of bounds, so it is
refused here, where values enter the stage, before the stage writes anything.

Fed values need no check: the feed converter already holds them to the fed tensor's
static shape, which is the shape the plan compiled for. What is left is precomputed per
stage, so a run pays one tuple comparison per checked value.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import errors


def _fmt(dims) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def _fits(shape, static) -> bool:
    if len(shape) != len(static):
        return False
    for d, s in zip(shape, static):
        if s is not None and d != s:
            return False
    return True


def _consumer(st, t):
    """The first op of the stage that reads `t`: the op the error names."""
    for op in st.ops:
        if t in op.inputs:
            return op
    return t.op


class StageGuard:
    """The run-time shape checks of one kernel stage of a plan."""

    def __init__(self, plan, st):
        fed = set(plan.feeds)
        self.inputs = [(t, tuple(plan.shapes[t]), _consumer(st, t)) for t in st.inputs
                       if t not in fed and plan.shapes.get(t) is not None]
        self.variables = [(v, tuple(plan.shapes[v.outputs[0]]), _consumer(st, v.outputs[0]))
                          for v in st.variables if plan.shapes.get(v.outputs[0]) is not None]
        self.same_dims = _same_symbol_dims(plan, st)

    def check_env(self, env):
        """Raises InvalidArgumentError unless the stage's non-fed inputs in `env` have the
        shapes its code was compiled for."""
        for t, static, op in self.inputs:
            shape = np.shape(env[t])
            if shape != static and not _fits(shape, static):
                raise _mismatch(op, f"input '{t.name}'", static, shape)
        for dims in self.same_dims:
            (t0, j0), rest = dims[0], dims[1:]
            n = np.shape(env[t0])[j0]
            for t, j in rest:
                m = np.shape(env[t])[j]
                if m != n:
                    raise errors.InvalidArgumentError(
                        None, t.op,
                        f"Compiled code assumes dim {j0} of '{t0.name}' ({n}) equals dim {j} "
                        f"of '{t.name}' ({m}), but they differ at run time")

    def check_vars(self, buffers: dict):
        """Raises InvalidArgumentError unless the stage's variables that hold a buffer
        (`buffers`: VariableV2 op -> array) have the shapes the stage was compiled for."""
        for v, static, op in self.variables:
            buf = buffers.get(v)
            if buf is not None and buf.shape != static and not _fits(buf.shape, static):
                raise _mismatch(op, f"variable '{v.name}'", static, buf.shape)


def _mismatch(op, what, static, shape):
    return errors.InvalidArgumentError(
        None, op,
        f"{op.type} '{op.name}' was compiled for {what} of shape {_fmt(static)}, but it has "
        f"shape {_fmt(shape)} at run time\n\t [[node {op.name} (defined at <graph>) ]]")


def _same_symbol_dims(plan, st) -> list:
    """Groups of (tensor, dim) among the stage's inputs that share a symbolic size: the
    generated loops index them with one bound and no broadcast check."""
    by_symbol: dict = {}
    for t in st.inputs:
        syms = plan.sym.get(t)
        for j, s in enumerate(syms or ()):
            if isinstance(s, str):
                by_symbol.setdefault(s, []).append((t, j))
    return [dims for dims in by_symbol.values() if len(dims) > 1]
