"""`tf.Variable`: a VariableV2 op (the Session-owned buffer), its initializer (an Assign)
and its snapshot (an Identity named `read` that every use reads through), as in TF 1.x.

Collections, initializers of many variables, and the uninitialized-variable queries
live here too; `get_variable`/`variable_scope` are in `variable_scope.py`.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.framework.graph import GraphKeys, Tensor, get_default_graph
from jitgraph.framework.tensor_shape import TensorShape
from jitgraph.ops import state_ops
from jitgraph.ops.array_ops import group, identity
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.registry import make_tensor, register


class Variable:
    """A mutable tensor whose value lives in each Session until it is assigned again."""

    def __init__(self, initial_value=None, trainable=None, collections=None,
                 validate_shape=True, caching_device=None, name=None, variable_def=None,
                 dtype=None, expected_shape=None, import_scope=None, constraint=None,
                 use_resource=None, synchronization=None, aggregation=None, shape=None):
        from jitgraph.ops.api import name_scope
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        trainable = True if trainable is None else bool(trainable)
        if collections is None:
            collections = [GraphKeys.GLOBAL_VARIABLES]
        collections = list(collections)
        if trainable and GraphKeys.TRAINABLE_VARIABLES not in collections:
            collections.append(GraphKeys.TRAINABLE_VARIABLES)
        g = get_default_graph()
        with g.control_dependencies(None), name_scope(name, "Variable") as scope:
            if callable(initial_value):
                with name_scope("Initializer"):
                    initial_value = initial_value()
            self._initial_value = convert_to_tensor(initial_value, dtype=dtype,
                                                    name="initial_value")
            if dtype is not None and self._initial_value.dtype != dtypes.as_dtype(dtype):
                raise TypeError(f"initial_value has dtype {self._initial_value.dtype.name}, "
                                f"expected {dtypes.as_dtype(dtype).name}")
            vshape = self._initial_value.shape if shape is None else TensorShape(shape)
            if validate_shape and not vshape.is_fully_defined():
                raise ValueError(f"initial_value must have a shape specified: "
                                 f"{self._initial_value}")
            self._variable = state_ops.variable_op(
                vshape if validate_shape else TensorShape(None),
                self._initial_value.dtype, name=scope)
            self._initializer_op = state_ops.assign(
                self._variable, self._initial_value, validate_shape=validate_shape,
                name="Assign").op
            self._snapshot = identity(self._variable, name="read")
        self._trainable = trainable
        self._constraint = constraint
        self._save_slice_info = None
        g.add_to_collections(collections, self)

    # -- what it is ------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._variable.name

    @property
    def op(self):
        return self._variable.op

    @property
    def dtype(self):
        return self._variable.dtype

    @property
    def shape(self) -> TensorShape:
        return self._variable.shape

    def get_shape(self) -> TensorShape:
        return self.shape

    @property
    def graph(self):
        return self._variable.graph

    @property
    def device(self) -> str:
        return ""

    @property
    def trainable(self) -> bool:
        return self._trainable

    @property
    def constraint(self):
        return self._constraint

    @property
    def initializer(self):
        return self._initializer_op

    @property
    def initial_value(self) -> Tensor:
        return self._initial_value

    def __repr__(self):
        return (f"<tf.Variable '{self.name}' shape={self.shape} "
                f"dtype={self.dtype.name}_ref>")

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other

    def __iter__(self):
        raise TypeError("'Variable' object is not iterable.")

    # -- reading ---------------------------------------------------------------------
    def value(self) -> Tensor:
        return self._snapshot

    def _ref(self) -> Tensor:
        return self._variable

    def _as_graph_element(self):
        return self._snapshot

    def read_value(self) -> Tensor:
        return identity(self._variable, name="read")

    def initialized_value(self) -> Tensor:
        """The value if initialized, else the initial value (for initializing others)."""
        return make_tensor("VarValueOrInit", [self._initial_value], self.dtype,
                           {"var": self.op}, name="cond")

    def eval(self, session=None):
        return self._snapshot.eval(session=session)

    def load(self, value, session=None):
        """Writes `value` into the variable in `session` without adding ops to the graph."""
        from jitgraph.framework.graph import get_default_session
        sess = session or get_default_session()
        if sess is None:
            raise ValueError("Either session argument should be provided or the default "
                             "session should be set.")
        if sess._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        value = np.asarray(value, dtype=self.dtype.as_numpy_dtype)
        if self.shape.is_fully_defined() and tuple(self.shape.as_list()) != value.shape:
            raise ValueError(f"Cannot load value of shape {value.shape} into variable "
                             f"{self.op.name} of shape {self.shape}")
        sess._state.assign(self.op, value)

    # -- writing ---------------------------------------------------------------------
    def assign(self, value, use_locking=False, name=None, read_value=True):
        t = state_ops.assign(self._variable, value, use_locking=use_locking, name=name)
        return t if read_value else t.op

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        t = state_ops.assign_add(self._variable, delta, use_locking=use_locking, name=name)
        return t if read_value else t.op

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        t = state_ops.assign_sub(self._variable, delta, use_locking=use_locking, name=name)
        return t if read_value else t.op

    def set_shape(self, shape):
        self._variable.set_shape(shape)


VariableV1 = Variable
RefVariable = Variable


def _install_operators():
    """A Variable takes part in arithmetic through its snapshot, like a Tensor."""
    names = ["add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
             "xor"]
    dunders = [f"__{n}__" for n in names] + [f"__r{n}__" for n in names]
    dunders += ["__lt__", "__le__", "__gt__", "__ge__", "__neg__", "__abs__", "__invert__",
                "__getitem__"]
    for d in dunders:  # looked up per call: Tensor's operators are installed later
        setattr(Variable, d, (lambda n: lambda self, *a: getattr(Tensor, n)(self._snapshot,
                                                                            *a))(d))


# -- ops of their own -------------------------------------------------------------------------
def _value_or_init(k, init):
    var = k.attrs["var"]
    state = k.state
    return state.vars[var] if var in state.initialized else init


_HOST = "reads the Session's record of initialized variables"  # why these ops have no compiled form
register("VarValueOrInit", shape=lambda s: [s.shapes[0]], numpy=_value_or_init, host=_HOST,
         stateful=True)
register("IsVariableInitialized", shape=lambda s: [()],
         numpy=lambda k: np.bool_(k.attrs["var"] in k.state.initialized), host=_HOST,
         stateful=True)


def _uninitialized_names(k):
    return np.array([op.name.encode() for op in k.attrs["vars"]
                     if op not in k.state.initialized], dtype=object)


register("ReportUninitializedVariables", shape=lambda s: [(None,)],
         numpy=_uninitialized_names, host=_HOST, stateful=True)


def is_variable_initialized(variable):
    return make_tensor("IsVariableInitialized", [], dtypes.bool, {"var": variable.op},
                       name="IsVariableInitialized")


def report_uninitialized_variables(var_list=None, name="report_uninitialized_variables"):
    if var_list is None:
        var_list = global_variables() + local_variables()
    return make_tensor("ReportUninitializedVariables", [], dtypes.string,
                       {"vars": [v.op for v in var_list]}, name=name)


# -- collections and initializers -----------------------------------------------------------------
def _collection(key, scope=None):
    return get_default_graph().get_collection(key, scope)


def global_variables(scope=None):
    return _collection(GraphKeys.GLOBAL_VARIABLES, scope)


all_variables = global_variables


def local_variables(scope=None):
    return _collection(GraphKeys.LOCAL_VARIABLES, scope)


def trainable_variables(scope=None):
    return _collection(GraphKeys.TRAINABLE_VARIABLES, scope)


def model_variables(scope=None):
    return _collection(GraphKeys.MODEL_VARIABLES, scope)


def moving_average_variables(scope=None):
    return _collection(GraphKeys.MOVING_AVERAGE_VARIABLES, scope)


def variables_initializer(var_list, name="init"):
    """One op that initializes `var_list` (those existing now: it is a list, not a query)."""
    var_list = list(var_list)
    if var_list:
        return group(*[v.initializer for v in var_list], name=name)
    from jitgraph.ops.array_ops import no_op
    return no_op(name=name)


initialize_variables = variables_initializer


def global_variables_initializer():
    return variables_initializer(global_variables())


initialize_all_variables = global_variables_initializer


def local_variables_initializer():
    return variables_initializer(local_variables())


initialize_local_variables = local_variables_initializer


def assert_variables_initialized(var_list=None):
    """A bool tensor: whether every variable in `var_list` (default: all) is initialized."""
    from jitgraph.ops.array_ops import stack
    from jitgraph.ops.reduction_ops import reduce_all
    var_list = global_variables() if var_list is None else var_list
    if not var_list:
        return None
    return reduce_all(stack([is_variable_initialized(v) for v in var_list]))


_install_operators()
