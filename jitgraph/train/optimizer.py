"""`tf.train.Optimizer`: compute_gradients -> apply_gradients, with slot variables.

Each subclass states its update as ordinary graph ops writing through Assign ops;
the code generator fuses one parameter's whole update (moments, bias correction,
the step) into one loop with no temporaries, inside the compiled training step.
"""
from __future__ import annotations

from jitgraph.framework import dtypes
from jitgraph.framework.graph import GraphKeys, get_default_graph
from jitgraph.gradients import gradients
from jitgraph.ops import state_ops
from jitgraph.ops.array_ops import group
from jitgraph.ops.constant import convert_to_tensor


class Optimizer:
    """Base class: subclasses define `_create_slots`, `_prepare` and `_apply_dense`."""

    GATE_NONE, GATE_OP, GATE_GRAPH = 0, 1, 2

    def __init__(self, use_locking, name):
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking, self._name = use_locking, name
        self._slots: dict = {}          # slot name -> {var: slot var}
        self._non_slot: dict = {}       # (name, graph) -> Variable
        self._hyper: dict = {}          # (name, dtype) -> tensor

    def get_name(self):
        return self._name

    # -- the public steps ------------------------------------------------------------
    def minimize(self, loss, global_step=None, var_list=None, gate_gradients=GATE_OP,
                 aggregation_method=None, colocate_gradients_with_ops=False, name=None,
                 grad_loss=None):
        """Adds ops that update `var_list` (default: trainable variables) to lower `loss`."""
        grads_and_vars = self.compute_gradients(loss, var_list, gate_gradients,
                                                aggregation_method,
                                                colocate_gradients_with_ops, grad_loss)
        if not [v for g, v in grads_and_vars if g is not None]:
            raise ValueError(
                "No gradients provided for any variable, check your graph for ops that do "
                "not support gradients, between variables "
                f"{[str(v) for _, v in grads_and_vars]} and loss {loss}.")
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def compute_gradients(self, loss, var_list=None, gate_gradients=GATE_OP,
                          aggregation_method=None, colocate_gradients_with_ops=False,
                          grad_loss=None):
        if callable(loss):
            raise RuntimeError("`loss` passed to Optimizer.compute_gradients should be a "
                               "Tensor in graph mode, not a callable.")
        if gate_gradients not in (self.GATE_NONE, self.GATE_OP, self.GATE_GRAPH):
            raise ValueError(f"gate_gradients must be one of: Optimizer.GATE_NONE, "
                             f"Optimizer.GATE_OP, Optimizer.GATE_GRAPH.  Not {gate_gradients}")
        loss = convert_to_tensor(loss)
        if not loss.dtype.is_floating:
            raise ValueError(f"Invalid type {loss.dtype.name} for {loss.name}, expected: "
                             "[float32, float64, float16].")
        if var_list is None:
            g = loss.graph
            var_list = (g.get_collection(GraphKeys.TRAINABLE_VARIABLES)
                        + g.get_collection(GraphKeys.TRAINABLE_RESOURCE_VARIABLES))
        else:
            var_list = list(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        grads = gradients(loss, var_list, grad_ys=None if grad_loss is None else [grad_loss],
                          aggregation_method=aggregation_method)
        return list(zip(grads, var_list))

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """Adds the update ops; with `global_step`, increments it after them."""
        from jitgraph.ops.api import name_scope
        grads_and_vars = tuple(grads_and_vars)
        if not grads_and_vars:
            raise ValueError("No variables provided.")
        for _, v in grads_and_vars:
            if not hasattr(v, "_ref"):
                raise TypeError(f"Variable must be a tf.Variable: {v}")
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        if not pairs:
            raise ValueError("No gradients provided for any variable: "
                             f"{[(str(g), str(v)) for g, v in grads_and_vars]}.")
        graph = get_default_graph()
        with graph.control_dependencies(None):  # TF's init_scope: slots are graph-level
            self._create_slots([v for _, v in pairs])
        with name_scope(name, self._name) as scope:
            self._prepare()
            updates = []
            for grad, var in pairs:
                with name_scope("update_" + var.op.name):
                    grad = convert_to_tensor(grad)
                    updates.append(self._apply_dense(grad, var))
            if global_step is None:
                return self._finish(updates, scope)
            with graph.control_dependencies([self._finish(updates, "update")]):
                return state_ops.assign_add(global_step, 1, name=scope).op

    def _finish(self, update_ops, name):
        return group(*update_ops, name=name)  # a scope string "Adam/" names it exactly "Adam"

    # -- slots -------------------------------------------------------------------------
    def get_slot_names(self):
        return sorted(self._slots)

    def get_slot(self, var, name):
        return self._slots.get(name, {}).get(var)

    def variables(self):
        out = [v for d in self._slots.values() for v in d.values()]
        out += list(self._non_slot.values())
        return sorted(out, key=lambda v: v.name)

    def _slot(self, var, slot_name, op_name, init):
        """Creates the slot `slot_name` of `var` as `<var>/<op_name>` (unique: Adam_1...)."""
        from jitgraph.variables import Variable
        slots = self._slots.setdefault(slot_name, {})
        if var not in slots:
            g = get_default_graph()
            shape = var.shape.as_list()
            dt = var.dtype
            with g.name_scope(None):
                slots[var] = Variable(lambda: init(shape, dt),
                                      name=var.op.name + "/" + op_name, trainable=False)
        return slots[var]

    def _zeros_slot(self, var, slot_name, op_name):
        from jitgraph.initializers import Zeros
        return self._slot(var, slot_name, op_name, lambda s, dt: Zeros()(s, dt))

    def _non_slot_variable(self, initial_value, name):
        from jitgraph.variables import Variable
        g = get_default_graph()
        key = (name, g)
        if key not in self._non_slot:
            with g.name_scope(None):
                self._non_slot[key] = Variable(initial_value, name=name, trainable=False)
        return self._non_slot[key]

    def _get_non_slot_variable(self, name):
        return self._non_slot.get((name, get_default_graph()))

    # -- hyper-parameters as tensors of each variable's dtype ------------------------------
    def _hyper_tensor(self, name, value, dtype):
        key = (name, dtypes.as_dtype(dtype))
        t = self._hyper.get(key)
        if t is None or t.graph is not get_default_graph():
            if hasattr(value, "op") or hasattr(value, "_as_graph_element"):
                from jitgraph.ops.math_ops import cast
                t = convert_to_tensor(value)
                t = t if t.dtype == key[1] else cast(t, key[1])
            else:
                t = convert_to_tensor(value, dtype=key[1], name=name)
            self._hyper[key] = t
        return t

    def _create_slots(self, var_list):
        pass

    def _prepare(self):
        self._hyper = {}

    def _apply_dense(self, grad, var):
        raise NotImplementedError()
