"""User functions of map/filter/flat_map, traced once into a private Graph.

The function is called once with placeholders shaped like one element; the
graph it builds runs through its own `Session`, so it is compiled by the JIT
like any other program and each call is one fast `run`. A function made only
of elementwise ops is traced a second time with a leading batch dimension, so
that a chunk of elements goes through it in one call.
"""
from __future__ import annotations

import numpy as np

from jitgraph.data import structure
from jitgraph.framework.graph import Graph, Tensor, get_default_graph
from jitgraph.ops import registry


class FuncGraph(Graph):
    """The private graph of a traced function. A tensor of an enclosing graph used as an
    op input is captured: a constant is copied in, any other tensor becomes a placeholder
    fed with the value it had when the iterator was initialized (as TF captures them)."""

    def __init__(self, seed):
        super().__init__()
        self.seed = seed
        self.captured = {}  # enclosing-graph Tensor -> the Tensor standing for it here

    @property
    def building_function(self) -> bool:
        return True

    def capture(self, t):
        if t.graph is self:
            return t
        inner = self.captured.get(t)
        if inner is None:
            from jitgraph.ops.constant import constant, constant_value, placeholder
            v = constant_value(t)
            with self.as_default():
                inner = (constant(v, t.dtype) if v is not None else
                         placeholder(t.dtype, t.shape, name="captured"))
            self.captured[t] = inner
        return inner

    def _create_op(self, op_type, inputs, attrs, output_dtypes, output_shapes, name=None,
                   control_inputs=()):
        inputs = [self.capture(t) for t in inputs]
        control_inputs = [c for c in control_inputs if c.graph is self]
        return super()._create_op(op_type, inputs, attrs, output_dtypes, output_shapes, name,
                                  control_inputs)

    def fed_captures(self):
        """(enclosing tensor, placeholder) pairs whose values are fed on every call."""
        return [(o, i) for o, i in self.captured.items() if i.op.type == "Placeholder"]


def _call_user_fn(fn, args):
    # TF calls fn(*element) when the element is a plain tuple, fn(element) otherwise.
    if type(args) is tuple:
        return fn(*args)
    return fn(args)


def _placeholders(specs, batch: bool):
    from jitgraph.ops.constant import placeholder
    out = []
    for i, s in enumerate(structure.flatten(specs)):
        shape = structure.batched(s).shape if batch else s.shape
        out.append(placeholder(s.dtype, shape, name=f"arg{i}"))
    return out


class TracedFunction:
    """`fn` over elements of `in_specs`; `kind` is 'map', 'filter' or 'dataset'."""

    def __init__(self, fn, in_specs, kind="map", name="map"):
        self.fn, self.in_specs, self.kind, self.name = fn, in_specs, kind, name
        self.seed = get_default_graph().seed
        self._sess = None
        self._batch = None
        self.graph = FuncGraph(self.seed)
        with self.graph.as_default():
            self.inputs = _placeholders(in_specs, batch=False)
            ret = _call_user_fn(fn, structure.pack(in_specs, self.inputs))
            if kind == "dataset":
                self.dataset = _check_dataset(ret, name)
                for t in self.dataset._captures():  # an enclosing tensor used directly
                    self.graph.capture(t)
                self.outer = [o for o, _ in self.graph.fed_captures()]
                return
            self.out_structure = _normalize_result(ret)
        self.outer = [o for o, _ in self.graph.fed_captures()]
        self.outputs = structure.flatten(self.out_structure)
        self.n_out = len(self.outputs)
        self.out_specs = structure.map_specs(lambda t: structure.Spec(t.dtype, t.shape),
                                             self.out_structure)
        if kind == "filter":
            _check_predicate(self.outputs)
        self.vectorized = _is_elementwise(self.inputs, self.outputs)

    # -- running --------------------------------------------------------------------
    def _session(self):
        if self._sess is None:
            from jitgraph.session import Session  # the API layer runs programs through it
            self._sess = Session(graph=self.graph)
        return self._sess

    def bind(self, ctx):
        """This function with its captured tensors' values for one initialization."""
        return _Bound(self, [ctx.value(t) for t in self.outer])

    def _feeds(self, values, outer_values):
        feeds = _feeds(self.inputs, values)
        if outer_values:
            feeds.update(_feeds([i for _, i in self.graph.fed_captures()], outer_values))
        return feeds

    def call(self, values, outer_values=()):
        """One element in (list of arrays), one element out (list of arrays)."""
        res = self._session().run(self.outputs, self._feeds(values, outer_values))
        return [np.asarray(r) for r in res]

    def run_fetches(self, fetches, values, outer_values=()):
        """Any tensors of the private graph for one input element (flat_map's captures)."""
        res = self._session().run(list(fetches), self._feeds(values, outer_values))
        return [np.asarray(r) for r in res]

    def call_batch(self, columns, outer_values=()):
        """Rows in (one array per component), rows out: a vectorized function only."""
        if self._batch is None:
            g = FuncGraph(self.seed)
            with g.as_default():
                phs = _placeholders(self.in_specs, batch=True)
                outs = structure.flatten(_normalize_result(
                    _call_user_fn(self.fn, structure.pack(self.in_specs, phs))))
            from jitgraph.session import Session
            self._batch = (Session(graph=g), phs, outs, g)
        sess, phs, outs, g = self._batch
        n = len(columns[0]) if columns else 0
        feeds = _feeds(phs, columns)
        if outer_values:
            by_outer = dict(zip(self.outer, outer_values))
            feeds.update(_feeds([i for _, i in g.fed_captures()],
                                [by_outer[o] for o, _ in g.fed_captures()]))
        res = sess.run(outs, feeds)
        # An output that does not depend on the input (a constant) gets broadcast.
        return [r if np.ndim(r) == t.shape.ndims + 1 else np.broadcast_to(r, (n,) + np.shape(r))
                for r, t in zip(res, self.outputs)]


class _Bound:
    """A traced function plus the values of its captured tensors."""

    __slots__ = ("fn", "outer_values", "vectorized", "n_out")

    def __init__(self, fn, outer_values):
        self.fn, self.outer_values = fn, outer_values
        self.vectorized, self.n_out = fn.vectorized, fn.n_out

    def call(self, values):
        return self.fn.call(values, self.outer_values)

    def call_batch(self, columns):
        return self.fn.call_batch(columns, self.outer_values)


def _feeds(placeholders, values):
    # 0-d arrays go in as numpy scalars: the Session's compiled fast path takes a fed
    # rank-0 value as a scalar.
    return {p: (v[()] if type(v) is np.ndarray and v.ndim == 0 else v)
            for p, v in zip(placeholders, values)}


def _normalize_result(ret):
    from jitgraph.ops.constant import convert_to_tensor
    if isinstance(ret, list):  # TF 1.x turns a returned list into a tuple
        ret = tuple(ret)
    return structure.normalize(ret, lambda v: v if isinstance(v, Tensor) else
                               convert_to_tensor(v))


def _check_dataset(ret, name):
    from jitgraph.data.dataset import Dataset
    if not isinstance(ret, Dataset):
        raise TypeError(f"`{name}` must return a `Dataset` object. Got {type(ret)}")
    return ret


def _check_predicate(outputs):
    from jitgraph.framework import dtypes
    if len(outputs) != 1 or outputs[0].dtype != dtypes.bool or \
            outputs[0].shape.ndims not in (0, None):
        spec = [(t.dtype.name, str(t.shape)) for t in outputs]
        raise ValueError(f"`predicate` return type must be convertible to a scalar boolean "
                         f"tensor. Was {spec}.")


def _is_elementwise(inputs, outputs) -> bool:
    """True when running the function on rows (a leading batch dim) equals running it
    per element: only elementwise ops, batched operands of one rank, constants of no
    higher rank (numpy broadcasting aligns trailing dims), every output batched."""
    batched = {t: t.shape.ndims for t in inputs}
    if any(r is None for r in batched.values()):
        return False
    seen = set()
    order = []
    stack = [t.op for t in outputs]
    while stack:  # collect the ops the outputs need
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        order.append(op)
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
    for op in sorted(order, key=lambda o: o._id):
        if op.type in ("Placeholder", "Const"):
            continue  # an element input, or a captured tensor (unbatched, like a constant)
        d = registry.get(op.type)
        if not d.passes_through and (d.ew is None or d.stateful or d.host):
            return False
        ranks = [batched[t] for t in op.inputs if t in batched]
        if not ranks:
            continue  # constant subexpression
        if len(set(ranks)) != 1:
            return False
        r = ranks[0]
        for t in op.inputs:
            if t not in batched and (t.shape.ndims is None or t.shape.ndims > r):
                return False
        for t in op.outputs:
            if t.shape.ndims != r:
                return False
            batched[t] = r
    return all(t in batched for t in outputs)
