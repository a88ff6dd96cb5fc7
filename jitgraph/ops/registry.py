"""The op registry: every op type is ONE entry holding its four faces.

- ``shape(s)``: static output shapes from input shapes/consts/attrs (a `ShapeCtx`),
  run at graph-build time and again at plan time once fed ranks are known;
- ``numpy(k, *inputs)``: the reference kernel (interpreter, host stages, tests);
- ``ew`` or ``emit``: how codegen writes it. ``ew`` is a scalar expression
  template (``"{0} + {1}"``) that fusion inlines into one loop; ``emit(g, op)``
  writes a call into ``codegen/kernels.py``. An op with neither runs as a host op;
- ``grad(op, *dys)``: its gradient built from more graph ops (TF's RegisterGradient).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Callable

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.framework.graph import Tensor, get_default_graph
from jitgraph.framework.tensor_shape import TensorShape


@dataclass
class OpDef:
    type: str
    shape: Callable
    numpy: Callable
    ew: str | Callable | None = None
    emit: Callable | None = None
    grad: Callable | None = None
    host: bool = False          # must run in Python (strings, iterators, summaries)
    stateful: bool = False      # never const-folded or deduplicated (random, assign)
    doc: str = ""
    extra: dict = field(default_factory=dict)


_REGISTRY: dict[str, OpDef] = {}


def register(op_type: str, *, shape, numpy, ew=None, emit=None, grad=None, host=False,
             stateful=False, **extra) -> OpDef:
    if op_type in _REGISTRY:
        raise KeyError(f"op type {op_type!r} registered twice")
    d = OpDef(op_type, shape, numpy, ew, emit, grad, host, stateful, extra=extra)
    _REGISTRY[op_type] = d
    return d


def get(op_type: str) -> OpDef:
    try:
        return _REGISTRY[op_type]
    except KeyError:
        raise KeyError(f"No op registered for type {op_type!r}") from None


def registered() -> dict[str, OpDef]:
    return dict(_REGISTRY)


class RegisterGradient:
    """Decorator that sets (or overrides) the gradient function of an op type."""

    def __init__(self, op_type: str):
        self._type = op_type

    def __call__(self, fn):
        get(self._type).grad = fn
        return fn


def NotDifferentiable(op_type: str):  # noqa: N802 - TF's name
    get(op_type).grad = None


# -- shape inference context ---------------------------------------------------
class ShapeCtx:
    """What a shape rule sees: input shapes (tuples of int|None, or None), consts, attrs."""

    __slots__ = ("shapes", "dtypes", "attrs", "_consts", "out_dtypes")

    def __init__(self, shapes, in_dtypes, attrs, consts, out_dtypes=()):
        self.shapes = shapes
        self.dtypes = in_dtypes
        self.attrs = attrs
        self._consts = consts
        self.out_dtypes = out_dtypes

    def shape(self, i):
        return self.shapes[i]

    def rank(self, i):
        s = self.shapes[i]
        return None if s is None else len(s)

    def const(self, i):
        return self._consts[i]


# -- building ops ---------------------------------------------------------------
def make_op(op_type, inputs, out_dtypes, attrs=None, name=None, graph=None):
    """Creates an op of a registered type: infers its shapes and adds it to the graph."""
    from jitgraph.ops.constant import constant_value  # cycle: constant builds ops

    d = get(op_type)
    if graph is None:
        g = get_default_graph()
        # A function graph (e.g. a Dataset.map body) captures outer tensors itself.
        graph = g if g.building_function or not inputs else inputs[0].graph
    attrs = dict(attrs or {})
    ctx = ShapeCtx([t.shape.as_tuple() for t in inputs], [t.dtype for t in inputs], attrs,
                   [constant_value(t) for t in inputs], out_dtypes)
    shapes = d.shape(ctx)
    return graph._create_op(op_type, inputs, attrs, out_dtypes,
                            [TensorShape(s) for s in shapes], name)


def make_tensor(op_type, inputs, out_dtype, attrs=None, name=None, graph=None) -> Tensor:
    return make_op(op_type, inputs, [out_dtype], attrs, name, graph).outputs[0]


# -- common shape rules ----------------------------------------------------------
def broadcast_shapes(*shapes, names=None):
    """numpy broadcasting over static shapes with unknown dims; None for unknown rank."""
    if any(s is None for s in shapes):
        return None
    rank = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(rank):
        dims = [s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0]
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            raise ValueError("Dimensions must be equal, but are "
                             + " and ".join(str(d) for d in sorted(known))
                             + f" for shapes {', '.join(_fmt(s) for s in shapes)}")
        if known:
            out.append(known.pop())
        elif any(d is None for d in dims):
            out.append(None)
        else:
            out.append(1)
    return tuple(out)


def _fmt(shape):
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


def same_shape(s):
    return [s.shapes[0]]


def broadcast_shape(s):
    return [broadcast_shapes(*s.shapes)]


def scalar_shape(s):
    return [()]


def np_out(fn):
    """A numpy kernel from a function of arrays: the result keeps the op's output dtype
    (and a 0-d shape); floating-point warnings are TF's silent inf/nan."""
    def kernel(k, *xs):
        with np.errstate(all="ignore"):
            r = fn(*xs)
        return np.asarray(r, dtype=k.op.outputs[0].dtype.as_numpy_dtype)
    return kernel


def np_dtype(dt):
    return dtypes.as_dtype(dt).as_numpy_dtype


def as_np(x, dt):
    """numpy array of dtype `dt` from a kernel result (keeps 0-d shapes)."""
    return np.asarray(x, dtype=np_dtype(dt))


class KernelCtx:
    """What a numpy kernel sees besides its inputs: the op, its attrs, the run's state."""

    __slots__ = ("op", "attrs", "state")

    def __init__(self, op, state=None):
        self.op = op
        self.attrs = op.attrs
        self.state = state  # the Session's RunState (variables, rng counters, iterators)
