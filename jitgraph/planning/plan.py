"""From (fetches, feeds) to a Plan: prune, refine shapes, classify, fuse, schedule, stage.

A Plan is engine-neutral: the JIT compiles its kernel stages, the numpy
interpreter runs the same stages op by op. Host ops (strings, iterators,
summaries, anything without a compiled form) run in Python between kernel stages.
Which ops those are is decided from registry facts (`host`, `host_if`) and static
shapes/dtypes alone: no engine generates code to find out what the other runs.
"""
from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field

import numpy as np

from jitgraph import config
from jitgraph.framework import dtypes, errors
from jitgraph.framework.graph import Operation, Tensor
from jitgraph.framework.tensor_shape import TensorShape
from jitgraph.ops import registry
from jitgraph.ops.constant import constant_value
from jitgraph.ops.registry import same_shape


@dataclass
class Stage:
    kind: str                          # "kernel" or "host"
    ops: list                          # execution order
    groups: list = field(default_factory=list)   # kernel: fused groups (lists of ops)
    units: list = field(default_factory=list)    # kernel: schedule of ops / groups
    inputs: list = field(default_factory=list)   # tensors read from earlier stages / feeds
    outputs: list = field(default_factory=list)  # tensors later stages or fetches need
    variables: list = field(default_factory=list)  # VariableV2 ops it touches
    consts: list = field(default_factory=list)   # array Const tensors passed as arguments
    rng_ops: list = field(default_factory=list)  # stateful random ops it runs
    compiled: object = None            # set by the JIT
    source: str = ""
    const_args: list = field(default_factory=list)  # the consts the compiled code reads


@dataclass
class Plan:
    graph: object
    signature: object
    feeds: list                        # fed tensors, signature order
    fetches: list                      # flat fetch list: Tensor or None (for ops)
    ops: list                          # pruned ops (not the fed ones), topological
    shapes: dict                       # Tensor -> refined static shape (tuple or None)
    stages: list
    read_vars: list                    # VariableV2 ops whose value is read
    written_vars: list                 # VariableV2 ops assigned
    alias_fetches: list                # indices of fetches that may share a buffer
    consts: dict                       # Tensor -> np.ndarray for every Const in the plan
    sym: dict = field(default_factory=dict)  # Tensor -> symbolic shape (see symbolic_shapes)
    host_reasons: dict = field(default_factory=dict)  # host Operation -> why it is not compiled

    @property
    def kernel_stages(self):
        return [s for s in self.stages if s.kind == "kernel"]


def _producers(op: Operation):
    for t in op.inputs:
        yield t.op
    yield from op.control_inputs


def prune(fetch_tensors, targets, fed: set) -> list:
    """Ops needed for the fetches and targets, walking back to fed tensors, topologically."""
    needed: dict[Operation, None] = {}
    order: list[Operation] = []
    stack = []
    for t in fetch_tensors:
        if t not in fed:
            stack.append((t.op, False))
    for op in targets:
        stack.append((op, False))
    # Iterative post-order DFS: graphs can be deeper than the recursion limit.
    while stack:
        op, expanded = stack.pop()
        if expanded:
            if op not in needed:
                needed[op] = None
                order.append(op)
            continue
        if op in needed:
            continue
        stack.append((op, True))
        for t in reversed(op.inputs):
            if t not in fed and t.op not in needed:
                stack.append((t.op, False))
        for c in reversed(op.control_inputs):
            if c not in needed:
                stack.append((c, False))
    return order


def refine_shapes(ops, feeds_rank: dict) -> dict:
    """Static shapes again, now that fed ranks are known."""
    shapes: dict[Tensor, tuple | None] = {}
    for t, rank in feeds_rank.items():
        static = t.shape
        if static.ndims == rank:
            shapes[t] = static.as_tuple()
        else:
            shapes[t] = (None,) * rank

    def shape_of(t):
        return shapes[t] if t in shapes else t.shape.as_tuple()

    for op in ops:
        if all(t in shapes for t in op.outputs):
            continue
        d = registry.get(op.type)
        ctx = registry.ShapeCtx([shape_of(t) for t in op.inputs], [t.dtype for t in op.inputs],
                                op.attrs, [constant_value(t) for t in op.inputs],
                                [t.dtype for t in op.outputs])
        try:
            out = d.shape(ctx)
        except Exception as e:  # shape rules may be stricter than runtime; keep build-time shapes
            if isinstance(e, (ValueError, IndexError)) and any(
                    t.shape.ndims is None and shape_of(t) is not None for t in op.inputs):
                # Ranks known only from the feeds, and they do not fit: the rule's message
                # (TF's), not a numpy or Numba error from inside the op.
                raise errors.InvalidArgumentError(None, op, str(e)) from None
            out = [t.shape.as_tuple() for t in op.outputs]
        for t, s in zip(op.outputs, out):
            if t in shapes:
                continue
            merged = TensorShape(s)
            try:
                merged = merged.merge_with(t.shape)
            except ValueError:
                pass
            shapes[t] = merged.as_tuple()
    return shapes


def symbolic_shapes(ops, shapes: dict, feeds) -> dict:
    """Shapes whose unknown dims are named symbols, so that equal sizes are provably equal.

    A fed tensor's unknown dim gets a fresh symbol ('s3'); elementwise ops, matmuls,
    reductions and shape-preserving ops pass symbols on. Two tensors whose dim k
    carries the same symbol have the same size at run time, so generated loops
    index them directly and a broadcast-gradient sum over them is a no-op.
    """
    counter = itertools.count()
    sym: dict = {}

    def fresh_of(t):
        s = shapes.get(t, t.shape.as_tuple())
        if s is None:
            return None
        return tuple(d if d is not None else f"s{next(counter)}" for d in s)

    def bcast(in_syms):
        # Undecided dims come back None and get a static size or a new symbol below.
        return None if any(x is None for x in in_syms) else registry.broadcast_syms(*in_syms)

    for t in feeds:
        sym[t] = fresh_of(t)

    def of(t):
        if t not in sym:
            sym[t] = fresh_of(t)
        return sym[t]

    for op in ops:
        if all(t in sym for t in op.outputs):
            continue
        d = registry.get(op.type)
        ins = [of(t) for t in op.inputs]
        out = None
        outs = None
        if d.extra.get("sym") is not None and all(x is not None for x in ins):
            outs = d.extra["sym"](op, ins)  # the op's own rule, one entry per output
        elif d.ew is not None:
            out = bcast(ins)
        elif d.shape is same_shape and ins:
            out = ins[0]
        if outs is None:
            outs = [out]
        for i, t in enumerate(op.outputs):
            static = shapes.get(t, t.shape.as_tuple())
            o = outs[i] if i < len(outs) else None
            if o is not None and static is not None and len(o) == len(static):
                # A dim the rule could not decide (None): the static size, or a new symbol.
                o = tuple((a if a is not None else f"s{next(counter)}") if b is None else b
                          for a, b in zip(static, o))
            if o is not None and static is not None and len(o) == len(static) \
                    and all(a is None or a == b for a, b in zip(static, o)):
                sym[t] = o
            else:
                sym[t] = fresh_of(t)
    return sym


def classify(op: Operation, shapes: dict, sym: dict | None = None) -> str:
    """'const', 'var', 'noop', 'ew', 'emit' or 'host' for one op."""
    return _kind(op, host_reason(op, shapes, sym))


def _kind(op, reason):
    d = registry.get(op.type)
    if d.role:
        return d.role
    return "host" if reason else ("ew" if d.ew is not None else "emit")


def host_reason(op: Operation, shapes: dict, sym: dict | None = None) -> str | None:
    """Why `op` has no compiled form in this plan (a sentence), or None if it has one."""
    d = registry.get(op.type)
    if d.role:
        return None
    if d.host:
        return d.host if isinstance(d.host, str) else "declared a host op"
    if d.ew is None and d.emit is None:
        return "no compiled form"
    for x in list(op.inputs) + list(op.outputs):
        if x.dtype == dtypes.string:
            return "strings have no compiled form"
        if shapes.get(x, x.shape.as_tuple()) is None:
            return f"{x.name} has an unknown rank"
        if x.dtype == dtypes.float16:
            # Numba has no float16 arithmetic on the CPU; the host computes it as the
            # interpreter does, so both engines give the same float16 results.
            return "float16 has no compiled arithmetic"
    if d.store:
        var = op.inputs[0].op
        if not registry.get(var.type).role == "var":
            return "stores into a value that is not a variable"
        if not TensorShape(shapes.get(op.inputs[0])).is_fully_defined():
            return "stores into a variable of unknown shape"
    if d.host_if is not None:
        return d.host_if(registry.StaticCtx(op, shapes, sym))
    return None


def _rank(t, shapes):
    s = shapes[t]
    return None if s is None else len(s)


def _same_space(a, b) -> bool:
    """Two static shapes that surely describe one loop space."""
    if a is None or b is None or len(a) != len(b):
        return False
    return all(x == y for x, y in zip(a, b))


def fuse(ops, kinds: dict, shapes: dict) -> list:
    """Fusion of the elementwise ops of one stage into groups that share one loop space.

    Every producer -> consumer edge between elementwise ops whose static output
    shapes match merges their groups (union-find), unless the merge would
    create a cycle through an op outside the group (e.g. a matmul that reads
    one member and feeds another). Rank-0 ops stay alone: they are plain
    scalar statements.
    """
    pos = {op: i for i, op in enumerate(ops)}
    group_of: dict[Operation, int] = {}
    members: dict[int, list] = {}
    for op in ops:
        if kinds[op] == "ew" and _rank(op.outputs[0], shapes) not in (None, 0):
            group_of[op] = len(members)
            members[len(members)] = [op]

    def unit(op):
        return ("g", group_of[op]) if op in group_of else ("o", op)

    def unit_members(u):
        return members[u[1]] if u[0] == "g" else [u[1]]

    def creates_cycle(a, b):
        inside = set(members[a]) | set(members[b])
        start = [p for m in inside for p in _producers(m) if p in pos and p not in inside]
        seen = set()
        stack = [unit(p) for p in start]
        while stack:
            u = stack.pop()
            if u in seen:
                continue
            seen.add(u)
            if u in (("g", a), ("g", b)):
                return True
            for m in unit_members(u):
                for p in _producers(m):
                    if p in pos and unit(p) != u:
                        stack.append(unit(p))
        return False

    for op in ops:
        if op not in group_of:
            continue
        for t in op.inputs:
            p = t.op
            if p not in group_of or group_of[p] == group_of[op]:
                continue
            if not _same_space(shapes[p.outputs[0]], shapes[op.outputs[0]]):
                continue
            a, b = group_of[p], group_of[op]
            if creates_cycle(a, b):
                continue
            for m in members[b]:
                group_of[m] = a
            members[a].extend(members.pop(b))
    return [sorted(ms, key=pos.__getitem__) for _, ms in sorted(members.items())]


def schedule(ops, groups, kinds) -> list:
    """Orders units (ops or groups) topologically; variable writes as late as possible,
    so a read in the same run sees the value from before the update (as in TF)."""
    group_of = {op: i for i, g in enumerate(groups) for op in g}
    units = []
    unit_of = {}
    for op in ops:
        if kinds[op] in ("const", "var", "noop") and op not in group_of:
            continue
        if op in group_of:
            key = ("g", group_of[op])
            if key not in unit_of:
                unit_of[key] = len(units)
                units.append(("group", groups[group_of[op]]))
            unit_of[op] = unit_of[key]
        else:
            unit_of[op] = len(units)
            units.append(("op", [op]))
    preds = [set() for _ in units]
    for i, (_, members) in enumerate(units):
        for m in members:
            for p in _producers(m):
                j = unit_of.get(p)
                if j is not None and j != i:
                    preds[i].add(j)
    succs = [[] for _ in units]
    for i, ps in enumerate(preds):
        for j in ps:
            succs[j].append(i)
    indeg = [len(p) for p in preds]
    writes = [any(registry.get(m.type).store for m in ms) for _, ms in units]
    heap = [(writes[i], i) for i in range(len(units)) if indeg[i] == 0]
    heapq.heapify(heap)
    order = []
    while heap:
        _, i = heapq.heappop(heap)
        order.append(units[i])
        for j in succs[i]:
            indeg[j] -= 1
            if indeg[j] == 0:
                heapq.heappush(heap, (writes[j], j))
    if len(order) != len(units):
        raise errors.InternalError(None, None, "jitgraph: cycle while scheduling fused groups")
    return order


def build_plan(graph, signature, feeds: list, feed_ranks: list, fetches: list, targets: list,
               compile_kernels: bool = True) -> Plan:
    fed = set(feeds)
    fetches = [_ref_source(f, fed) for f in fetches]
    fetch_tensors = [f for f in fetches if f is not None]
    ops = prune(fetch_tensors, targets, fed)
    shapes = refine_shapes(ops, dict(zip(feeds, feed_ranks)))
    for t in fed:
        shapes.setdefault(t, t.shape.as_tuple())
    for op in ops:
        if op.type == "Placeholder":
            registry.get("Placeholder").numpy(registry.KernelCtx(op))  # raises: not fed
    sym = symbolic_shapes(ops, shapes, feeds)
    reasons = {op: host_reason(op, shapes, sym) for op in ops}
    kinds = {op: _kind(op, reasons[op]) for op in ops}
    folded = fold_constants(ops, kinds, shapes) if config.fold_constants() else {}
    if not compile_kernels:
        kinds = {op: ("host" if k in ("ew", "emit") else k) for op, k in kinds.items()}

    # Writable copies: Numba types read-only arrays differently, and kernels never write them.
    consts = {op.outputs[0]: np.array(op.attrs["value"]) for op in ops
              if kinds[op] == "const" and op.type == "Const"}
    consts.update(folded)
    fetch_set = set(fetch_tensors)
    consumers: dict[Tensor, list] = {}
    for op in ops:
        for t in op.inputs:
            consumers.setdefault(t, []).append(op)

    stages = _make_stages(ops, kinds, shapes, fetch_set, feeds)
    plan = Plan(graph, signature, list(feeds), list(fetches), ops, shapes, stages,
                [], [], [], consts, sym,
                {op: r for op, r in reasons.items() if r})

    read_vars, written_vars = [], []
    for op in ops:
        if registry.get(op.type).role != "var":
            continue
        users = consumers.get(op.outputs[0], [])
        if op.outputs[0] in fetch_set or any(
                not (u.type == "Assign" and u.inputs[0] is op.outputs[0]) for u in users):
            read_vars.append(op)
        if any(registry.get(u.type).store and u.inputs[0] is op.outputs[0] for u in users):
            written_vars.append(op)

    plan.read_vars, plan.written_vars = read_vars, written_vars
    plan.alias_fetches = [i for i, f in enumerate(fetches)
                          if f is not None and (registry.get(f.op.type).aliases or f in fed)]
    return plan


# Folded values stay small: a scalar becomes a literal in generated code, a small array
# one argument; a large one would be memory held by the plan for no gain.
FOLD_MAX_ELEMENTS = 16


def fold_constants(ops, kinds, shapes) -> dict:
    """Computes, once and here, each pure op whose inputs are all constants (its numpy
    face; TF's Grappler folds likewise), and marks it a constant: neither engine then
    computes `1 - beta1` or a gradient's `Cast(Size(const))` at every run, and the
    generated code reads a literal instead of a chain of casts. Returns their values."""
    values, folded = {}, {}
    for op in ops:
        if kinds[op] == "const":
            if op.type == "Const":
                values[op.outputs[0]] = op.attrs["value"]
            continue
        d = registry.get(op.type)
        if (kinds[op] not in ("ew", "emit") or d.stateful or d.store or op.control_inputs
                or len(op.outputs) != 1 or not op.inputs):
            continue
        args = [values.get(t) for t in op.inputs]
        if d.shape_value:  # any values of the right shapes give the same answer
            args = [_zeros_of(t, shapes) if a is None else a for t, a in zip(op.inputs, args)]
        if any(a is None for a in args):
            continue
        out = op.outputs[0]
        shape = shapes.get(out)
        if (shape is None or None in shape or int(np.prod(shape)) > FOLD_MAX_ELEMENTS
                or out.dtype.name == "string"):
            continue
        try:
            v = d.numpy(registry.KernelCtx(op), *args)
        except Exception:  # noqa: BLE001 - it fails at run time, on each engine, as TF's would
            continue
        # C order: a folded Transpose is a strided view, which compiled stages do not take.
        v = np.array(v, dtype=out.dtype.as_numpy_dtype, order="C")
        if v.shape != tuple(shape):
            continue
        values[out] = folded[out] = v
        kinds[op] = "const"
    return folded


def _zeros_of(t, shapes):
    shape = shapes.get(t)
    if shape is None or None in shape or t.dtype.name == "string":
        return None
    return np.broadcast_to(np.zeros((), t.dtype.as_numpy_dtype), shape)  # no memory


def _ref_source(t, fed):
    """A fetched read of a variable (`v/read`, an Identity chain) is the variable itself:
    as with TF's ref variables, its value is the buffer's at the end of the run."""
    if t is None:
        return t
    src = t
    while src not in fed and src.op.type == "Identity" and not src.op.control_inputs:
        src = src.op.inputs[0]
    return src if src.op.type == "VariableV2" and src not in fed else t


def _make_stages(ops, kinds, shapes, fetch_set, feeds) -> list:
    # Host depth: how many host ops lie upstream; kernel stage k runs before host stage k.
    depth: dict[Operation, int] = {}
    for op in ops:
        d = 0
        for p in _producers(op):
            if p in depth:
                d = max(d, depth[p] + (1 if kinds[p] == "host" else 0))
        depth[op] = d
    # Kernel ops go to the LATEST stage their consumers allow: work that does not need
    # a host op's output (an optimizer's `beta1 * m`) then stays fused with the rest of
    # its loop instead of being materialized in an earlier stage.
    last = max(depth.values(), default=0)
    consumers: dict[Operation, list] = {}
    for op in ops:
        for p in _producers(op):
            consumers.setdefault(p, []).append(op)
    level: dict[Operation, int] = {}
    for op in reversed(ops):
        if kinds[op] == "host":
            level[op] = depth[op]
            continue
        lv = last
        for c in consumers.get(op, ()):
            lv = min(lv, level.get(c, depth[c]))
        level[op] = max(lv, depth[op])
    stages = []
    for lv in range(last + 1):
        kops = [op for op in ops if level[op] == lv and kinds[op] in ("ew", "emit")]
        hops = [op for op in ops if level[op] == lv and kinds[op] == "host"]
        if kops:
            stages.append(_kernel_stage(kops, kinds, shapes))
        if hops:
            stages.append(Stage("host", hops))
    _wire_stages(stages, ops, kinds, fetch_set, feeds)
    return stages


def host_notes(plan) -> list[tuple[int, str]]:
    """(stage index, sentence) for each host op of a plan that also has kernel stages:
    which op runs in Python, between which kernel stages, and why."""
    if not plan.kernel_stages:
        return []
    kernel_no = {}
    for i, st in enumerate(plan.stages):
        if st.kind == "kernel":
            kernel_no[i] = len(kernel_no)
    notes = []
    for i, st in enumerate(plan.stages):
        if st.kind != "host":
            continue
        before = [k for j, k in kernel_no.items() if j < i]
        after = [k for j, k in kernel_no.items() if j > i]
        where = " and ".join(([f"after stage{before[-1]}"] if before else []) +
                             ([f"before stage{after[0]}"] if after else []))
        for op in st.ops:
            why = plan.host_reasons.get(op, "runs on the host")
            notes.append((i, f"{op.name} ({op.type}) runs on the host {where}: {why}"))
    return notes


def _kernel_stage(kops, kinds, shapes) -> Stage:
    groups = fuse(kops, kinds, shapes)
    units = schedule(kops, groups, kinds)
    order = [op for _, ms in units for op in ms]
    return Stage("kernel", order, groups=groups, units=units)


def _wire_stages(stages, ops, kinds, fetch_set, feeds):
    """Inputs/outputs of each stage: what crosses a stage boundary."""
    stage_of = {}
    for i, st in enumerate(stages):
        for op in st.ops:
            stage_of[op] = i
    for i, st in enumerate(stages):
        ins, vars_, consts, seen = [], [], [], set()
        for op in st.ops:
            for t in op.inputs:
                if t in seen:
                    continue
                seen.add(t)
                k = kinds.get(t.op)
                if t in feeds or t.op not in stage_of and k not in ("const", "var"):
                    if t.op not in stage_of or t in feeds:
                        ins.append(t)
                elif k == "var" and t not in feeds:
                    vars_.append(t.op)
                elif k == "const" and t not in feeds:
                    consts.append(t)
                elif stage_of.get(t.op) != i:
                    ins.append(t)
        st.inputs, st.variables, st.consts = ins, vars_, consts
        st.rng_ops = [op for op in st.ops if registry.get(op.type).extra.get("rng")]
    for i, st in enumerate(stages):
        outs = []
        for op in st.ops:
            for t in op.outputs:
                later = any(t in s.inputs for s in stages[i + 1:])
                if t in fetch_set or later:
                    outs.append(t)
        st.outputs = outs
