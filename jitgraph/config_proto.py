"""`tf.ConfigProto`, `tf.GPUOptions`, `tf.RunOptions`, `tf.RunMetadata` and their sub-messages.

They take the fields TF 1.x programs set, by keyword or by attribute, with a sub-message
there to write into on a default message (`config.gpu_options.allow_growth = True`), as
protobuf does. An unknown field is an error, as in TF, so typos are not silently dropped.

Effective fields: `intra_op_parallelism_threads` (0 = the CPUs this process may use)
bounds the BLAS threads of the Session's runs (jitgraph.runtime.threads).
`inter_op_parallelism_threads` is accepted: a run executes one op at a time, so there is
nothing to run alongside. Every other field has no effect: jitgraph runs on the CPU, with
no devices to count, place, log or give memory to, and no graph rewrites to configure.
"""
from __future__ import annotations


class _Message:
    """A protobuf-like message: FIELDS maps a name to its default (a class = a sub-message)."""

    FIELDS: dict = {}

    def __init__(self, **kwargs):
        for name, default in self.FIELDS.items():
            object.__setattr__(self, name, _fresh(default))
        for name, value in kwargs.items():
            setattr(self, name, value)

    def __setattr__(self, name, value):
        if name not in self.FIELDS:
            raise AttributeError(f"Assignment not allowed (no field \"{name}\" in protocol "
                                 f"message object).")
        object.__setattr__(self, name, value)

    def __eq__(self, other):
        return type(other) is type(self) and vars(self) == vars(other)

    def __repr__(self):
        set_ = {k: v for k, v in vars(self).items() if v != _fresh(self.FIELDS[k])}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in set_.items())})"

    def CopyFrom(self, other):  # noqa: N802 - protobuf's name
        for name in self.FIELDS:
            object.__setattr__(self, name, getattr(other, name))

    def SerializeToString(self):  # noqa: N802 - protobuf's name
        """No wire form: jitgraph records no traces or placements (an empty message)."""
        return b""


def _fresh(default):
    if isinstance(default, type):
        return default()
    return type(default)(default) if isinstance(default, (dict, list)) else default


class OptimizerOptions(_Message):
    L1, L0 = 0, -1
    DEFAULT, OFF, ON_1, ON_2 = 0, -1, 1, 2
    FIELDS = {"do_common_subexpression_elimination": False, "do_constant_folding": False,
              "max_folded_constant_in_bytes": 0, "do_function_inlining": False,
              "opt_level": 0, "global_jit_level": 0, "cpu_global_jit": False}


class RewriterConfig(_Message):
    FIELDS = {"layout_optimizer": 0, "constant_folding": 0, "arithmetic_optimization": 0,
              "dependency_optimization": 0, "loop_optimization": 0, "memory_optimization": 0,
              "remapping": 0, "disable_model_pruning": False, "min_graph_nodes": 0,
              "optimizers": []}


class GraphOptions(_Message):
    FIELDS = {"enable_recv_scheduling": False, "optimizer_options": OptimizerOptions,
              "build_cost_model": 0, "build_cost_model_after": 0, "infer_shapes": False,
              "place_pruned_graph": False, "enable_bfloat16_sendrecv": False,
              "timeline_step": 0, "rewrite_options": RewriterConfig}


class GPUOptions(_Message):
    FIELDS = {"per_process_gpu_memory_fraction": 0.0, "allow_growth": False,
              "allocator_type": "", "deferred_deletion_bytes": 0, "visible_device_list": "",
              "polling_active_delay_usecs": 0, "polling_inactive_delay_msecs": 0,
              "force_gpu_compatible": False, "experimental": dict}


class RPCOptions(_Message):
    FIELDS = {"use_rpc_for_inprocess_master": False, "compression_algorithm": "",
              "compression_level": 0}


class ThreadPoolOptionProto(_Message):
    FIELDS = {"num_threads": 0, "global_name": ""}


class ConfigProto(_Message):
    FIELDS = {"device_count": dict, "intra_op_parallelism_threads": 0,
              "inter_op_parallelism_threads": 0, "use_per_session_threads": False,
              "session_inter_op_thread_pool": list, "placement_period": 0,
              "device_filters": list, "gpu_options": GPUOptions,
              "allow_soft_placement": False, "log_device_placement": False,
              "graph_options": GraphOptions, "operation_timeout_in_ms": 0,
              "rpc_options": RPCOptions, "cluster_def": None,
              "isolate_session_state": False, "share_cluster_devices_in_session": False,
              "experimental": dict}


class RunOptions(_Message):
    NO_TRACE, SOFTWARE_TRACE, HARDWARE_TRACE, FULL_TRACE = 0, 1, 2, 3
    FIELDS = {"trace_level": 0, "timeout_in_ms": 0, "inter_op_thread_pool": 0,
              "output_partition_graphs": False, "debug_options": None,
              "report_tensor_allocations_upon_oom": False, "experimental": dict}


class RunMetadata(_Message):
    FIELDS = {"step_stats": None, "cost_graph": None, "partition_graphs": list,
              "function_graphs": list}
