"""`tf.while_loop`: a `While` op that runs its body's plan until the condition fails.

The body is traced once on placeholders for the loop variables, together with the
condition applied to its results, so one run of the body's plan is one iteration
(and its test). The op also outputs the iteration count and, once a gradient of it
is built, a tape: per iteration, the loop variables it started from and the body
tensors the gradient reads. Its gradient is a `WhileGrad` loop over the tape,
backwards: each step runs the body's gradient on what the tape kept (one plan,
compiled on the JIT engine, recomputing only what was not kept), summing the
gradients of the outer tensors the body reads.
"""
from __future__ import annotations

import numpy as np

from jitgraph.control_flow import structure
from jitgraph.control_flow.subgraph import SubGraph, Trace, replay
from jitgraph.framework import dtypes, nest
from jitgraph.framework.graph import get_default_graph
from jitgraph.framework.tensor_shape import TensorShape
from jitgraph.ops.array_ops import identity, zeros_like
from jitgraph.ops.constant import convert_to_tensor, placeholder
from jitgraph.ops.math_ops import add
from jitgraph.ops import registry
from jitgraph.ops.registry import RegisterGradient, make_op, register


class _Loop:
    """What a While op runs: placeholders, the condition alone, the body with the next test."""

    def __init__(self, phs, first_test: SubGraph, step: SubGraph):
        self.phs, self.first_test, self.step = phs, first_test, step
        self.n = len(phs)
        self.keep_history = False  # set when a gradient needs the per-iteration values
        # Body tensors the backward step reads (saved each iteration, not recomputed),
        # and the body's plan that also outputs them.
        self.saved: list = []
        self.saving: SubGraph | None = None


class _Tape:
    """One run's tape (an object, not a list: as a value it stays one 0-d element)."""

    __slots__ = ("entries",)

    def __init__(self):
        self.entries = []


def _while_np(k, *args):
    loop: _Loop = k.op._py["loop"]
    n = loop.n
    vals, limit = list(args[:n]), int(args[n])
    caps = list(args[n + 1:])
    first_caps = [caps[i] for i in k.op._py["first_pos"]]
    # A gradient's tape: per iteration, the loop variables it started from and the body
    # tensors the backward step reads (a list: shapes may vary between iterations).
    tape = _Tape() if loop.keep_history else None
    saving = loop.saving is not None and tape is not None
    step = loop.saving if saving else loop.step
    step_caps = [caps[i] for i in k.op._py["saving_pos" if saving else "step_pos"]]
    it = 0
    go = limit != 0 and bool(loop.first_test.run(k.state, vals + first_caps)[0])
    while go:
        res = step.run(k.state, vals + step_caps)
        if tape is not None:
            tape.entries.append(vals + res[n + 1:])
        vals, go = res[:n], bool(res[n])
        it += 1
        if 0 <= limit <= it:
            break
    held = np.empty((), dtype=object)
    held[()] = tape
    return vals + [np.int32(it), held]


def _while_shapes(s):
    return list(s.attrs["output_shapes"]) + [(), ()]


register("While", shape=_while_shapes, numpy=_while_np,
         host="runs its body's plan once per iteration", stateful=True)


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10,
               back_prop=True, swap_memory=False, name=None, maximum_iterations=None,
               return_same_structure=False):
    """`tf.while_loop`: repeats `body` while `cond` is true.

    Args:
      cond: a callable of the loop variables returning a boolean scalar tensor.
      body: a callable of the loop variables returning them in the same structure.
      loop_vars: a (nested) tuple, namedtuple or list of tensors, numbers and TensorArrays.
      shape_invariants: shapes the loop variables keep (less specific ones vary).
      parallel_iterations, swap_memory: accepted; iterations run in order.
      back_prop: whether gradients flow through the loop.
      maximum_iterations: an upper bound on the number of iterations.
      return_same_structure: return the structure of `loop_vars` even for one variable.

    Returns:
      The loop variables after the last iteration.

    Raises:
      TypeError: `cond` or `body` not callable, or parallel_iterations below 1.
      ValueError: no loop variables, or the body changes a structure, dtype or shape.
    """
    if not callable(cond):
        raise TypeError("cond must be callable.")
    if not callable(body):
        raise TypeError("body must be callable.")
    if parallel_iterations < 1:
        raise TypeError("parallel_iterations must be a positive integer.")
    if loop_vars is None or (isinstance(loop_vars, (list, tuple)) and not loop_vars):
        raise ValueError("No loop variables provided")
    g = get_default_graph()
    with g.name_scope(name or "while"):
        template = loop_vars if isinstance(loop_vars, (list, tuple)) else [loop_vars]
        single = len(template) == 1 and not return_same_structure
        leaves = structure.flatten(template)
        inits = [structure.to_tensor(x) for x in leaves]
        invariants = _invariants(template, leaves, inits, shape_invariants)
        with Trace(g):  # placeholders are fed; they belong to no sub-graph
            phs = [placeholder(t.dtype, inv, name="loop_var")
                   for t, inv in zip(inits, invariants)]
        packed = structure.pack(template, phs)
        with Trace(g) as tc:
            first = _test(cond, packed, g, len(g._ops))
        with Trace(g) as tb:
            start = len(g._ops)
            res = body(*packed)
            if not isinstance(res, (list, tuple)) and not nest.is_nested(res):
                res = [res]
            try:
                nest.assert_same_structure(template, res)
            except (TypeError, ValueError) as e:
                raise ValueError(f"The two structures don't have the same nested structure.\n\n"
                                 f"First structure: {template}\n\nSecond structure: {res}\n\n"
                                 f"More specifically: {e}") from None
            outs = _outputs([structure.to_tensor(x) for x in structure.flatten(res)], g, start)
            _check_loop_shapes(inits, outs, invariants)
            again = _test(cond, structure.pack(template, outs), g, len(g._ops))
        loop = _Loop(phs, SubGraph(phs, [first], tc.ops), SubGraph(phs, outs + [again], tb.ops))
        caps = list(dict.fromkeys(loop.first_test.captures + loop.step.captures
                                  + loop.first_test.var_captures + loop.step.var_captures))
        index = {t: i for i, t in enumerate(caps)}
        limit = convert_to_tensor(-1 if maximum_iterations is None else maximum_iterations,
                                  dtype=dtypes.int32, name="maximum_iterations")
        shapes = [TensorShape(inv).as_tuple() for inv in invariants]
        with g.control_dependencies(loop.first_test.outer_control + loop.step.outer_control):
            op = make_op("While", inits + [limit] + caps,
                         [t.dtype for t in inits] + [dtypes.int32, dtypes.string],
                         {"output_shapes": shapes, "back_prop": back_prop,
                          "parallel_iterations": parallel_iterations}, name="While")
        op._py["loop"] = loop
        op._py["first_pos"] = [index[t] for t in loop.first_test.captures]
        op._py["step_pos"] = [index[t] for t in loop.step.captures]
        result = structure.pack(res, op.outputs[:len(inits)])
    return result[0] if single else result


def _outputs(ts, g, start):
    """Sub-graph outputs: a tensor the traced function made is output as is (an identity
    after a host op would cost a compiled stage per iteration); an outer tensor or a
    variable becomes an identity inside, so the sub-plan computes each output."""
    made = set(g._ops[start:])
    return [t if t.op in made and registry.get(t.op.type).role != "var" else identity(t)
            for t in ts]


def _test(cond, packed, g, start):
    c = convert_to_tensor(cond(*packed))
    if c.dtype != dtypes.bool or c.shape.ndims not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {c.shape.ndims} for 'LoopCond' "
                         f"(the while_loop condition must return a boolean scalar, got {c})")
    return _outputs([c], g, start)[0]


def _invariants(template, leaves, inits, shape_invariants):
    if shape_invariants is None:
        return [t.shape for t in inits]
    given = structure.flatten(shape_invariants) if isinstance(shape_invariants, (list, tuple)) \
        else [shape_invariants]
    if len(given) != len(inits):
        raise ValueError("The two structures don't have the same number of elements. First "
                         f"structure: {template}, second structure: {shape_invariants}.")
    out = []
    for t, s in zip(inits, given):
        s = TensorShape(s)
        if not s.is_compatible_with(t.shape) or (
                s.ndims is not None and t.shape.ndims is not None and any(
                    a is not None and b is not None and a != b
                    for a, b in zip(s.as_tuple(), t.shape.as_tuple()))):
            raise ValueError(f"The shape invariant specified for {t.name} is not compatible "
                             f"with the initial shape of the loop variable. It enters the loop "
                             f"with shape {t.shape}, but the specified shape invariant is {s}.")
        out.append(s)
    return out


def _check_loop_shapes(inits, outs, invariants):
    for t, o, inv in zip(inits, outs, invariants):
        if o.dtype != t.dtype:
            raise ValueError(f"Input tensor '{t.name}' enters the loop with dtype "
                             f"{t.dtype.name}, but has dtype {o.dtype.name} after one iteration.")
        if not _more_specific(o.shape, inv):
            raise ValueError(f"Input tensor '{t.name}' enters the loop with shape {t.shape}, but "
                             f"has shape {o.shape} after one iteration. To allow the shape to "
                             "vary across iterations, use the `shape_invariants` argument of "
                             "tf.while_loop to specify a less-specific shape.")


def _more_specific(shape, inv) -> bool:
    if inv.ndims is None:
        return True
    if shape.ndims != inv.ndims:
        return False
    return all(b is None or a == b for a, b in zip(shape.as_tuple(), inv.as_tuple()))


# -- the gradient ------------------------------------------------------------------------
class _Backward:
    """One backward step: loop variables of iteration j, the body tensors saved in it
    (`tape` positions), the gradients flowing into its outputs and the sums so far ->
    the gradients into its inputs and the new sums."""

    def __init__(self, sub: SubGraph, n, tape_pos, n_dv, n_acc, host_sum):
        self.sub, self.n, self.tape_pos = sub, n, tape_pos
        self.n_dv, self.n_acc, self.host_sum = n_dv, n_acc, host_sum


def _while_grad_np(k, n_iter, *args):
    bw: _Backward = k.op._py["backward"]
    n, n_dv, n_acc = bw.n, bw.n_dv, bw.n_acc
    tape = (args[0][()] if isinstance(args[0], np.ndarray) else args[0]).entries
    dv = list(args[1:1 + n_dv])
    wrt = args[1 + n_dv:1 + n_dv + n_acc]
    caps = list(args[1 + n_dv + n_acc:])
    acc = [np.zeros(np.shape(c), t.dtype.as_numpy_dtype)
           for c, t in zip(wrt, k.op.outputs[n_dv:])]
    pos = bw.tape_pos
    with replay(k.state):
        for j in range(int(n_iter) - 1, -1, -1):
            entry = tape[j]
            saved = [entry[n + i] for i in pos]
            res = bw.sub.run(k.state, entry[:n] + saved + dv + acc + caps)
            new_acc = list(res[n_dv:])
            for i in bw.host_sum:
                new_acc[i] = acc[i] + new_acc[i]
            dv, acc = list(res[:n_dv]), new_acc
    return dv + acc if len(dv + acc) != 1 else (dv + acc)[0]


register("WhileGrad", shape=lambda s: list(s.attrs["output_shapes"]), numpy=_while_grad_np,
         host="runs its backward step's plan once per forward iteration", stateful=True)


@RegisterGradient("While")
def _while_grad(op, *dys):
    loop: _Loop = op._py["loop"]
    n = loop.n
    caps = op.inputs[n + 1:]
    if not op.attrs["back_prop"]:
        return [None] * len(op.inputs)
    loop.keep_history = True
    fl = [i for i in range(n) if op.inputs[i].dtype.is_floating]
    fc = [c for c in caps if c.dtype.is_floating]
    d_final = [dys[i] if dys[i] is not None else zeros_like(op.outputs[i]) for i in fl]
    g = get_default_graph()
    from jitgraph.gradients import gradients  # the API layer's autodiff, on the body
    with g.name_scope("while_grad"), Trace(g) as tr:
        dv = [placeholder(loop.phs[i].dtype, loop.phs[i].shape, name="grad_in") for i in fl]
        acc = [placeholder(c.dtype, None, name="grad_sum") for c in fc]
        ys = [loop.step.outputs[i] for i in fl]
        gs = gradients(ys, [loop.phs[i] for i in fl] + fc, grad_ys=dv) if ys else \
            [None] * (len(fl) + len(fc))
        d_in = [x if x is not None else zeros_like(loop.phs[i])
                for x, i in zip(gs[:len(fl)], fl)]
        # A scalar's gradient (a TensorArray's flow, say) is summed by the WhileGrad op:
        # adding it in the plan would put a compiled stage after a host op.
        host_sum = [x is not None and c.shape.ndims == 0 for x, c in zip(gs[len(fl):], fc)]
        sums = [a if x is None else x if h else add(a, x)
                for a, x, h in zip(acc, gs[len(fl):], host_sum)]
    saved = _save_for_backward(op, loop, _reached(d_in + sums, set(tr.ops)))
    sub = SubGraph(list(loop.phs) + saved + dv + acc, d_in + sums,
                   set(tr.ops) | loop.step.inside)
    shapes = [loop.phs[i].shape.as_tuple() for i in fl] + [c.shape.as_tuple() for c in fc]
    inputs = op.outputs[n:n + 2] + d_final + fc + sub.captures + sub.var_captures
    with g.control_dependencies(sub.outer_control):
        gop = make_op("WhileGrad", inputs,
                      [op.inputs[i].dtype for i in fl] + [c.dtype for c in fc],
                      {"output_shapes": shapes}, name="WhileGrad")
    gop._py["backward"] = _Backward(sub, n, [loop.saved.index(t) for t in saved], len(fl),
                                    len(fc), [i for i, h in enumerate(host_sum) if h])
    grads = [None] * len(op.inputs)
    for k, i in enumerate(fl):
        grads[i] = gop.outputs[k]
    by_cap = dict(zip(fc, gop.outputs[len(fl):]))
    for j, c in enumerate(caps):
        grads[n + 1 + j] = by_cap.get(c)
    return grads


def _reached(outputs, ops) -> list:
    """The ops of `ops` that computing `outputs` runs (not those of nested bodies, which
    only their own loop runs), in creation order."""
    seen, stack = set(), [t.op for t in outputs]
    while stack:
        o = stack.pop()
        if o in seen or o not in ops:
            continue
        seen.add(o)
        stack.extend(t.op for t in o.inputs)
        stack.extend(o.control_inputs)
    return sorted(seen, key=lambda o: o._id)


def _save_for_backward(op, loop: _Loop, grad_ops) -> list:
    """Body tensors the gradient ops read, which the forward loop then keeps per iteration
    (the backward step is fed them instead of recomputing the body). Only when the body's
    plan with them as outputs reads no outer tensor the While op does not take."""
    fed = set(loop.phs)
    want = []
    for gop in grad_ops:
        for t in gop.inputs:
            if t.op in loop.step.inside and t not in fed and t not in want and \
                    registry.get(t.op.type).role not in ("var", "const"):
                want.append(t)
    if not want:
        return []
    saved = loop.saved + [t for t in want if t not in loop.saved]
    saving = SubGraph(loop.phs, loop.step.outputs + saved, loop.step.inside)
    index = {t: i for i, t in enumerate(op.inputs[loop.n + 1:])}
    if any(t not in index for t in saving.captures):
        return []
    loop.saved, loop.saving = saved, saving
    op._py["saving_pos"] = [index[t] for t in saving.captures]
    return want
