"""`Graph`, `Operation` and `Tensor`: the program a Session runs.

A Graph only describes computation; values and state live in a Session. Op
behaviour (shape rules, kernels, gradients) lives in `jitgraph.ops`; this module
knows nothing of it, so ops are created through `Graph._create_op` with shapes
already inferred by the caller.
"""
from __future__ import annotations

import contextlib
import itertools
import re
import sys
import threading

from jitgraph.framework import dtypes as _dtypes
from jitgraph.framework.tensor_shape import TensorShape, as_shape

_VALID_OP_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\-/>]*$")
_VALID_SCOPE_NAME = re.compile(r"^[A-Za-z0-9_.\-/>]*$")
DEFAULT_GRAPH_SEED = 87654321


class GraphKeys:
    """Standard collection names, as in `tf.GraphKeys`."""

    GLOBAL_VARIABLES = "variables"
    LOCAL_VARIABLES = "local_variables"
    MODEL_VARIABLES = "model_variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    SUMMARIES = "summaries"
    QUEUE_RUNNERS = "queue_runners"
    TABLE_INITIALIZERS = "table_initializer"
    ASSET_FILEPATHS = "asset_filepaths"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"
    REGULARIZATION_LOSSES = "regularization_losses"
    CONCATENATED_VARIABLES = "concatenated_variables"
    SAVERS = "savers"
    WEIGHTS = "weights"
    BIASES = "biases"
    ACTIVATIONS = "activations"
    UPDATE_OPS = "update_ops"
    LOSSES = "losses"
    SAVEABLE_OBJECTS = "saveable_objects"
    RESOURCES = "resources"
    LOCAL_RESOURCES = "local_resources"
    TRAINABLE_RESOURCE_VARIABLES = "trainable_resource_variables"
    INIT_OP = "init_op"
    LOCAL_INIT_OP = "local_init_op"
    READY_OP = "ready_op"
    READY_FOR_LOCAL_INIT_OP = "ready_for_local_init_op"
    SUMMARY_OP = "summary_op"
    GLOBAL_STEP = "global_step"
    EVAL_STEP = "eval_step"
    TRAIN_OP = "train_op"
    COND_CONTEXT = "cond_context"
    WHILE_CONTEXT = "while_context"
    ITERATORS = "iterators"


class Tensor:
    """A handle to one output of an Operation. It holds no value; `Session.run` computes one."""

    # Make numpy defer to our reflected operators (`np.float32(2) * t`).
    __array_priority__ = 100

    __slots__ = ("_op", "_value_index", "_dtype", "_shape", "_id", "__weakref__")

    def __init__(self, op: Operation, value_index: int, dtype, shape):
        self._op = op
        self._value_index = value_index
        self._dtype = _dtypes.as_dtype(dtype)
        self._shape = as_shape(shape)
        self._id = next(_tensor_ids)

    @property
    def op(self) -> Operation:
        return self._op

    @property
    def value_index(self) -> int:
        return self._value_index

    @property
    def dtype(self):
        return self._dtype

    @property
    def graph(self) -> Graph:
        return self._op._graph

    @property
    def name(self) -> str:
        return f"{self._op.name}:{self._value_index}"

    @property
    def device(self) -> str:
        return ""

    @property
    def shape(self) -> TensorShape:
        return self._shape

    def get_shape(self) -> TensorShape:
        return self._shape

    def set_shape(self, shape):
        """Merges `shape` into the static shape; raises ValueError if incompatible."""
        self._shape = self._shape.merge_with(as_shape(shape))

    def consumers(self) -> list:
        return [op for op in self.graph._ops if self in op._inputs]

    def eval(self, feed_dict=None, session=None):
        """Runs this tensor in `session` (default: the default session) and returns its value."""
        return _run_in_session(self, feed_dict, session)

    def __repr__(self):
        return f'Tensor("{self.name}", shape={self._shape}, dtype={self._dtype.name})'

    def __str__(self):
        return self.__repr__()

    # TF 1.x compares tensors by identity (`tf.equal` is the elementwise op), so the
    # default object __eq__/__hash__ are kept: they are C-fast, and plan caches and
    # feed dicts hash tensors on every run.

    def __bool__(self):
        raise TypeError(
            "Using a `tf.Tensor` as a Python `bool` is not allowed. Use `if t is not None:` "
            "instead of `if t:` to test if a tensor is defined, and use TensorFlow ops such as "
            "tf.cond to execute subgraphs conditioned on the value of a tensor.")

    def __iter__(self):  # ops/overloads.py sets the real one: unstacking builds ops
        raise TypeError("Tensor objects are only iterable when eager execution is enabled. "
                        "To iterate over this tensor use tf.map_fn.")

    def __len__(self):
        raise TypeError(f"len is not well defined for symbolic Tensors. ({self.name}) Please "
                        "call `x.shape` rather than `len(x)` for shape information.")

    # Python operators (+, *, [], ...) are installed by jitgraph.ops.overloads.


_tensor_ids = itertools.count(1)
_op_ids = itertools.count(1)


def _user_site():
    """(file, line) of the innermost caller outside jitgraph: where the user built an op,
    for TF's `defined at ...` in run errors. A frame walk (no traceback objects, no
    source lines read): about 0.4 us per jitgraph frame above the user's, a sixth of an
    op's creation."""
    f = sys._getframe(1)
    while f is not None:
        mod = f.f_globals.get("__name__", "")
        if not (mod.startswith("jitgraph.") or mod == "jitgraph"):
            return f.f_code.co_filename, f.f_lineno
        f = f.f_back
    return None


class Operation:
    """A node of the graph: a type, named inputs, attributes and output tensors."""

    def __init__(self, graph: Graph, op_type: str, name: str, inputs, attrs,
                 output_dtypes, output_shapes, control_inputs):
        self._graph = graph
        self._type = op_type
        self._name = name
        self._inputs = list(inputs)
        self._attrs = dict(attrs or {})
        self._control_inputs = list(control_inputs)
        self._outputs = [Tensor(self, i, dt, sh)
                         for i, (dt, sh) in enumerate(zip(output_dtypes, output_shapes))]
        self._id = next(_op_ids)
        self._site = _user_site()
        # Python-side objects an op needs at run time (a Dataset, a table's
        # initializer data, ...) that are not graph attrs.
        self._py = {}

    @property
    def name(self) -> str:
        return self._name

    @property
    def type(self) -> str:
        return self._type

    @property
    def graph(self) -> Graph:
        return self._graph

    @property
    def inputs(self) -> list:
        return list(self._inputs)

    @property
    def outputs(self) -> list:
        return list(self._outputs)

    @property
    def control_inputs(self) -> list:
        return list(self._control_inputs)

    @property
    def device(self) -> str:
        return ""

    @property
    def attrs(self) -> dict:
        return self._attrs

    def get_attr(self, name):
        if name not in self._attrs:
            raise ValueError(f"Operation '{self._name}' has no attr named '{name}'.")
        return self._attrs[name]

    def values(self):
        return tuple(self._outputs)

    def _add_control_input(self, op):
        if op not in self._control_inputs:
            self._control_inputs.append(op)

    def run(self, feed_dict=None, session=None):
        """Runs this op in `session` (default: the default session)."""
        _run_in_session(self, feed_dict, session)

    def __repr__(self):
        return f"<tf.Operation '{self._name}' type={self._type}>"



class Graph:
    """A TensorFlow computation: Operations joined by Tensors, plus collections."""

    def __init__(self):
        self._ops: list[Operation] = []
        self._ops_by_name: dict[str, Operation] = {}
        self._names_in_use: dict[str, int] = {}
        self._name_stack = ""
        self._control_dependencies_stack: list[list] = []
        self._collections: dict[str, list] = {}
        self._finalized = False
        self._seed = None
        self._lock = threading.RLock()
        self._version = 0
        # Per-graph state for API modules (variable scopes, layer name counters, ...).
        self._py_state: dict = {}

    # -- building ------------------------------------------------------------
    def _create_op(self, op_type, inputs, attrs, output_dtypes, output_shapes, name=None,
                   control_inputs=()):
        with self._lock:
            if self._finalized:
                raise RuntimeError("Graph is finalized and cannot be modified.")
            for t in inputs:
                if t.graph is not self:
                    raise ValueError(f"Tensor {t!r} must be from the same graph as "
                                     f"the op being created ({op_type}).")
            if name and name.endswith("/"):
                name = name[:-1]  # a scope name ends in '/': TF uses it as-is
            else:
                name = self.unique_name(name or op_type)
            ctrl = list(control_inputs)
            for frame in self._control_dependencies_stack:
                for c in frame:
                    if c not in ctrl:
                        ctrl.append(c)
            op = Operation(self, op_type, name, inputs, attrs, output_dtypes, output_shapes, ctrl)
            self._ops.append(op)
            self._ops_by_name[name] = op
            self._version += 1
            return op

    def unique_name(self, name: str, mark_as_used: bool = True) -> str:
        """Returns `name` under the current name scope, made unique ('add', 'add_1', ...)."""
        if self._name_stack:
            name = self._name_stack + "/" + name
        key = name.lower()
        count = self._names_in_use.get(key, 0)
        if mark_as_used:
            self._names_in_use[key] = count + 1
        if count > 0:
            base = key
            while key in self._names_in_use:
                key = f"{base}_{count}"
                count += 1
            if mark_as_used:
                self._names_in_use[key] = 1
            name = f"{name}_{count - 1}"
        return name

    def _reserve_names(self, names):
        """Marks op names as used, so that `unique_name` makes no op of those names
        (an import creates its ops by their names, in an order of its own)."""
        for n in names:
            key = n.lower()
            self._names_in_use[key] = max(self._names_in_use.get(key, 0), 1)

    def _set_op_name(self, op, name):
        """Renames an op of this graph (an import names a lowered node's main op)."""
        with self._lock:
            if self._ops_by_name.get(op._name) is op:
                del self._ops_by_name[op._name]
            op._name = name
            self._ops_by_name[name] = op

    def get_name_scope(self) -> str:
        return self._name_stack

    @contextlib.contextmanager
    def name_scope(self, name):
        """Pushes a name scope; yields the scope string ending in '/' (or '' at the root)."""
        old = self._name_stack
        if name is None or name == "":
            new = ""
        elif isinstance(name, str) and name.endswith("/"):
            new = name[:-1]  # an absolute scope re-entered as-is
        else:
            if not _VALID_SCOPE_NAME.match(name):
                raise ValueError(f"'{name}' is not a valid scope name")
            new = self.unique_name(name)
        self._name_stack = new
        try:
            yield (new + "/") if new else ""
        finally:
            self._name_stack = old

    @contextlib.contextmanager
    def device(self, device_name_or_function):
        """Placement is accepted and ignored: every op runs on the CPU."""
        yield

    @contextlib.contextmanager
    def control_dependencies(self, control_inputs):
        """Ops created inside run after every op (or tensor's op) in `control_inputs`."""
        if control_inputs is None:
            saved = self._control_dependencies_stack
            self._control_dependencies_stack = []
            try:
                yield
            finally:
                self._control_dependencies_stack = saved
            return
        ops = []
        for c in control_inputs:
            if hasattr(c, "op") and not isinstance(c, Operation):
                c = c.op  # a Tensor, or an object with an .op (e.g. a Variable)
            if not isinstance(c, Operation):
                raise TypeError(f"Control input must be Operation or Tensor: {c}")
            ops.append(c)
        self._control_dependencies_stack.append(ops)
        try:
            yield
        finally:
            self._control_dependencies_stack.pop()

    @contextlib.contextmanager
    def as_default(self):
        """Makes this graph the default graph inside the `with` block."""
        _graph_stack().append(self)
        try:
            yield self
        finally:
            _graph_stack().pop()

    def finalize(self):
        self._finalized = True

    @property
    def finalized(self) -> bool:
        return self._finalized

    def _unsafe_unfinalize(self):
        self._finalized = False

    @property
    def seed(self):
        return self._seed

    @seed.setter
    def seed(self, value):
        self._seed = value

    @property
    def version(self) -> int:
        return self._version

    def as_graph_def(self, from_version=None, add_shapes=False):
        """The graph as a TensorFlow `GraphDef` proto that TF 1.x and `import_graph_def`
        read (needs the `tensorboard` extra)."""
        from jitgraph.graph_io.export import graph_def
        return graph_def(self, add_shapes=add_shapes)

    @property
    def building_function(self) -> bool:
        return False

    # -- lookup --------------------------------------------------------------
    def get_operations(self) -> list:
        return list(self._ops)

    def get_operation_by_name(self, name: str) -> Operation:
        if not isinstance(name, str):
            raise TypeError(f"Operation names are strings (or similar), not {type(name).__name__}.")
        op = self._ops_by_name.get(name)
        if op is None:
            raise KeyError(f"The name {name!r} refers to an Operation not in the graph.")
        return op

    def get_tensor_by_name(self, name: str) -> Tensor:
        if not isinstance(name, str):
            raise TypeError(f"Tensor names are strings (or similar), not {type(name).__name__}.")
        return self.as_graph_element(name, allow_tensor=True, allow_operation=False)

    def as_graph_element(self, obj, allow_tensor=True, allow_operation=True):
        """Resolves a Tensor, Operation or name ('add', 'add:0') to an element of this graph."""
        if isinstance(obj, Tensor) and allow_tensor:
            if obj.graph is not self:
                raise ValueError(f"Tensor {obj} is not an element of this graph.")
            return obj
        if isinstance(obj, Operation) and allow_operation:
            if obj.graph is not self:
                raise ValueError(f"Operation {obj} is not an element of this graph.")
            return obj
        if hasattr(obj, "_as_graph_element"):
            return self.as_graph_element(obj._as_graph_element(), allow_tensor, allow_operation)
        if isinstance(obj, str):
            if ":" in obj and allow_tensor:
                op_name, _, idx = obj.rpartition(":")
                try:
                    idx = int(idx)
                except ValueError:
                    raise ValueError(f"The name {obj!r} looks a like a Tensor name, but is not "
                                     "a valid one.") from None
                op = self._ops_by_name.get(op_name)
                if op is None:
                    raise KeyError(f"The name {obj!r} refers to a Tensor which does not exist. "
                                   f"The operation, {op_name!r}, does not exist in the graph.")
                if idx >= len(op._outputs):
                    raise KeyError(f"The name {obj!r} refers to a Tensor which does not exist. "
                                   f"The operation, {op_name!r}, exists but only has "
                                   f"{len(op._outputs)} outputs.")
                return op._outputs[idx]
            if allow_operation:
                op = self._ops_by_name.get(obj)
                if op is None:
                    raise KeyError(f"The name {obj!r} refers to an Operation not in the graph.")
                return op
            if obj in self._ops_by_name:
                raise ValueError(f"The name {obj!r} appears to refer to an Operation, not a "
                                 "Tensor. Tensor names must be of the form \"<op_name>:<output_"
                                 "index>\".")
            raise KeyError(f"The name {obj!r} refers to an Operation not in the graph.")
        kinds = "Tensor or Operation" if allow_tensor and allow_operation else (
            "Tensor" if allow_tensor else "Operation")
        raise TypeError(f"Can not convert a {type(obj).__name__} into a {kinds}.")

    # -- collections ---------------------------------------------------------
    def add_to_collection(self, name, value):
        self._collections.setdefault(name, []).append(value)

    def add_to_collections(self, names, value):
        names = (names,) if isinstance(names, str) else set(names)
        for n in names:
            self.add_to_collection(n, value)

    def get_collection_ref(self, name) -> list:
        return self._collections.setdefault(name, [])

    def get_collection(self, name, scope=None) -> list:
        items = list(self._collections.get(name, []))
        if scope is None:
            return items
        pattern = re.compile(scope)
        return [x for x in items if hasattr(x, "name") and pattern.match(x.name)]

    def get_all_collection_keys(self) -> list:
        return [k for k, v in self._collections.items() if v]

    def clear_collection(self, name):
        self._collections.pop(name, None)

    def __repr__(self):
        return f"<jitgraph.Graph object at {id(self):#x}>"


# -- default graph and default session ----------------------------------------
_global_default_graph = Graph()
_local = threading.local()


def _graph_stack() -> list:
    if not hasattr(_local, "graphs"):
        _local.graphs = []
    return _local.graphs


def graph_of(values, default=None):
    """The graph of the first of `values` that has one (TF's `values=` arguments)."""
    for v in values or ():
        g = getattr(v, "graph", None)
        if g is not None:
            return g
    return default if default is not None else get_default_graph()


def get_default_graph() -> Graph:
    stack = _graph_stack()
    return stack[-1] if stack else _global_default_graph


def reset_default_graph():
    """Clears the default graph stack and makes a fresh global default graph."""
    global _global_default_graph
    if _graph_stack():
        raise AssertionError("Do not use tf.reset_default_graph() to clear nested graphs. If "
                             "you need a cleared graph, exit the nesting and create a new graph.")
    _global_default_graph = Graph()


def _session_stack() -> list:
    if not hasattr(_local, "sessions"):
        _local.sessions = []
    return _local.sessions


def get_default_session():
    stack = _session_stack()
    return stack[-1] if stack else None


def _run_in_session(fetch, feed_dict, session):
    if session is None:
        session = get_default_session()
        if session is None:
            what = "tensor" if isinstance(fetch, Tensor) else "operation"
            raise ValueError(f"Cannot evaluate {what} using `eval()`/`run()`: No default session "
                             "is registered. Use `with sess.as_default()` or pass an explicit "
                             "session to `eval(session=sess)`")
    if session.graph is not fetch.graph:
        raise ValueError("Cannot use the given session to evaluate tensor: the tensor's graph "
                         "is different from the session's graph.")
    return session.run(fetch, feed_dict)
