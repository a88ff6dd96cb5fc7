"""A Graph as the GraphDef TF 1.x imports.

Most ops are TF's NodeDef as they stand: same type, inputs and attrs, plus the
dtype and count attrs (`T`, `N`, `Tidx`, ...) TF's signature asks for. A few hold
as an attr what TF takes as an input (a reduction's axes, a concat's axis): those
get a Const node for it, named under the op (`Mean/reduction_indices`). Op types
TF lacks (the gradient helpers of jitgraph's own, such as SumToShape) are written
with their attrs and `_output_types`, so jitgraph reads them back; TF refuses them.
"""
from __future__ import annotations

import json

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.framework.tensor_shape import TensorShape
from jitgraph.graph_io import opdefs
from jitgraph.graph_io.attrs import attr_value, shape_proto, tensor_proto
from jitgraph.summary._proto import pb
from jitgraph.summary.graph_def import input_name

# TF 1.15's GRAPH_DEF_VERSION.
PRODUCER = 134

# op type -> (TF input position of the value we hold as an attr, our attr name, dtype).
AXIS_INPUTS = {
    **{t: (1, "axis", dtypes.int32) for t in ("Sum", "Mean", "Max", "Min", "Prod", "All",
                                                "Any", "ArgMax", "ArgMin", "ExpandDims",
                                                "Cumsum")},
    "ConcatV2": (-1, "axis", dtypes.int32),
    "Split": (0, "axis", dtypes.int32),
    "SplitV": (2, "axis", dtypes.int32),
    "GatherV2": (2, "axis", dtypes.int32),
    "InTopKV2": (2, "k", dtypes.int32),
}
# our attr name -> TF's, per op type.
ATTR_NAMES = {**{t: {"keepdims": "keep_dims"} for t in ("Sum", "Mean", "Max", "Min", "Prod",
                                                       "All", "Any")},
              "Squeeze": {"axis": "squeeze_dims"}}


def _axis_value(op, attr):
    """The value TF takes as an input, or None where only our attr can say it."""
    v = op.attrs.get(attr)
    if v is None and attr == "axis" and op.type in ATTR_NAMES:  # a reduction over all axes
        r = op.inputs[0].shape.ndims
        return None if r is None else np.arange(r, dtype=np.int32)
    return np.asarray(v, dtype=np.int32)


def _const_node(name, value, dtype):
    nd = pb("node_def_pb2").NodeDef(name=name, op="Const")
    nd.attr["dtype"].type = dtype.as_datatype_enum
    nd.attr["value"].tensor.CopyFrom(tensor_proto(value, dtype))
    return nd


def _tf_form(op, used):
    """(TF op type, input names, input dtypes, attrs dict, extra NodeDefs, whether it
    is TF's form) of one op."""
    inputs = [input_name(t) for t in op.inputs]
    in_dtypes = [t.dtype for t in op.inputs]
    attrs = {k: v for k, v in op.attrs.items() if not k.startswith("_")}
    extra, tf_form = [], True
    # Where TF's form cannot say what ours does (all axes of an unknown rank, a computed
    # alpha, a softmax over another axis) the op keeps our form: jitgraph reads it back.
    if op.type in AXIS_INPUTS and _axis_value(op, AXIS_INPUTS[op.type][1]) is not None:
        pos, attr, dt = AXIS_INPUTS[op.type]
        sig = opdefs.get(op.type)
        arg = sig.inputs[pos].name
        cname = _fresh(f"{op.name}/{arg}", used)
        extra.append(_const_node(cname, _axis_value(op, attr), dt))
        attrs.pop(attr, None)
        at = len(inputs) if pos < 0 else pos
        inputs.insert(at, cname)
        in_dtypes.insert(at, dt)
    elif op.type in AXIS_INPUTS:
        tf_form = False
    if op.type == "LeakyRelu":
        from jitgraph.ops.constant import constant_value
        alpha = constant_value(op.inputs[1])
        if alpha is not None:
            attrs["alpha"] = float(np.asarray(alpha))
            inputs, in_dtypes = inputs[:1], in_dtypes[:1]
        else:
            tf_form = False
    if op.type in ("Softmax", "LogSoftmax"):
        axis, r = attrs.get("axis", -1), op.inputs[0].shape.ndims
        if axis == -1 or (r is not None and axis % r == r - 1):
            attrs.pop("axis", None)
        else:
            tf_form = False
    for ours, theirs in ATTR_NAMES.get(op.type, {}).items():
        if ours in attrs:
            attrs[theirs] = attrs.pop(ours)
    if op.type == "Squeeze" and attrs.get("squeeze_dims") is None:
        attrs["squeeze_dims"] = []
    return op.type, inputs, in_dtypes, attrs, extra, tf_form


def _fresh(name, used):
    out, k = name, 1
    while out in used:
        out, k = f"{name}_{k}", k + 1
    used.add(out)
    return out


def _typed(sig, tensors, attrs, outputs):
    """Fills the signature's dtype and count attrs from the op's inputs and outputs."""
    for a, start, count in opdefs.split_inputs(sig, len(tensors)):
        if a.number_attr:
            attrs.setdefault(a.number_attr, count)
        if a.type_attr and count and a.type_attr not in attrs:
            attrs[a.type_attr] = tensors[start]
        if a.type_list_attr and a.type_list_attr not in attrs:
            attrs[a.type_list_attr] = list(tensors[start:start + count])
    i = 0
    for a in sig.outputs:
        n = 1
        if a.number_attr:
            n = int(attrs.get(a.number_attr, 0))
        elif a.type_list_attr:
            n = len(attrs.get(a.type_list_attr, []) or [])
        if a.type_attr and a.type_attr not in attrs and i < len(outputs):
            attrs[a.type_attr] = outputs[i]
        if a.type_list_attr and a.type_list_attr not in attrs:
            attrs[a.type_list_attr] = list(outputs[i:i + n])
        i += n
    return {k: v for k, v in attrs.items() if k in sig.attrs}


def private_attrs(attrs):
    """Our underscored attrs: build-time facts such as a slice's constant bounds."""
    return {k: v for k, v in attrs.items() if k.startswith("_")}


_NO_JSON = object()


def _json_value(v):
    from jitgraph.framework.graph import Operation, Tensor
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, Operation):
        return {"op": v.name}
    if isinstance(v, Tensor):
        return {"tensor": v.name}
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v)
    if isinstance(v, (list, tuple)):
        items = [_json_value(x) for x in v]
        if any(x is _NO_JSON for x in items):
            return _NO_JSON
        return {"tuple": items} if isinstance(v, tuple) else items
    return _NO_JSON


def _node(name, tf_type, inputs, in_dtypes, attrs, outputs, control=(), tf_form=True,
          private=None):
    """One NodeDef; `outputs` are (dtype, shape or None) pairs."""
    sig = opdefs.get(tf_type) if tf_form else None
    beside = {}  # our attrs TF's signature lacks (a py_func's function)
    if sig is not None:
        typed = _typed(sig, in_dtypes, dict(attrs), [dt for dt, _ in outputs])
        beside = {k: v for k, v in attrs.items() if k not in typed}
        attrs = typed
    nd = pb("node_def_pb2").NodeDef(name=name, op=tf_type)
    nd.input.extend(inputs)
    nd.input.extend("^" + c for c in control)
    # What has no AttrValue form (op references, `_` facts) travels as JSON in
    # `_jitgraph_attrs`, which TF keeps unread; what JSON cannot hold either (a callable,
    # a Dataset) is named in `_jitgraph_unserialized`, for the importer to refuse.
    extra, lost = {}, []
    for key in sorted(attrs):
        try:
            v = attr_value(attrs[key])
        except (TypeError, ValueError, KeyError):
            v = None
        if v is not None:
            nd.attr[key].CopyFrom(v)
        elif attrs[key] is not None:
            extra[key] = attrs[key]
    for key, value in sorted({**extra, **beside, **(private or {})}.items()):
        enc = _json_value(value)
        if enc is _NO_JSON:
            lost.append(key)
        else:
            extra[key] = enc
    extra = {k: v for k, v in extra.items() if k not in lost}
    if sig is None:
        nd.attr["_output_types"].list.type.extend(dt.as_datatype_enum for dt, _ in outputs)
    if extra:
        nd.attr["_jitgraph_attrs"].s = json.dumps(extra, sort_keys=True).encode("utf-8")
    if lost and not all(k.startswith("_") for k in lost):
        nd.attr["_jitgraph_unserialized"].list.s.extend(
            k.encode() for k in lost if not k.startswith("_"))
    if outputs and all(s is not None for _, s in outputs):
        nd.attr["_output_shapes"].list.shape.extend(shape_proto(s) for _, s in outputs)
    return nd


def _sum_to_shape(op, used, add_shapes):
    """TF's gradient of a broadcast: Reshape(Sum(dy, BroadcastGradientArgs(..)[1]),
    Shape(x)), which jitgraph's importer reads back as SumToShape."""
    g, x = op.inputs
    i32, unknown = dtypes.int32, TensorShape([None])
    sg, sx = _fresh(f"{op.name}/Shape", used), _fresh(f"{op.name}/Shape_1", used)
    bga = _fresh(f"{op.name}/BroadcastGradientArgs", used)
    total = _fresh(f"{op.name}/Sum", used)
    shp = (lambda s: s) if add_shapes else (lambda s: None)
    return [
        _node(sg, "Shape", [input_name(g)], [g.dtype], {"out_type": i32},
              [(i32, shp(TensorShape([g.shape.ndims])))]),
        _node(sx, "Shape", [input_name(x)], [x.dtype], {"out_type": i32},
              [(i32, shp(TensorShape([x.shape.ndims])))]),
        _node(bga, "BroadcastGradientArgs", [sg, sx], [i32, i32], {},
              [(i32, shp(unknown)), (i32, shp(unknown))]),
        _node(total, "Sum", [input_name(g), bga + ":1"], [g.dtype, i32],
              {"keep_dims": False}, [(g.dtype, shp(TensorShape(None)))]),
        _node(op.name, "Reshape", [total, sx], [g.dtype, i32], {},
              [(g.dtype, shp(op.outputs[0].shape))], [c.name for c in op.control_inputs]),
    ]


def _broadcast_to_like(op, used, add_shapes):
    x, like = op.inputs
    s = _fresh(f"{op.name}/Shape", used)
    shp = (lambda v: v) if add_shapes else (lambda v: None)
    return [
        _node(s, "Shape", [input_name(like)], [like.dtype], {"out_type": dtypes.int32},
              [(dtypes.int32, shp(TensorShape([like.shape.ndims])))]),
        _node(op.name, "BroadcastTo", [input_name(x), s], [x.dtype, dtypes.int32], {},
              [(x.dtype, shp(op.outputs[0].shape))], [c.name for c in op.control_inputs]),
    ]


def _is_initialized_node(name, var_op, add_shapes, control=()):
    dt = var_op.outputs[0].dtype
    return _node(name, "IsVariableInitialized", [var_op.name], [dt], {"dtype": dt},
                 [(dtypes.bool, TensorShape([]) if add_shapes else None)], control)


def _is_variable_initialized(op, used, add_shapes):
    """TF's IsVariableInitialized reads the variable's ref; ours names it in an attr."""
    return [_is_initialized_node(op.name, op.attrs["var"], add_shapes,
                                 [c.name for c in op.control_inputs])]


def _report_uninitialized(op, used, add_shapes):
    """TF's report_uninitialized_variables: the names where not IsVariableInitialized,
    by boolean_mask (Where, Squeeze, GatherV2)."""
    variables = list(op.attrs["vars"])
    shp = (lambda v: TensorShape(v)) if add_shapes else (lambda v: None)
    names = np.array([v.name.encode() for v in variables], dtype=object)
    name = op.name
    ctrl = [c.name for c in op.control_inputs]
    if not variables:
        nd = _const_node(name, names, dtypes.string)
        nd.input.extend("^" + c for c in ctrl)
        return [nd]
    out = [_is_initialized_node(_fresh(f"{name}/IsVariableInitialized_{i}", used), v,
                                add_shapes) for i, v in enumerate(variables)]
    stack, mask = _fresh(f"{name}/stack", used), _fresh(f"{name}/LogicalNot", used)
    const = _fresh(f"{name}/Const", used)
    where, squeeze = _fresh(f"{name}/Where", used), _fresh(f"{name}/Squeeze", used)
    axis = _fresh(f"{name}/GatherV2/axis", used)
    n = len(variables)
    out += [
        _node(stack, "Pack", [nd.name for nd in out], [dtypes.bool] * n, {"axis": 0},
              [(dtypes.bool, shp([n]))], ctrl),
        _node(mask, "LogicalNot", [stack], [dtypes.bool], {}, [(dtypes.bool, shp([n]))]),
        _const_node(const, names, dtypes.string),
        _node(where, "Where", [mask], [dtypes.bool], {}, [(dtypes.int64, shp([None, 1]))]),
        _node(squeeze, "Squeeze", [where], [dtypes.int64], {"squeeze_dims": [1]},
              [(dtypes.int64, shp([None]))]),
        _const_node(axis, np.int32(0), dtypes.int32),
        _node(name, "GatherV2", [const, squeeze, axis],
              [dtypes.string, dtypes.int64, dtypes.int32], {"batch_dims": 0},
              [(dtypes.string, shp([None]))]),
    ]
    return out


# Op types of ours that TF writes as several ops (or with other inputs): TF's form.
COMPOSITES = {"SumToShape": _sum_to_shape, "BroadcastToLike": _broadcast_to_like,
              "IsVariableInitialized": _is_variable_initialized,
              "ReportUninitializedVariables": _report_uninitialized}


def node_defs(op, used, add_shapes=True, after=()):
    """NodeDefs for one op: its own, after any Const it needs for an input TF has.
    `after`: names of more ops it must run after (see `reads_before_writes`)."""
    if op.type in COMPOSITES:
        return COMPOSITES[op.type](op, used, add_shapes)
    tf_type, inputs, in_dtypes, attrs, extra, tf_form = _tf_form(op, used)
    outputs = [(t.dtype, t.shape if add_shapes else None) for t in op.outputs]
    control = [c.name for c in op.control_inputs]
    control += [n for n in after if n not in control]
    return extra + [_node(op.name, tf_type, inputs, in_dtypes, attrs, outputs, control,
                          tf_form, private_attrs(op.attrs))]


def _is_store(op):
    from jitgraph.ops import registry
    try:
        return registry.get(op.type).store
    except KeyError:
        return False


def reads_before_writes(ops):
    """{store op: [ops it must follow]}: in a jitgraph run, an op that reads a variable
    and does not depend on the run's write of it sees the value from before the write;
    TF runs ops in any order their edges allow (its optimizers gate gradients to get
    the same). So a store gets a control input on each such reader, when the two meet
    downstream (both feed one fetch, as a loss's gradients and an update do); an
    evaluation-only reader is left alone, lest it need feeds in every training step."""
    ops = list(ops)
    index = {op: i for i, op in enumerate(ops)}
    readers = {}
    for op in ops:
        if _is_store(op):
            continue
        for t in op.inputs:
            src = t.op
            if src.type == "Identity" and src.inputs and src.inputs[0].op.type == "VariableV2":
                src = src.inputs[0].op
            if src.type == "VariableV2" and op.type != "Identity":
                readers.setdefault(src, []).append(op)
    stores = [op for op in ops if _is_store(op) and op.inputs
              and op.inputs[0].op in readers]
    if not stores:
        return {}
    consumers = {op: [] for op in ops}
    for op in ops:
        for src in {t.op for t in op.inputs} | set(op.control_inputs):
            if src in consumers:
                consumers[src].append(op)
    desc = {}
    for op in reversed(_topological(ops, index)):
        m = 0
        for c in consumers[op]:
            m |= (1 << index[c]) | desc.get(c, 0)
        desc[op] = m
    out = {}
    for s in stores:
        for r in readers[s.inputs[0].op]:
            if desc[s] >> index[r] & 1 or desc[r] >> index[s] & 1:
                continue  # already ordered one way or the other
            if desc[r] & desc[s]:
                out.setdefault(s, []).append(r.name)
    return out


def _topological(ops, index):
    order, seen = [], set()
    for root in ops:
        if root in seen:
            continue
        stack = [(root, False)]
        while stack:
            op, done = stack.pop()
            if done:
                order.append(op)
                continue
            if op in seen:
                continue
            seen.add(op)
            stack.append((op, True))
            for src in [t.op for t in op.inputs] + list(op.control_inputs):
                if src in index and src not in seen:
                    stack.append((src, False))
    return order


def graph_def(graph, ops=None, add_shapes=True):
    """The GraphDef of `graph` (or of `ops`, in the graph's order)."""
    gd = pb("graph_pb2").GraphDef()
    gd.versions.producer = PRODUCER
    ops = graph.get_operations() if ops is None else ops
    used = {op.name for op in graph.get_operations()}
    after = reads_before_writes(ops)
    for op in ops:
        gd.node.extend(node_defs(op, used, add_shapes, after.get(op, ())))
    return gd
