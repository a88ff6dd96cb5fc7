"""`tf.contrib.framework.arg_scope`: default keyword arguments for decorated layer functions.

A scope is a dict {op key: {kwarg: value}}; nested scopes copy their parent and override,
so leaving a `with` block restores the outer defaults exactly.
"""
from __future__ import annotations

import contextlib
import functools
import threading

_local = threading.local()


def _stack():
    if not hasattr(_local, "stack"):
        _local.stack = [{}]
    return _local.stack


def current_arg_scope():
    return _stack()[-1]


def _key_op(op):
    return getattr(op, "_key_op", str(op))


def add_arg_scope(func):
    """Lets `arg_scope([func], ...)` set defaults for `func`; explicit arguments win."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        defaults = current_arg_scope().get(wrapper._key_op, {})
        return func(*args, **{**defaults, **kwargs})
    wrapper._key_op = _key_op(func)
    wrapper._arg_scope_decorated = True
    return wrapper


def has_arg_scope(func):
    return getattr(func, "_arg_scope_decorated", False)


def arg_scope_func_key(op):
    return _key_op(op)


@contextlib.contextmanager
def arg_scope(list_ops_or_scope, **kwargs):
    """Within the block, each op in the list gets `kwargs` as defaults; a dict (a scope
    yielded by an earlier arg_scope) is re-entered as it was."""
    if isinstance(list_ops_or_scope, dict):
        if kwargs:
            raise ValueError("When attempting to re-use a scope by suppling a dictionary, "
                             "kwargs must be empty.")
        scope = list_ops_or_scope.copy()
    else:
        if not isinstance(list_ops_or_scope, (list, tuple)):
            raise TypeError("list_ops_or_scope must either be a list/tuple or reused scope "
                            "(i.e. dict)")
        scope = {k: dict(v) for k, v in current_arg_scope().items()}
        for op in list_ops_or_scope:
            if not has_arg_scope(op):
                raise ValueError(f"{_key_op(op)} is not decorated with @add_arg_scope")
            scope[_key_op(op)] = {**scope.get(_key_op(op), {}), **kwargs}
    _stack().append(scope)
    try:
        yield scope
    finally:
        _stack().pop()
