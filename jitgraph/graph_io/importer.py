"""`tf.import_graph_def`: the nodes of a GraphDef as ops of the default graph.

A node of a type in our registry becomes that op, its attrs read from the proto;
the few types whose TF form differs from ours (an axis as an input, an alpha as an
attr) and the TF types jitgraph has no op for (AddV2, ApplyAdam, FusedBatchNorm,
...) are built with our op functions (`lowering.py`). Every op keeps its node's
name, so `get_tensor_by_name('import/logits:0')` finds it. Nothing is added to the
graph unless every node can be built: all missing op types are named at once.
"""
from __future__ import annotations

import json

import numpy as np

from jitgraph.framework import errors
from jitgraph.framework.graph import Operation, Tensor, get_default_graph
from jitgraph.framework.tensor_shape import TensorShape
from jitgraph.graph_io import lowering, opdefs
from jitgraph.graph_io.attrs import dtype_of_enum, from_attr
from jitgraph.ops import registry


def _graph_def_class():
    from jitgraph.summary._proto import pb
    return pb("graph_pb2").GraphDef


def _split_input(s):
    """('op', index, is_control) of a NodeDef input string."""
    if s.startswith("^"):
        return s[1:], -1, True
    op, sep, idx = s.rpartition(":")
    if sep and idx.isdigit():
        return op, int(idx), False
    return s, 0, False


def _tensor_key(name):
    op, idx, ctrl = _split_input(name)
    return ("^" + op) if ctrl else f"{op}:{idx}"


def missing_op_types(graph_def):
    """Sorted op types of `graph_def` that jitgraph can neither build nor lower."""
    known = registry.registered()
    return sorted({n.op for n in graph_def.node
                   if n.op not in known and n.op not in lowering.RULES})


def _check_types(graph_def):
    missing = missing_op_types(graph_def)
    if missing:
        listed = ", ".join(f"'{t}'" for t in missing)
        raise errors.NotFoundError(
            None, None, f"Op type not registered {listed} in binary running on jitgraph: "
                        f"this GraphDef uses {len(missing)} op type"
                        f"{'s' if len(missing) > 1 else ''} jitgraph does not have.")


def _sources(n):
    """The nodes `n` needs first: its inputs, and the ops its attrs refer to."""
    out = {_split_input(i)[0] for i in n.input}
    for v in _jitgraph_attrs(n).values():
        out |= _refs(v)
    return out


def _topological(nodes, by_name):
    """The nodes in an order where every input comes first (ValueError on a cycle)."""
    indeg, users = {}, {}
    for n in nodes:
        srcs = _sources(n)
        indeg[n.name] = len(srcs)
        for s in srcs:
            users.setdefault(s, []).append(n.name)
    ready = [n.name for n in nodes if indeg[n.name] == 0]
    order = []
    while ready:
        name = ready.pop()
        order.append(by_name[name])
        for u in users.get(name, ()):
            indeg[u] -= 1
            if indeg[u] == 0:
                ready.append(u)
    if len(order) != len(nodes):
        stuck = sorted(n for n, d in indeg.items() if d > 0)[:5]
        raise ValueError(f"GraphDef has a cycle (a while loop?) through {stuck}: "
                         "jitgraph imports acyclic graphs only")
    # Keep the GraphDef's own order where it is already topological (names, readability).
    pos = {n.name: i for i, n in enumerate(nodes)}
    return _stable(order, pos)


def _stable(order, pos):
    placed, out = set(), []
    deps = {n.name: _sources(n) for n in order}
    pending = sorted(order, key=lambda n: pos[n.name])
    while pending:
        rest = []
        for n in pending:
            if deps[n.name] <= placed:
                out.append(n)
                placed.add(n.name)
            else:
                rest.append(n)
        pending = rest
    return out


class NodeCtx:
    """What a lowering rule sees: the node, its input tensors and attrs, the graph."""

    def __init__(self, node, name, inputs, attrs, graph):
        self.node, self.name, self.inputs, self.attrs, self.graph = (
            node, name, inputs, attrs, graph)

    @property
    def type(self):
        return self.node.op

    def const(self, i):
        """The value of input `i` when the graph alone decides it; ValueError otherwise."""
        v = static_value(self.inputs[i])
        if v is None:
            raise ValueError(f"input {i} ({self.inputs[i].name}) must be known when the "
                             "graph is built for jitgraph (it is computed at run time)")
        return np.asarray(v)


def static_value(t, _depth=0):
    """The value of `t` when static facts decide it: a constant, the rank or a fully
    known shape of a tensor, or a stateless op of such values (TF's graphs compute
    reduction axes as Range(Rank(x)), which our ops need as attrs)."""
    from jitgraph.ops.constant import constant_value
    v = constant_value(t)
    if v is not None or _depth > 32:
        return v
    op = t.op
    if op.type == "Rank" and op.inputs[0].shape.ndims is not None:
        return np.int32(op.inputs[0].shape.ndims)
    if op.type in ("Shape", "Size") and op.inputs[0].shape.is_fully_defined():
        dims = op.inputs[0].shape.as_list()
        val = np.array(dims) if op.type == "Shape" else np.prod(dims, dtype=np.int64)
        return np.asarray(val, dtype=t.dtype.as_numpy_dtype)
    d = registry.get(op.type)
    if d.stateful or d.host or len(op.outputs) != 1 or not op.inputs:
        return None
    args = [static_value(x, _depth + 1) for x in op.inputs]
    if any(a is None for a in args):
        return None
    try:
        out = d.numpy(registry.KernelCtx(op), *args)
    except Exception:  # noqa: BLE001 - whatever stops it, the value is not static
        return None
    return np.asarray(out, dtype=t.dtype.as_numpy_dtype)


def out_dtypes(node, attrs, inputs):
    """The output dtypes of a node: `_output_types` (jitgraph's files), TF's signature,
    else the first input's dtype."""
    if "_output_types" in node.attr:
        return [dtype_of_enum(t) for t in node.attr["_output_types"].list.type]
    sig = opdefs.get(node.op)
    if sig is None:
        return [inputs[0].dtype] if inputs else []
    out = []
    for a in sig.outputs:
        n = 1
        if a.number_attr:
            n = int(attrs[a.number_attr])
        if a.type_list_attr:
            out.extend(attrs.get(a.type_list_attr) or [])
            continue
        if a.type:
            dt = dtype_of_enum(a.type)
        else:
            dt = attrs.get(a.type_attr)
            if dt is None:
                dt = dtype_of_enum(sig.attrs[a.type_attr][2])
        out.extend([dt] * n)
    return out


def _jitgraph_attrs(node):
    if "_jitgraph_attrs" not in node.attr:
        return {}
    return json.loads(node.attr["_jitgraph_attrs"].s.decode("utf-8"))


def _refs(v):
    """Names of the nodes a `_jitgraph_attrs` value refers to."""
    if isinstance(v, dict):
        if set(v) == {"op"}:
            return {v["op"]}
        if set(v) == {"tensor"}:
            return {_split_input(v["tensor"])[0]}
        return set().union(*(_refs(x) for x in v.values())) if v else set()
    if isinstance(v, list):
        return set().union(*(_refs(x) for x in v)) if v else set()
    return set()


def _decode(v, created):
    if isinstance(v, dict):
        if set(v) == {"tuple"}:
            return tuple(_decode(x, created) for x in v["tuple"])
        if set(v) == {"op"}:
            return created[v["op"]][0]
        if set(v) == {"tensor"}:
            op, idx, _ = _split_input(v["tensor"])
            return created[op][1][idx]
    if isinstance(v, list):
        return [_decode(x, created) for x in v]
    return v


def _attrs_of(node, created):
    lost = list(node.attr["_jitgraph_unserialized"].list.s) \
        if "_jitgraph_unserialized" in node.attr else []
    if lost:
        raise ValueError(f"Node '{node.name}' ({node.op}) held Python objects a GraphDef "
                         f"cannot carry (attrs {', '.join(s.decode() for s in lost)}); "
                         "build this part of the graph in the program instead")
    out = {k: _decode(v, created) for k, v in _jitgraph_attrs(node).items()}
    for k, v in node.attr.items():
        if k.startswith("_"):
            continue
        try:
            out[k] = from_attr(v)
        except errors.InvalidArgumentError as e:
            raise ValueError(f"Node '{node.name}': attr '{k}': {e.message}") from None
    return out


def _build(ctx, full):
    """Creates the node's ops; returns its output tensors (op name: `full`)."""
    g = ctx.graph
    rule = lowering.RULES.get(ctx.type)
    if "_output_types" in ctx.node.attr and ctx.type in registry.registered():
        rule = None  # jitgraph wrote this node in our own form: its attrs are ours
    if rule is None:
        attrs = dict(ctx.attrs)
        if ctx.type in ("Placeholder", "VariableV2") and "shape" not in attrs:
            attrs["shape"] = TensorShape(None)
        op = registry.make_op(ctx.type, ctx.inputs, out_dtypes(ctx.node, attrs, ctx.inputs),
                              attrs, name=full + "/", graph=g)
        return op, op.outputs, [op]
    before = len(g._ops)
    with g.as_default(), g.name_scope(full + "/"):
        outs = rule(ctx)
    if isinstance(outs, Operation):
        main, outs = outs, list(outs.outputs)
    else:
        outs = [outs] if isinstance(outs, Tensor) else list(outs)
        main = outs[0].op if outs else None
    new = g._ops[before:]
    if main is None or main not in new:
        from jitgraph.ops.array_ops import identity, no_op
        with g.as_default(), g.control_dependencies(None):
            if outs:
                outs[0] = identity(outs[0])
                main = outs[0].op
            else:
                main = no_op()
        new = g._ops[before:]
    g._set_op_name(main, full)
    return main, outs, new


def import_graph_def(graph_def, input_map=None, return_elements=None, name=None,
                     op_dict=None, producer_op_list=None):
    """Imports the graph of `graph_def` into the default graph.

    Args:
      graph_def: a `GraphDef` proto (TF's, or one jitgraph wrote).
      input_map: {name in graph_def ('x:0', or '^x' for an op): Tensor/Operation of
        the default graph} used in place of those values.
      return_elements: names of ops ('x') or tensors ('x:0') in graph_def to return.
      name: prefix of the imported names (default 'import'; '' for none).

    Returns:
      the elements named by `return_elements`, in order (or None).

    Raises:
      TypeError: `graph_def` is not a GraphDef.
      NotFoundError: op types jitgraph lacks (all of them named in one message).
      ValueError: an unknown input, an input_map key or return element not in
        graph_def, or a cycle.
    """
    if not isinstance(graph_def, _graph_def_class()):
        raise TypeError(f"graph_def must be a GraphDef proto, not {type(graph_def).__name__}")
    g = get_default_graph()
    return _import(g, graph_def, input_map or {}, return_elements, name)


def _import(g, graph_def, input_map, return_elements, name, skip=frozenset()):
    nodes = [n for n in graph_def.node if n.name not in skip]
    by_name = {}
    for n in nodes:
        if n.name in by_name:
            raise ValueError(f"Duplicate node name in graph: '{n.name}'")
        by_name[n.name] = n
    for n in nodes:
        for i in n.input:
            src = _split_input(i)[0]
            if src not in by_name:
                raise ValueError(f"Node '{n.name}': Unknown input node '{i}'")
        for r in _sources(n):
            if r not in by_name:
                raise ValueError(f"Node '{n.name}': its attrs refer to unknown node '{r}'")
    imap = {_tensor_key(k): v for k, v in input_map.items()}
    not_found = [k for k in input_map if _split_input(k)[0] not in by_name]
    if not_found:
        raise ValueError(f"Attempted to map inputs that were not found in graph_def: "
                         f"[{', '.join(not_found)}]")
    _check_types(graph_def if not skip else _subset(graph_def, nodes))
    order = _topological(nodes, by_name)
    with g._lock:
        if name is None:
            name = "import"
        prefix = g.unique_name(name) if name else ""
        full = {n.name: f"{prefix}/{n.name}" if prefix else n.name for n in nodes}
        clash = [f for f in full.values() if f in g._ops_by_name]
        if clash:
            raise ValueError(f"Duplicate node name in graph: '{clash[0]}'")
        g._reserve_names(full.values())
        created = {}
        for n in order:
            ins, ctrl = [], []
            for i in n.input:
                src, idx, is_ctrl = _split_input(i)
                key = ("^" + src) if is_ctrl else f"{src}:{idx}"
                if key in imap:
                    v = imap[key]
                    (ctrl if is_ctrl else ins).append(v)
                    continue
                op, outs = created[src]
                if is_ctrl:
                    ctrl.append(op)
                else:
                    if idx >= len(outs):
                        raise ValueError(f"Node '{n.name}': input '{i}' names output {idx} "
                                         f"of a node with {len(outs)} outputs")
                    ins.append(outs[idx])
            ctx = NodeCtx(n, full[n.name], ins, _attrs_of(n, created), g)
            try:
                built = _build(ctx, full[n.name])
            except (errors.OpError, ImportError):
                raise
            except (ValueError, TypeError, KeyError) as e:
                raise ValueError(f"Node '{n.name}' ({n.op}): {e}") from e
            op, outs, new = built
            for c in ctrl:
                c = c.op if isinstance(c, Tensor) else c
                for o in new:
                    o._add_control_input(c)
            _set_shapes(n, outs)
            created[n.name] = (op, outs)
    return _returns(return_elements, created)


def _subset(graph_def, nodes):
    gd = type(graph_def)()
    gd.node.extend(nodes)
    return gd


def _set_shapes(node, outs):
    """Merges `_output_shapes` in where it says more than our shape rules could."""
    if "_output_shapes" not in node.attr:
        return
    from jitgraph.graph_io.attrs import shape_of
    for t, sp in zip(outs, node.attr["_output_shapes"].list.shape):
        s = shape_of(sp)
        if t.shape.is_compatible_with(s):
            t.set_shape(s)


def _returns(return_elements, created):
    if return_elements is None:
        return None
    out = []
    for r in return_elements:
        src, idx, _ = _split_input(r)
        if ":" in r:
            if src not in created or idx >= len(created[src][1]):
                raise ValueError(f"Requested return tensor '{r}' not found in graph def")
            out.append(created[src][1][idx])
        else:
            if src not in created:
                raise ValueError(f"Requested return node '{r}' not found in graph def")
            out.append(created[src][0])
    return out
