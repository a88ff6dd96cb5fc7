"""`tf.data.Options` and its sub-options, and the cardinality constants.

jitgraph runs a pipeline on the thread that calls `get_next`, without graph rewrites, so
these options change no element and no order: they are kept (and merged, as TF merges
them) so that programs setting them run unchanged. An unknown field is TF's error.
"""
from __future__ import annotations

INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2


class _Options:
    """Fields (all None until set) that refuse unknown names and merge as TF's do."""

    FIELDS: dict = {}

    def __init__(self):
        for name, default in self.FIELDS.items():
            object.__setattr__(self, name, default() if isinstance(default, type) else default)

    def __setattr__(self, name, value):
        if name not in self.FIELDS:
            raise AttributeError(f"Cannot set the property {name} on {type(self).__name__}.")
        object.__setattr__(self, name, value)

    def __eq__(self, other):
        return type(other) is type(self) and vars(self) == vars(other)

    def _merge_from(self, other):
        for name, default in self.FIELDS.items():
            mine, theirs = getattr(self, name), getattr(other, name)
            if isinstance(default, type):
                mine._merge_from(theirs)
            elif theirs is not None:
                if mine is not None and mine != theirs:
                    raise ValueError(f"Cannot merge incompatible values ({mine!r} and "
                                     f"{theirs!r}) of option: {name}")
                object.__setattr__(self, name, theirs)


class ThreadingOptions(_Options):
    FIELDS = {"max_intra_op_parallelism": None, "private_threadpool_size": None}


class OptimizationOptions(_Options):
    FIELDS = {name: None for name in (
        "apply_default_optimizations", "filter_fusion", "filter_parallelization",
        "inject_prefetch", "map_and_batch_fusion", "map_and_filter_fusion", "map_fusion",
        "map_parallelization", "noop_elimination", "parallel_batch",
        "seq_interleave_prefetch", "shuffle_and_repeat_fusion")}


class DistributeOptions(_Options):
    FIELDS = {"auto_shard_policy": None, "num_devices": None}


class Options(_Options):
    """`tf.data.Options`: how a pipeline may run (see the module docstring)."""

    FIELDS = {"autotune": None, "dataset_name": None, "deterministic": None,
              "experimental_deterministic": None,
              "experimental_distribute": DistributeOptions,
              "experimental_external_state_policy": None,
              "experimental_optimization": OptimizationOptions,
              "experimental_service": None, "experimental_slack": None,
              "experimental_symbolic_checkpoint": None,
              "experimental_threading": ThreadingOptions,
              "experimental_warm_start": None, "framework_type": None,
              "threading": ThreadingOptions}

    def merge(self, options):
        """A new Options with the fields set in `self` or in `options` (an error where
        both set one to different values)."""
        out = Options()
        out._merge_from(self)
        out._merge_from(options)
        return out


__all__ = ["INFINITE_CARDINALITY", "Options", "ThreadingOptions", "UNKNOWN_CARDINALITY"]
