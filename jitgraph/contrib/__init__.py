"""`tf.contrib`: the parts of TF 1.x's contrib that programs of the time used.

An unsupported `tf.contrib.<x>` says so, rather than suggesting a near-miss name.
"""
from jitgraph import lookup
from jitgraph.contrib import framework, layers, rnn

__all__ = ["framework", "layers", "lookup", "rnn"]


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(f"module 'jitgraph.contrib' has no attribute {name!r}")
    raise AttributeError(f"tf.contrib.{name} is not supported by jitgraph yet (supported: "
                         f"tf.contrib.{', tf.contrib.'.join(__all__)})")
