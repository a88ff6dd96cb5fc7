"""`hvd.DistributedOptimizer`: any tf.train optimizer, with gradients averaged over ranks."""
from __future__ import annotations

from jitgraph.distribute import world as _world
from jitgraph.distribute.collectives import Adasum, Average, Sum
from jitgraph.distribute.compression import Compression
from jitgraph.distribute.ops import grouped_allreduce
from jitgraph.ops.api import name_scope
from jitgraph.ops.constant import constant
from jitgraph.train.optimizer import Optimizer


class _DistributedOptimizer(Optimizer):
    """Wraps `optimizer`: `compute_gradients` reduces the gradients of every rank in one
    fused allreduce (one MPI call per step for a model of one dtype); everything else is
    the wrapped optimizer's, so its slots, names and checkpoints are unchanged."""

    def __init__(self, optimizer, name, use_locking, compression, reduce_op,
                 gradient_predivide_factor):
        super().__init__(use_locking=use_locking, name=name)
        self._optimizer = optimizer
        self._compression = compression
        self._reduce_op = reduce_op
        self._predivide = float(gradient_predivide_factor)

    def compute_gradients(self, *args, **kwargs):
        """The wrapped optimizer's (gradient, variable) pairs, gradients reduced over ranks.

        On one rank the gradients are returned as they are: no collective op, so the
        step stays one compiled stage."""
        grads_and_vars = self._optimizer.compute_gradients(*args, **kwargs)
        if _world.size() == 1:
            return grads_and_vars
        kept = [(i, g) for i, (g, _) in enumerate(grads_and_vars) if g is not None]
        if not kept:
            return grads_and_vars
        pre, post = 1.0, 1.0
        if self._reduce_op == Average:
            # The host op only sums; the division by size (Horovod's predivide factor:
            # by the factor before the sum, by size/factor after it) is a graph op that
            # fuses into the compiled update loop instead of costing a pass over the
            # buffer on the host.
            pre = 1.0 / self._predivide
            post = self._predivide / _world.size()
        with name_scope(self._name + "_Allreduce"):
            reduced = grouped_allreduce([g for _, g in kept],
                                        op=Sum if self._reduce_op == Average else self._reduce_op,
                                        compression=self._compression, prescale_factor=pre)
            if post != 1.0:
                reduced = [g * constant(post, g.dtype) for g in reduced]
        out = list(grads_and_vars)
        for (i, _), g in zip(kept, reduced):
            out[i] = (g, grads_and_vars[i][1])
        return out

    def apply_gradients(self, *args, **kwargs):
        return self._optimizer.apply_gradients(*args, **kwargs)

    def get_slot(self, *args, **kwargs):
        return self._optimizer.get_slot(*args, **kwargs)

    def get_slot_names(self, *args, **kwargs):
        return self._optimizer.get_slot_names(*args, **kwargs)

    def variables(self, *args, **kwargs):
        return self._optimizer.variables(*args, **kwargs)


def DistributedOptimizer(optimizer, name=None, use_locking=False, device_dense="",  # noqa: N802
                         device_sparse="", compression=Compression.none, sparse_as_dense=False,
                         backward_passes_per_step=1, op=Average, gradient_predivide_factor=1.0,
                         average_aggregated_gradients=False, num_groups=0, groups=None,
                         process_set=None):
    """An optimizer that averages gradients over all ranks before applying them
    (Horovod's `hvd.DistributedOptimizer`).

    Args:
      optimizer: a tf.train optimizer (GradientDescentOptimizer, AdamOptimizer, ...).
      name: the wrapper's name (default "Distributed" + the optimizer's class name).
      use_locking: as for every optimizer.
      device_dense, device_sparse, sparse_as_dense, num_groups, groups, process_set:
        accepted for Horovod's signature: every gradient is dense, all travel in one
        fused buffer, over all ranks.
      compression: `hvd.Compression.none` or `hvd.Compression.fp16`.
      backward_passes_per_step: only 1 (local gradient accumulation is not implemented).
      op: hvd.Average (default) or hvd.Sum.
      gradient_predivide_factor: with Average, divide by this before the sum and by
        size / factor after it.
      average_aggregated_gradients: used only with backward_passes_per_step > 1.

    Raises:
      ValueError: gradient_predivide_factor with an op other than Average.
      NotImplementedError: backward_passes_per_step > 1, or op=hvd.Adasum.
    """
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"Provided optimizer doesn't inherit from either legacy TensorFlow "
                         f"or Keras optimizer: {optimizer}")
    if gradient_predivide_factor != 1.0 and op != Average:
        raise ValueError("gradient_predivide_factor not supported with op != Average")
    if op == Adasum:
        raise NotImplementedError("hvd.Adasum is not implemented by jitgraph.distribute; "
                                  "use hvd.Average or hvd.Sum")
    if backward_passes_per_step != 1:
        raise NotImplementedError("jitgraph.distribute: backward_passes_per_step > 1 (local "
                                  "gradient accumulation) is not implemented")
    if name is None:
        name = f"Distributed{type(optimizer).__name__}"
    return _DistributedOptimizer(optimizer, name, use_locking, compression, op,
                                 gradient_predivide_factor)
