"""Run-time assertions: `tf.Assert` and the `tf.assert_*` family, as host ops that raise
InvalidArgumentError with TF's message; static facts are checked at graph-build time."""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.ops import math_ops
from jitgraph.ops.constant import constant_value, convert_to_tensor
from jitgraph.ops.reduction_ops import reduce_all
from jitgraph.ops.registry import make_op, register


def _fmt(v, summarize):
    a = np.asarray(v)
    if a.dtype == object or a.dtype.kind in "SU":
        items = [x.decode() if isinstance(x, bytes) else str(x) for x in a.ravel()]
        return " ".join(items[:summarize]) if a.ndim == 0 else str(items[:summarize])
    return str(a.ravel()[:summarize].tolist()) if a.ndim else str(a.item())


def _assert_np(k, cond, *data):
    if not np.all(cond):
        parts = [_fmt(d, k.attrs["summarize"]) for d in data]
        raise errors.InvalidArgumentError(None, k.op,
                                          "assertion failed: [" + "] [".join(parts) + "]")
    return ()


register("Assert", shape=lambda s: [], numpy=_assert_np,
         host="formats its message from values in Python", stateful=True)


def Assert(condition, data, summarize=None, name=None):  # noqa: N802 - TF's name
    """An op that raises InvalidArgumentError (printing `data`) when `condition` is false."""
    cond = convert_to_tensor(condition, dtype=dtypes.bool)
    xs = [convert_to_tensor(d) for d in data]
    return make_op("Assert", [cond, *xs], [], {"summarize": summarize or 3},
                   name=name or "Assert")


def _binary_assert(fn, what, x, y, data, summarize, message, name, default):
    from jitgraph.ops.api import name_scope
    with name_scope(name, default):
        x, y = convert_to_tensor(x), convert_to_tensor(y)
        cx, cy = constant_value(x), constant_value(y)
        if cx is not None and cy is not None and not np.all(fn(cx, cy)):
            raise errors.InvalidArgumentError(
                None, None, f"{message or ''}\nCondition x {what} y did not hold element-wise:"
                            f" x = {cx.tolist()}, y = {cy.tolist()}")
        if data is None:
            data = [message or "", f"Condition x {what} y did not hold element-wise:",
                    f"x ({x.name}) = ", x, f"y ({y.name}) = ", y]
        return Assert(reduce_all(_graph_fn(fn)(x, y)), data, summarize)


def _graph_fn(fn):
    return {np.equal: math_ops.equal, np.less: math_ops.less,
            np.less_equal: math_ops.less_equal, np.greater: math_ops.greater,
            np.greater_equal: math_ops.greater_equal,
            np.not_equal: math_ops.not_equal}[fn]


def assert_equal(x, y, data=None, summarize=None, message=None, name=None):
    return _binary_assert(np.equal, "==", x, y, data, summarize, message, name, "assert_equal")


def assert_none_equal(x, y, data=None, summarize=None, message=None, name=None):
    return _binary_assert(np.not_equal, "!=", x, y, data, summarize, message, name,
                          "assert_none_equal")


def assert_less(x, y, data=None, summarize=None, message=None, name=None):
    return _binary_assert(np.less, "<", x, y, data, summarize, message, name, "assert_less")


def assert_less_equal(x, y, data=None, summarize=None, message=None, name=None):
    return _binary_assert(np.less_equal, "<=", x, y, data, summarize, message, name,
                          "assert_less_equal")


def assert_greater(x, y, data=None, summarize=None, message=None, name=None):
    return _binary_assert(np.greater, ">", x, y, data, summarize, message, name,
                          "assert_greater")


def assert_greater_equal(x, y, data=None, summarize=None, message=None, name=None):
    return _binary_assert(np.greater_equal, ">=", x, y, data, summarize, message, name,
                          "assert_greater_equal")


def assert_positive(x, data=None, summarize=None, message=None, name=None):
    x = convert_to_tensor(x)
    return assert_less(math_ops.cast(0, x.dtype), x, data, summarize, message,
                       name or "assert_positive")


def assert_non_negative(x, data=None, summarize=None, message=None, name=None):
    x = convert_to_tensor(x)
    return assert_less_equal(math_ops.cast(0, x.dtype), x, data, summarize, message,
                             name or "assert_non_negative")


def assert_negative(x, data=None, summarize=None, message=None, name=None):
    x = convert_to_tensor(x)
    return assert_less(x, math_ops.cast(0, x.dtype), data, summarize, message,
                       name or "assert_negative")


def assert_rank(x, rank, message=None, name=None):
    """Raises ValueError now when the rank is known; else an op checking it at run time."""
    from jitgraph.ops.array_ops import rank as rank_of
    x = convert_to_tensor(x)
    if x.shape.ndims is not None:
        if x.shape.ndims != int(rank):
            raise ValueError(f"{message or ''} Tensor {x.name} must have rank {int(rank)}.  "
                             f"Received rank {x.shape.ndims}, shape {x.shape}")
        from jitgraph.ops.array_ops import no_op
        return no_op(name=name or "assert_rank")
    return assert_equal(rank_of(x), int(rank), message=message, name=name or "assert_rank")


def verify_tensor_all_finite(t, msg, name=None):
    from jitgraph.ops.script_ops import check_numerics
    return check_numerics(t, msg, name=name)
