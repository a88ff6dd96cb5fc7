"""`tf.summary`: summary ops and the FileWriter that puts them in TensorBoard's event files.

The protos (`tf.summary.Summary`, `Event`, `SessionLog`, ...) are TensorBoard's and
load only when asked for, so jitgraph imports without TensorBoard installed.
"""
from jitgraph.summary.media import audio, image
from jitgraph.summary.summary_ops import (histogram, merge, merge_all, scalar, tensor_summary,
                                          text)
from jitgraph.summary.writer import FileWriter, FileWriterCache

_PROTOS = {"Summary": "summary_pb2", "SummaryDescription": "summary_pb2",
           "SummaryMetadata": "summary_pb2", "HistogramProto": "summary_pb2",
           "Event": "event_pb2", "SessionLog": "event_pb2", "TaggedRunMetadata": "event_pb2"}


def __getattr__(name):
    if name in _PROTOS:
        from jitgraph.summary._proto import pb
        return getattr(pb(_PROTOS[name]), name)
    raise AttributeError(f"module 'jitgraph.summary' has no attribute '{name}'")


def get_summary_description(node_def):
    """The SummaryDescription of a TensorSummary node (TF 1.x; empty for other nodes)."""
    from jitgraph.summary._proto import pb
    desc = pb("summary_pb2").SummaryDescription()
    if node_def.op == "TensorSummary" and "description" in node_def.attr:
        desc.ParseFromString(node_def.attr["description"].s)
    return desc


__all__ = ["FileWriter", "FileWriterCache", "audio", "histogram", "image", "merge",
           "merge_all", "scalar", "tensor_summary", "text"]
