"""Summary ops: host ops whose kernels return a serialized `Summary` proto (a tf.string).

`tf.summary.scalar/histogram/text` build them and add them to GraphKeys.SUMMARIES;
`merge`/`merge_all` concatenate their values. Op types, input names, tags and
scopes are TF 1.x's, so the GraphDef and the event files look like TF's.
"""
from __future__ import annotations

import contextlib
import re

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.framework.graph import GraphKeys, get_default_graph
from jitgraph.ops.constant import constant, convert_to_tensor
from jitgraph.ops.registry import make_tensor, register
from jitgraph.summary._proto import pb


def _string_scalar(data: bytes):
    out = np.empty((), dtype=object)
    out[()] = data
    return out


def _as_bytes(v):
    return v.encode() if isinstance(v, str) else bytes(v)


def _tag_error(k, msg):
    return errors.InvalidArgumentError(None, k.op, msg)


# -- kernels -----------------------------------------------------------------------
def _scalar_np(k, tags, values):
    tags, values = np.asarray(tags, dtype=object), np.asarray(values)
    if tags.shape != values.shape:
        raise _tag_error(k, f"tags and values not the same shape: {_dims(tags.shape)} != "
                            f"{_dims(values.shape)}")
    s = pb("summary_pb2").Summary()
    for tag, v in zip(tags.ravel(), values.ravel()):
        s.value.add(tag=_as_bytes(tag).decode(), simple_value=float(v))
    return _string_scalar(s.SerializeToString())


def _dims(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def default_bucket_limits() -> np.ndarray:
    """TF's histogram buckets: limits growing 10% from 1e-12 to 1e20, mirrored, and 0."""
    pos = []
    v = 1.0e-12
    while v < 1.0e20:
        pos.append(v)
        v *= 1.1
    pos.append(np.finfo(np.float64).max)
    pos = np.array(pos)
    return np.concatenate([-pos[::-1], [0.0], pos])


_LIMITS = None


def histogram_proto(values):
    """HistogramProto of `values` as TF's Histogram::EncodeToProto writes it."""
    global _LIMITS
    if _LIMITS is None:
        _LIMITS = default_bucket_limits()
    hp = pb("summary_pb2").HistogramProto()
    x = np.asarray(values, dtype=np.float64).ravel()
    counts = np.bincount(np.searchsorted(_LIMITS, x, side="right"), minlength=len(_LIMITS))
    hp.min = float(x.min()) if x.size else float(_LIMITS[-1])
    hp.max = float(x.max()) if x.size else float(-_LIMITS[-1])
    hp.num = float(x.size)
    hp.sum = float(x.sum())
    hp.sum_squares = float(np.dot(x, x))
    # Runs of empty buckets collapse into one, keeping the run's last limit.
    i, n = 0, len(_LIMITS)
    limits, buckets = [], []
    while i < n:
        end, count = _LIMITS[i], counts[i]
        i += 1
        if count <= 0:
            while i < n and counts[i] <= 0:
                end, count = _LIMITS[i], counts[i]
                i += 1
        limits.append(float(end))
        buckets.append(float(count))
    hp.bucket_limit.extend(limits)
    hp.bucket.extend(buckets)
    return hp


def _histogram_np(k, tag, values):
    tag = _as_bytes(np.asarray(tag, dtype=object)[()]).decode()
    x = np.asarray(values, dtype=np.float64)
    if np.isnan(x).any():
        raise _tag_error(k, f"Nan in summary histogram for: {tag}")
    if np.isinf(x).any():
        raise _tag_error(k, f"Infinity in summary histogram for: {tag}")
    s = pb("summary_pb2").Summary()
    s.value.add(tag=tag, histo=histogram_proto(x))
    return _string_scalar(s.SerializeToString())


def _tensor_summary_np(k, tag, tensor, metadata):
    from jitgraph.summary.graph_def import tensor_proto
    sp = pb("summary_pb2")
    tag = _as_bytes(np.asarray(tag, dtype=object)[()]).decode()
    meta = sp.SummaryMetadata()
    meta.ParseFromString(_as_bytes(np.asarray(metadata, dtype=object)[()]))
    s = sp.Summary()
    s.value.add(tag=tag, metadata=meta,
                tensor=tensor_proto(tensor, k.op.inputs[1].dtype))
    return _string_scalar(s.SerializeToString())


def _merge_np(k, *inputs):
    sp = pb("summary_pb2")
    out = sp.Summary()
    seen = set()
    for x in inputs:
        for data in np.asarray(x, dtype=object).ravel():
            part = sp.Summary()
            try:
                part.ParseFromString(_as_bytes(data))
            except Exception as e:  # noqa: BLE001 - protobuf's DecodeError
                raise _tag_error(k, f"Could not parse one of the summary inputs ({e})") from e
            for v in part.value:
                if v.tag in seen:
                    raise _tag_error(k, f"Duplicate tag {v.tag} found in summary inputs")
                seen.add(v.tag)
                out.value.add().CopyFrom(v)
    return _string_scalar(out.SerializeToString())


def _scalar_out(s):
    return [()]


_HOST = "writes a Summary protocol buffer"  # why these ops have no compiled form
register("ScalarSummary", shape=_scalar_out, numpy=_scalar_np, host=_HOST, stateful=True)
register("HistogramSummary", shape=_scalar_out, numpy=_histogram_np, host=_HOST,
         stateful=True)
register("TensorSummaryV2", shape=_scalar_out, numpy=_tensor_summary_np, host=_HOST,
         stateful=True)
register("MergeSummary", shape=_scalar_out, numpy=_merge_np, host=_HOST, stateful=True)


# -- the tf.summary API ---------------------------------------------------------------
_INVALID_TAG_CHARS = re.compile(r"[^-/\w\.]")


def _clean_tag(name):
    """TF's clean_tag: invalid characters become '_', a leading '/' is dropped."""
    if name is None:
        return None
    new = _INVALID_TAG_CHARS.sub("_", name).lstrip("/")
    return new


@contextlib.contextmanager
def _summary_scope(name, family=None):
    """Yields (tag, scope) as TF's summary_op_util.summary_scope does."""
    name, family = _clean_tag(name), _clean_tag(family)
    base = name if family is None else f"{family}/{name}"
    g = get_default_graph()
    with g.name_scope(base) as scope:
        tag = scope.rstrip("/") if family is None else f"{family}/{scope.rstrip('/')}"
        yield g, tag, scope


def _create_named_by_scope(g, scope, op_type, inputs, attrs):
    """Creates the op named exactly `scope` less its '/', as TF names an op given
    `name=scope` (the Graph takes a name ending in '/' as-is)."""
    return make_tensor(op_type, inputs, dtypes.string, attrs, name=scope, graph=g)


def _collect(t, collections, default):
    g = t.graph
    for key in (default if collections is None else collections):
        g.add_to_collection(key, t)


def scalar(name, tensor, collections=None, family=None):
    """`tf.summary.scalar`: a string tensor holding a Summary with one simple_value."""
    with _summary_scope(name, family) as (g, tag, scope):
        x = convert_to_tensor(tensor)
        tags = constant(tag, dtype=dtypes.string, name="tags")
        val = _create_named_by_scope(g, scope, "ScalarSummary", [tags, x], {"T": x.dtype})
    _collect(val, collections, [GraphKeys.SUMMARIES])
    return val


def histogram(name, values, collections=None, family=None):
    """`tf.summary.histogram`: a Summary with a HistogramProto of `values`."""
    with _summary_scope(name, family) as (g, tag, scope):
        x = convert_to_tensor(values)
        tag_t = constant(tag, dtype=dtypes.string, name="tag")
        val = _create_named_by_scope(g, scope, "HistogramSummary", [tag_t, x],
                                     {"T": x.dtype})
    _collect(val, collections, [GraphKeys.SUMMARIES])
    return val


def _plugin_metadata(plugin_name, content=b""):
    meta = pb("summary_pb2").SummaryMetadata()
    meta.plugin_data.plugin_name = plugin_name
    meta.plugin_data.content = content
    return meta.SerializeToString()


def tensor_summary(name, tensor, summary_description=None, collections=None,
                   summary_metadata=None, family=None, display_name=None):
    """`tf.summary.tensor_summary`: the whole tensor as a TensorProto in the Summary."""
    if summary_metadata is None:
        summary_metadata = pb("summary_pb2").SummaryMetadata()
    if summary_description is not None:
        summary_metadata.summary_description = summary_description
    if display_name is not None:
        summary_metadata.display_name = display_name
    meta = summary_metadata.SerializeToString()
    return _tensor_summary(name, tensor, meta, collections, family)


def _tensor_summary(name, tensor, meta: bytes, collections, family):
    with _summary_scope(name, family) as (g, tag, scope):
        x = convert_to_tensor(tensor)
        tag_t = constant(tag, dtype=dtypes.string, name="tag")
        meta_t = constant(meta, dtype=dtypes.string, name="serialized_summary_metadata")
        val = _create_named_by_scope(g, scope, "TensorSummaryV2", [tag_t, x, meta_t],
                                     {"T": x.dtype})
    _collect(val, collections, [GraphKeys.SUMMARIES])
    return val


def text(name, tensor, collections=None):
    """`tf.summary.text`: a string tensor shown on TensorBoard's Text tab."""
    x = convert_to_tensor(tensor)
    if x.dtype != dtypes.string:
        raise ValueError(f"Expected tensor {x.name} to have dtype string, got "
                         f"{x.dtype.name}")
    # The text plugin's metadata content is its TextPluginData proto: empty, version 0.
    return _tensor_summary(name, x, _plugin_metadata("text"), collections, None)


def merge(inputs, collections=None, name=None):
    """`tf.summary.merge`: one Summary holding the values of all `inputs`."""
    inputs = [convert_to_tensor(x) for x in inputs]
    g = inputs[0].graph if inputs else get_default_graph()
    with g.as_default(), g.name_scope(name or "Merge"):
        val = make_tensor("MergeSummary", inputs, dtypes.string, {"N": len(inputs)},
                          name="MergeSummary", graph=g)
    if collections:
        for key in collections:
            g.add_to_collection(key, val)
    return val


def merge_all(key=GraphKeys.SUMMARIES, scope=None, name=None):
    """`tf.summary.merge_all`: merges the summaries in collection `key`; None if empty."""
    ops = get_default_graph().get_collection(key, scope)
    if not ops:
        return None
    return merge(ops, name=name)
