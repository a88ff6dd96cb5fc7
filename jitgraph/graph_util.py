"""`tf.graph_util`: freezing a trained graph into one GraphDef of constants."""
from __future__ import annotations

import copy

from jitgraph.platform import logging

_VARIABLE_OPS = ("Variable", "VariableV2", "VarHandleOp")


def _node_name(s):
    s = s[1:] if s.startswith("^") else s
    op, sep, idx = s.rpartition(":")
    return op if sep and idx.isdigit() else s


def _check_graph_def(graph_def):
    from jitgraph.summary._proto import pb
    if not isinstance(graph_def, pb("graph_pb2").GraphDef):
        raise TypeError("graph_def must be a graph_pb2.GraphDef proto.")


def extract_sub_graph(graph_def, dest_nodes):
    """The GraphDef of the nodes `dest_nodes` need (data and control inputs), in
    `graph_def`'s order."""
    _check_graph_def(graph_def)
    if isinstance(dest_nodes, str):
        raise TypeError("dest_nodes must be a list.")
    by_name = {n.name: n for n in graph_def.node}
    for d in dest_nodes:
        if d not in by_name:
            raise AssertionError(f"{d} is not in graph")
    keep, stack = set(), list(dest_nodes)
    while stack:
        name = stack.pop()
        if name in keep:
            continue
        keep.add(name)
        stack.extend(_node_name(i) for i in by_name[name].input)
    out = type(graph_def)()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    out.node.extend(copy.deepcopy(n) for n in graph_def.node if n.name in keep)
    return out


def convert_variables_to_constants(sess, input_graph_def, output_node_names,
                                   variable_names_whitelist=None,
                                   variable_names_blacklist=None):
    """Replaces the variables `output_node_names` need by Consts of their values in
    `sess` (TF's freezing); returns the GraphDef of just those nodes.

    Args:
      sess: the Session holding the variables' values.
      input_graph_def: the GraphDef of `sess.graph` (`sess.graph.as_graph_def()`).
      output_node_names: names of the ops the frozen graph computes.
      variable_names_whitelist / variable_names_blacklist: which variables to freeze.
    """
    from jitgraph.graph_io.attrs import dtype_of_enum, tensor_proto
    inference = extract_sub_graph(input_graph_def, output_node_names)
    names = [n.name for n in inference.node if n.op in _VARIABLE_OPS
             and (variable_names_whitelist is None or n.name in variable_names_whitelist)
             and (variable_names_blacklist is None or n.name not in variable_names_blacklist)]
    values = dict(zip(names, sess.run([n + ":0" for n in names]))) if names else {}
    out = type(inference)()
    out.versions.CopyFrom(inference.versions)
    out.library.CopyFrom(inference.library)
    for n in inference.node:
        if n.name in values:
            c = out.node.add(name=n.name, op="Const")
            dt = n.attr["dtype"]
            c.attr["dtype"].CopyFrom(dt)
            c.attr["value"].tensor.CopyFrom(tensor_proto(values[n.name],
                                                         dtype_of_enum(dt.type)))
        else:
            out.node.add().CopyFrom(n)
    logging.info("Froze %d variables.", len(values))
    logging.info("Converted %d variables to const ops.", len(values))
    return out


def remove_training_nodes(input_graph, protected_nodes=None):
    """Drops Identity and CheckNumerics nodes (not `protected_nodes`) by wiring their
    consumers to their inputs, as TF does before serving a frozen graph."""
    protected = set(protected_nodes or ())
    drop = {n.name: n.input[0] for n in input_graph.node
            if n.op in ("Identity", "CheckNumerics") and n.name not in protected
            and n.input and not any(i.startswith("^") for i in n.input)
            and not n.input[0].startswith("^")}
    control_targets = {_node_name(i) for n in input_graph.node for i in n.input
                       if i.startswith("^")}
    drop = {k: v for k, v in drop.items() if k not in control_targets}

    def resolve(i):
        ctrl = i.startswith("^")
        name = _node_name(i)
        suffix = i[len(("^" if ctrl else "") + name):]
        seen = 0
        while name in drop and suffix in ("", ":0") and seen <= len(drop):
            i2 = drop[name]
            name, suffix = _node_name(i2), i2[len(_node_name(i2)):]
            seen += 1
        return ("^" if ctrl else "") + name + suffix

    out = type(input_graph)()
    out.versions.CopyFrom(input_graph.versions)
    for n in input_graph.node:
        if n.name in drop:
            continue
        m = out.node.add()
        m.CopyFrom(n)
        del m.input[:]
        m.input.extend(resolve(i) for i in n.input)
    return out
