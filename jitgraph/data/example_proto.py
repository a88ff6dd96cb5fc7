"""`tf.train.Example` and its parts: TF's example.proto / feature.proto messages.

No installed package ships these classes, so they are built here from the .proto
definitions (package `tensorflow`, the same field numbers) in a private descriptor pool:
real protobuf messages, whose bytes are TF's and TF's bytes parse here. protobuf comes
with the `tensorboard` extra; `import jitgraph` does not need it, only using these.
"""
from __future__ import annotations

_NAMES = ("BytesList", "FloatList", "Int64List", "Feature", "Features", "FeatureList",
          "FeatureLists", "Example", "SequenceExample")
_classes: dict = {}

_HINT = ("tf.train.Example needs the 'protobuf' package: "
         "pip install 'jitgraph[tensorboard]'")


def _build():
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    except ImportError as e:
        raise ImportError(f"{_HINT} ({e})") from e
    F = descriptor_pb2.FieldDescriptorProto  # noqa: N806 - protobuf's name
    fdp = descriptor_pb2.FileDescriptorProto(name="jitgraph/example.proto",
                                             package="tensorflow", syntax="proto3")

    def message(name, *fields, nested=()):
        m = fdp.message_type.add(name=name)
        for sub in nested:
            m.nested_type.add().CopyFrom(sub)
        for fname, number, ftype, label, type_name, *rest in fields:
            f = m.field.add(name=fname, number=number, type=ftype, label=label)
            if type_name:
                f.type_name = type_name
            if rest:
                f.oneof_index = rest[0]
        return m

    def map_entry(name, value_type):
        e = descriptor_pb2.DescriptorProto(name=name)
        e.options.map_entry = True
        e.field.add(name="key", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
        e.field.add(name="value", number=2, type=F.TYPE_MESSAGE, label=F.LABEL_OPTIONAL,
                    type_name=value_type)
        return e

    rep, opt = F.LABEL_REPEATED, F.LABEL_OPTIONAL
    message("BytesList", ("value", 1, F.TYPE_BYTES, rep, None))
    message("FloatList", ("value", 1, F.TYPE_FLOAT, rep, None))
    message("Int64List", ("value", 1, F.TYPE_INT64, rep, None))
    feat = message("Feature",
                   ("bytes_list", 1, F.TYPE_MESSAGE, opt, ".tensorflow.BytesList", 0),
                   ("float_list", 2, F.TYPE_MESSAGE, opt, ".tensorflow.FloatList", 0),
                   ("int64_list", 3, F.TYPE_MESSAGE, opt, ".tensorflow.Int64List", 0))
    feat.oneof_decl.add(name="kind")
    message("Features", ("feature", 1, F.TYPE_MESSAGE, rep,
                         ".tensorflow.Features.FeatureEntry"),
            nested=[map_entry("FeatureEntry", ".tensorflow.Feature")])
    message("FeatureList", ("feature", 1, F.TYPE_MESSAGE, rep, ".tensorflow.Feature"))
    message("FeatureLists", ("feature_list", 1, F.TYPE_MESSAGE, rep,
                             ".tensorflow.FeatureLists.FeatureListEntry"),
            nested=[map_entry("FeatureListEntry", ".tensorflow.FeatureList")])
    message("Example", ("features", 1, F.TYPE_MESSAGE, opt, ".tensorflow.Features"))
    message("SequenceExample",
            ("context", 1, F.TYPE_MESSAGE, opt, ".tensorflow.Features"),
            ("feature_lists", 2, F.TYPE_MESSAGE, opt, ".tensorflow.FeatureLists"))
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    for n in _NAMES:
        _classes[n] = message_factory.GetMessageClass(
            pool.FindMessageTypeByName(f"tensorflow.{n}"))


def get(name):
    """The message class `name` (e.g. "Example")."""
    if not _classes:
        _build()
    return _classes[name]


def __getattr__(name):
    if name in _NAMES:
        return get(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = list(_NAMES)
