"""TF 1.x's behaviour switches. jitgraph only has TF 1.x graph semantics, so the calls
that ask for them are no-ops and the calls that ask for TF 2.x behaviour say they can't."""
from __future__ import annotations


def _noop_doc(what):
    def noop():
        return None
    noop.__name__ = what
    noop.__doc__ = "A no-op: jitgraph always runs TF 1.x graph semantics."
    return noop


disable_v2_tensorshape = _noop_doc("disable_v2_tensorshape")
disable_control_flow_v2 = _noop_doc("disable_control_flow_v2")
disable_resource_variables = _noop_doc("disable_resource_variables")
disable_tensor_equality = _noop_doc("disable_tensor_equality")
disable_v2_dtype_behavior = _noop_doc("disable_v2_dtype_behavior")


def _unsupported(what):
    def refuse(*args, **kwargs):
        raise NotImplementedError(f"tf.{what}(): jitgraph runs TF 1.x graphs and Sessions "
                                  "only; remove the call to keep TF 1.x behaviour.")
    refuse.__name__ = what
    return refuse


enable_v2_behavior = _unsupported("enable_v2_behavior")
enable_eager_execution = _unsupported("enable_eager_execution")
enable_v2_tensorshape = _unsupported("enable_v2_tensorshape")
enable_control_flow_v2 = _unsupported("enable_control_flow_v2")
enable_tensor_equality = _unsupported("enable_tensor_equality")


def executing_eagerly_outside_functions():
    return False


__all__ = ["disable_control_flow_v2", "disable_resource_variables", "disable_tensor_equality",
           "disable_v2_dtype_behavior", "disable_v2_tensorshape", "enable_control_flow_v2",
           "enable_eager_execution", "enable_tensor_equality", "enable_v2_behavior",
           "enable_v2_tensorshape", "executing_eagerly_outside_functions"]
