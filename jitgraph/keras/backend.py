"""`tf.keras.backend` for TF 1.x graphs: the Keras session, the learning phase, uids.

Keras in a TF 1.x program runs on one Session: the default one when the program has
entered one (`with sess.as_default()`), else one Keras makes (`set_session` replaces
it). Before handing it out, `get_session` initializes the variables that are not yet
initialized, so `model.fit` works without `global_variables_initializer`.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.framework.graph import (get_default_graph, get_default_session,
                                      reset_default_graph)
from jitgraph.ops.constant import convert_to_tensor

_STATE = {"session": None, "floatx": "float32", "epsilon": 1e-7}


def _graph_state():
    return get_default_graph()._py_state.setdefault("keras", {"uids": {}})


# -- names ---------------------------------------------------------------------------------
def get_uid(prefix=""):
    """1, 2, ... for each `prefix` in the default graph (layer names dense, dense_1, ...)."""
    uids = _graph_state()["uids"]
    uids[prefix] = uids.get(prefix, 0) + 1
    return uids[prefix]


def unique_object_name(prefix):
    n = get_uid(prefix)
    return prefix if n == 1 else f"{prefix}_{n - 1}"


def reset_uids():
    _graph_state()["uids"].clear()


# -- learning phase ---------------------------------------------------------------------------
def learning_phase():
    """0/1 if `set_learning_phase` fixed it, else the graph's bool placeholder
    `keras_learning_phase` (default False) that `fit` feeds True."""
    st = _graph_state()
    if "phase_value" in st:
        return st["phase_value"]
    if "phase" not in st:
        from jitgraph.ops.constant import placeholder_with_default
        g = get_default_graph()
        with g.control_dependencies(None), g.name_scope(None):
            st["phase"] = placeholder_with_default(False, shape=(),
                                                   name="keras_learning_phase")
    return st["phase"]


def set_learning_phase(value):
    if value not in (0, 1):
        raise ValueError("Expected learning phase to be 0 or 1.")
    _graph_state()["phase_value"] = value


def _phase_placeholder():
    """The learning-phase tensor to feed, or None when the phase is fixed."""
    st = _graph_state()
    return None if "phase_value" in st else st.get("phase")


# -- session --------------------------------------------------------------------------------
def get_session(op_input_list=()):
    """The Session Keras runs on, with every variable of its graph initialized."""
    sess = get_default_session()
    if sess is None:
        sess = _STATE["session"]
        if sess is None or sess._closed or sess.graph is not get_default_graph():
            from jitgraph.session import Session
            sess = _STATE["session"] = Session()
    _initialize_variables(sess)
    return sess


def set_session(session):
    _STATE["session"] = session


def clear_session():
    """A new default graph and no Keras session (names start again at dense, dense_1...)."""
    sess = _STATE["session"]
    if sess is not None and not sess._closed:
        sess.close()
    _STATE["session"] = None
    reset_default_graph()


def _initialize_variables(sess):
    from jitgraph.variables import global_variables, local_variables, variables_initializer
    g = sess.graph
    with g.as_default():
        vs = global_variables() + local_variables()
    state = sess._state
    todo = [v for v in vs if state is not None and v._variable.op not in state.initialized]
    if todo:
        key = tuple(todo)
        cache = g._py_state.setdefault("keras_init_ops", {})
        if key not in cache:
            with g.as_default():
                cache[key] = variables_initializer(todo)
        sess.run(cache[key])


# -- configuration ----------------------------------------------------------------------------
def floatx():
    return _STATE["floatx"]


def set_floatx(value):
    _STATE["floatx"] = dtypes.as_dtype(value).name


def epsilon():
    return _STATE["epsilon"]


def set_epsilon(value):
    _STATE["epsilon"] = float(value)


def image_data_format():
    return "channels_last"


# -- values -----------------------------------------------------------------------------------
def get_value(x):
    return get_session().run(x)


def batch_get_value(tensors):
    return get_session().run(list(tensors)) if tensors else []


def set_value(x, value):
    batch_set_value([(x, value)])


def batch_set_value(tuples):
    from jitgraph.ops.constant import placeholder
    if not tuples:
        return
    g = tuples[0][0].graph
    cache = g._py_state.setdefault("keras_assign", {})
    ops, feed = [], {}
    for var, value in tuples:
        if var not in cache:
            with g.as_default(), g.control_dependencies(None):
                ph = placeholder(var.dtype.base_dtype, var.shape)
                cache[var] = (ph, var.assign(ph))
        ph, op = cache[var]
        feed[ph] = np.asarray(value, var.dtype.base_dtype.as_numpy_dtype)
        ops.append(op)
    get_session().run(ops, feed)


def eval(x):  # noqa: A001 - Keras's name
    return get_value(x)


def variable(value, dtype=None, name=None, constraint=None):
    from jitgraph.variables import Variable
    dt = dtypes.as_dtype(dtype or floatx())
    return Variable(np.asarray(value, dt.as_numpy_dtype), dtype=dt, name=name,
                    constraint=constraint)


def placeholder(shape=None, ndim=None, dtype=None, sparse=False, name=None):
    from jitgraph.ops.constant import placeholder as ph
    if shape is None and ndim is not None:
        shape = (None,) * ndim
    return ph(dtype or floatx(), shape, name=name)


def int_shape(x):
    shape = convert_to_tensor(x).shape if not hasattr(x, "_variable") else x.shape
    return tuple(shape.as_list()) if shape.ndims is not None else None


def ndim(x):
    return convert_to_tensor(x).shape.ndims


def cast_to_floatx(x):
    return np.asarray(x, dtype=floatx())


class function:  # noqa: N801 - Keras's name
    """`K.function(inputs, outputs, updates)`: a callable running `outputs` on the Keras
    session with `inputs` fed from a list of arrays."""

    def __init__(self, inputs, outputs, updates=None, name=None, **kwargs):
        from jitgraph.ops.array_ops import group
        self.inputs, self.outputs = list(inputs), outputs
        self._updates = group(*updates) if updates else None

    def __call__(self, inputs):
        fetches = [self.outputs] + ([self._updates] if self._updates is not None else [])
        return get_session().run(fetches, dict(zip(self.inputs, inputs)))[0]
