"""`timeline.Timeline(step_stats)`: a traced run as a Chrome trace (chrome://tracing,
Perfetto), laid out as TF's `tensorflow.python.client.timeline` lays it out.

Each device gets a "Compute" process whose rows are threads and whose boxes are the
nodes of the step (named by op type, with the node name and its inputs as args), and
a "Tensors" process; an "Allocators" process comes first. jitgraph records no tensor
allocations, so the Tensors process is empty and no dataflow arrows are drawn.
"""
from __future__ import annotations

import json
import re

_LABEL = re.compile(r"(.*) = (.*)\((.*)\)")


class _ChromeTraceFormatter:
    """Chrome trace events, as TF's formatter writes them."""

    def __init__(self):
        self._events = []
        self._metadata = []

    def emit_pid(self, name, pid):
        self._metadata.append({"name": "process_name", "ph": "M", "pid": pid,
                               "args": {"name": name}})

    def emit_tid(self, name, pid, tid):
        self._metadata.append({"name": "thread_name", "ph": "M", "pid": pid, "tid": tid,
                               "args": {"name": name}})

    def emit_region(self, timestamp, duration, pid, tid, category, name, args):
        self._events.append({"ph": "X", "cat": category, "name": name, "pid": pid,
                             "tid": tid, "ts": timestamp, "dur": duration, "args": args})

    def format_to_string(self, pretty=False):
        trace = {"traceEvents": self._metadata + self._events}
        if pretty:
            return json.dumps(trace, indent=4, separators=(",", ": "))
        return json.dumps(trace, separators=(",", ":"))


class Timeline:
    """A class for visualizing execution timelines of TensorFlow steps."""

    def __init__(self, step_stats, graph=None):
        self._step_stats = step_stats
        self._graph = graph
        self._chrome_trace = _ChromeTraceFormatter()
        self._next_pid = 0

    def _alloc_pid(self):
        pid = self._next_pid
        self._next_pid += 1
        return pid

    @staticmethod
    def _parse_op_label(label):
        """(node name, op type, inputs) of a `name = Op(input, ...)` label."""
        match = _LABEL.match(label)
        if match is None:
            return "unknown", "unknown", []
        nn, op, inputs = match.groups()
        return nn, op, inputs.split(", ") if inputs else []

    def _emit_op(self, nodestats, pid):
        _, op, inputs = self._parse_op_label(nodestats.timeline_label)
        args = {"name": nodestats.node_name, "op": op}
        for i, iname in enumerate(inputs):
            args[f"input{i}"] = iname
        self._chrome_trace.emit_region(nodestats.all_start_micros,
                                       nodestats.all_end_rel_micros, pid,
                                       nodestats.thread_id, "Op", op, args)

    def generate_chrome_trace_format(self, show_dataflow=True, show_memory=False,
                                     op_time="schedule"):
        """The step as a JSON string in the Chrome trace format.

        Args:
          show_dataflow, show_memory: accepted for TF's signature; jitgraph's traces hold
            no tensor allocations to draw.
          op_time: "schedule", "gpu" or "all": on the CPU every choice draws a node from
            its start to its end.
        """
        self._chrome_trace.emit_pid("Allocators", self._alloc_pid())
        for dev_stats in self._step_stats.dev_stats:
            pid = self._alloc_pid()
            self._chrome_trace.emit_pid(dev_stats.device + " Compute", pid)
            self._chrome_trace.emit_pid(dev_stats.device + " Tensors", self._alloc_pid())
            for tid, name in sorted(dict(getattr(dev_stats, "thread_names", {})).items()):
                self._chrome_trace.emit_tid(name, pid, tid)
            for nodestats in dev_stats.node_stats:
                self._emit_op(nodestats, pid)
        return self._chrome_trace.format_to_string(pretty=True)
