"""`tf.train.write_graph` / `tf.io.write_graph`, and reading a GraphDef file back."""
from __future__ import annotations

import os

from jitgraph.framework import errors
from jitgraph.summary._proto import pb


def write_graph(graph_or_graph_def, logdir, name, as_text=True):
    """Writes a Graph's (or a GraphDef's) proto to `logdir/name`, text or binary,
    through a temporary file and one rename; returns the path."""
    from jitgraph.saver import _atomic_write
    gd = graph_or_graph_def
    if hasattr(gd, "as_graph_def"):
        gd = gd.as_graph_def()
    if not logdir.startswith("gs:"):
        os.makedirs(logdir, exist_ok=True)
    path = os.path.join(logdir, name)
    if as_text:
        from google.protobuf import text_format
        data = text_format.MessageToString(gd).encode("utf-8")
    else:
        data = gd.SerializeToString()
    _atomic_write(path, [data])
    return path


def read_graph_def(path):
    """The GraphDef in file `path`: binary, or the text format `write_graph` writes.

    Raises:
      NotFoundError: no such file.
      DataLossError: the bytes are neither (truncated, corrupt).
    """
    from google.protobuf import message, text_format
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"{path}; No such file or directory") from None
    gd = pb("graph_pb2").GraphDef()
    try:
        gd.ParseFromString(data)
        return gd
    except message.DecodeError:
        pass
    try:
        text_format.Parse(data.decode("utf-8"), gd)
    except (text_format.ParseError, UnicodeDecodeError) as e:
        raise errors.DataLossError(None, None, f"Unable to parse GraphDef file {path}: "
                                               f"{e}") from None
    return gd
