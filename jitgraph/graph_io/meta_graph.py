"""`tf.train.export_meta_graph` / `import_meta_graph`: a MetaGraphDef proto of the
graph, its collections and its saver.

A jitgraph Saver has no save/restore ops in the graph (it reads and writes files
itself), but TF 1.x's importer builds its Saver from `saver_def` and runs the ops it
names: the exported GraphDef therefore gets TF's saver subgraph (`save/SaveV2`,
`save/RestoreV2`, `save/restore_all`, ...) written into it, as a TF Saver would have
built it. On import it is the other way round: the saver's scope is left out and a
jitgraph Saver over the imported variables stands for it.

Collections: Variables as `VariableDef` bytes, Tensors and Operations as node names,
strings and numbers as such; other Python objects are left out with a warning (TF
does the same for what it cannot serialize).
"""
from __future__ import annotations

import os

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.framework.graph import GraphKeys, Operation, Tensor, get_default_graph
from jitgraph.graph_io import export
from jitgraph.platform import logging
from jitgraph.summary._proto import pb

_TF_VERSION = "1.15.5"
# Collections that hold Variables (as VariableDef protos).
_VARIABLE_COLLECTIONS = {GraphKeys.GLOBAL_VARIABLES, GraphKeys.TRAINABLE_VARIABLES,
                         GraphKeys.LOCAL_VARIABLES, GraphKeys.MODEL_VARIABLES,
                         GraphKeys.MOVING_AVERAGE_VARIABLES, GraphKeys.GLOBAL_STEP,
                         GraphKeys.CONCATENATED_VARIABLES}


class MetaGraphFileError(errors.DataLossError, OSError):
    """A meta graph file that cannot be parsed: TF 1.x raises IOError here, and the file
    is damaged, so it is both."""


class MetaGraphNotFoundError(errors.NotFoundError, OSError):
    """No meta graph file: TF 1.x's IOError, and our NotFoundError."""


# -- export ----------------------------------------------------------------------------------
def _variable_def(v):
    vd = pb("variable_pb2").VariableDef(
        variable_name=v.name, initializer_name=v.initializer.name,
        snapshot_name=v.value().name, trainable=bool(v.trainable))
    if v.initial_value is not None:
        vd.initial_value_name = v.initial_value.name
    return vd


def _is_variable(x):
    from jitgraph.variables import Variable
    return isinstance(x, Variable)


def _collection_def(key, items):
    """The CollectionDef of one collection, or None when it holds what has no proto form."""
    cd = pb("meta_graph_pb2").CollectionDef()
    if all(_is_variable(x) for x in items):
        cd.bytes_list.value.extend(_variable_def(v).SerializeToString() for v in items)
    elif all(isinstance(x, (Tensor, Operation)) for x in items):
        cd.node_list.value.extend(x.name for x in items)
    elif all(isinstance(x, (str, bytes)) for x in items):
        cd.bytes_list.value.extend(x.encode() if isinstance(x, str) else x for x in items)
    elif all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in items):
        cd.int64_list.value.extend(int(x) for x in items)
    elif all(isinstance(x, (float, np.floating)) for x in items):
        cd.float_list.value.extend(float(x) for x in items)
    else:
        return None
    return cd


def _saver_nodes(saver, used):
    """TF's saver subgraph for `saver`'s variables, and its SaverDef."""
    node_def = pb("node_def_pb2").NodeDef
    scope = export._fresh(saver._name if saver is not None else "save", used)
    variables = saver._vars if saver is not None else {}
    names = list(variables)
    refs = [variables[n].op.outputs[0] for n in names]
    nodes = []

    def const(name, value, dt):
        nd = export._const_node(f"{scope}/{name}", value, dt)
        nodes.append(nd)
        return nd.name

    def node(name, op, inputs, **attrs):
        nd = node_def(name=f"{scope}/{name}", op=op)
        nd.input.extend(inputs)
        for k, v in attrs.items():
            nd.attr[k].CopyFrom(v)
        nodes.append(nd)
        return nd.name

    av = pb("attr_value_pb2").AttrValue
    string_t = av(type=dtypes.string.as_datatype_enum)
    scalar = av(shape=pb("tensor_shape_pb2").TensorShapeProto())
    fin = const("filename/input", np.array(b"model", dtype=object), dtypes.string)
    fname = node("filename", "PlaceholderWithDefault", [fin], dtype=string_t, shape=scalar)
    prefix = node("Const", "PlaceholderWithDefault", [fname], dtype=string_t, shape=scalar)
    name_arr = np.array([n.encode() for n in names], dtype=object)
    empty = np.array([b""] * len(names), dtype=object)
    types = av()
    types.list.type.extend(r.dtype.as_datatype_enum for r in refs)
    sn = const("SaveV2/tensor_names", name_arr, dtypes.string)
    ss = const("SaveV2/shape_and_slices", empty, dtypes.string)
    save = node("SaveV2", "SaveV2", [prefix, sn, ss] + [r.op.name for r in refs], dtypes=types)
    ctrl = node("control_dependency", "Identity", [prefix, "^" + save], T=string_t)
    rn = const("RestoreV2/tensor_names", name_arr, dtypes.string)
    rs = const("RestoreV2/shape_and_slices", empty, dtypes.string)
    restore = node("RestoreV2", "RestoreV2", [prefix, rn, rs], dtypes=types)
    assigns = []
    for i, r in enumerate(refs):
        suffix = "" if i == 0 else f"_{i}"
        assigns.append(node(f"Assign{suffix}", "Assign",
                            [r.op.name, restore if i == 0 else f"{restore}:{i}"],
                            T=av(type=r.dtype.as_datatype_enum), validate_shape=av(b=True),
                            use_locking=av(b=True)))
    restore_all = node("restore_all", "NoOp", ["^" + a for a in assigns])
    sd = pb("saver_pb2").SaverDef(
        filename_tensor_name=prefix + ":0", save_tensor_name=ctrl + ":0",
        restore_op_name=restore_all, version=pb("saver_pb2").SaverDef.V2,
        max_to_keep=saver._max_to_keep if saver is not None else 5,
        keep_checkpoint_every_n_hours=(saver._keep_every_secs / 3600.0
                                       if saver is not None else 10000.0))
    return nodes, sd


def export_meta_graph(filename=None, meta_info_def=None, graph_def=None, saver_def=None,
                      collection_list=None, as_text=False, graph=None, export_scope=None,
                      clear_devices=False, clear_extraneous_savers=False,
                      strip_default_attrs=False, save_debug_info=False, saver=None,
                      **kwargs):
    """Writes (when `filename` is given) and returns the graph's MetaGraphDef proto.

    Args:
      filename: where to write it (binary, or text when `as_text`).
      graph_def / saver_def / meta_info_def: protos to use instead of the graph's own.
      collection_list: the collections to write (default: all).
      graph: the graph (default: the default graph).
      saver: (ours) the Saver whose variables the saver subgraph restores.
    """
    if export_scope:
        raise NotImplementedError("export_meta_graph(export_scope=...) is not supported")
    g = graph or get_default_graph()
    mg = pb("meta_graph_pb2").MetaGraphDef()
    if meta_info_def is not None:
        mg.meta_info_def.CopyFrom(meta_info_def)
    mg.meta_info_def.tensorflow_version = mg.meta_info_def.tensorflow_version or _TF_VERSION
    mg.meta_info_def.tensorflow_git_version = "jitgraph"
    if graph_def is not None:
        mg.graph_def.CopyFrom(graph_def)
    else:
        mg.graph_def.CopyFrom(export.graph_def(g))
        if saver_def is None:
            if saver is None:
                savers = g.get_collection(GraphKeys.SAVERS)
                saver = savers[-1] if savers else None
            if saver is not None and saver._vars:
                used = {n.name for n in mg.graph_def.node}
                nodes, saver_def = _saver_nodes(saver, used)
                mg.graph_def.node.extend(nodes)
    if saver_def is not None:
        mg.saver_def.CopyFrom(saver_def)
    keys = collection_list if collection_list is not None else g.get_all_collection_keys()
    for key in sorted(keys):
        if key == GraphKeys.SAVERS:
            continue  # a Saver is the saver_def
        items = g.get_collection(key)
        if not items:
            continue
        cd = _collection_def(key, items)
        if cd is None:
            logging.warning("Issue encountered when serializing %s. Type is unsupported, or "
                            "the types of the items don't match field type in "
                            "CollectionDef.", key)
            continue
        mg.collection_def[key].CopyFrom(cd)
    if filename:
        write_meta_graph(mg, filename, as_text)
    return mg


def write_meta_graph(mg, filename, as_text=False):
    from jitgraph.saver import _atomic_write
    if as_text:
        from google.protobuf import text_format
        data = text_format.MessageToString(mg).encode("utf-8")
    else:
        data = mg.SerializeToString()
    _atomic_write(os.fspath(filename), [data])


def saver_meta_graph(saver, graph):
    """The MetaGraphDef a Saver writes beside each checkpoint; made again only when the
    graph or its collections changed since the last save."""
    key = (id(graph), graph.version,
           tuple((k, len(graph.get_collection(k))) for k in graph.get_all_collection_keys()))
    cached = getattr(saver, "_meta_graph_cache", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    mg = export_meta_graph(graph=graph, saver=saver)
    saver._meta_graph_cache = (key, mg)
    return mg


# -- import ----------------------------------------------------------------------------------
def read_meta_graph_file(filename):
    """The MetaGraphDef in `filename` (binary, or text).

    Raises:
      NotFoundError (an IOError): no such file.
      DataLossError (an IOError): the file is truncated or not a MetaGraphDef.
    """
    from google.protobuf import message, text_format
    mg = pb("meta_graph_pb2").MetaGraphDef()
    try:
        with open(filename, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise MetaGraphNotFoundError(None, None, f"File {filename} does not exist.") from None
    try:
        mg.ParseFromString(data)
        if mg.HasField("graph_def") or not data:
            return _checked(mg, filename, data)
    except message.DecodeError as e:
        err = e
    else:
        err = "no graph_def"
    try:
        text_format.Parse(data.decode("utf-8"), mg)
        return _checked(mg, filename, data)
    except (text_format.ParseError, UnicodeDecodeError):
        pass
    raise MetaGraphFileError(None, None, f"Cannot parse file {filename}: {err}.")


def _checked(mg, filename, data):
    if not data or not mg.graph_def.node:
        raise MetaGraphFileError(None, None, f"Cannot parse file {filename}: it holds no "
                                             "graph.")
    return mg


def _prefixed(scope, name):
    return f"{scope}/{name}" if scope else name


def _variable_from_def(g, raw, scope, made):
    """Our Variable over the imported ops a VariableDef names (one object per variable)."""
    from jitgraph.variables import Variable
    vd = pb("variable_pb2").VariableDef()
    vd.ParseFromString(raw)
    if vd.variable_name in made:
        return made[vd.variable_name]
    v = Variable.__new__(Variable)
    v._variable = g.get_tensor_by_name(_prefixed(scope, vd.variable_name))
    v._initializer_op = g.get_operation_by_name(_prefixed(scope, vd.initializer_name))
    v._snapshot = g.get_tensor_by_name(_prefixed(scope, vd.snapshot_name))
    v._initial_value = (g.get_tensor_by_name(_prefixed(scope, vd.initial_value_name))
                        if vd.initial_value_name else None)
    v._trainable = vd.trainable
    v._constraint = None
    v._save_slice_info = None
    made[vd.variable_name] = v
    return v


def _saver_scope(saver_def):
    name = saver_def.restore_op_name
    return name.rsplit("/", 1)[0] if "/" in name else ""


# Ops that only a TF Saver's save path holds: a jitgraph Saver writes files itself.
_SAVE_OPS = {"SaveV2", "SaveSlices", "Save", "MergeV2Checkpoints", "ShardedFilename",
             "ShardedFilespec"}


def _saver_nodes_of(mg):
    """Names of the nodes a jitgraph Saver stands for: the saver_def's scope, and any
    other Saver's save path (its save ops, what runs after them, and what feeds only
    them)."""
    nodes = mg.graph_def.node
    skip = set()
    if mg.HasField("saver_def"):
        scope = _saver_scope(mg.saver_def)
        if scope:
            skip = {n.name for n in nodes if n.name.startswith(scope + "/")}
    consumers = {n.name: set() for n in nodes}
    for n in nodes:
        for i in n.input:
            src = i.lstrip("^").split(":")[0]
            if src in consumers:
                consumers[src].add(n.name)
    stack = [n.name for n in nodes if n.op in _SAVE_OPS]
    while stack:  # the save ops and everything after them
        name = stack.pop()
        if name not in skip:
            skip.add(name)
            stack.extend(consumers[name])
    changed = True
    while changed:  # what feeds only skipped nodes (file names, tensor-name lists)
        changed = False
        for n in nodes:
            if n.name not in skip and consumers[n.name] and consumers[n.name] <= skip \
                    and n.op not in ("VariableV2", "Placeholder"):
                skip.add(n.name)
                changed = True
    return skip


def import_meta_graph(meta_graph_or_file, clear_devices=False, import_scope=None,
                      input_map=None, return_elements=None, **kwargs):
    """Imports a MetaGraphDef (a proto or a file, TF's or jitgraph's) into the default
    graph: its ops, its collections, and a Saver for its variables.

    Args:
      input_map / return_elements: as for `tf.import_graph_def`.

    Returns:
      a Saver built from the saver_def (or over all imported variables when there is
      none), or None when the graph has no variables; with `return_elements`, the pair
      (saver, elements).

    Raises:
      NotFoundError / DataLossError (both IOErrors): a missing or unreadable file.
      NotFoundError: op types jitgraph lacks, all named.
    """
    from jitgraph.graph_io import importer
    mg = meta_graph_or_file
    if not isinstance(mg, pb("meta_graph_pb2").MetaGraphDef):
        mg = read_meta_graph_file(os.fspath(mg))
    g = get_default_graph()
    skip = _saver_nodes_of(mg)
    scope = import_scope or ""
    elements = importer._import(g, mg.graph_def, input_map or {}, return_elements, scope,
                                skip=frozenset(skip))
    made = {}
    for key in sorted(mg.collection_def):
        cd = mg.collection_def[key]
        kind = cd.WhichOneof("kind")
        if kind == "node_list":
            for name in cd.node_list.value:
                try:
                    g.add_to_collection(key, g.as_graph_element(_prefixed(scope, name)))
                except (KeyError, ValueError):
                    if name.split(":")[0].lstrip("^") not in skip:
                        raise
        elif kind == "bytes_list":
            if key in _VARIABLE_COLLECTIONS:
                for raw in cd.bytes_list.value:
                    g.add_to_collection(key, _variable_from_def(g, raw, scope, made))
            else:
                for raw in cd.bytes_list.value:
                    g.add_to_collection(key, raw)
        elif kind == "int64_list":
            for x in cd.int64_list.value:
                g.add_to_collection(key, int(x))
        elif kind == "float_list":
            for x in cd.float_list.value:
                g.add_to_collection(key, float(x))
    saver = _saver_for(g, mg, scope)
    return saver if return_elements is None else (saver, elements)


def _saver_for(g, mg, scope):
    from jitgraph.saver import Saver
    variables = [v for v in g.get_collection(GraphKeys.GLOBAL_VARIABLES)
                 if v.name.startswith(scope)]
    if not variables:
        logging.info("Saver not created because there are no variables in the graph to "
                     "restore")
        return None
    kw = {}
    if mg.HasField("saver_def"):
        sd = mg.saver_def
        kw = {"max_to_keep": sd.max_to_keep,
              "keep_checkpoint_every_n_hours": sd.keep_checkpoint_every_n_hours or 10000.0}
    with g.as_default():
        var_list = {(v.op.name[len(scope) + 1:] if scope else v.op.name): v
                    for v in variables}
        return Saver(var_list, **kw)
