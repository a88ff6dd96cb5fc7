"""The op registry: every op type is ONE entry holding its four faces.

- ``shape(s)``: static output shapes from input shapes/consts/attrs (a `ShapeCtx`),
  run at graph-build time and again at plan time once fed ranks are known;
- ``numpy(k, *inputs)``: the reference kernel (interpreter, host stages, tests);
- ``ew`` or ``emit``: how codegen writes it. ``ew`` is a scalar expression
  template (``"{0} + {1}"``) that fusion inlines into one loop; ``emit(g, op)``
  writes a call into ``codegen/kernels.py``;
- ``grad(op, *dys)``: its gradient built from more graph ops (TF's RegisterGradient).

and the facts the planner needs, so that no engine keys on op-type strings:

- ``host``: why the op has no compiled form (a sentence); it runs in Python between
  kernel stages, on either engine. Every op has an ``ew``/``emit`` face or a reason;
- ``host_if(ctx)``: for ops compiled only in some cases, the reason this instance is
  not (a `StaticCtx`: static shapes, dtypes, attrs, constants), or None;
- ``store``: writes input 0's variable buffer in place (Assign and family);
- ``aliases``: output 0 may be the memory of input 0 (a fetch of it is copied);
- ``role``: "const" / "var" / "noop" for ops that are values or order, not work;
- ``shape_only``: an input read only for its shape; the op is the identity of
  input 0 when the two shapes match (a broadcast-gradient sum over equal shapes);
- ``sym(op, in_syms)``: which output dims equal which input dims (symbolic shapes);
- ``passes_through``: a value or its input unchanged, so a function traced with a
  leading batch dimension (Dataset.map) may hold it whatever else it is;
- ``shape_value``: the value depends only on the inputs' shapes (Shape, Size, Rank), so
  the planner folds it to a constant where those shapes are static.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Callable

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.framework.graph import Tensor, get_default_graph
from jitgraph.framework.tensor_shape import TensorShape


class NotCompilable(Exception):
    """An emit face cannot express this op instance; its `host_if` should have said so."""


@dataclass
class OpDef:
    type: str
    shape: Callable
    numpy: Callable
    ew: str | Callable | None = None
    emit: Callable | None = None
    grad: Callable | None = None
    host: str = ""              # why it must run in Python ("" if it has a compiled form)
    stateful: bool = False      # never const-folded or deduplicated (random, assign)
    doc: str = ""
    extra: dict = field(default_factory=dict)
    host_if: Callable | None = None  # StaticCtx -> reason this instance is not compiled
    store: bool = False         # writes input 0's variable in place
    aliases: bool = False       # output 0 may share memory with input 0
    role: str = ""              # "const", "var" or "noop": not work for a stage
    shape_only: int | None = None  # input read only for its shape (identity when equal)
    passes_through: bool = False   # a value or its input unchanged (batched map traces)
    shape_value: bool = False      # the value is a function of the input shapes alone


_REGISTRY: dict[str, OpDef] = {}


def register(op_type: str, *, shape, numpy, ew=None, emit=None, grad=None, host="",
             stateful=False, host_if=None, store=False, aliases=False, role="",
             shape_only=None, passes_through=False, shape_value=False, **extra) -> OpDef:
    if op_type in _REGISTRY:
        raise KeyError(f"op type {op_type!r} registered twice")
    d = OpDef(op_type, shape, numpy, ew, emit, grad, host, stateful, extra=extra,
              host_if=host_if, store=store, aliases=aliases, role=role,
              shape_only=shape_only, passes_through=passes_through, shape_value=shape_value)
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


class StaticCtx:
    """What a `host_if` rule sees at plan time: the op and static facts only (refined
    shapes, symbolic shapes, dtypes, attrs, constants), never generated code."""

    __slots__ = ("op", "attrs", "shapes", "sym")

    def __init__(self, op, shapes, sym=None):
        self.op, self.attrs, self.shapes, self.sym = op, op.attrs, shapes, sym or {}

    def _shape_of(self, t):
        return self.shapes.get(t, t.shape.as_tuple())

    def shape(self, k):
        return self._shape_of(self.op.inputs[k])

    def oshape(self, k=0):
        return self._shape_of(self.op.outputs[k])

    def rank(self, k):
        s = self.shape(k)
        return None if s is None else len(s)

    def orank(self, k=0):
        s = self.oshape(k)
        return None if s is None else len(s)

    def dtype(self, k):
        return self.op.inputs[k].dtype

    def const(self, k):
        from jitgraph.ops.constant import constant_value  # cycle: constant builds ops
        return constant_value(self.op.inputs[k])


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


def broadcast_syms(*syms):
    """Broadcasting over symbolic shapes (ints and symbol names): None for a dim whose
    size no single input decides (the planner names it afresh)."""
    r = max((len(x) for x in syms), default=0)
    out = []
    for k in range(r):
        cands = {x[len(x) - r + k] for x in syms if len(x) - r + k >= 0}
        cands.discard(1)
        ints = {c for c in cands if isinstance(c, int)}
        if ints:
            out.append(ints.pop())
        elif len(cands) == 1:
            out.append(cands.pop())
        elif not cands:
            out.append(1)
        else:
            out.append(None)
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
