"""Ops that run Python: `tf.py_func`, `tf.Print`, `tf.check_numerics`.

They are host ops: the planner cuts the compiled stages around them.
"""
from __future__ import annotations

import sys

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.registry import make_op, make_tensor, register


def _py_func_np(k, *args):
    try:
        out = k.attrs["func"](*args)
    except errors.OpError:
        raise  # e.g. a session.run inside the function: already TF's error
    except Exception as e:  # noqa: BLE001 - TF maps every Python exception to an OpError
        raise errors.from_python(e, k.op) from e
    touts = k.attrs["Tout"]
    if not k.attrs["multi"]:
        out = [out]
    if len(out) != len(touts):
        raise errors.InvalidArgumentError(
            None, k.op, f"{k.op.name} returns {len(out)} values, but expects to see "
                        f"{len(touts)} values.")
    vals = [np.asarray(v, dtype=object if t == dtypes.string else t.as_numpy_dtype)
            for v, t in zip(out, touts)]
    for i, v in enumerate(vals):
        _check_result_shape(k.op, i, v)
    return vals if len(vals) != 1 else vals[0]  # the interpreter binds one output as is


def _check_result_shape(op, i, value):
    """Holds a result to its output's static shape (e.g. from `set_shape`): later ops,
    compiled ones above all, are built for that shape."""
    static = op.outputs[i].shape
    if static.ndims is None or static.is_compatible_with(value.shape):
        return
    dims = ",".join("?" if d is None else str(d) for d in static.as_tuple())
    raise errors.InvalidArgumentError(
        None, op, f"{op.name} returned a value of shape {list(value.shape)} for output {i}, "
                  f"but '{op.outputs[i].name}' has static shape [{dims}]")


_HOST = "calls Python"  # why these ops have no compiled form
register("PyFunc", shape=lambda s: [None] * len(s.attrs["Tout"]), numpy=_py_func_np,
         host=_HOST, stateful=True)


def py_func(func, inp, Tout, stateful=True, name=None):  # noqa: N803 - TF's argument name
    """Wraps a Python function of numpy arrays as an op (runs in a host stage)."""
    multi = isinstance(Tout, (list, tuple))
    touts = [dtypes.as_dtype(t) for t in (Tout if multi else [Tout])]
    xs = [convert_to_tensor(x) for x in inp]
    op = make_op("PyFunc", xs, touts, {"func": func, "Tout": touts, "multi": multi},
                 name=name or "PyFunc")
    return list(op.outputs) if multi else op.outputs[0]


def _print_np(k, x, *data):
    parts = [str(np.asarray(d).ravel()[:k.attrs["summarize"]].tolist()) for d in data]
    print(k.attrs["message"] + " ".join(parts), file=sys.stderr)
    return x


register("Print", shape=lambda s: [s.shapes[0]], numpy=_print_np, host=_HOST, stateful=True,
         grad=lambda op, dy: [dy] + [None] * (len(op.inputs) - 1))


def Print(input_, data, message=None, first_n=None, summarize=None, name=None):  # noqa: N802
    """Returns `input_` and prints `data` (to stderr) each time it is evaluated."""
    x = convert_to_tensor(input_)
    ds = [convert_to_tensor(d) for d in data]
    return make_tensor("Print", [x, *ds], x.dtype,
                       {"message": message or "", "summarize": summarize or 3},
                       name=name or "Print")


def _check_numerics_np(k, x):
    if not np.all(np.isfinite(x)):
        what = "NaN" if np.isnan(x).any() else "Inf"
        raise errors.InvalidArgumentError(
            None, k.op, f"{k.attrs['message']} : Tensor had {what} values")
    return x


register("CheckNumerics", shape=lambda s: [s.shapes[0]], numpy=_check_numerics_np,
         host=_HOST, grad=lambda op, dy: [dy])


def check_numerics(tensor, message, name=None):
    """`tensor`, or InvalidArgumentError at run time if it holds NaN or Inf."""
    x = convert_to_tensor(tensor)
    return make_tensor("CheckNumerics", [x], x.dtype, {"message": message},
                       name=name or "CheckNumerics")
