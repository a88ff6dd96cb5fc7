"""`tf.variable_scope` and `tf.get_variable`: variables named by scope and shared by name.

Each graph keeps a store of the variables made by `get_variable` (full name -> Variable)
and the current `VariableScope`. As in TF 1.x, a variable's name comes from the
variable scope only, never from the name scope around it.
"""
from __future__ import annotations

import contextlib
import enum
import inspect

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.framework.graph import GraphKeys, Tensor, get_default_graph, graph_of
from jitgraph.framework.tensor_shape import TensorShape


class _ReuseMode(enum.Enum):
    AUTO_REUSE = 1


AUTO_REUSE = _ReuseMode.AUTO_REUSE


class VariableScope:
    """Defaults for the variables made under one scope name."""

    def __init__(self, reuse, name="", initializer=None, regularizer=None, dtype=dtypes.float32,
                 name_scope="", constraint=None, custom_getter=None):
        self._name, self._reuse = name, reuse
        self._initializer, self._regularizer = initializer, regularizer
        self._dtype, self._name_scope = dtypes.as_dtype(dtype), name_scope
        self._constraint, self._custom_getter = constraint, custom_getter

    name = property(lambda self: self._name)
    original_name_scope = property(lambda self: self._name_scope)
    reuse = property(lambda self: self._reuse)
    initializer = property(lambda self: self._initializer)
    regularizer = property(lambda self: self._regularizer)
    dtype = property(lambda self: self._dtype)
    constraint = property(lambda self: self._constraint)
    custom_getter = property(lambda self: self._custom_getter)

    def reuse_variables(self):
        self._reuse = True

    def set_initializer(self, initializer):
        self._initializer = initializer

    def set_regularizer(self, regularizer):
        self._regularizer = regularizer

    def set_dtype(self, dtype):
        self._dtype = dtypes.as_dtype(dtype)

    def global_variables(self):
        return get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES, self._scope_re())

    def trainable_variables(self):
        return get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES,
                                                  self._scope_re())

    def _scope_re(self):
        return self._name + "/" if self._name else None

    def get_variable(self, name, *args, **kwargs):
        with _scope_as_current(self):
            return get_variable(name, *args, **kwargs)

    def __repr__(self):
        return f"<tf.VariableScope '{self._name}'>"


class _Store:
    """Per-graph: the variables `get_variable` made, the scope stack, default-name counts."""

    def __init__(self):
        self.vars: dict = {}
        self.scope = VariableScope(False)
        self.counts: dict = {}


def _store(graph=None) -> _Store:
    g = graph or get_default_graph()
    s = g._py_state.get("variable_store")
    if s is None:
        s = g._py_state["variable_store"] = _Store()
    return s


def get_variable_scope() -> VariableScope:
    return _store().scope


@contextlib.contextmanager
def _scope_as_current(scope):
    st = _store()
    old = st.scope
    st.scope = scope
    try:
        yield scope
    finally:
        st.scope = old


def _unique_scope_name(st, name):
    # TF counts default names per variable scope: dense, dense_1, ...
    count = st.counts.get(name, 0)
    st.counts[name] = count + 1
    return name if count == 0 else f"{name}_{count}"


@contextlib.contextmanager
def variable_scope(name_or_scope, default_name=None, values=None, initializer=None,
                   regularizer=None, caching_device=None, partitioner=None,
                   custom_getter=None, reuse=None, dtype=None, use_resource=None,
                   constraint=None, auxiliary_name_scope=True):
    """Opens a variable scope (and a name scope of the same name) for `get_variable`."""
    if name_or_scope is None and default_name is None:
        raise TypeError("If default_name is None then name_or_scope is required")
    if reuse is False:
        reuse = None  # TF 1.x: False means "inherit", it never turns reuse off
    g = graph_of(values)
    with g.as_default():
        st = _store(g)
        parent = st.scope
        if isinstance(name_or_scope, VariableScope):
            full = name_or_scope.name
            base = name_or_scope
            ns_name = name_or_scope.original_name_scope or None
        else:
            if name_or_scope is not None:
                short = name_or_scope
            else:
                prefix = parent.name + "/" if parent.name else ""
                short = _unique_scope_name(st, prefix + default_name)[len(prefix):]
            full = parent.name + "/" + short if parent.name else short
            base = parent
            ns_name = short
        new_reuse = parent.reuse if reuse is None else reuse
        if isinstance(name_or_scope, VariableScope) and reuse is None:
            new_reuse = name_or_scope.reuse or parent.reuse
        with contextlib.ExitStack() as stack:
            if auxiliary_name_scope:
                scope_str = stack.enter_context(g.name_scope(ns_name))
            else:
                scope_str = (g.get_name_scope() + "/") if g.get_name_scope() else ""
            scope = VariableScope(
                new_reuse, full,
                initializer if initializer is not None else base.initializer,
                regularizer if regularizer is not None else base.regularizer,
                dtype if dtype is not None else base.dtype,
                scope_str, constraint if constraint is not None else base.constraint,
                custom_getter if custom_getter is not None else base.custom_getter)
            stack.enter_context(_scope_as_current(scope))
            yield scope


# TF 1.x's other names for it
variable_op_scope = variable_scope


def _default_initializer(dtype):
    from jitgraph import initializers
    if dtype.is_floating:
        return initializers.glorot_uniform_initializer()
    if dtype.is_integer or dtype.is_bool or dtype.name == "string":
        return initializers.zeros_initializer()
    raise ValueError(f"An initializer for variable of type {dtype.name} is required")


def _call_initializer(init, shape, dtype):
    try:
        params = inspect.signature(init).parameters
    except (TypeError, ValueError):
        params = {}
    if "partition_info" in params or any(p.kind == p.VAR_KEYWORD for p in params.values()):
        return init(shape, dtype=dtype, partition_info=None)
    return init(shape, dtype=dtype)


def get_variable(name, shape=None, dtype=None, initializer=None, regularizer=None,
                 trainable=None, collections=None, caching_device=None, partitioner=None,
                 validate_shape=True, use_resource=None, custom_getter=None, constraint=None,
                 synchronization=None, aggregation=None):
    """Gets the variable `scope/name`, creating it unless the scope reuses variables."""
    from jitgraph.variables import Variable
    st = _store()
    scope = st.scope
    full = scope.name + "/" + name if scope.name else name
    reuse = scope.reuse
    existing = st.vars.get(full)
    if existing is not None and reuse in (True, AUTO_REUSE):
        if shape is not None and not existing.shape.is_compatible_with(TensorShape(shape)):
            raise ValueError(f"Trying to share variable {full}, but specified shape "
                             f"{TensorShape(shape)} and found shape {existing.shape}.")
        if dtype is not None and dtypes.as_dtype(dtype) != existing.dtype:
            raise ValueError(f"Trying to share variable {full}, but specified dtype "
                             f"{dtypes.as_dtype(dtype).name} and found dtype "
                             f"{existing.dtype.name}.")
        return existing
    if existing is not None:
        raise ValueError(f"Variable {full} already exists, disallowed. Did you mean to set "
                         "reuse=True or reuse=tf.AUTO_REUSE in VarScope?")
    if reuse is True:
        raise ValueError(f"Variable {full} does not exist, or was not created with "
                         "tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in "
                         "VarScope?")
    if initializer is None:
        initializer = scope.initializer
    dtype = dtypes.as_dtype(dtype) if dtype is not None else scope.dtype
    if initializer is not None and not callable(initializer):
        # A value (Tensor, array, number) initializes the variable directly.
        if isinstance(initializer, Tensor):
            if shape is not None and validate_shape:
                raise ValueError("If initializer is a constant, do not specify shape.")
            init_val = initializer
            dtype = initializer.dtype
        else:
            value = np.asarray(initializer)
            if shape is not None and TensorShape(shape) != TensorShape(value.shape):
                raise ValueError("If initializer is a constant, do not specify shape.")
            init_val = value.astype(dtype.as_numpy_dtype)
    else:
        if shape is None:
            raise ValueError(f"Shape of a new variable ({full}) must be fully defined, but "
                             "instead was <unknown>.")
        shape = TensorShape(shape)
        if not shape.is_fully_defined():
            raise ValueError(f"Shape of a new variable ({full}) must be fully defined, but "
                             f"instead was {shape}.")
        init = initializer if initializer is not None else _default_initializer(dtype)
        dims = shape.as_list()

        def init_val():
            return _call_initializer(init, dims, dtype)
    g = get_default_graph()
    with g.name_scope(None):
        v = Variable(init_val, trainable=True if trainable is None else trainable,
                     collections=collections, validate_shape=validate_shape, name=full,
                     dtype=dtype, constraint=constraint)
    st.vars[full] = v
    reg = regularizer if regularizer is not None else scope.regularizer
    if reg is not None:
        with g.name_scope(None), g.name_scope(full + "/Regularizer/"):
            loss = reg(v)
        if loss is not None:
            g.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)
    return v


def no_regularizer(_):
    return None
