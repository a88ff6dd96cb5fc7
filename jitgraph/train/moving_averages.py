"""`tf.train.ExponentialMovingAverage`: shadow variables that trail the trained ones.

shadow -= (1 - decay) * (shadow - value); with `num_updates`, decay is
min(decay, (1 + num_updates) / (10 + num_updates)), as in TF 1.x.
"""
from __future__ import annotations

from jitgraph.framework import dtypes
from jitgraph.framework.graph import GraphKeys, get_default_graph
from jitgraph.ops import math_ops
from jitgraph.ops.array_ops import group
from jitgraph.ops.constant import convert_to_tensor


class ExponentialMovingAverage:
    def __init__(self, decay, num_updates=None, zero_debias=False,
                 name="ExponentialMovingAverage"):
        self._decay, self._num_updates, self._name = decay, num_updates, name
        self._averages: dict = {}

    @property
    def name(self):
        return self._name

    def apply(self, var_list=None):
        """Creates the shadow variables (once) and returns the op that updates them all."""
        from jitgraph.ops.api import name_scope
        from jitgraph.variables import Variable
        g = get_default_graph()
        var_list = list(var_list if var_list is not None else g.get_collection(
            GraphKeys.TRAINABLE_VARIABLES))
        for v in var_list:
            if not v.dtype.is_floating:
                raise TypeError(f"The variables must be half, float, or double: {v.name}")
            if v in self._averages:
                continue
            init = v.initialized_value() if hasattr(v, "initialized_value") else v
            with g.name_scope(None), g.control_dependencies(None):
                self._averages[v] = Variable(init, trainable=False,
                                             name=f"{_op_name(v)}/{self._name}")
            g.add_to_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, v)
        with name_scope(self._name) as scope:
            decay = convert_to_tensor(self._decay, dtype=dtypes.float32, name="decay")
            if self._num_updates is not None:
                n = math_ops.cast(convert_to_tensor(self._num_updates), dtypes.float32)
                decay = math_ops.minimum(decay, (1.0 + n) / (10.0 + n))
            updates = []
            for v in var_list:
                avg = self._averages[v]
                d = decay if avg.dtype == dtypes.float32 else math_ops.cast(decay, avg.dtype)
                value = convert_to_tensor(v)
                updates.append(avg.assign_sub((avg.value() - value) * (1 - d)))
            return group(*updates, name=scope)

    def average(self, var):
        return self._averages.get(var)

    def average_name(self, var):
        return f"{_op_name(var)}/{self._name}"

    def variables_to_restore(self, moving_avg_variables=None):
        """{checkpoint name: variable}: each averaged variable restores from its shadow."""
        g = get_default_graph()
        averaged = set(moving_avg_variables if moving_avg_variables is not None else
                       g.get_collection(GraphKeys.MOVING_AVERAGE_VARIABLES))
        out = {}
        for v in g.get_collection(GraphKeys.GLOBAL_VARIABLES):
            if v in self._averages.values():
                continue
            out[self.average_name(v) if v in averaged else _op_name(v)] = v
        return out


def _op_name(v):
    return v.op.name
