"""What jitgraph lacks of TF 1.x's API, said plainly.

A name jitgraph does not have raises an AttributeError that says so: "tf.nn.ctc_loss is not
supported by jitgraph yet", with what to use instead where there is something. A name
that TF 1.x does not have either (a typo) says that, and names the nearest names jitgraph
does have. Python's own "Did you mean" guess is never attached: it would name a near name
that is not the same thing (`nce_loss` -> `l2_loss`). The interpreter guesses only for an
AttributeError with a `name`, and fills one in only when neither `name` nor `obj` is set:
these errors carry `obj` and no `name`.

`install` (called once, at the end of `jitgraph/__init__.py`) gives jitgraph and each of
its TF namespaces a module `__getattr__` (PEP 562) raising these, or makes it a `Namespace`.
"""
from __future__ import annotations

import difflib
import types

from jitgraph._tf_v1_names import NAMES

# What to use instead, where jitgraph has something (keys as a TF 1.x program spells them).
HINTS = {
    "tf.GradientTape": "jitgraph builds graphs (TF 1.x): use tf.gradients",
    "tf.enable_eager_execution": "jitgraph builds graphs (TF 1.x): run tensors in a Session",
    "tf.nn.batch_norm_with_global_normalization": "use tf.nn.batch_normalization",
    "tf.train.SyncReplicasOptimizer": "jitgraph runs one process; use the wrapped optimizer",
    "tf.train.Server": "jitgraph runs one process; use a plain Session",
    "tf.train.ClusterSpec": "jitgraph runs one process; use a plain Session",
    "tf.train.replica_device_setter": "jitgraph runs on the CPU: leave device placement out",
    "tf.train.string_input_producer": "read files with tf.data (TextLineDataset, ...)",
    "tf.train.batch": "batch with tf.data.Dataset.batch",
    "tf.train.shuffle_batch": "shuffle and batch with tf.data.Dataset.shuffle(...).batch(...)",
    "tf.train.start_queue_runners": "queues are not supported: feed tf.data iterators",
    "tf.contrib.slim": "use tf.contrib.layers and tf.layers",
    "tf.contrib.learn": "use tf.layers with tf.train.MonitoredTrainingSession",
    "tf.contrib.losses": "use tf.losses",
    "tf.contrib.metrics": "use tf.metrics",
    "tf.contrib.data": "use tf.data",
    "tf.contrib.training": "use tf.train",
    "tf.contrib.summary": "use tf.summary",
    "tf.contrib.opt": "use the tf.train optimizers",
}

# Modules of TF 1.x's tf.contrib (TF 2 has none to walk), so that a real one is told apart
# from a typo.
CONTRIB = """all_reduce autograph batching bayesflow boosted_trees checkpoint cloud
cluster_resolver coder compiler constrained_optimization copy_graph crf cudnn_rnn data
deprecated distribute distributions eager estimator factorization feature_column ffmpeg
framework gan graph_editor grid_rnn image input_pipeline integrate keras kernel_methods
labeled_tensor layers learn legacy_seq2seq linalg linear_optimizer lookup losses
memory_stats meta_graph_transform metrics mixed_precision model_pruning nccl nn opt
optimizer_v2 periodic_resample predictor proto quantization quantize receptive_field
recurrent reduce_slice_ops resampler rnn rpc saved_model seq2seq session_bundle signal
slim solvers sparsemax specs staging stat_summarizer summary tensor_forest tensorboard
testing text tfprof timeseries tpu training util""".split()


def _tf_names(namespace: str) -> set:
    """TF 1.x's names in `namespace` ("tf", "tf.nn", "tf.contrib"); empty if unknown."""
    if namespace == "tf.contrib":
        return set(CONTRIB)
    key = namespace[3:] if namespace.startswith("tf.") else ""
    return set(NAMES.get(key, "").split())


def attribute_error(namespace: str, name: str, present=(), obj=None) -> AttributeError:
    """The AttributeError for `namespace.name` missing from jitgraph.

    Args:
      namespace: as a TF program spells it: "tf", "tf.nn", "tf.contrib", ...
      name: the attribute asked for.
      present: the names this namespace has, for nearest-name hints on a typo.
      obj: the namespace object (set so that the interpreter adds no guess of its own).
    """
    err = AttributeError(_message(namespace, name, present))
    err.obj = obj if obj is not None else namespace
    return err


def _message(namespace, name, present):
    full = f"{namespace}.{name}"
    if name.startswith("__") and name.endswith("__"):
        # Python's own probes (copy, pickle, inspect): the plain message.
        return f"module {namespace!r} has no attribute {name!r}"
    hint = HINTS.get(full)
    if hint is not None or name in _tf_names(namespace):
        msg = f"{full} is not supported by jitgraph yet"
        if hint:
            msg += f" ({hint})"
        return msg
    msg = f"{full} is not a TF 1.x name and jitgraph has no such name"
    near = difflib.get_close_matches(name, [p for p in present if not p.startswith("_")],
                                     n=3, cutoff=0.75)
    if near:
        msg += f"; {namespace} has {', '.join(near)}"
    return msg



class Namespace(types.SimpleNamespace):
    """A namespace of functions (`tf.math`, `tf.random`) whose missing names say so."""

    def __init__(self, tf_name: str, /, **names):
        super().__init__(**names)
        object.__setattr__(self, "_tf_name", tf_name)

    def __getattr__(self, name):
        raise attribute_error(object.__getattribute__(self, "_tf_name"), name, list(vars(self)),
                              self)

    def __repr__(self):
        return f"<namespace {self._tf_name}>"


def install(tf_module):
    """Gives `tf_module` (jitgraph itself) and each of its TF namespaces these errors: a
    module gets a `__getattr__` (calling any it had first, e.g. lazily loaded protos), a
    SimpleNamespace becomes a `Namespace` holding the same names."""
    _hook(tf_module, "tf")
    for attr, value in list(vars(tf_module).items()):
        if attr.startswith("_") or not (attr in NAMES or attr == "contrib"):
            continue
        ns = f"tf.{attr}"
        value = _hook(value, ns)
        setattr(tf_module, attr, value)
        for sub, inner in list(vars(value).items()):
            if f"{attr}.{sub}" in NAMES or attr == "contrib":
                if isinstance(inner, (types.ModuleType, types.SimpleNamespace)):
                    setattr(value, sub, _hook(inner, f"{ns}.{sub}"))


def _hook(value, namespace):
    if type(value) is types.SimpleNamespace:
        return Namespace(namespace, **vars(value))
    if not isinstance(value, types.ModuleType) or not value.__name__.startswith("jitgraph"):
        return value
    prior = vars(value).get("__getattr__")
    if getattr(prior, "_missing_names", False):
        return value

    def __getattr__(name):  # noqa: N807 - the module hook's name
        if prior is not None:
            try:
                return prior(name)
            except AttributeError:
                pass
        raise attribute_error(namespace, name, list(vars(value)), value)
    __getattr__._missing_names = True
    value.__getattr__ = __getattr__
    return value
