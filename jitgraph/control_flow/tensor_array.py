"""`tf.TensorArray`: TF 1.x's handle + flow design.

The handle's value is a `_Store` (a Python list of arrays) made fresh by each run
of its `TensorArrayV3` op; reads and writes change it in place, and the float
`flow` scalar only orders them, as in TF. A TensorArray in `while_loop` is
carried by its flow. Gradients use TF's gradient TensorArrays (`grad(source)`),
which sum repeated writes to one index.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.framework.graph import get_default_graph
from jitgraph.framework.tensor_shape import TensorShape
from jitgraph.ops import math_ops
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.manip_ops import range_
from jitgraph.ops.registry import RegisterGradient, make_op, register

_HOST = "a TensorArray is a Python list of arrays that its ops change in place"


class _Store:
    """One run's TensorArray: its elements (None where unwritten)."""

    __slots__ = ("items", "dynamic", "aggregate", "element_shape", "dtype", "grads", "forward",
                 "clear_after_read", "cleared")

    def __init__(self, size, dtype, dynamic, element_shape, aggregate=False, forward=None,
                 clear_after_read=False):
        self.items = [None] * int(size)
        self.dynamic, self.aggregate, self.dtype = dynamic, aggregate, dtype
        self.clear_after_read = clear_after_read
        self.cleared: set = set()  # indices read once (kept: a backward loop reads them again)
        self.element_shape = element_shape  # static TensorShape (may be partial)
        self.grads: dict = {}
        self.forward = forward  # a gradient array's forward array: unwritten reads are zero

    def write(self, op, i, value, replay=False):
        i = int(i)
        if i < 0:
            raise errors.InvalidArgumentError(None, op, f"Tried to write to index {i} but "
                                                        "array is not resizeable and size is: "
                                                        f"{len(self.items)}")
        if i >= len(self.items):
            if not self.dynamic:
                raise errors.InvalidArgumentError(
                    None, op, f"Tried to write to index {i} but array is not resizeable and "
                              f"size is: {len(self.items)}")
            self.items.extend([None] * (i + 1 - len(self.items)))
        value = np.array(value, dtype=self.dtype, copy=True)
        if not _fits(self.element_shape, value.shape):
            raise errors.InvalidArgumentError(
                None, op, f"Could not write to TensorArray index {i} because the value shape "
                          f"is {_fmt(value.shape)} which is incompatible with the TensorArray's "
                          f"inferred element shape: {self.element_shape} (consider setting "
                          "infer_shape=False).")
        old = self.items[i]
        if old is not None and not self.aggregate and not replay:
            raise errors.InvalidArgumentError(
                None, op, f"Could not write to TensorArray index {i} because it has already "
                          "been written to.")
        # A gradient array sums the gradients of every read of one index (TF's
        # multiple_writes_aggregate); a forward array's write recomputed by a backward
        # loop writes the same value again.
        self.items[i] = value if old is None or not self.aggregate else old + value

    def read(self, op, i, replay=False):
        i = int(i)
        if not 0 <= i < len(self.items):
            raise errors.InvalidArgumentError(
                None, op, f"Tried to read from index {i} but array size is: {len(self.items)}")
        v = self.items[i]
        if self.clear_after_read and not replay:
            if i in self.cleared:
                raise errors.InvalidArgumentError(
                    None, op, f"Could not read index {i} twice because it was cleared after a "
                              "previous read (perhaps try setting clear_after_read = false?).")
            self.cleared.add(i)
        if v is not None:
            return v
        shape = self._zero_shape(i)
        if shape is None:
            raise errors.InvalidArgumentError(
                None, op, f"Could not read from TensorArray index {i}.  Furthermore, the "
                          "element shape is not fully defined: "
                          f"{self.element_shape}.  It is possible you are working with a "
                          "resizeable TensorArray and stop_gradients is not allowing the "
                          "gradients to be written.  If you set the full element_shape "
                          "property on the forward TensorArray, the proper all-zeros tensor "
                          "will be returned instead of incurring this error.")
        return np.zeros(shape, self.dtype)

    def _zero_shape(self, i):
        if self.element_shape.is_fully_defined():
            return tuple(self.element_shape.as_list())
        for src in (self.forward, self):
            if src is not None:
                if i < len(src.items) and src.items[i] is not None:
                    return src.items[i].shape
                known = [x for x in src.items if x is not None]
                if known:
                    return known[0].shape
        return None

    def gather(self, op, indices, replay=False):
        idx = np.asarray(indices).reshape(-1)
        if idx.size == 0:
            shape = self.element_shape.as_list() if self.element_shape.is_fully_defined() \
                else [0]
            return np.zeros([0] + list(shape), self.dtype)
        return np.stack([self.read(op, i, replay) for i in idx])

    def scatter(self, op, indices, value, replay=False):
        value = np.asarray(value)
        idx = np.asarray(indices).reshape(-1)
        if value.shape[:1] != idx.shape:
            raise errors.InvalidArgumentError(
                None, op, f"Expected len(indices) == values.shape[0], but saw: {idx.size} vs. "
                          f"{value.shape[0] if value.ndim else 0}")
        for k, i in enumerate(idx):
            self.write(op, i, value[k], replay)


def _fits(static: TensorShape, shape) -> bool:
    dims = static.as_tuple()
    return dims is None or (len(dims) == len(shape) and all(
        d is None or d == n for d, n in zip(dims, shape)))


def _fmt(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def replaying(state) -> bool:
    """Whether a backward pass is recomputing forward ops, which read and write again what
    the forward pass did (TF keeps those values instead)."""
    return getattr(state, "cf_replay", 0) > 0


def _store(h) -> _Store:
    return h[()] if isinstance(h, np.ndarray) else h


def _handle(store):
    a = np.empty((), dtype=object)
    a[()] = store
    return a


def _flow(flow):
    return np.float32(flow)


# -- ops ------------------------------------------------------------------------------
def _create_np(k, size):
    a = k.attrs
    s = _Store(size, a["dtype"].as_numpy_dtype, a["dynamic_size"], a["element_shape"],
               clear_after_read=a["clear_after_read"])
    return [_handle(s), np.float32(0)]


register("TensorArrayV3", shape=lambda s: [(), ()], numpy=_create_np, host=_HOST,
         stateful=True)


def _write_np(k, h, i, value, flow):
    _store(h).write(k.op, i, value, replaying(k.state))
    return _flow(flow)


register("TensorArrayWriteV3", shape=lambda s: [()], numpy=_write_np, host=_HOST,
         stateful=True)


def _elem_shape(s, k=None):
    return TensorShape(s.attrs["element_shape"]).as_tuple()


register("TensorArrayReadV3", shape=lambda s: [_elem_shape(s)],
         numpy=lambda k, h, i, flow: _store(h).read(k.op, i, replaying(k.state)), host=_HOST,
         stateful=True)


def _gathered_shape(s):
    e = _elem_shape(s)
    n = s.shapes[1][0] if s.shapes[1] is not None and len(s.shapes[1]) == 1 else None
    return [None if e is None else (n,) + e]


register("TensorArrayGatherV3", shape=_gathered_shape,
         numpy=lambda k, h, idx, flow: _store(h).gather(k.op, idx, replaying(k.state)),
         host=_HOST, stateful=True)


def _scatter_np(k, h, idx, value, flow):
    _store(h).scatter(k.op, idx, value, replaying(k.state))
    return _flow(flow)


register("TensorArrayScatterV3", shape=lambda s: [()], numpy=_scatter_np, host=_HOST,
         stateful=True)


def _concat_np(k, h, flow):
    st = _store(h)
    items = [st.read(k.op, i, replaying(k.state)) for i in range(len(st.items))]
    if not items:
        e = st.element_shape.as_list()[1:] if st.element_shape.ndims else []
        return [np.zeros([0] + [d or 0 for d in e], st.dtype), np.zeros(0, np.int64)]
    for x in items:
        if np.ndim(x) == 0:
            raise errors.InvalidArgumentError(None, k.op, "Concat saw a scalar shape at index "
                                                          "0 but requires at least vectors.")
    return [np.concatenate(items), np.array([len(x) for x in items], np.int64)]


def _concat_shape(s):
    e = _elem_shape(s)
    return [None if e is None or not e else (None,) + e[1:], (None,)]


register("TensorArrayConcatV3", shape=_concat_shape, numpy=_concat_np, host=_HOST,
         stateful=True)


def _split_np(k, h, value, lengths, flow):
    st = _store(h)
    lengths = np.asarray(lengths).reshape(-1)
    value = np.asarray(value)
    if lengths.sum() != (value.shape[0] if value.ndim else 0):
        raise errors.InvalidArgumentError(
            None, k.op, f"Expected sum of lengths to be equal to values.shape[0], but sum of "
                        f"lengths is {int(lengths.sum())} and value's shape is: "
                        f"{_fmt(value.shape)}")
    start = 0
    for i, n in enumerate(lengths):
        st.write(k.op, i, value[start:start + int(n)], replaying(k.state))
        start += int(n)
    return _flow(flow)


register("TensorArraySplitV3", shape=lambda s: [()], numpy=_split_np, host=_HOST,
         stateful=True)
register("TensorArraySizeV3", shape=lambda s: [()],
         numpy=lambda k, h, flow: np.int32(len(_store(h).items)), host=_HOST, stateful=True)
register("TensorArrayCloseV3", shape=lambda s: [], numpy=lambda k, h: (), host=_HOST,
         stateful=True)


def _grad_np(k, h, flow):
    st = _store(h)
    src = k.attrs["source"]
    g = st.grads.get(src)
    if g is None:
        g = st.grads[src] = _Store(len(st.items), st.dtype, st.dynamic, st.element_shape,
                                   aggregate=True, forward=st)
    return [_handle(g), _flow(flow)]


register("TensorArrayGradV3", shape=lambda s: [(), ()], numpy=_grad_np, host=_HOST,
         stateful=True)


# -- gradients (TF's tensor_array_grad.py) -------------------------------------------------
def _grad_source():
    """The `gradients...` scope this gradient is built in: one gradient array per tf.gradients
    call, as TF keys them."""
    for part in get_default_graph().get_name_scope().split("/"):
        if part.startswith("gradients"):
            return part
    return "gradients"


def _grad_ta(op, flow, dtype, element_shape=None):
    # The element shape the forward op saw: reads of the gradient array then have a
    # static shape, and what consumes them compiles.
    ta = TensorArray(dtype, handle=op.inputs[0], flow=op.inputs[-1], element_shape=element_shape)
    return ta.grad(_grad_source(), flow=flow)


def _rest(shape):
    return shape[1:] if shape.ndims else None


@RegisterGradient("TensorArrayReadV3")
def _read_grad(op, grad):
    g = _grad_ta(op, op.inputs[2], op.outputs[0].dtype, op.outputs[0].shape)
    return [None, None, g.write(op.inputs[1], grad).flow]


@RegisterGradient("TensorArrayWriteV3")
def _write_grad(op, flow_grad):
    g = _grad_ta(op, flow_grad, op.inputs[2].dtype, op.inputs[2].shape)
    return [None, None, g.read(op.inputs[1]), flow_grad]


@RegisterGradient("TensorArrayGatherV3")
def _gather_grad(op, grad):
    g = _grad_ta(op, op.inputs[2], op.outputs[0].dtype, _rest(op.outputs[0].shape))
    return [None, None, g.scatter(op.inputs[1], grad).flow]


@RegisterGradient("TensorArrayScatterV3")
def _scatter_grad(op, flow_grad):
    g = _grad_ta(op, flow_grad, op.inputs[2].dtype, _rest(op.inputs[2].shape))
    return [None, None, g.gather(op.inputs[1]), flow_grad]


@RegisterGradient("TensorArrayConcatV3")
def _concat_grad(op, grad, _lengths_grad):
    g = _grad_ta(op, op.inputs[1], op.outputs[0].dtype)
    return [None, g.split(grad, op.outputs[1]).flow]


@RegisterGradient("TensorArraySplitV3")
def _split_grad(op, flow_grad):
    g = _grad_ta(op, flow_grad, op.inputs[1].dtype)
    return [None, g.concat(), None, flow_grad]


# -- the Python object ---------------------------------------------------------------------
class TensorArray:
    """`tf.TensorArray(dtype, size=None, dynamic_size=None, clear_after_read=None,
    tensor_array_name=None, handle=None, flow=None, infer_shape=True, element_shape=None,
    colocate_with_first_write_call=True, name=None)`: a list of tensors of one dtype that
    `while_loop` bodies write and read, one per iteration."""

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None,
                 tensor_array_name=None, handle=None, flow=None, infer_shape=True,
                 element_shape=None, colocate_with_first_write_call=True, name=None):
        self._dtype = dtypes.as_dtype(dtype)
        self._infer_shape = infer_shape
        # Shared by every TensorArray of one handle (TF keeps a list it mutates).
        self._element_shape = [TensorShape(element_shape)]
        self._dynamic_size = bool(dynamic_size)
        if handle is not None:
            if flow is None:
                raise ValueError("flow must not be None if handle is not None.")
            if size is not None:
                raise ValueError("Cannot provide both a handle and size at the same time")
            self._handle, self._flow = handle, flow
            return
        if flow is not None:
            raise ValueError("Cannot provide both a flow and size at the same time")
        if size is None:
            raise ValueError("Size must be provided if handle is not provided")
        g = get_default_graph()
        with g.name_scope(name or "TensorArray"):
            size = convert_to_tensor(size, dtype=dtypes.int32, name="size")
            op = make_op("TensorArrayV3", [size], [dtypes.string, dtypes.float32], {
                "dtype": self._dtype, "element_shape": self._element_shape[0],
                "dynamic_size": self._dynamic_size,
                "clear_after_read": True if clear_after_read is None else clear_after_read,
                "tensor_array_name": tensor_array_name or ""}, name="TensorArrayV3")
        self._handle, self._flow = op.outputs

    @property
    def handle(self):
        return self._handle

    @property
    def flow(self):
        return self._flow

    @property
    def dtype(self):
        return self._dtype

    @property
    def element_shape(self):
        return self._element_shape[0]

    def _with_flow(self, flow):
        ta = TensorArray(self._dtype, handle=self._handle, flow=flow,
                         infer_shape=self._infer_shape, dynamic_size=self._dynamic_size)
        ta._element_shape = self._element_shape
        return ta

    def _merge_shape(self, shape):
        if not self._infer_shape:
            return
        try:
            self._element_shape[0] = self._element_shape[0].merge_with(shape)
        except ValueError:
            raise ValueError(f"Inconsistent shapes: saw {shape} but expected "
                             f"{self._element_shape[0]} (and infer_shape=True)") from None

    def _attrs(self):
        return {"dtype": self._dtype, "element_shape": self._element_shape[0]}

    def identity(self):
        from jitgraph.ops.array_ops import identity
        return self._with_flow(identity(self._flow))

    def grad(self, source, flow=None, name=None):
        flow = self._flow if flow is None else flow
        op = make_op("TensorArrayGradV3", [self._handle, flow], [dtypes.string, dtypes.float32],
                     {"source": source}, name=name or "TensorArrayGrad")
        g = TensorArray(self._dtype, handle=op.outputs[0], flow=op.outputs[1],
                        infer_shape=self._infer_shape)
        g._element_shape = self._element_shape
        return g

    def read(self, index, name=None):
        index = convert_to_tensor(index, dtype=dtypes.int32)
        return make_op("TensorArrayReadV3", [self._handle, index, self._flow], [self._dtype],
                       self._attrs(), name=name or "TensorArrayReadV3").outputs[0]

    def write(self, index, value, name=None):
        index = convert_to_tensor(index, dtype=dtypes.int32)
        value = convert_to_tensor(value, dtype=self._dtype, name="value")
        if value.dtype != self._dtype:
            raise errors.InvalidArgumentError(
                None, None, f"TensorArray dtype is {self._dtype.name} but Op is trying to write "
                            f"dtype {value.dtype.name}")
        self._merge_shape(value.shape)
        flow = make_op("TensorArrayWriteV3", [self._handle, index, value, self._flow],
                       [dtypes.float32], name=name or "TensorArrayWrite").outputs[0]
        return self._with_flow(flow)

    def gather(self, indices, name=None):
        indices = convert_to_tensor(indices, dtype=dtypes.int32)
        return make_op("TensorArrayGatherV3", [self._handle, indices, self._flow], [self._dtype],
                       self._attrs(), name=name or "TensorArrayGatherV3").outputs[0]

    def stack(self, name=None):
        g = get_default_graph()
        with g.name_scope(name or "TensorArrayStack"):
            return self.gather(range_(0, self.size()), name="TensorArrayGatherV3")

    def scatter(self, indices, value, name=None):
        indices = convert_to_tensor(indices, dtype=dtypes.int32)
        value = convert_to_tensor(value, dtype=self._dtype, name="value")
        if value.shape.ndims:
            self._merge_shape(value.shape[1:])
        flow = make_op("TensorArrayScatterV3", [self._handle, indices, value, self._flow],
                       [dtypes.float32], name=name or "TensorArrayScatter").outputs[0]
        return self._with_flow(flow)

    def unstack(self, value, name=None):
        g = get_default_graph()
        with g.name_scope(name or "TensorArrayUnstack"):
            value = convert_to_tensor(value, dtype=self._dtype, name="value")
            from jitgraph.ops.array_ops import shape
            n = shape(value)[0]
            return self.scatter(range_(0, n), value, name="TensorArrayScatter")

    def concat(self, name=None):
        attrs = self._attrs()
        op = make_op("TensorArrayConcatV3", [self._handle, self._flow],
                     [self._dtype, dtypes.int64], attrs, name=name or "TensorArrayConcatV3")
        return op.outputs[0]

    def split(self, value, lengths, name=None):
        value = convert_to_tensor(value, dtype=self._dtype, name="value")
        lengths = math_ops.cast(convert_to_tensor(lengths), dtypes.int64)
        if value.shape.ndims:
            self._merge_shape(TensorShape([None]).concatenate(value.shape[1:]))
        flow = make_op("TensorArraySplitV3", [self._handle, value, lengths, self._flow],
                       [dtypes.float32], name=name or "TensorArraySplit").outputs[0]
        return self._with_flow(flow)

    def size(self, name=None):
        return make_op("TensorArraySizeV3", [self._handle, self._flow], [dtypes.int32],
                       name=name or "TensorArraySizeV3").outputs[0]

    def close(self, name=None):
        return make_op("TensorArrayCloseV3", [self._handle], [], name=name or "TensorArrayClose")
