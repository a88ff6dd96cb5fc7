"""The global step: an int64 scalar variable named `global_step` in its own collection."""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.framework.graph import GraphKeys, get_default_graph


def get_global_step(graph=None):
    g = graph or get_default_graph()
    found = g.get_collection(GraphKeys.GLOBAL_STEP)
    if len(found) > 1:
        raise TypeError("Multiple tensors in global_step collection.")
    if found:
        return found[0]
    try:
        return g.get_tensor_by_name("global_step:0")
    except (KeyError, ValueError):
        return None


def create_global_step(graph=None):
    from jitgraph.initializers import Zeros
    from jitgraph.variable_scope import VariableScope, _scope_as_current, get_variable
    g = graph or get_default_graph()
    if get_global_step(g) is not None:
        raise ValueError("'global_step' already exists.")
    with g.as_default(), g.name_scope(None), g.control_dependencies(None):
        with _scope_as_current(VariableScope(False)):
            return get_variable(GraphKeys.GLOBAL_STEP, shape=[], dtype=dtypes.int64,
                                initializer=Zeros(), trainable=False,
                                collections=[GraphKeys.GLOBAL_VARIABLES,
                                             GraphKeys.GLOBAL_STEP])


def get_or_create_global_step(graph=None):
    g = graph or get_default_graph()
    return get_global_step(g) or create_global_step(g)


def global_step(sess, global_step_tensor):
    """The global step's value in `sess` as a Python int."""
    if isinstance(global_step_tensor, str):
        global_step_tensor = sess.graph.get_tensor_by_name(global_step_tensor)
    return int(np.asarray(sess.run(global_step_tensor)))


def assert_global_step(global_step_tensor):
    dt = global_step_tensor.dtype
    if not dt.is_integer:
        raise TypeError(f"Existing \"global_step\" does not have integer type: {dt.name}")
    if global_step_tensor.shape.ndims not in (0, None):
        raise TypeError(f"Existing \"global_step\" is not scalar: {global_step_tensor.shape}")
