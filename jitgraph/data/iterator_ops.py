"""The iterator host ops: `MakeIterator` (the initializer) and `IteratorGetNext`.

Both name their iterator by a graph-unique key; its state (an `IteratorRuntime`)
lives in the Session's `RunState.resources`, so two Sessions on one graph
iterate independently, as in TF. `IteratorGetNext` is a stateful host op: the
planner runs it in a host stage and hands its arrays to the compiled stage
that consumes them, in the same `run`.
"""
from __future__ import annotations

import threading

import numpy as np

from jitgraph.data.context import Context
from jitgraph.framework import dtypes, errors
from jitgraph.framework.graph import GraphKeys
from jitgraph.framework.tensor_shape import TensorShape
from jitgraph.ops.registry import make_op, register


class IteratorRuntime:
    """One initialization of an iterator: the pipeline's chunk generator and a cursor.

    Thread-safe as TF's iterators are: runs sharing it from several threads each
    take the next element, every element goes out once, and every thread sees
    OutOfRangeError at the end. A lock serializes the cursor and the generator (a
    generator entered by two threads raises "generator already executing").
    """

    __slots__ = ("_gen", "_chunk", "_pos", "_done", "_lock")

    def __init__(self, dataset, ctx):
        self._gen = dataset._chunks(ctx)
        self._chunk = None
        self._pos = 0
        self._done = False
        # Reentrant: a pipeline function that runs this iterator again gets the
        # generator's own error, not a deadlock.
        self._lock = threading.RLock()

    def next(self, op):
        with self._lock:
            return self._next(op)

    def _next(self, op):
        ch = self._chunk
        while ch is None or self._pos >= ch.n:
            if self._done:
                raise _end_of_sequence(op)
            try:
                ch = next(self._gen, None)
            except Exception:
                self._done = True  # a failed pipeline stays at its end, as TF's does
                raise
            self._chunk, self._pos = ch, 0
            if ch is None:
                self._done = True
                raise _end_of_sequence(op)
        # Past the element before computing it: a failing map function (a py_func that
        # raises) fails this element only, and the next get_next goes on, as in TF.
        self._pos += 1
        return ch.element(self._pos - 1)


def _end_of_sequence(op):
    return errors.OutOfRangeError(None, op, "End of sequence")


def resource_key(name):
    return ("iterator", name)


# -- MakeIterator ------------------------------------------------------------------------
def _make_iterator_np(k, *captured):
    ds = k.op._py["dataset"]
    ctx = Context(dict(zip(k.op._py["captures"], captured)))
    k.state.resources[resource_key(k.attrs["iterator"])] = IteratorRuntime(ds, ctx)
    return ()


# Why these ops have no compiled form:
_HOST = "iterators live in the Session and run Python pipelines"
register("MakeIterator", shape=lambda s: [], numpy=_make_iterator_np, host=_HOST, stateful=True)


def make_iterator_op(dataset, iterator_name, graph, name):
    captures = dataset._captures()
    op = make_op("MakeIterator", captures, [], {"iterator": iterator_name}, name=name,
                 graph=graph)
    op._py["dataset"] = dataset
    op._py["captures"] = captures
    return op


# -- IteratorGetNext -----------------------------------------------------------------------
def _get_next_np(k):
    return _next_of(k, k.attrs["iterator"], k.op._py.get("one_shot"))


def _next_of(k, name, one_shot):
    """The next element of the Session's iterator `name` (a one-shot one starts here)."""
    key = resource_key(name)
    rt = k.state.resources.get(key)
    if rt is None:
        if one_shot is None:
            raise errors.FailedPreconditionError(
                None, k.op, "GetNext() failed because the iterator has not been initialized. "
                            "Ensure that you have run the initializer operation for this "
                            "iterator before getting the next element.")
        # Made once even when threads race to the first get_next: two would each
        # hand out every element.
        rt = k.state.resource(key, lambda: IteratorRuntime(
            one_shot, _one_shot_context(one_shot, k.op.graph)))
    values = rt.next(k.op)
    out = []
    for v in values:
        v = np.asarray(v)
        # Rows sliced from the user's arrays are views: hand out copies, as TF does.
        out.append(v if v.flags.owndata else v.copy())
    return out[0] if len(out) == 1 else tuple(out)


def _one_shot_context(dataset, graph):
    """A one-shot iterator evaluates its captured tensors once, on first use."""
    caps = dataset._captures()
    if not caps:
        return Context()
    from jitgraph.session import Session
    sess = Session(graph=graph)
    sess.jit = False  # evaluated once: not worth a compile
    try:
        values = sess.run(caps)
    except errors.InvalidArgumentError as e:
        raise errors.InvalidArgumentError(
            None, None, "Failed to capture the dataset's input tensors for a one-shot "
                        "iterator (a placeholder cannot be captured; use "
                        f"make_initializable_iterator()): {e}") from None
    return Context(dict(zip(caps, values)))


register("IteratorGetNext",
         shape=lambda s: [TensorShape(x).as_tuple() for x in s.attrs["output_shapes"]],
         numpy=_get_next_np, host=_HOST, stateful=True)


# -- feedable iterators: IteratorToStringHandle, IteratorGetNextFromStringHandle ---------------
# A handle names the iterator in its graph; the op that takes one finds the iterator (and,
# for a one-shot iterator, its dataset) in the graph's ITERATORS collection at run time.
_HANDLE_PREFIX = b"jitgraph-iterator:"


def _string_scalar(b):
    out = np.empty((), dtype=object)
    out[()] = b
    return out


register("IteratorToStringHandle", shape=lambda s: [()],
         numpy=lambda k: _string_scalar(_HANDLE_PREFIX + k.attrs["iterator"].encode()),
         host=_HOST)


def string_handle_op(iterator_name, graph, name):
    return make_op("IteratorToStringHandle", [], [dtypes.string],
                   {"iterator": iterator_name}, name=name, graph=graph).outputs[0]


def _iterator_named(graph, handle, op):
    h = handle if isinstance(handle, bytes) else str(handle).encode()
    if h.startswith(_HANDLE_PREFIX):
        target = h[len(_HANDLE_PREFIX):].decode()
        for it in graph.get_collection(GraphKeys.ITERATORS):
            if it._name == target:
                return it
    raise errors.InvalidArgumentError(
        None, op, f"Invalid iterator handle {h!r}: not made by string_handle() of an "
                  "iterator of this graph")


def _get_next_from_handle_np(k, handle):
    from jitgraph.data.structure import flatten
    it = _iterator_named(k.op.graph, np.asarray(handle, dtype=object)[()], k.op)
    want = list(k.attrs["output_types"])
    have = [s.dtype for s in flatten(it._specs)]
    if len(want) != len(have):
        raise errors.InvalidArgumentError(
            None, k.op, f"Number of components does not match: expected {len(want)} types "
                        f"but got {len(have)}.")
    for i, (w, h) in enumerate(zip(want, have)):
        if w != h:
            raise errors.InvalidArgumentError(
                None, k.op, f"Data type mismatch at component {i}: expected {w.name} but got "
                            f"{h.name}.")
    return _next_of(k, it._name, it._one_shot)


register("IteratorGetNextFromStringHandle",
         shape=lambda s: [TensorShape(x).as_tuple() for x in s.attrs["output_shapes"]],
         numpy=_get_next_from_handle_np, host=_HOST, stateful=True)


def get_next_from_handle_op(handle, flat_specs, graph, name):
    return make_op("IteratorGetNextFromStringHandle", [handle], [s.dtype for s in flat_specs],
                   {"output_types": [s.dtype for s in flat_specs],
                    "output_shapes": [s.shape for s in flat_specs]}, name=name, graph=graph)


def get_next_op(iterator_name, flat_specs, graph, name, one_shot=None):
    op = make_op("IteratorGetNext", [], [s.dtype for s in flat_specs],
                 {"iterator": iterator_name,
                  "output_types": [s.dtype for s in flat_specs],
                  "output_shapes": [s.shape for s in flat_specs]}, name=name, graph=graph)
    if one_shot is not None:
        op._py["one_shot"] = one_shot
    return op
