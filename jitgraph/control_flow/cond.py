"""`tf.cond` and `tf.case`: an `If` op that runs only the branch its predicate picks.

Each branch is a `SubGraph`; the op's inputs are the predicate and every outer
tensor either branch reads. An assignment, a random draw or a `py_func` in the
branch not taken does not run. The gradient is another `If` whose branches are
the gradients of the forward ones (recomputing what they need).
"""
from __future__ import annotations

from jitgraph.control_flow import structure
from jitgraph.control_flow.subgraph import (SubGraph, Trace, merge_shapes, replay,
                                            single_or_list)
from jitgraph.framework import dtypes, nest
from jitgraph.framework.graph import Operation, Tensor, get_default_graph
from jitgraph.framework.tensor_shape import TensorShape
from jitgraph.ops.array_ops import identity, zeros_like
from jitgraph.ops.constant import constant, convert_to_tensor
from jitgraph.ops.registry import RegisterGradient, make_op, register


def _if_np(k, pred, *caps):
    then_b, else_b = k.op._py["branches"]
    branch = then_b if bool(pred) else else_b
    pos = k.op._py["capture_pos"][branch is else_b]
    if k.op._py.get("replays"):
        with replay(k.state):
            values = branch.run(k.state, [caps[i] for i in pos])
    else:
        values = branch.run(k.state, [caps[i] for i in pos])
    return single_or_list(values, len(k.op.outputs))


register("If", shape=lambda s: list(s.attrs["output_shapes"]), numpy=_if_np,
         host="runs the plan of the branch its predicate picks", stateful=True)


def build_if(pred, then_b: SubGraph, else_b: SubGraph, name="If"):
    """The `If` op over two traced branches with outputs of equal dtypes."""
    caps = list(dict.fromkeys(then_b.captures + else_b.captures + then_b.var_captures
                              + else_b.var_captures))
    index = {t: i for i, t in enumerate(caps)}
    shapes = [merge_shapes(a.shape.as_tuple(), b.shape.as_tuple())
              for a, b in zip(then_b.outputs, else_b.outputs)]
    g = get_default_graph()
    with g.control_dependencies(then_b.outer_control + else_b.outer_control):
        op = make_op("If", [pred] + caps, [t.dtype for t in then_b.outputs],
                     {"output_shapes": shapes}, name=name)
    op._py["branches"] = (then_b, else_b)
    op._py["capture_pos"] = ([index[t] for t in then_b.captures],
                             [index[t] for t in else_b.captures])
    return op


def _trace_branch(fn, what, g):
    with Trace(g) as tr, g.name_scope(what):
        res = fn()
        if res is None:
            raise ValueError(f"{what} must have a return value.")
        flat = [_as_output(x) for x in structure.flatten(res)]
    return res, flat, tr.ops


def _as_output(x):
    """A branch result as a tensor made inside the branch (an outer tensor returned as-is
    becomes an identity, so a branch never outputs what it is fed)."""
    if isinstance(x, Operation):
        with get_default_graph().control_dependencies([x]):
            return constant(True)
    return identity(structure.to_tensor(x))


def cond(pred, true_fn=None, false_fn=None, strict=False, name=None, fn1=None, fn2=None):
    """`tf.cond(pred, true_fn=None, false_fn=None, strict=False, name=None)`: `true_fn()` if
    `pred` is true, else `false_fn()`; only the taken branch runs.

    Raises:
      TypeError: a function is missing or not callable, or `pred` is a Python bool.
      ValueError: the branches return different structures or dtypes.
    """
    if fn1 is not None:
        if true_fn is not None:
            raise TypeError("cond(): true_fn and fn1 may not be set simultaneously.")
        true_fn = fn1
    if fn2 is not None:
        if false_fn is not None:
            raise TypeError("cond(): false_fn and fn2 may not be set simultaneously.")
        false_fn = fn2
    if not callable(true_fn):
        raise TypeError("true_fn must be callable.")
    if not callable(false_fn):
        raise TypeError("false_fn must be callable.")
    if isinstance(pred, bool):
        raise TypeError("pred must not be a Python bool")
    g = get_default_graph()
    with g.name_scope(name or "cond"):
        pred = convert_to_tensor(pred)
        if pred.dtype != dtypes.bool or pred.shape.ndims not in (None, 0):
            raise ValueError(f"pred must be a scalar boolean tensor, got {pred}")
        res_t, flat_t, ops_t = _trace_branch(true_fn, "true_fn", g)
        res_f, flat_f, ops_f = _trace_branch(false_fn, "false_fn", g)
        if not strict:
            res_t, res_f = _unpack_singleton(res_t), _unpack_singleton(res_f)
        try:
            nest.assert_same_structure(res_t, res_f)
        except (TypeError, ValueError) as e:
            raise ValueError(f"Outputs of true_fn and false_fn must have the same structure: "
                             f"{e}") from None
        for a, b in zip(flat_t, flat_f):
            if a.dtype != b.dtype:
                raise ValueError(f"Outputs of true_fn and false_fn must have the same type: "
                                 f"{a.dtype.name}, {b.dtype.name}")
        op = build_if(pred, SubGraph([], flat_t, ops_t), SubGraph([], flat_f, ops_f))
        outs = op.outputs
        for t, a, b in zip(outs, flat_t, flat_f):
            t.set_shape(TensorShape(merge_shapes(a.shape.as_tuple(), b.shape.as_tuple())))
    return structure.pack(res_t, outs)


def _unpack_singleton(x):
    if isinstance(x, (list, tuple)) and len(x) == 1:
        return x[0]
    return x


@RegisterGradient("If")
def _if_grad(op, *dys):
    then_b, else_b = op._py["branches"]
    caps = op.inputs[1:]
    wrt = [c for c in caps if c.dtype.is_floating]
    outs = [i for i, t in enumerate(op.outputs) if t.dtype.is_floating]
    dys = [dys[i] if dys[i] is not None else zeros_like(op.outputs[i]) for i in outs]
    g = get_default_graph()
    branches = [_grad_branch(b, outs, dys, wrt, g) for b in (then_b, else_b)]
    grad_op = build_if(op.inputs[0], *branches, name="If")
    grad_op._py["replays"] = True
    by_cap = dict(zip(wrt, grad_op.outputs))
    return [None] + [by_cap.get(c) for c in caps]


def _grad_branch(b: SubGraph, outs, dys, wrt, g):
    from jitgraph.gradients import gradients  # the API layer's autodiff, on the branch
    with Trace(g) as tr:
        ys = [b.outputs[i] for i in outs]
        gs = gradients(ys, wrt, grad_ys=dys) if ys else [None] * len(wrt)
        gs = [identity(x) if x is not None else zeros_like(c) for x, c in zip(gs, wrt)]
    return SubGraph([], gs, set(tr.ops) | b.inside)


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """`tf.case(pred_fn_pairs, default=None, exclusive=False, strict=False, name='case')`:
    the function of the first true predicate (the only one, with `exclusive=True`), else
    `default`. Without a default, the last function runs and an assertion fails when no
    predicate is true, as in TF 1.x."""
    if isinstance(pred_fn_pairs, dict):
        pairs = list(pred_fn_pairs.items())
    elif isinstance(pred_fn_pairs, (list, tuple)):
        pairs = list(pred_fn_pairs)
    else:
        raise TypeError("fns must be a list, tuple, or dict")
    for p in pairs:
        if not isinstance(p, tuple) or len(p) != 2:
            raise TypeError("Each entry in pred_fn_pairs must be a 2-tuple")
        if not callable(p[1]):
            raise TypeError(f"fn for pred {getattr(p[0], 'name', p[0])} must be callable.")
        if not isinstance(p[0], Tensor) or p[0].dtype != dtypes.bool:
            raise TypeError(f"pred must be Tensor of type bool: {getattr(p[0], 'name', p[0])}")
    if default is not None and not callable(default):
        raise TypeError("default must be callable.")
    from jitgraph.ops.check_ops import Assert
    from jitgraph.ops.math_ops import cast, less_equal, logical_or
    from jitgraph.ops.reduction_ops import reduce_sum
    from jitgraph.ops.array_ops import stack
    g = get_default_graph()
    with g.name_scope(name):
        preds = [p for p, _ in pairs]
        checks = []
        if exclusive and len(preds) > 1:
            n_true = reduce_sum(cast(stack(preds), dtypes.int32))
            checks.append(Assert(less_equal(n_true, 1), [
                "More than one condition evaluated as True but exclusive=True.  "
                "Conditions: (" + ", ".join(p.name for p in preds) + "), Values:",
                stack(preds)], summarize=len(preds)))
        if default is None:
            *pairs, (last_pred, last_fn) = pairs
            any_true = last_pred
            for p in preds[:-1]:
                any_true = logical_or(any_true, p)

            def default():
                with g.control_dependencies([Assert(any_true, [
                        "None of the conditions evaluated as True. Conditions: ("
                        + ", ".join(p.name for p in preds) + "), Values:", stack(preds)],
                        summarize=len(preds))]):
                    return nest.map_structure(
                        lambda x: identity(x) if isinstance(x, Tensor) else x, last_fn())
        fn = default
        for p, f in reversed(pairs):
            fn = _chain(p, f, fn, strict)
        with g.control_dependencies(checks):
            return fn()


def _chain(pred, fn, otherwise, strict):
    return lambda: cond(pred, fn, otherwise, strict=strict)
