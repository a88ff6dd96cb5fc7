"""TF 1.x's queues: `FIFOQueue` and `RandomShuffleQueue`, as host ops on a queue that
lives in the Session (like an iterator), so the input threads' enqueue runs and the
training loop's dequeue runs share it.

Enqueue blocks while the queue is full and dequeue while it holds too few elements
(RandomShuffleQueue: fewer than `min_after_dequeue` left after it), both inside a
`Session.run`, the other threads' runs going on meanwhile. Closing wakes them:
a dequeue then takes what is left or raises OutOfRangeError, an enqueue (with
`cancel_pending_enqueues`) raises CancelledError.
"""
from __future__ import annotations

import collections
import threading

import numpy as np

from jitgraph.framework import dtypes as dtypes_lib
from jitgraph.framework import errors
from jitgraph.framework.graph import Tensor, get_default_graph
from jitgraph.framework.tensor_shape import TensorShape
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.registry import make_op, register

_HOST = "queues live in the Session and block on other threads"


class QueueRuntime:
    """One queue in one Session: a deque of element tuples and a condition."""

    def __init__(self, kind, name, capacity, min_after_dequeue=0, seed=None):
        self.kind, self.name, self.capacity = kind, name, capacity
        self.min_after_dequeue = min_after_dequeue
        self.items = collections.deque()
        self.closed = False
        self.cancelled = False
        self.cond = threading.Condition()
        self.rng = np.random.RandomState(seed) if seed else np.random.RandomState()

    def _full(self):
        return self.capacity is not None and self.capacity >= 0 and \
            len(self.items) >= self.capacity

    def enqueue(self, elements, op):
        with self.cond:
            for el in elements:
                while not self.closed and self._full():
                    self.cond.wait()
                if self.closed:
                    raise errors.CancelledError(
                        None, op, f"{self.kind} '{self.name}' is closed.")
                self.items.append(el)
                self.cond.notify_all()

    def dequeue(self, n, op, up_to=False):
        """`n` elements (one when n is None); up_to: fewer when the queue is closed."""
        want = 1 if n is None else n
        with self.cond:
            keep = self.min_after_dequeue
            while not self.closed and len(self.items) < want + keep:
                self.cond.wait()
            if self.closed and len(self.items) < want and not (up_to and self.items):
                raise errors.OutOfRangeError(
                    None, op, f"{self.kind} '{self.name}' is closed and has insufficient "
                              f"elements (requested {want}, current size {len(self.items)})")
            take = min(want, len(self.items))
            out = [self._pop() for _ in range(take)]
            self.cond.notify_all()
        return out

    def _pop(self):
        if self.kind == "RandomShuffleQueue" and len(self.items) > 1:
            i = self.rng.randint(len(self.items))
            self.items.rotate(-i)
            el = self.items.popleft()
            self.items.rotate(i)
            return el
        return self.items.popleft()

    def close(self, cancel_pending_enqueues):
        with self.cond:
            self.closed = True
            self.cond.notify_all()


def _runtime(k):
    q = k.op._py["queue"]
    return k.state.resource(("queue", q._key), q._make_runtime)


def _enqueue_np(k, *values):
    vals = [np.array(v, copy=True) for v in values]
    if k.attrs["many"]:
        n = {len(v) for v in vals}
        if len(n) != 1:
            raise errors.InvalidArgumentError(
                None, k.op, "Shape mismatch in tuple component 1. Expected [" f"{min(n)}"
                            "], got other sizes")
        elements = [tuple(v[i] for v in vals) for i in range(n.pop())]
    else:
        elements = [tuple(vals)]
    _runtime(k).enqueue(elements, k.op)
    return ()


def _dequeue_np(k):
    q = k.op._py["queue"]
    n, up_to = k.attrs.get("n"), k.attrs.get("up_to", False)
    els = _runtime(k).dequeue(n, k.op, up_to)
    if n is None:
        out = [np.asarray(c, dtype=dt.as_numpy_dtype) for c, dt in zip(els[0], q.dtypes)]
    else:
        out = [np.array([el[i] for el in els], dtype=dt.as_numpy_dtype).reshape(
            (len(els),) + _shape_of(els, i)) for i, dt in enumerate(q.dtypes)]
    return out[0] if len(out) == 1 else tuple(out)


def _shape_of(els, i):
    return np.shape(els[0][i]) if els else ()


def _close_np(k):
    _runtime(k).close(k.attrs["cancel_pending_enqueues"])
    return ()


def _size_np(k):
    return np.int32(len(_runtime(k).items))


def _is_closed_np(k):
    return np.bool_(_runtime(k).closed)


def _dequeue_shapes(s):
    n = s.attrs.get("n")
    lead = () if n is None else ((None,) if s.attrs.get("up_to") else (n,))
    return [None if sh is None else lead + tuple(sh) for sh in s.attrs["component_shapes"]]


register("QueueEnqueueV2", shape=lambda s: [], numpy=_enqueue_np, host=_HOST, stateful=True)
register("QueueDequeueV2", shape=_dequeue_shapes, numpy=_dequeue_np, host=_HOST,
         stateful=True)
register("QueueCloseV2", shape=lambda s: [], numpy=_close_np, host=_HOST, stateful=True)
register("QueueSizeV2", shape=lambda s: [()], numpy=_size_np, host=_HOST, stateful=True)
register("QueueIsClosedV2", shape=lambda s: [()], numpy=_is_closed_np, host=_HOST,
         stateful=True)


class QueueBase:
    """The queue's ops; subclasses say how it orders its elements."""

    _kind = "FIFOQueue"

    def __init__(self, dtypes, shapes, names, capacity, name, min_after_dequeue=0,
                 seed=None):
        from jitgraph.ops.api import name_scope
        if not isinstance(dtypes, (list, tuple)):
            dtypes = [dtypes]
        self._dtypes = [dtypes_lib.as_dtype(d) for d in dtypes]
        if shapes is not None:
            if isinstance(shapes, (TensorShape,)) or (shapes and not isinstance(
                    shapes[0], (list, tuple, TensorShape)) and shapes[0] is not None):
                shapes = [shapes]
            if len(shapes) != len(self._dtypes):
                raise ValueError("Queue shapes must have the same length as dtypes")
            self._shapes = [TensorShape(s) for s in shapes]
        else:
            self._shapes = [TensorShape(None) for _ in self._dtypes]
        if names is not None:
            names = [names] if isinstance(names, str) else list(names)
            if len(names) != len(self._dtypes):
                raise ValueError("Queue names must have the same length as dtypes")
        self._names = names
        self._capacity, self._min_after_dequeue, self._seed = capacity, min_after_dequeue, seed
        g = get_default_graph()
        with name_scope(None, name) as scope:
            self._name = scope[:-1] if scope.endswith("/") else scope
        self._graph = g
        self._key = self._name

    def _make_runtime(self):
        return QueueRuntime(self._kind, self._name, self._capacity, self._min_after_dequeue,
                            self._seed)

    @property
    def name(self):
        return self._name

    @property
    def dtypes(self):
        return list(self._dtypes)

    @property
    def shapes(self):
        return list(self._shapes)

    @property
    def names(self):
        return self._names

    @property
    def queue_ref(self):
        from jitgraph.ops.constant import constant
        return constant(self._name, dtype=dtypes_lib.string)

    def _op(self, op_type, inputs, out_dtypes, attrs, name):
        attrs = dict(attrs, component_shapes=[s.as_tuple() if s.ndims is not None else None
                                              for s in self._shapes])
        op = make_op(op_type, inputs, out_dtypes, attrs, name=name, graph=self._graph)
        op._py["queue"] = self
        return op

    def _values(self, vals, many):
        from jitgraph.ops.math_ops import cast
        if isinstance(vals, dict):
            if self._names is None:
                raise ValueError("Queue must have names to enqueue a dictionary")
            if sorted(self._names) != sorted(vals):
                raise ValueError(f"Keys in dictionary to enqueue do not match names of "
                                 f"Queue.  Dictionary: {sorted(vals)}, Queue: "
                                 f"{sorted(self._names)}")
            vals = [vals[n] for n in self._names]
        elif self._names is not None:
            raise ValueError("You must enqueue a dictionary in a Queue with names")
        if not isinstance(vals, (list, tuple)):
            vals = [vals]
        if len(vals) != len(self._dtypes):
            raise ValueError(f"Expected {len(self._dtypes)} components, got {len(vals)}")
        out = []
        for v, dt, shape in zip(vals, self._dtypes, self._shapes):
            t = v if isinstance(v, Tensor) else convert_to_tensor(v, dtype=dt)
            if t.dtype != dt:
                t = cast(t, dt)
            got = t.shape if not many else (t.shape[1:] if t.shape.ndims else t.shape)
            if shape.ndims is not None and not got.is_compatible_with(shape):
                raise ValueError(f"Shapes {got} and {shape} are incompatible")
            out.append(t)
        return out

    def enqueue(self, vals, name=None):
        return self._op("QueueEnqueueV2", self._values(vals, False), [], {"many": False},
                        name or "enqueue")

    def enqueue_many(self, vals, name=None):
        return self._op("QueueEnqueueV2", self._values(vals, True), [], {"many": True},
                        name or "enqueue_many")

    def _dequeue(self, n, up_to, name):
        op = self._op("QueueDequeueV2", [], list(self._dtypes), {"n": n, "up_to": up_to},
                      name)
        outs = list(op.outputs)
        if self._names is not None:
            return dict(zip(self._names, outs))
        return outs[0] if len(outs) == 1 else outs

    def dequeue(self, name=None):
        return self._dequeue(None, False, name or "dequeue")

    def dequeue_many(self, n, name=None):
        return self._dequeue(int(n), False, name or "dequeue_many")

    def dequeue_up_to(self, n, name=None):
        return self._dequeue(int(n), True, name or "dequeue_up_to")

    def close(self, cancel_pending_enqueues=False, name=None):
        return self._op("QueueCloseV2", [], [],
                        {"cancel_pending_enqueues": bool(cancel_pending_enqueues)},
                        name or "close")

    def size(self, name=None):
        return self._op("QueueSizeV2", [], [dtypes_lib.int32], {}, name or "size").outputs[0]

    def is_closed(self, name=None):
        return self._op("QueueIsClosedV2", [], [dtypes_lib.bool], {},
                        name or "is_closed").outputs[0]


class FIFOQueue(QueueBase):
    """Elements in the order they were enqueued."""

    def __init__(self, capacity, dtypes, shapes=None, names=None, shared_name=None,
                 name="fifo_queue"):
        super().__init__(dtypes, shapes, names, capacity, name)


class RandomShuffleQueue(QueueBase):
    """Elements in random order; a dequeue leaves at least `min_after_dequeue` behind
    until the queue is closed."""

    _kind = "RandomShuffleQueue"

    def __init__(self, capacity, min_after_dequeue, dtypes, shapes=None, names=None,
                 seed=None, shared_name=None, name="random_shuffle_queue"):
        from jitgraph.ops.random_ops import get_seed
        s1, s2 = get_seed(seed)
        seed = None if s1 is None and s2 is None else ((s1 or 0) * 1000003 + (s2 or 0)) % 2**32
        super().__init__(dtypes, shapes, names, capacity, name, min_after_dequeue, seed)


class PaddingFIFOQueue(FIFOQueue):
    """A FIFOQueue whose dequeue_many pads variable-size components: not supported."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError("jitgraph has no PaddingFIFOQueue yet: pad the elements "
                                  "before enqueueing them")
