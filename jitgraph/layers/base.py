"""`tf.layers.Layer`: builds its variables on the first call, from the input's shape.

A layer owns one variable scope (`dense`, `dense_1`, ...); its variables are
`<scope>/<name>` made with `get_variable`, and every call's ops live under the
same scope, as in TF 1.x.
"""
from __future__ import annotations

import re

from jitgraph.framework import dtypes
from jitgraph.framework.graph import GraphKeys, get_default_graph
from jitgraph.ops.constant import convert_to_tensor


def _snake(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def _unique_layer_name(base: str) -> str:
    counts = get_default_graph()._py_state.setdefault("layer_names", {})
    n = counts.get(base, 0)
    counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


class Layer:
    """Base class: subclasses implement `build(input_shape)` and `call(inputs, ...)`."""

    def __init__(self, trainable=True, name=None, dtype=None, _scope=None, _reuse=None,
                 **kwargs):
        from jitgraph.variable_scope import variable_scope
        self.trainable = trainable
        self._name = name
        self._base_name = name or _snake(type(self).__name__)
        self._dtype = None if dtype is None else dtypes.as_dtype(dtype)
        self._reuse = _reuse
        self.built = False
        self._scope = None
        if _scope:  # the function forms pass their `name` here: that exact scope, as TF
            with variable_scope(_scope) as captured:
                self._scope = captured
        self._trainable_weights: list = []
        self._non_trainable_weights: list = []
        self._losses: list = []
        self._updates: list = []
        self.input_spec = None

    # -- naming ------------------------------------------------------------------------
    @property
    def name(self):
        if self._name is None:
            self._name = _unique_layer_name(_snake(type(self).__name__))
        return self._name

    @property
    def dtype(self):
        return self._dtype.name if self._dtype is not None else None

    @property
    def scope_name(self):
        if self._scope is None:
            raise ValueError("No name available for layer scope because the layer \""
                             f"{self.name}\" has not been used yet.")
        return self._scope.name

    # -- weights -------------------------------------------------------------------------
    @property
    def trainable_weights(self):
        return list(self._trainable_weights) if self.trainable else []

    @property
    def non_trainable_weights(self):
        if self.trainable:
            return list(self._non_trainable_weights)
        return self._trainable_weights + self._non_trainable_weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    variables = weights

    @property
    def losses(self):
        return list(self._losses)

    @property
    def updates(self):
        return list(self._updates)

    def add_loss(self, losses, inputs=None):
        self._losses.extend(losses if isinstance(losses, (list, tuple)) else [losses])

    def add_update(self, updates, inputs=None):
        self._updates.extend(updates if isinstance(updates, (list, tuple)) else [updates])

    def add_weight(self, name, shape, dtype=None, initializer=None, regularizer=None,
                   trainable=True, constraint=None, **kwargs):
        from jitgraph.variable_scope import get_variable
        dtype = dtypes.as_dtype(dtype or self._dtype or dtypes.float32)
        trainable = trainable and self.trainable
        g = get_default_graph()
        before = len(g.get_collection(GraphKeys.REGULARIZATION_LOSSES))
        v = get_variable(name, shape=shape, dtype=dtype, initializer=initializer,
                         regularizer=regularizer, trainable=trainable, constraint=constraint)
        self._losses.extend(g.get_collection(GraphKeys.REGULARIZATION_LOSSES)[before:])
        (self._trainable_weights if trainable else self._non_trainable_weights).append(v)
        return v

    # -- calling -----------------------------------------------------------------------------
    def build(self, input_shape):
        self.built = True

    def call(self, inputs, **kwargs):
        return inputs

    def compute_output_shape(self, input_shape):
        raise NotImplementedError

    def __call__(self, inputs, *args, **kwargs):
        from jitgraph.variable_scope import variable_scope
        g = get_default_graph()
        if self._scope is None:
            # TF 1.x: a reusing layer takes its base name as is; others get a unique
            # scope (dense, dense_1, ...), also when named.
            scope_cm = (variable_scope(self._base_name) if self._reuse
                        else variable_scope(None, default_name=self._base_name))
            with scope_cm as scope:
                self._scope = scope
            if self._name is None:
                self._name = scope.name.rsplit("/", 1)[-1]
        reuse = True if self.built else self._reuse
        with variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False), \
                g.name_scope(self._scope.original_name_scope or None):
            return self._build_and_call(inputs, args, kwargs)

    def _build_and_call(self, inputs, args, kwargs):
        if not self.built:
            x0 = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
            x0 = convert_to_tensor(x0)
            if self._dtype is None:
                self._dtype = x0.dtype if x0.dtype.is_floating else dtypes.float32
            self.build(x0.shape if not isinstance(inputs, (list, tuple))
                       else [convert_to_tensor(x).shape for x in inputs])
            self.built = True
        if not isinstance(inputs, (list, tuple)):
            inputs = convert_to_tensor(inputs)
        return self.call(inputs, *args, **kwargs)

    apply = __call__

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}


class InputSpec:
    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None):
        self.dtype, self.shape, self.ndim = dtype, shape, ndim
        self.max_ndim, self.min_ndim, self.axes = max_ndim, min_ndim, axes or {}

