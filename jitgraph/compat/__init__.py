"""`tf.compat`: `tf.compat.v1` is jitgraph itself (TF 1.x's API), plus the bytes/str helpers.

`import jitgraph.compat.v1 as tf` finds the module registered under that name below, so it
is the very `jitgraph` module, not a copy that could drift from it.
"""
from __future__ import annotations

import os as _os
import sys as _sys

v1 = _sys.modules["jitgraph"]
_sys.modules[__name__ + ".v1"] = v1


def as_bytes(bytes_or_text, encoding="utf-8"):
    if isinstance(bytes_or_text, bytearray):
        return bytes(bytes_or_text)
    if isinstance(bytes_or_text, str):
        return bytes_or_text.encode(encoding)
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


def as_text(bytes_or_text, encoding="utf-8"):
    if isinstance(bytes_or_text, str):
        return bytes_or_text
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text.decode(encoding)
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


as_str = as_text
as_bytes_or_text = as_text


def as_str_any(value):
    return as_str(value) if isinstance(value, bytes) else str(value)


def path_to_str(path):
    return _os.fspath(path) if hasattr(path, "__fspath__") else path


__all__ = ["as_bytes", "as_str", "as_str_any", "as_text", "path_to_str", "v1"]
