"""Queue-based input as 2016-2017 programs wrote it: the input producers
(`string_input_producer`, `slice_input_producer`, ...) and the batchers (`batch`,
`shuffle_batch` and their `_join` forms), each a queue with a QueueRunner added to
`GraphKeys.QUEUE_RUNNERS` for `start_queue_runners`."""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.framework.graph import GraphKeys
from jitgraph.framework.tensor_shape import TensorShape
from jitgraph.ops.api import name_scope
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.registry import make_op, register
from jitgraph.train.queue_runner import QueueRunner, add_queue_runner
from jitgraph.train.queues import FIFOQueue, RandomShuffleQueue


# -- limit_epochs ----------------------------------------------------------------------
class _EpochCount:
    __slots__ = ("n",)

    def __init__(self):
        self.n = 0


def _limit_np(k, x):
    count = k.state.resource(("limit_epochs", k.op.name), _EpochCount)
    limit = k.attrs["num_epochs"]
    if count.n >= limit:
        raise errors.OutOfRangeError(None, k.op, f"Reached limit of {limit}")
    count.n += 1
    return x


register("LimitEpochs", shape=lambda s: [s.shapes[0]], numpy=_limit_np, stateful=True,
         host="counts its runs in the Session")


def limit_epochs(tensor, num_epochs=None, name=None):
    """`tensor`, `num_epochs` times; the next run raises OutOfRangeError."""
    if num_epochs is None:
        return tensor
    if num_epochs <= 0:
        raise ValueError(f"num_epochs must be > 0 not {num_epochs}.")
    with name_scope(name, "limit_epochs"):
        t = convert_to_tensor(tensor)
        return make_op("LimitEpochs", [t], [t.dtype], {"num_epochs": int(num_epochs)},
                       name="epochs").outputs[0]


# -- producers -------------------------------------------------------------------------------
def input_producer(input_tensor, element_shape=None, num_epochs=None, shuffle=True, seed=None,
                   capacity=32, shared_name=None, summary_name=None, name=None,
                   cancel_op=None):
    """A FIFOQueue fed the rows of `input_tensor` (shuffled per epoch), `num_epochs`
    times (forever by default)."""
    from jitgraph.ops.random_ops import random_shuffle
    from jitgraph.summary.summary_ops import scalar
    from jitgraph.ops.math_ops import cast
    with name_scope(name, "input_producer"):
        t = convert_to_tensor(input_tensor)
        element_shape = TensorShape(element_shape) if element_shape is not None else \
            (t.shape[1:] if t.shape.ndims else TensorShape(None))
        if not element_shape.is_fully_defined():
            raise ValueError("Either `input_tensor` must have a fully defined shape or "
                             "`element_shape` must be specified")
        if shuffle:
            t = random_shuffle(t, seed=seed)
        t = limit_epochs(t, num_epochs)
        q = FIFOQueue(capacity=capacity, dtypes=[t.dtype], shapes=[element_shape],
                      shared_name=shared_name, name="fifo_queue" if not name else name)
        enq = q.enqueue_many([t])
        add_queue_runner(QueueRunner(q, [enq], cancel_op=cancel_op))
        if summary_name is not None:
            scalar(summary_name, cast(q.size(), dtypes.float32) * (1.0 / capacity))
        return q


def string_input_producer(string_tensor, num_epochs=None, shuffle=True, seed=None,
                          capacity=32, shared_name=None, name=None, cancel_op=None):
    """A queue of file names (strings) for a reader.

    Raises:
      ValueError: an empty list of strings.
    """
    if not isinstance(string_tensor, type(convert_to_tensor(""))) and len(string_tensor) == 0:
        raise ValueError("Expected string_tensor to have at least 1 element")
    with name_scope(name, "input_producer"):
        t = convert_to_tensor(string_tensor, dtype=dtypes.string)
        return input_producer(t, [], num_epochs, shuffle, seed, capacity, shared_name,
                              f"fraction_of_{capacity}_full", None, cancel_op)


def range_input_producer(limit, num_epochs=None, shuffle=True, seed=None, capacity=32,
                         shared_name=None, name=None):
    """A queue of the integers 0 .. limit-1."""
    with name_scope(name, "input_producer"):
        return input_producer(np.arange(limit, dtype=np.int32), [], num_epochs, shuffle,
                              seed, capacity, shared_name, f"fraction_of_{capacity}_full")


def slice_input_producer(tensor_list, num_epochs=None, shuffle=True, seed=None, capacity=32,
                         shared_name=None, name=None):
    """One row of each tensor in `tensor_list` per dequeue (the same row of each)."""
    from jitgraph.ops.manip_ops import gather
    with name_scope(name, "input_producer"):
        tensors = [convert_to_tensor(t) for t in tensor_list]
        if not tensors:
            raise ValueError("Expected at least one tensor in slice_input_producer().")
        n = tensors[0].shape[0].value
        if n is None:
            raise ValueError("jitgraph: slice_input_producer needs a known first dimension")
        q = range_input_producer(n, num_epochs, shuffle, seed, capacity, shared_name)
        index = q.dequeue()
        return [gather(t, index) for t in tensors]


# -- batching -----------------------------------------------------------------------------------
def _flatten(tensors):
    if isinstance(tensors, dict):
        keys = sorted(tensors)
        return [tensors[k] for k in keys], keys
    if isinstance(tensors, (list, tuple)):
        return list(tensors), None
    return [tensors], "single"


def _pack(flat, keys):
    if keys == "single":
        return flat[0]
    if keys is None:
        return flat
    return dict(zip(keys, flat))


def _shapes(flat, shapes, enqueue_many):
    if shapes is not None:
        return [TensorShape(s) for s in shapes]
    out = []
    for t in flat:
        s = t.shape[1:] if enqueue_many and t.shape.ndims else t.shape
        if not s.is_fully_defined():
            raise ValueError(f"All shapes must be fully defined: {[t.shape for t in flat]}")
        out.append(s)
    return out


def _batch(queue_fn, tensor_lists, batch_size, num_threads, enqueue_many, shapes,
           allow_smaller_final_batch, name, scope_name, summary):
    from jitgraph.ops.math_ops import cast, maximum
    from jitgraph.summary.summary_ops import scalar
    with name_scope(name, scope_name):
        flats = []
        keys = None
        for tensors in tensor_lists:
            flat, keys = _flatten(tensors)
            flats.append([convert_to_tensor(t) for t in flat])
        shapes = _shapes(flats[0], shapes, enqueue_many)
        q = queue_fn([t.dtype for t in flats[0]], shapes)
        enq = [(q.enqueue_many if enqueue_many else q.enqueue)(flat)
               for flat in flats for _ in range(num_threads if len(flats) == 1 else 1)]
        add_queue_runner(QueueRunner(q, enq))
        frac = cast(maximum(0, q.size() - summary[1]), dtypes.float32) * (1.0 / summary[2])
        scalar(summary[0], frac)
        out = q.dequeue_up_to(batch_size) if allow_smaller_final_batch else \
            q.dequeue_many(batch_size)
        out = out if isinstance(out, list) else [out]
        return _pack(out, keys)


def batch(tensors, batch_size, num_threads=1, capacity=32, enqueue_many=False, shapes=None,
          dynamic_pad=False, allow_smaller_final_batch=False, shared_name=None, name=None):
    """Batches of `batch_size` of `tensors` (a list, dict or tensor), in order, through a
    FIFOQueue of `capacity` filled by `num_threads` threads."""
    if dynamic_pad:
        raise NotImplementedError("jitgraph: tf.train.batch(dynamic_pad=True) is not "
                                  "supported yet")
    return _batch(lambda dts, shps: FIFOQueue(capacity, dts, shps, shared_name=shared_name),
                  [tensors], batch_size, num_threads, enqueue_many, shapes,
                  allow_smaller_final_batch, name, "batch",
                  (f"fraction_of_{capacity}_full", 0, capacity))


def batch_join(tensors_list, batch_size, capacity=32, enqueue_many=False, shapes=None,
               dynamic_pad=False, allow_smaller_final_batch=False, shared_name=None,
               name=None):
    """`batch` of several tensor lists, one enqueuing thread each."""
    return _batch(lambda dts, shps: FIFOQueue(capacity, dts, shps, shared_name=shared_name),
                  list(tensors_list), batch_size, 1, enqueue_many, shapes,
                  allow_smaller_final_batch, name, "batch_join",
                  (f"fraction_of_{capacity}_full", 0, capacity))


def shuffle_batch(tensors, batch_size, capacity, min_after_dequeue, num_threads=1, seed=None,
                  enqueue_many=False, shapes=None, allow_smaller_final_batch=False,
                  shared_name=None, name=None):
    """Batches drawn at random from a RandomShuffleQueue kept at least
    `min_after_dequeue` full."""
    if min_after_dequeue >= capacity:
        raise ValueError("capacity must be larger than min_after_dequeue.")
    return _batch(lambda dts, shps: RandomShuffleQueue(capacity, min_after_dequeue, dts, shps,
                                                       seed=seed, shared_name=shared_name),
                  [tensors], batch_size, num_threads, enqueue_many, shapes,
                  allow_smaller_final_batch, name, "shuffle_batch",
                  (f"fraction_over_{min_after_dequeue}_of_{capacity - min_after_dequeue}_full",
                   min_after_dequeue, capacity - min_after_dequeue))


def shuffle_batch_join(tensors_list, batch_size, capacity, min_after_dequeue, seed=None,
                       enqueue_many=False, shapes=None, allow_smaller_final_batch=False,
                       shared_name=None, name=None):
    if min_after_dequeue >= capacity:
        raise ValueError("capacity must be larger than min_after_dequeue.")
    return _batch(lambda dts, shps: RandomShuffleQueue(capacity, min_after_dequeue, dts, shps,
                                                       seed=seed, shared_name=shared_name),
                  list(tensors_list), batch_size, 1, enqueue_many, shapes,
                  allow_smaller_final_batch, name, "shuffle_batch_join",
                  (f"fraction_over_{min_after_dequeue}_of_{capacity - min_after_dequeue}_full",
                   min_after_dequeue, capacity - min_after_dequeue))


__all__ = ["limit_epochs", "input_producer", "string_input_producer", "range_input_producer",
           "slice_input_producer", "batch", "batch_join", "shuffle_batch",
           "shuffle_batch_join", "GraphKeys"]
