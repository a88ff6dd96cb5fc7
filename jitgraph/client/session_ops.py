"""Tensors kept in a Session between runs: `tf.get_session_handle`,
`tf.get_session_tensor`, `tf.delete_session_tensor` (TF 1.x's session_ops).

Fetching `get_session_handle(t)` keeps t's value in the Session and returns a
TensorHandle; feeding its handle to the placeholder of `get_session_tensor` reads the
value back in a later run without a copy through Python feeds.
"""
from __future__ import annotations

import itertools

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.ops.constant import convert_to_tensor, placeholder
from jitgraph.ops.registry import make_op, make_tensor, register

_HOST = "keeps tensors in the Session's state between runs"
_ids = itertools.count()


class TensorHandle:
    """A tensor kept in a Session (what a fetched `get_session_handle` returns)."""

    def __init__(self, handle, dtype, state):
        self._handle = handle
        self._dtype = dtypes.as_dtype(dtype)
        self._state = state  # the RunState of the Session that holds the value

    @property
    def handle(self):
        """The handle string: the value to feed to a `get_session_tensor` placeholder."""
        return self._handle

    @property
    def dtype(self):
        return self._dtype

    def get_raw_handle(self):
        return self._handle

    def __str__(self):
        return self._handle.decode()

    def eval(self):
        """The value this handle names (a copy), read from its Session."""
        try:
            return np.array(self._state.resources[_key(self._handle)], copy=True)
        except KeyError:
            raise errors.InvalidArgumentError(
                None, None, f"The tensor with handle '{self._handle.decode()}' is not in the "
                            "session store.") from None

    def delete(self):
        """Frees the value this handle names."""
        self._state.resources.pop(_key(self._handle), None)


def _key(handle):
    return ("session_tensor", handle)


def _handle_bytes(v):
    v = np.asarray(v, dtype=object)[()]
    if isinstance(v, TensorHandle):
        return v.handle
    return v if isinstance(v, bytes) else str(v).encode()


def _get_handle_np(k, value):
    handle = f"{k.op.name};{next(_ids)};/job:localhost/replica:0/task:0/device:CPU:0".encode()
    k.state.resources[_key(handle)] = np.array(value, copy=True)
    out = np.empty((), dtype=object)
    out[()] = TensorHandle(handle, k.op.inputs[0].dtype, k.state)
    return out


def _get_tensor_np(k, handle):
    h = _handle_bytes(handle)
    try:
        return k.state.resources[_key(h)]
    except KeyError:
        raise errors.InvalidArgumentError(
            None, k.op, f"The tensor with handle '{h.decode()}' is not in the session store."
        ) from None


def _delete_np(k, handle):
    h = _handle_bytes(handle)
    if k.state.resources.pop(_key(h), None) is None:
        raise errors.InvalidArgumentError(
            None, k.op, f"The tensor with handle '{h.decode()}' is not in the session store.")
    return ()


register("GetSessionHandle", shape=lambda s: [()], numpy=_get_handle_np, host=_HOST,
         stateful=True)
register("GetSessionTensor", shape=lambda s: [None], numpy=_get_tensor_np, host=_HOST,
         stateful=True)
register("DeleteSessionTensor", shape=lambda s: [], numpy=_delete_np, host=_HOST,
         stateful=True)


def get_session_handle(data, name=None):
    """`tf.get_session_handle(data)`: fetched, it keeps `data`'s value in the Session and
    gives a TensorHandle naming it."""
    x = convert_to_tensor(data)
    return make_tensor("GetSessionHandle", [x], dtypes.string, {"T": x.dtype},
                       name=name or "GetSessionHandle")


def get_session_tensor(handle, dtype, name=None):
    """`tf.get_session_tensor(handle, dtype)`: (a string placeholder to feed a handle to,
    the tensor that handle names)."""
    holder = placeholder(dtypes.string, [], name="GetSessionTensor/handle" if name is None
                         else f"{name}/handle")
    dtype = dtypes.as_dtype(dtype)
    tensor = make_tensor("GetSessionTensor", [holder], dtype, {"dtype": dtype},
                         name=name or "GetSessionTensor")
    return holder, tensor


def delete_session_tensor(handle, name=None):
    """`tf.delete_session_tensor(handle)`: (a string placeholder to feed a handle to, the
    op that frees the tensor it names)."""
    holder = placeholder(dtypes.string, [], name="DeleteSessionTensor/handle"
                         if name is None else f"{name}/handle")
    op = make_op("DeleteSessionTensor", [holder], [], name=name or "DeleteSessionTensor")
    return holder, op


__all__ = ["TensorHandle", "delete_session_tensor", "get_session_handle",
           "get_session_tensor"]
