"""Lazy access to TensorBoard's protobuf modules.

jitgraph imports without TensorBoard; only writing events or running a summary op
needs it, and then the error says how to install it.
"""
from __future__ import annotations

import importlib

_INSTALL_HINT = ("jitgraph.summary needs the 'tensorboard' package (for its protobufs): "
                 "pip install 'jitgraph[tensorboard]'")


def pb(module: str):
    """TensorBoard's compiled proto module `module` (e.g. 'summary_pb2')."""
    try:
        return importlib.import_module(f"tensorboard.compat.proto.{module}")
    except ImportError as e:
        raise ImportError(f"{_INSTALL_HINT} ({e})") from e


def record_writer_class():
    try:
        from tensorboard.summary.writer.record_writer import RecordWriter
    except ImportError as e:
        raise ImportError(f"{_INSTALL_HINT} ({e})") from e
    return RecordWriter
