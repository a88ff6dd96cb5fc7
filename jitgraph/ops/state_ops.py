"""Variable ops: `VariableV2` (a buffer owned by the Session) and in-place assignment.

The code generator treats Assign/AssignAdd/AssignSub as elementwise stores:
fused into the loop that computes their value, writing the variable's buffer
directly (an optimizer update is one loop per parameter, no temporaries).
"""
from __future__ import annotations

from jitgraph.framework.tensor_shape import TensorShape
from jitgraph.ops.registry import make_tensor, register


def _var_np(k):
    return k.state.read_var(k.op)


register("VariableV2", shape=lambda s: [TensorShape(s.attrs["shape"]).as_tuple()],
         numpy=_var_np, stateful=True, role="var", aliases=True)


def _assign_shape(s):
    if s.attrs.get("validate_shape", True):
        return [TensorShape(s.shapes[0]).merge_with(TensorShape(s.shapes[1])).as_tuple()]
    return [s.shapes[1]]


def _no_kernel(k, *args):  # the interpreter stores through RunState (see interpreter._store)
    raise AssertionError("store ops are executed by the interpreter's _store")


def _assign_host_if(c):
    """Compiled code writes the buffer it was built for: an `Assign(validate_shape=False)`
    that may give its variable a new shape runs on the host."""
    if c.attrs.get("validate_shape", True):
        return None
    var_shape, value_shape = c.shape(0), c.shape(1)
    if value_shape != var_shape or value_shape is None or any(d is None for d in value_shape):
        return ("Assign(validate_shape=False) of a value of another or unknown shape "
                "reallocates the variable")
    return None


_STORE = dict(numpy=_no_kernel, stateful=True, store=True, aliases=True)
register("Assign", shape=_assign_shape, ew="{1}", host_if=_assign_host_if, **_STORE)
register("AssignAdd", shape=_assign_shape, ew="({0} + {1})", **_STORE)
register("AssignSub", shape=_assign_shape, ew="({0} - {1})", **_STORE)


def variable_op(shape, dtype, name="Variable", container="", shared_name=""):
    """The raw VariableV2 op's output: a reference to the session-owned buffer."""
    return make_tensor("VariableV2", [], dtype, {"shape": TensorShape(shape), "dtype": dtype,
                                                 "container": container,
                                                 "shared_name": shared_name}, name=name)


def _ref(x):
    """The VariableV2 output behind a Variable (assign ops write through it)."""
    return x._ref() if hasattr(x, "_ref") else x


def assign(ref, value, validate_shape=True, use_locking=None, name=None):
    """Stores `value` in the variable `ref`; returns `ref` after the store.

    use_locking: if True, the assignment is protected by a lock (the run holds the
      variable's lock); otherwise runs from several threads may interleave their
      stores (the behavior is undefined, but may exhibit less contention), as in TF.
    """
    from jitgraph.ops.constant import convert_to_tensor
    ref = _ref(ref)
    value = convert_to_tensor(value, dtype=ref.dtype)
    if validate_shape and not ref.shape.is_compatible_with(value.shape):
        raise ValueError(f"Dimensions must be equal, but are {ref.shape} and {value.shape} for "
                         f"'Assign' with input shapes: {ref.shape}, {value.shape}.")
    return make_tensor("Assign", [ref, value], ref.dtype,
                       {"validate_shape": validate_shape, "use_locking": bool(use_locking)},
                       name=name or "Assign")


def assign_add(ref, value, use_locking=None, name=None):
    """Adds `value` to the variable `ref` in place; returns `ref` after the update.

    use_locking: if True, the addition is protected by a lock, so concurrent runs
      add exactly; otherwise the behavior is undefined (two threads may read the
      same old value and one update is lost), but may exhibit less contention.
    """
    from jitgraph.ops.constant import convert_to_tensor
    ref = _ref(ref)
    value = convert_to_tensor(value, dtype=ref.dtype)
    return make_tensor("AssignAdd", [ref, value], ref.dtype,
                       {"use_locking": bool(use_locking)}, name=name or "AssignAdd")


def assign_sub(ref, value, use_locking=None, name=None):
    """Subtracts `value` from the variable `ref` in place; returns `ref` after the update.

    use_locking: if True, the subtraction is protected by a lock, so concurrent runs
      subtract exactly; otherwise the behavior is undefined (an update may be lost),
      but may exhibit less contention.
    """
    from jitgraph.ops.constant import convert_to_tensor
    ref = _ref(ref)
    value = convert_to_tensor(value, dtype=ref.dtype)
    return make_tensor("AssignSub", [ref, value], ref.dtype,
                       {"use_locking": bool(use_locking)}, name=name or "AssignSub")
