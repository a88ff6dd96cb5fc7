"""`tf.train.init_from_checkpoint` and the `RestoreV2` op it builds on.

As in TF, init_from_checkpoint changes no value when it is called: it replaces the
initializer of each variable it maps by an Assign from a `RestoreV2` op, so the
values are read from the checkpoint when the initializer runs (and a later
`global_variables_initializer()` picks the new initializers up). Names and shapes
are checked against the checkpoint's index at call time, with TF's messages.
"""
from __future__ import annotations

import collections.abc
import os

import numpy as np

from jitgraph import saver as _saver
from jitgraph.checkpoint.reader import load_checkpoint
from jitgraph.framework import dtypes, errors
from jitgraph.framework.graph import get_default_graph
from jitgraph.ops.constant import constant
from jitgraph.ops.registry import make_op, register
from jitgraph.ops.state_ops import assign


# -- RestoreV2 ---------------------------------------------------------------------------
def _restore_shape(s):
    shapes = s.attrs.get("_shapes")
    return list(shapes) if shapes else [None] * len(s.attrs["dtypes"])


def _text(x):
    return x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x)


def _restore_np(k, prefix, names, slices):
    """Reads the named tensors of checkpoint `prefix`; every check before any value."""
    prefix = _text(np.asarray(prefix, dtype=object).item())
    names = [_text(n) for n in np.asarray(names, dtype=object).ravel()]
    slices = [_text(s) for s in np.asarray(slices, dtype=object).ravel()]
    if any(slices):
        raise errors.UnimplementedError(
            None, None, "RestoreV2 of a slice (a partitioned variable) is not supported")
    if not _saver.checkpoint_exists(prefix):
        raise errors.NotFoundError(
            None, None, "Unsuccessful TensorSliceReader constructor: Failed to find any "
                        f"matching files for {prefix}")
    stored = _saver.read_checkpoint(prefix)
    out = []
    for name, dt in zip(names, k.attrs["dtypes"]):
        if name not in stored:
            raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint")
        value = stored[name]
        have = dtypes.string if value.dtype == object else dtypes.as_dtype(value.dtype)
        if have != dt:
            raise errors.InvalidArgumentError(
                None, None, f"tensor_name = {name}; expected dtype {dt.name} does not "
                            f"equal original dtype {have.name}")
        out.append(value)
    return out[0] if len(out) == 1 else tuple(out)


register("RestoreV2", shape=_restore_shape, numpy=_restore_np,
         host="reads a checkpoint file", stateful=True)


def restore_v2(prefix, tensor_names, shape_and_slices, dtypes_, name=None, shapes=None):
    """TF's `io_ops.restore_v2`: one output per name, read when the op runs.

    `shapes` (ours): the static shapes the outputs will have, for shape inference."""
    prefix = constant(prefix, dtype=dtypes.string, name="prefix") \
        if not hasattr(prefix, "op") else prefix
    names = constant(list(tensor_names), dtype=dtypes.string, name="tensor_names")
    slices = constant(list(shape_and_slices), dtype=dtypes.string, name="shape_and_slices")
    attrs = {"dtypes": [dtypes.as_dtype(d) for d in dtypes_]}
    if shapes is not None:
        attrs["_shapes"] = [None if s is None else tuple(s) for s in shapes]
    return make_op("RestoreV2", [prefix, names, slices], attrs["dtypes"], attrs,
                   name=name or "RestoreV2").outputs


# -- init_from_checkpoint --------------------------------------------------------------------
def _is_variable(x):
    from jitgraph.variables import Variable
    return isinstance(x, Variable)


def _checkpoint_filename(ckpt_dir_or_file):
    path = os.fspath(ckpt_dir_or_file)
    return _saver.latest_checkpoint(path) if os.path.isdir(path) else path


def _set_checkpoint_initializer(var, ckpt_file, tensor_name):
    g = var.graph
    with g.as_default(), g.control_dependencies(None), \
            g.name_scope(var.op.name + "/"):
        value = restore_v2(ckpt_file, [tensor_name], [""], [var.dtype.base_dtype],
                           name="checkpoint_initializer",
                           shapes=[var.shape.as_tuple()])[0]
        init = assign(var._ref(), value).op
    var._initializer_op = init
    var._initial_value = value


def _variable_store(graph):
    from jitgraph.variable_scope import _store
    return _store(graph).vars


def init_from_checkpoint(ckpt_dir_or_file, assignment_map):
    """Replaces the initializers of variables by ones that read a checkpoint.

    Args:
      ckpt_dir_or_file: a checkpoint prefix, or a directory (its latest checkpoint).
      assignment_map: {name in checkpoint: Variable, list of Variables, or name of a
        variable made by `get_variable`}; a scope mapping `'ckpt_scope/': 'scope/'`
        maps every variable of `scope` (`'/'` is the root); also a list of pairs.

    Raises:
      ValueError: a name is not in the checkpoint, a shape differs, or a scope maps
        to a variable name.
    """
    ckpt_file = _checkpoint_filename(ckpt_dir_or_file)
    reader = load_checkpoint(ckpt_dir_or_file)
    variable_map = reader.get_variable_to_shape_map()
    if isinstance(assignment_map, collections.abc.Mapping):
        assignment_map = assignment_map.items()
    store_vars = _variable_store(get_default_graph())
    for tensor_name_in_ckpt, current in sorted(assignment_map, key=lambda p: p[0]):
        if _is_variable(current) or (isinstance(current, list)
                                     and all(_is_variable(v) for v in current)):
            var = current
        else:
            var = store_vars.get(current) or _collect_partitioned(current, store_vars)
        if var is not None:
            if tensor_name_in_ckpt not in variable_map:
                raise ValueError(f"Tensor {tensor_name_in_ckpt} is not found in "
                                 f"{ckpt_dir_or_file} checkpoint {variable_map}")
            if _is_variable(var) and not var.get_shape().is_compatible_with(
                    variable_map[tensor_name_in_ckpt]):
                raise ValueError(
                    f"Shape of variable {var.name} ({var.get_shape()}) doesn't match with "
                    f"shape of tensor {tensor_name_in_ckpt} "
                    f"({variable_map[tensor_name_in_ckpt]}) from checkpoint reader.")
            _set_initializer_or_list(var, ckpt_file, tensor_name_in_ckpt)
            continue
        scopes = current[:current.rindex("/")] if "/" in current else ""
        if not tensor_name_in_ckpt.endswith("/"):
            raise ValueError(
                f"Assignment map with scope only name {scopes} should map to scope only "
                f"{tensor_name_in_ckpt}. Should be 'scope/': 'other_scope/'.")
        scope_variables = set()
        for var_name in store_vars:
            if not scopes or var_name.startswith(scopes + "/"):
                if "/part_" in var_name:
                    var_name = var_name[:var_name.index("/part_")]
                scope_variables.add(var_name)
        for var_name in sorted(scope_variables):
            full = var_name[len(scopes):]
            if current != "/":
                full = full[1:]
            if tensor_name_in_ckpt != "/":
                full = tensor_name_in_ckpt + full
            if full.endswith("/"):
                full = full[:-1]
            if full not in variable_map:
                raise ValueError(f"Tensor {full} ({var_name[len(scopes) + 1:]} in "
                                 f"{tensor_name_in_ckpt}) is not found in "
                                 f"{ckpt_dir_or_file} checkpoint")
            var = store_vars.get(var_name) or _collect_partitioned(var_name, store_vars)
            _set_initializer_or_list(var, ckpt_file, full)


def _collect_partitioned(name, store_vars):
    if name + "/part_0" in store_vars:
        out, i = [], 0
        while f"{name}/part_{i}" in store_vars:
            out.append(store_vars[f"{name}/part_{i}"])
            i += 1
        return out
    return None


def _set_initializer_or_list(var, ckpt_file, tensor_name):
    if isinstance(var, (list, tuple)):
        # jitgraph makes no partitioned variables: a list is the user's own slicing.
        raise errors.UnimplementedError(
            None, None, f"init_from_checkpoint of a partitioned variable ({tensor_name}) "
                        "is not supported")
    _set_checkpoint_initializer(var, ckpt_file, tensor_name)
