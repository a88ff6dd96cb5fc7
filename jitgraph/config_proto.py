"""`tf.ConfigProto`, `tf.GPUOptions`, `tf.RunOptions`, `tf.RunMetadata` and their sub-messages.

They take the fields TF 1.x programs set, by keyword or by attribute, with a sub-message
there to write into on a default message (`config.gpu_options.allow_growth = True`), as
protobuf does. An unknown field is an error, as in TF, so typos are not silently dropped.

Effective fields: `intra_op_parallelism_threads` (0 = the CPUs this process may use)
bounds the BLAS threads of the Session's runs (jitgraph.runtime.threads).
`inter_op_parallelism_threads` is accepted: a run executes one op at a time, so there is
nothing to run alongside. `RunOptions.trace_level` (any but NO_TRACE) makes a run fill
`RunMetadata.step_stats`: one NodeExecStats per compiled stage and per op run on the
interpreter (jitgraph.client.timeline draws them). Every other field has no effect:
jitgraph runs on the CPU, with no devices to count, place, log or give memory to, and no
graph rewrites to configure.
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


# -- traces: what `RunOptions(trace_level=FULL_TRACE)` fills in ------------------------------
# Encoded by hand (fields as in TF's step_stats.proto and config.proto), so that a traced
# RunMetadata goes to TensorBoard (`FileWriter.add_run_metadata`) without protobuf.
def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _len_field(number, data: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _int_field(number, n) -> bytes:
    return _varint(number << 3) + _varint(int(n)) if n else b""


def _str_field(number, s) -> bytes:
    return _len_field(number, s.encode() if isinstance(s, str) else bytes(s)) if s else b""


class NodeExecStats(_Message):
    """One op's (or one compiled stage's) times in a traced run, in µs since the epoch
    (`all_start_micros`) and relative to it; the `_nanos` fields say the same finer."""

    FIELDS = {"node_name": "", "all_start_micros": 0, "op_start_rel_micros": 0,
              "op_end_rel_micros": 0, "all_end_rel_micros": 0, "timeline_label": "",
              "scheduled_micros": 0, "thread_id": 0, "all_start_nanos": 0,
              "op_start_rel_nanos": 0, "op_end_rel_nanos": 0, "all_end_rel_nanos": 0,
              "scheduled_nanos": 0, "memory": list, "output": list}
    _INTS = ((2, "all_start_micros"), (3, "op_start_rel_micros"), (4, "op_end_rel_micros"),
             (5, "all_end_rel_micros"), (9, "scheduled_micros"), (10, "thread_id"),
             (13, "all_start_nanos"), (14, "op_start_rel_nanos"), (15, "op_end_rel_nanos"),
             (16, "all_end_rel_nanos"), (17, "scheduled_nanos"))

    def SerializeToString(self):  # noqa: N802 - protobuf's name
        out = [_str_field(1, self.node_name), _str_field(8, self.timeline_label)]
        out += [_int_field(n, getattr(self, name)) for n, name in self._INTS]
        return b"".join(out)


class DeviceStepStats(_Message):
    FIELDS = {"device": "", "node_stats": list, "thread_names": dict}

    def SerializeToString(self):  # noqa: N802 - protobuf's name
        out = [_str_field(1, self.device)]
        out += [_len_field(2, n.SerializeToString()) for n in self.node_stats]
        out += [_len_field(3, _int_field(1, k) + _str_field(2, v))
                for k, v in sorted(self.thread_names.items())]
        return b"".join(out)


class StepStats(_Message):
    FIELDS = {"dev_stats": list}

    def SerializeToString(self):  # noqa: N802 - protobuf's name
        return b"".join(_len_field(1, d.SerializeToString()) for d in self.dev_stats)


class RunMetadata(_Message):
    FIELDS = {"step_stats": StepStats, "cost_graph": None, "partition_graphs": list,
              "function_graphs": list}

    def SerializeToString(self):  # noqa: N802 - protobuf's name
        """The step stats of a traced run (the only field jitgraph fills)."""
        stats = self.step_stats.SerializeToString()
        return _len_field(1, stats) if stats else b""
