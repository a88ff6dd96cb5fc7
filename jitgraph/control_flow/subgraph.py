"""Branches and loop bodies: ops of the enclosing graph, run as a plan of their own.

TF 2's functional control flow on our Plan: an `If`/`While` op holds its branches
or its body as a `SubGraph` (inputs: the placeholders it is fed through and the
outer tensors it reads; outputs). The ops live in the enclosing graph, where
`tf.gradients` sees them, but no outer plan reaches them: only the control-flow
op's numpy face runs them, through a plan built for the sub-graph alone (compiled
on the JIT engine) that shares the Session's state, so variables, random streams
and tables are the same inside and out.
"""
from __future__ import annotations

import contextlib

import numpy as np

from jitgraph.framework.graph import Operation
from jitgraph.ops import registry


class Trace:
    """Records the ops `graph` gains inside the `with` block. Control dependencies of
    the enclosing code do not reach into a branch (the control-flow op takes them)."""

    def __init__(self, graph):
        self.graph = graph
        self.ops: list = []

    def __enter__(self):
        self._start = len(self.graph._ops)
        self._ctx = contextlib.ExitStack()
        self._ctx.enter_context(self.graph.as_default())
        self._ctx.enter_context(self.graph.control_dependencies(None))
        return self

    def __exit__(self, *exc):
        self._ctx.close()
        self.ops = self.graph._ops[self._start:]
        return False


def _role(op) -> str:
    return registry.get(op.type).role


class SubGraph:
    """Ops computing `outputs` from `inputs` (fed each call) and outer tensors.

    `inside` are the ops that belong to it (traced with it, or recomputed from it);
    any other tensor it reads is a capture, fed with the outer value. Variables are
    never fed: the sub-plan reads and writes the Session's buffers. They are still
    listed (`var_captures`), so the owning op depends on them and gradients reach them.
    Control inputs on outer ops move to the owning op (`outer_control`): they order
    the op once, not each iteration.
    """

    def __init__(self, inputs, outputs, inside):
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.inside = set(inside)
        self.captures, self.var_captures, self.outer_control = self._walk()
        self._kinds = None

    def _walk(self):
        fed = set(self.inputs)
        caps, var_caps, ctrl = {}, {}, {}
        seen = set()
        stack = [t.op for t in self.outputs if t not in fed]
        for t in self.outputs:
            if t not in fed and not self._internal(t.op):
                caps[t] = None
        while stack:
            op = stack.pop()
            if op in seen or not self._internal(op):
                continue
            seen.add(op)
            for t in op.inputs:
                if t in fed:
                    continue
                if self._internal(t.op):
                    stack.append(t.op)
                elif _role(t.op) == "var":
                    var_caps[t] = None
                else:
                    caps[t] = None
            for c in op.control_inputs:
                if self._internal(c):
                    stack.append(c)
                else:
                    ctrl[c] = None
                    op._control_inputs.remove(c)
        return list(caps), list(var_caps), list(ctrl)

    def _internal(self, op: Operation) -> bool:
        role = _role(op)
        return role == "const" or (op in self.inside and role != "var")

    @property
    def feeds(self):
        return self.inputs + self.captures

    def run(self, state, values):
        """Outputs for fed `values` (inputs, then captures), on the Session's engine."""
        kinds = self._kinds
        if kinds is None:
            kinds = self._kinds = [
                (None, None) if t.dtype.name == "string" else
                (t.dtype.as_numpy_dtype, np.dtype(t.dtype.as_numpy_dtype)) for t in self.feeds]
        # Values from a loop's own runs already have the fed dtype: only the rest convert.
        vals = [v if k is None or type(v) is k or (
            type(v) is np.ndarray and v.dtype is dt and v.ndim) else _feed_value(v, k)
            for v, (k, dt) in zip(values, kinds)]
        jit = getattr(state, "jit", None)
        if jit is None:
            from jitgraph import config
            jit = config.jit_enabled()
        ranks = tuple([np.ndim(v) for v in vals])
        key = ("subgraph", id(self), jit, ranks)
        runner = state.resources.get(key)
        if runner is None:
            runner = state.resource(key, lambda: self._runner(state, jit, ranks))
        return runner.run(vals)

    def _runner(self, state, jit, ranks):
        # The API layer runs programs through the Session's runner (as Dataset.map does).
        from jitgraph.codegen.signature import Signature
        from jitgraph.planning.plan import build_plan
        from jitgraph.session import _Runner, _start_compile
        feeds = self.feeds
        graph = self.outputs[0].graph
        sig = Signature(tuple(t.name for t in self.outputs),
                        tuple(sorted((t.name, t.dtype.name, r) for t, r in zip(feeds, ranks))))
        plan = build_plan(graph, sig, feeds, list(ranks), list(self.outputs), [])
        jit = jit and not _scalars_only(plan)
        pending = _start_compile(plan) if jit else None
        return _Runner(plan, state, jit, pending)


def _scalars_only(plan) -> bool:
    """No kernel stage, or kernels of scalars only (a loop test `i < n`): compiling them
    would cost far more (≈0.2 s each) than the interpreter's few µs per call."""
    return all(plan.shapes.get(t, t.shape.as_tuple()) == ()
               for st in plan.kernel_stages for op in st.ops for t in op.outputs)


def _feed_value(v, npt):
    """`v` as a fed value of numpy type `npt`: rank 0 as a numpy scalar (what kernels take)."""
    if type(v) is np.ndarray:
        if v.ndim == 0:
            return npt(v[()])
        return v if v.dtype == npt else v.astype(npt)
    return npt(v) if np.ndim(v) == 0 else np.asarray(v, npt)


@contextlib.contextmanager
def replay(state):
    """Marks a backward pass that recomputes forward ops (see tensor_array.replaying)."""
    state.cf_replay = getattr(state, "cf_replay", 0) + 1
    try:
        yield
    finally:
        state.cf_replay -= 1


def single_or_list(values, n_outputs):
    """A numpy face's result: the value itself for one output (as the interpreter expects)."""
    return values[0] if n_outputs == 1 else list(values)


def merge_shapes(a, b):
    """The most specific shape both `a` and `b` are (tuples or None)."""
    if a is None or b is None or len(a) != len(b):
        return None
    return tuple(x if x == y else None for x, y in zip(a, b))
