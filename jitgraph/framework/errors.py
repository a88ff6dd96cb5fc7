"""TensorFlow's error classes (`tf.errors`), with the same names and codes."""
from __future__ import annotations

OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND = 0, 1, 2, 3, 4, 5
ALREADY_EXISTS, PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION = 6, 7, 8, 9
ABORTED, OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS = 10, 11, 12, 13, 14, 15
UNAUTHENTICATED = 16


_UNKNOWN_SITE = "(defined at <graph>)"  # what messages said before ops knew their site


def defined_at(op) -> str:
    """`file:line` of the user's code that created `op` (TF's `defined at ...`)."""
    site = getattr(op, "_site", None)
    return f"{site[0]}:{site[1]}" if site else "<unknown>"


def node_suffix(op) -> str:
    return f"\n\t [[node {op.name} (defined at {defined_at(op)}) ]]"


def _with_node(message, op):
    """`message` naming `op` and its creation site once, as TF's run errors do."""
    if op is None or not hasattr(op, "_site"):
        return message
    if _UNKNOWN_SITE in message:
        return message.replace(_UNKNOWN_SITE, f"(defined at {defined_at(op)})")
    if "[[node " in message:
        return message
    return message + node_suffix(op)


class OpError(Exception):
    """A failure while running an op; carries the op (if known), message and code.

    Given an op, the message ends naming it and the user's line that created it."""

    error_code = UNKNOWN

    def __init__(self, node_def, op, message, error_code=None, *args):
        message = _with_node(message, op)
        super().__init__(message)
        self._node_def = node_def
        self._op = op
        self._message = message
        if error_code is not None:
            self.error_code = error_code

    @property
    def message(self):
        return self._message

    @property
    def op(self):
        return self._op

    @property
    def node_def(self):
        return self._node_def

    def __str__(self):
        return self._message

    def _attach(self, op):
        """Names `op` in an error its kernel raised without one (a helper's error)."""
        if self._op is None and op is not None:
            self._op = op
            self._message = _with_node(self._message, op)
            self.args = (self._message,)
        return self


_TF_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "half", "bool": "bool"}


def out_of_memory(op, exc: MemoryError) -> ResourceExhaustedError:
    """TF's OOM error for `op`, with the shape and type numpy could not allocate (or, from
    compiled code, which does not say, the op's first output's static shape and type)."""
    shape, dtype = getattr(exc, "shape", None), getattr(exc, "dtype", None)
    out = op.outputs[0] if op.outputs else None
    if shape is None and out is not None and out.shape.ndims is not None:
        shape = tuple("?" if d is None else d for d in out.shape.as_tuple())
    if dtype is None and out is not None:
        dtype = out.dtype.name
    name = getattr(dtype, "name", str(dtype))
    dims = "" if shape is None else ",".join(str(d) for d in shape)
    return ResourceExhaustedError(
        None, op, f"OOM when allocating tensor with shape[{dims}] and type "
                  f"{_TF_TYPE_NAMES.get(name, name)} on CPU (host memory exhausted)")


def _make(name, code):
    def __init__(self, node_def, op, message, *args):
        OpError.__init__(self, node_def, op, message, code)

    return type(name, (OpError,), {"__init__": __init__, "error_code": code,
                                    "__module__": __name__})


CancelledError = _make("CancelledError", CANCELLED)
UnknownError = _make("UnknownError", UNKNOWN)
InvalidArgumentError = _make("InvalidArgumentError", INVALID_ARGUMENT)
DeadlineExceededError = _make("DeadlineExceededError", DEADLINE_EXCEEDED)
NotFoundError = _make("NotFoundError", NOT_FOUND)
AlreadyExistsError = _make("AlreadyExistsError", ALREADY_EXISTS)
PermissionDeniedError = _make("PermissionDeniedError", PERMISSION_DENIED)
ResourceExhaustedError = _make("ResourceExhaustedError", RESOURCE_EXHAUSTED)
FailedPreconditionError = _make("FailedPreconditionError", FAILED_PRECONDITION)
AbortedError = _make("AbortedError", ABORTED)
OutOfRangeError = _make("OutOfRangeError", OUT_OF_RANGE)
UnimplementedError = _make("UnimplementedError", UNIMPLEMENTED)
InternalError = _make("InternalError", INTERNAL)
UnavailableError = _make("UnavailableError", UNAVAILABLE)
DataLossError = _make("DataLossError", DATA_LOSS)
UnauthenticatedError = _make("UnauthenticatedError", UNAUTHENTICATED)


def _py_error_class(exc):
    """TF's mapping of a Python exception raised in a py_func to an OpError class."""
    if isinstance(exc, (ValueError, TypeError)):
        return InvalidArgumentError
    if isinstance(exc, StopIteration):
        return OutOfRangeError
    return UnknownError


def from_python(exc, op) -> OpError:
    """The OpError TF raises for Python exception `exc` from `op`'s function (py_func)."""
    return _py_error_class(exc)(None, op, f"{type(exc).__name__}: {exc}")
