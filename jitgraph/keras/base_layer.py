"""The Keras `Layer` in a TF 1.x graph: named at construction (dense, dense_1, ... per
graph), built on its first call under a name scope of its name, its weights plain
`tf.Variable`s named `<scopes>/<layer>/<weight>` (not `get_variable`: Keras layers
never share through variable scopes).

Each call records a node (the layer, its input tensors, its keyword arguments) for its
output tensors, so a functional `Model` can replay the calls on new inputs.
"""
from __future__ import annotations

import inspect

from jitgraph.framework import dtypes
from jitgraph.framework.graph import get_default_graph
from jitgraph.framework.tensor_shape import TensorShape
from jitgraph.keras import backend as K
from jitgraph.keras import initializers, regularizers
from jitgraph.layers import base as _tf_base
from jitgraph.ops.constant import convert_to_tensor

_LAYER_KWARGS = {"input_shape", "batch_input_shape", "batch_size", "weights",
                 "activity_regularizer", "autocast", "dynamic", "input_dim", "input_length"}


def nodes():
    """output tensor -> (layer, inputs, kwargs) for the default graph's Keras calls."""
    return get_default_graph()._py_state.setdefault("keras_nodes", {})


class Layer(_tf_base.Layer):
    """Subclasses implement `build(input_shape)` and `call(inputs, [training])`."""

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        bad = set(kwargs) - _LAYER_KWARGS
        if bad:
            raise TypeError(f"('Keyword argument not understood:', '{sorted(bad)[0]}')")
        super().__init__(trainable=trainable, name=None, dtype=dtype)
        self._name = name or K.unique_object_name(_tf_base._snake(type(self).__name__))
        self._initial_weights = list(kwargs.get("weights") or ())
        self.activity_regularizer = regularizers.get(kwargs.get("activity_regularizer"))
        shape = kwargs.get("batch_input_shape")
        if shape is None and kwargs.get("input_shape") is not None:
            shape = (kwargs.get("batch_size"),) + tuple(kwargs["input_shape"])
        elif shape is None and kwargs.get("input_dim") is not None:
            shape = (kwargs.get("batch_size"), kwargs["input_dim"])
        self._batch_input_shape = None if shape is None else tuple(shape)
        self._inbound = []   # (inputs, outputs) of each call

    @property
    def name(self):
        return self._name

    @property
    def scope_name(self):
        return self._name

    def add_weight(self, name=None, shape=None, dtype=None, initializer=None, regularizer=None,
                   trainable=True, constraint=None, **kwargs):
        from jitgraph.variables import Variable
        dtype = dtypes.as_dtype(dtype or self._dtype or K.floatx())
        if self._initial_weights:  # `weights=[...]` given to the constructor, in order
            init = initializers.Constant(self._initial_weights.pop(0))
        else:
            init = initializers.get(initializer) or (
                initializers.GlorotUniform() if dtype.is_floating else initializers.Zeros())
        shape = [int(d) for d in TensorShape(shape).as_list()]
        trainable = trainable and self.trainable
        v = Variable(lambda: init(shape, dtype), name=name, trainable=trainable, dtype=dtype,
                     constraint=constraint)
        regularizer = regularizers.get(regularizer)
        if regularizer is not None:
            g = get_default_graph()
            with g.name_scope(name + "/Regularizer"):
                self._losses.append(regularizer(v.value()))
        (self._trainable_weights if trainable else self._non_trainable_weights).append(v)
        return v

    def _call_takes(self, arg):
        try:
            return arg in inspect.signature(self.call).parameters
        except (TypeError, ValueError):
            return False

    def __call__(self, inputs, *args, **kwargs):
        g = get_default_graph()
        recorded = dict(kwargs)  # a model replaying this call resolves `training` anew
        if self._call_takes("training") and kwargs.get("training") is None:
            phase = K.learning_phase()
            kwargs["training"] = bool(phase) if isinstance(phase, int) else phase
        with g.name_scope(self._name):
            if not self.built:
                self._maybe_build(inputs)
            out = self.call(_to_tensors(inputs), *args, **kwargs)
            if self.activity_regularizer is not None:
                with g.name_scope("ActivityRegularizer"):
                    for o in _flat(out):
                        n = _batch(o)
                        self._losses.append(self.activity_regularizer(o) / n)
        self._record(inputs, out, args, recorded)
        return out

    def _maybe_build(self, inputs):
        flat = [convert_to_tensor(x) for x in _flat(inputs)]
        if self._dtype is None:
            self._dtype = (flat[0].dtype if flat and flat[0].dtype.is_floating
                           else dtypes.as_dtype(K.floatx()))
        shapes = [x.shape for x in flat]
        self.build(shapes if isinstance(inputs, (list, tuple)) else shapes[0])
        self.built = True

    def _record(self, inputs, out, args, kwargs):
        self._inbound.append((inputs, out))
        table = nodes()
        for o in _flat(out):
            table[o] = (self, inputs, args, kwargs)

    # -- weights as numpy ------------------------------------------------------------------
    def get_weights(self):
        return K.batch_get_value(self.weights)

    def set_weights(self, weights):
        params = self.weights
        if len(params) != len(weights):
            raise ValueError(f"You called `set_weights(weights)` on layer \"{self.name}\" with "
                             f"a weight list of length {len(weights)}, but the layer was "
                             f"expecting {len(params)} weights.")
        K.batch_set_value(list(zip(params, weights)))

    # -- structure ---------------------------------------------------------------------------
    @property
    def input(self):
        return self._inbound[0][0] if self._inbound else None

    @property
    def output(self):
        if not self._inbound:
            raise AttributeError(f"Layer {self.name} has no inbound nodes.")
        return self._inbound[0][1]

    @property
    def input_shape(self):
        x = self.input
        return None if x is None else K.int_shape(x)

    @property
    def output_shape(self):
        return K.int_shape(self.output)

    def count_params(self):
        import numpy as np
        return int(sum(np.prod(v.shape.as_list()) for v in self.weights))

    def compute_output_shape(self, input_shape):
        from jitgraph.ops.constant import placeholder
        g = get_default_graph()
        with g.as_default(), g.name_scope("compute_output_shape"):
            x = placeholder(self._dtype or K.floatx(), input_shape)
            return self.call(x).shape

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}


def _flat(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _to_tensors(x):
    if isinstance(x, (list, tuple)):
        return [convert_to_tensor(t) for t in x]
    return convert_to_tensor(x)


def _batch(t):
    from jitgraph.ops import math_ops
    from jitgraph.ops.array_ops import shape
    return math_ops.cast(shape(t)[0], t.dtype)
