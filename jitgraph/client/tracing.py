"""Times one traced `Session.run` (`RunOptions(trace_level=FULL_TRACE)`) into StepStats.

A compiled stage is one node (its ops run fused, so they have no times of their own);
each op the interpreter runs (host stages, or every stage with the JIT off) is a node
of its own. Labels read `name = Type(input, ...)` as TF's, which `timeline` parses.
"""
from __future__ import annotations

import time

from jitgraph.config_proto import DeviceStepStats, NodeExecStats, StepStats
from jitgraph.runtime import interpreter

DEVICE = "/job:localhost/replica:0/task:0/device:CPU:0"


class StepTracer:
    """Collects NodeExecStats while a runner runs a plan's stages."""

    def __init__(self):
        self.nodes = []
        self._tid = 0  # TF numbers a step's threads from 0; a run is on one

    def run_stage(self, runner, st, env, index):
        plan, state = runner.plan, runner.state
        if st.kind == "host" or not runner.jit:
            for op in st.ops:
                start = time.time_ns()
                t0 = time.perf_counter_ns()
                interpreter.run_ops([op], env, plan, state)
                self._add(op.name, _label(op.name, op.type, [t.name for t in op.inputs]),
                          start, time.perf_counter_ns() - t0)
            return
        start = time.time_ns()
        t0 = time.perf_counter_ns()
        runner._call(st, env)
        name = f"jit_stage_{index}"
        self._add(name, _label(name, "CompiledStage", [op.name for op in st.ops]),
                  start, time.perf_counter_ns() - t0)

    def _add(self, name, label, start_ns, dur_ns):
        self.nodes.append(NodeExecStats(
            node_name=name, timeline_label=label, thread_id=self._tid,
            all_start_micros=start_ns // 1000, op_start_rel_micros=0,
            op_end_rel_micros=dur_ns // 1000, all_end_rel_micros=dur_ns // 1000,
            all_start_nanos=start_ns, op_start_rel_nanos=0, op_end_rel_nanos=dur_ns,
            all_end_rel_nanos=dur_ns, scheduled_micros=start_ns // 1000,
            scheduled_nanos=start_ns))

    def step_stats(self) -> StepStats:
        return StepStats(dev_stats=[DeviceStepStats(device=DEVICE, node_stats=self.nodes)])


def _label(name, op_type, inputs):
    return f"{name} = {op_type}({', '.join(inputs)})"
