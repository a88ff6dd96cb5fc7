"""`tf.gradients`: reverse-mode autodiff that builds the backward pass as more graph ops.

Each op type's gradient is its registry entry's `grad(op, *dys)` face, returning
one gradient (or None) per input. Because the backward pass is ordinary graph
ops, the JIT fuses and compiles it together with the forward pass.
"""
from __future__ import annotations

from jitgraph.framework.graph import Tensor, get_default_graph
from jitgraph.ops import registry
from jitgraph.ops.constant import convert_to_tensor


def _as_tensor(x):
    if isinstance(x, Tensor):
        return x
    if hasattr(x, "_as_graph_element"):
        return x._as_graph_element()
    return convert_to_tensor(x)


def _differentiable(t) -> bool:
    return t.dtype.is_floating


def gradients(ys, xs, grad_ys=None, name="gradients", colocate_gradients_with_ops=False,
              gate_gradients=False, aggregation_method=None, stop_gradients=None,
              unconnected_gradients="none"):
    """Symbolic derivatives of sum(`ys`) with respect to each of `xs`.

    Args:
      ys: a Tensor or list of Tensors to differentiate.
      xs: a Tensor (or Variable) or list of them.
      grad_ys: optional initial gradients, one per y (default: ones).
      stop_gradients: Tensors through which no gradient flows.
      unconnected_gradients: 'none' (None for unconnected xs) or 'zero'.

    Returns:
      A list with one gradient Tensor (or None) per x.

    Raises:
      LookupError: an op on the path has no registered gradient.
    """
    ys = [_as_tensor(y) for y in (ys if isinstance(ys, (list, tuple)) else [ys])]
    xs_list = xs if isinstance(xs, (list, tuple)) else [xs]
    # A Variable's gradient flows to its buffer from every read of it, not only `read`.
    xs = [x._ref() if hasattr(x, "_ref") else _as_tensor(x) for x in xs_list]
    if grad_ys is not None and not isinstance(grad_ys, (list, tuple)):
        grad_ys = [grad_ys]
    stop = {_as_tensor(s) for s in (stop_gradients or [])}
    graph = ys[0].graph if ys else get_default_graph()

    # Ops on a path from some x to some y.
    x_ops = {x.op for x in xs}
    forward = set()
    stack = list(x_ops)
    consumers: dict = {}
    for op in graph.get_operations():
        for t in op.inputs:
            consumers.setdefault(t.op, []).append(op)
    while stack:
        op = stack.pop()
        if op in forward:
            continue
        forward.add(op)
        stack.extend(consumers.get(op, []))
    between = set()
    stack = [y.op for y in ys]
    while stack:
        op = stack.pop()
        if op in between or op not in forward:
            continue
        between.add(op)
        stack.extend(t.op for t in op.inputs)
    order = [op for op in graph.get_operations() if op in between]

    grads: dict[Tensor, list] = {}
    with graph.as_default(), graph.name_scope(name):
        for i, y in enumerate(ys):
            if grad_ys is not None and grad_ys[i] is not None:
                g = convert_to_tensor(grad_ys[i], dtype=y.dtype)
            else:
                from jitgraph.ops.array_ops import ones_like
                g = ones_like(y, name=f"grad_ys_{i}")
            grads.setdefault(y, []).append(g)

        for op in reversed(order):
            if op in x_ops and all(t in xs for t in op.outputs) and op.type != "Identity":
                # Don't differentiate through the op producing an x (e.g. a variable).
                continue
            dys = [_aggregate(grads.get(t)) for t in op.outputs]
            if all(d is None for d in dys):
                continue
            if any(t in stop for t in op.outputs):
                continue
            d = registry.get(op.type)
            needs = [t for t in op.inputs if t.op in between and _differentiable(t)]
            if not needs:
                continue
            if d.grad is None:
                raise LookupError(f"No gradient defined for operation '{op.name}' "
                                  f"(op type: {op.type})")
            with graph.name_scope(op.name + "_grad"):
                in_grads = d.grad(op, *dys)
            if len(in_grads) != len(op.inputs):
                raise ValueError(f"Num gradients {len(in_grads)} generated for op {op.name} do "
                                 f"not match num inputs {len(op.inputs)}")
            for t, g in zip(op.inputs, in_grads):
                if g is None or t.op not in between or not _differentiable(t):
                    continue
                g = _as_tensor(g)
                if g.dtype != t.dtype:
                    from jitgraph.ops.math_ops import cast
                    g = cast(g, t.dtype)
                grads.setdefault(t, []).append(g)

        out = []
        for x in xs:
            g = _aggregate(grads.get(x))
            if g is None and unconnected_gradients == "zero":
                from jitgraph.ops.array_ops import zeros_like
                g = zeros_like(x)
            out.append(g)
    return out


def _aggregate(gs):
    if not gs:
        return None
    if len(gs) == 1:
        return gs[0]
    from jitgraph.ops.math_ops import add_n
    return add_n(gs)
