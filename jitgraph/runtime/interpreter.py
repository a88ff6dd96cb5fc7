"""The numpy reference interpreter: runs any stage op by op with each op's numpy kernel.

It runs the same Plans as the JIT (JITGRAPH_DISABLE_JIT=1 uses it for kernel
stages too); host stages always run here.
"""
from __future__ import annotations

import copy

import numpy as np

from jitgraph.framework import errors
from jitgraph.ops import registry


# Kernel failures that mean "this op cannot compute on these values": TF's
# InvalidArgumentError, as compiled stages raise for the same programs.
_ARGUMENT_ERRORS = (ValueError, ZeroDivisionError, IndexError)


def run_ops(ops, env: dict, plan, state):
    """Runs `ops` in order; a failing op's error is an OpError naming it."""
    for op in ops:
        try:
            _run_op(op, env, plan, state)
        except errors.OpError as e:
            e._attach(op)
            raise
        except MemoryError as e:
            raise errors.out_of_memory(op, e) from e
        except _ARGUMENT_ERRORS as e:
            raise errors.InvalidArgumentError(None, op, str(e)) from e


def rerun_for_error(ops, env: dict, plan, state, variables):
    """The error the interpreter raises for `ops` (a compiled stage that raised) on the
    same inputs, naming the failing op; None when they all compute here.

    Runs against copies of the variables the stage may write, so the diagnosis writes
    nothing the user sees (a compiled stage checks its shapes before it writes, so
    these still hold the values it started from), and on fresh random streams."""
    shadow = copy.copy(state)
    shadow.vars = dict(state.vars)
    for v in variables:
        if v in shadow.vars:
            shadow.vars[v] = shadow.vars[v].copy()
    shadow.initialized = set(state.initialized)
    shadow.rng_streams = {}
    try:
        run_ops(ops, dict(env), plan, shadow)
    except errors.OpError as e:
        return e
    return None


def _run_op(op, env, plan, state):
    d = registry.get(op.type)
    args = [value_of(t, env, plan, state, op) for t in op.inputs]
    k = registry.KernelCtx(op, state)
    if registry.get(op.type).store and op.inputs[0].op.type == "VariableV2":
        out = _store(op, args, state)
    else:
        out = d.numpy(k, *args)
    if len(op.outputs) == 1:
        env[op.outputs[0]] = _as_out(out, op.outputs[0])
    elif op.outputs:
        for t, v in zip(op.outputs, out):
            env[t] = _as_out(v, t)


def value_of(t, env, plan, state, consumer=None):
    if t in env:
        return env[t]
    op = t.op
    if op.type == "Const":
        return op.attrs["value"]
    if op.type == "VariableV2":
        if consumer is not None and consumer.type == "Assign" and consumer.inputs[0] is t:
            return state.vars.get(op)
        return state.read_var(op)
    if plan is not None and t in plan.consts:  # folded when the plan was built
        return plan.consts[t]
    raise KeyError(f"jitgraph: no value for {t.name} in this run")


def _store(op, args, state):
    var = op.inputs[0].op
    _, value = args
    if op.type == "Assign":
        return state.assign(var, value, op.attrs.get("validate_shape", True))
    buf = state.read_var(var)
    if not _updates(buf.shape, np.shape(value)):
        raise errors.InvalidArgumentError(
            None, op, f"Cannot update variable with shape {list(buf.shape)} using a Tensor "
                      f"with shape {list(np.shape(value))}, shapes must be equal.")
    if op.type == "AssignAdd":
        buf += value
    else:
        buf -= value
    return buf


def _updates(shape, value_shape) -> bool:
    try:
        return np.broadcast_shapes(shape, value_shape) == shape
    except ValueError:
        return False


def _as_out(v, t):
    if t.dtype.name == "string":
        return np.asarray(v, dtype=object)
    if isinstance(v, np.ndarray) and v.dtype == t.dtype.as_numpy_dtype:
        return v
    return np.asarray(v, dtype=t.dtype.as_numpy_dtype)
