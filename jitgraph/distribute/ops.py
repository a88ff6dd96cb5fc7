"""The collective graph ops (Horovod's `HorovodAllreduce`, `HorovodAllgather`,
`HorovodBroadcast`) and the functions that build them.

They are host ops: the planner cuts the compiled stages around them, so a training
step runs as [compiled forward + backward] -> allreduce -> [compiled update], on
either engine. One allreduce or broadcast op takes any number of tensors and
reduces them in one fused buffer per dtype (`collectives`), which is how
DistributedOptimizer makes one MPI call per step.
"""
from __future__ import annotations

from jitgraph.distribute import collectives
from jitgraph.distribute import world as _world
from jitgraph.distribute.collectives import REDUCE_OP_NAMES, Adasum, Average, Sum
from jitgraph.framework import dtypes, errors
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.registry import make_op, register

_HOST = "exchanges tensors with the other ranks over MPI"


def _world_for(k):
    if not _world.is_initialized():
        raise errors.FailedPreconditionError(None, k.op, _world._NOT_INITIALIZED)
    return _world.world()


def _what(k):
    return f"{k.op.type} '{k.op.name}'"


def _one_or_list(out):
    # The interpreter binds a one-output op's value as is, a many-output op's as a list.
    return out[0] if len(out) == 1 else out


def _same_shapes(s):
    return list(s.shapes)


# -- allreduce ------------------------------------------------------------------------------
def _allreduce_np(k, *xs):
    _world_for(k)
    a = k.attrs
    return _one_or_list(collectives.allreduce(list(xs), a["reduce_op"], a["prescale_factor"],
                                              a["postscale_factor"], _what(k)))


def _allreduce_grad(op, *dys):
    # Horovod's gradient: the same reduction of the incoming gradients (Adasum: Average).
    reduce_op = op.attrs["reduce_op"]
    kept = [i for i, dy in enumerate(dys) if dy is not None]
    grads = [None] * len(dys)
    if kept:
        reduced = _allreduce([dys[i] for i in kept], Average if reduce_op == Adasum else reduce_op,
                             op.attrs["prescale_factor"], op.attrs["postscale_factor"])
        for i, g in zip(kept, reduced):
            grads[i] = g
    return grads


register("HorovodAllreduce", shape=_same_shapes, numpy=_allreduce_np, grad=_allreduce_grad,
         host=_HOST, stateful=True)


def _check_reducible(t, reduce_op, prescale, postscale):
    if t.dtype == dtypes.string or t.dtype == dtypes.bool:
        raise TypeError(f"{t.name}: {t.dtype.name} tensors cannot be reduced across ranks")
    if not t.dtype.is_floating and (prescale != 1 or postscale != 1):
        raise ValueError(f"{t.name}: prescale_factor and postscale_factor need a floating "
                         f"point tensor, not {t.dtype.name}")


def _allreduce(tensors, reduce_op=Sum, prescale_factor=1.0, postscale_factor=1.0, name=None):
    """One HorovodAllreduce op over `tensors` (their reductions, in order)."""
    if reduce_op not in REDUCE_OP_NAMES:
        raise ValueError(f"Unknown reduction operation {reduce_op!r}: expected one of "
                         f"hvd.{', hvd.'.join(REDUCE_OP_NAMES.values())}")
    if reduce_op == Adasum:
        raise NotImplementedError("hvd.Adasum is not implemented by jitgraph.distribute; "
                                  "use hvd.Average or hvd.Sum")
    xs = [convert_to_tensor(t) for t in tensors]
    for x in xs:
        _check_reducible(x, reduce_op, prescale_factor, postscale_factor)
    attrs = {"reduce_op": reduce_op, "prescale_factor": float(prescale_factor),
             "postscale_factor": float(postscale_factor)}
    op = make_op("HorovodAllreduce", xs, [x.dtype for x in xs], attrs,
                 name=name or "HorovodAllreduce")
    return list(op.outputs)


def _handle_average(op, average):
    """Horovod's rule: `op` supersedes the deprecated `average`; the default is Average."""
    if op is not None:
        if average is not None:
            raise ValueError("The op parameter supersedes average. Please provide only one "
                             "of them.")
        return op
    if average is not None:
        return Average if average else Sum
    return Average


def allreduce(tensor, average=None, device_dense="", device_sparse="", compression=None,
              op=None, prescale_factor=1.0, postscale_factor=1.0, name=None,
              process_set=None, ignore_name_scope=False):
    """The reduction of `tensor` over all ranks (Horovod's `hvd.allreduce`).

    Args:
      tensor: a Tensor (or value convertible to one) of the same shape on every rank.
      average: deprecated; True is `op=hvd.Average`, False `op=hvd.Sum`.
      device_dense, device_sparse, process_set, ignore_name_scope: accepted for
        Horovod's signature; everything runs on the host, over all ranks.
      compression: `hvd.Compression.none` (default) or `hvd.Compression.fp16`.
      op: hvd.Average (default), hvd.Sum, hvd.Min, hvd.Max or hvd.Product.
      prescale_factor, postscale_factor: multiply the tensor before / after the reduction.
      name: the op's name.

    Returns:
      A Tensor of `tensor`'s shape and dtype, equal on every rank.

    Raises:
      ValueError: both `op` and `average` are given.
      NotImplementedError: `op=hvd.Adasum`.
    """
    from jitgraph.distribute.compression import Compression
    reduce_op = _handle_average(op, average)
    compression = compression or Compression.none
    compressed, ctx = compression.compress(convert_to_tensor(tensor))
    (out,) = _allreduce([compressed], reduce_op, prescale_factor, postscale_factor, name)
    return compression.decompress(out, ctx)


def grouped_allreduce(tensors, average=None, device_dense="", device_sparse="",
                      compression=None, op=None, prescale_factor=1.0, postscale_factor=1.0,
                      process_set=None):
    """`allreduce` of each of `tensors`, fused: one MPI call per dtype for all of them."""
    from jitgraph.distribute.compression import Compression
    reduce_op = _handle_average(op, average)
    compression = compression or Compression.none
    pairs = [compression.compress(convert_to_tensor(t)) for t in tensors]
    outs = _allreduce([c for c, _ in pairs], reduce_op, prescale_factor, postscale_factor,
                      name="HorovodGroupedAllreduce")
    return [compression.decompress(o, ctx) for o, (_, ctx) in zip(outs, pairs)]


# -- broadcast -------------------------------------------------------------------------------
def _broadcast_np(k, *xs):
    _world_for(k)
    return _one_or_list(collectives.broadcast(list(xs), k.attrs["root_rank"], _what(k)))


def _broadcast_grad(op, *dys):
    # The root's tensor reaches every rank: its gradient is the sum of theirs; the
    # other ranks' inputs reach nobody.
    root = op.attrs["root_rank"]
    grads = _allreduce_grad_sum(dys)
    if _world.rank() != root:
        return [None if g is None else g * 0 for g in grads]
    return grads


def _allreduce_grad_sum(dys):
    kept = [i for i, dy in enumerate(dys) if dy is not None]
    grads = [None] * len(dys)
    if kept:
        for i, g in zip(kept, _allreduce([dys[i] for i in kept], Sum)):
            grads[i] = g
    return grads


register("HorovodBroadcast", shape=_same_shapes, numpy=_broadcast_np, grad=_broadcast_grad,
         host=_HOST, stateful=True)


def _broadcast(tensors, root_rank, name=None):
    xs = [convert_to_tensor(t) for t in tensors]
    for x in xs:
        if x.dtype == dtypes.string:
            raise TypeError(f"{x.name}: string tensors cannot be broadcast")
    op = make_op("HorovodBroadcast", xs, [x.dtype for x in xs], {"root_rank": int(root_rank)},
                 name=name or "HorovodBroadcast")
    return list(op.outputs)


def broadcast(tensor, root_rank, name=None, process_set=None, ignore_name_scope=False):
    """`tensor` as rank `root_rank` holds it, on every rank (Horovod's `hvd.broadcast`).

    Raises (at run time):
      InvalidArgumentError: `root_rank` is not a rank of the world.
    """
    (out,) = _broadcast([tensor], root_rank, name)
    return out


# -- allgather --------------------------------------------------------------------------------
def _allgather_shape(s):
    x = s.shapes[0]
    if x is None:
        return [None]
    if not x:
        raise ValueError("HorovodAllgather needs a tensor of rank 1 or more, not a scalar")
    return [(None,) + tuple(x[1:])]


def _allgather_np(k, x):
    _world_for(k)
    return collectives.allgather(x, _what(k))


def _allgather_grad(op, dy):
    # Horovod's: sum the gradients of every rank, keep this rank's rows.
    from jitgraph.ops import api
    x = op.inputs[0]
    if x.shape.ndims is None:
        raise ValueError(f"the gradient of {op.name} needs the input's rank")
    (summed,) = _allreduce([dy], Sum)
    rows = api.reshape(api.shape(x)[0], [1])
    all_rows = allgather(rows)
    offset = api.reduce_sum(all_rows[:_world.rank()])
    zeros = [0] * (x.shape.ndims - 1)
    begin = api.concat([api.reshape(offset, [1]), api.constant(zeros, dtypes.int32)], 0)
    size = api.concat([rows, api.constant([-1] * len(zeros), dtypes.int32)], 0)
    return [api.slice(summed, begin, size)]


register("HorovodAllgather", shape=_allgather_shape, numpy=_allgather_np, grad=_allgather_grad,
         host=_HOST, stateful=True)


def allgather(tensor, name=None, process_set=None, ignore_name_scope=False):
    """The tensors of all ranks concatenated along dimension 0, in rank order (Horovod's
    `hvd.allgather`); their first dimensions may differ, the others must match."""
    x = convert_to_tensor(tensor)
    if x.dtype == dtypes.string:
        raise TypeError(f"{x.name}: string tensors cannot be gathered")
    return make_op("HorovodAllgather", [x], [x.dtype], name=name or "HorovodAllgather").outputs[0]
