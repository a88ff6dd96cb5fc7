"""`tf.train.ProfilerHook`: every N steps (or seconds) a traced step, saved as a Chrome
trace `timeline-{step}.json` and as run metadata for TensorBoard."""
from __future__ import annotations

import os

from jitgraph.train.hooks import SecondOrStepTimer, _require_global_step, _writer
from jitgraph.train.session_run_hook import SessionRunArgs, SessionRunHook


class ProfilerHook(SessionRunHook):
    """Captures the step's per-stage (interpreter: per-op) times every `save_steps` steps
    or `save_secs` seconds and writes them to `output_dir`."""

    def __init__(self, save_steps=None, save_secs=None, output_dir="", show_dataflow=True,
                 show_memory=False):
        self._output_file = os.path.join(output_dir, "timeline-{}.json")
        self._output_dir = output_dir
        self._show_dataflow, self._show_memory = show_dataflow, show_memory
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)

    def begin(self):
        self._next_step = None
        self._global_step_tensor = _require_global_step("ProfilerHook")
        self._file_writer = _writer(self._output_dir)

    def before_run(self, run_context):
        from jitgraph.config_proto import RunOptions
        self._request_summary = (self._next_step is not None and
                                 self._timer.should_trigger_for_step(self._next_step))
        opts = RunOptions(trace_level=RunOptions.FULL_TRACE) if self._request_summary else None
        return SessionRunArgs({"global_step": self._global_step_tensor}, options=opts)

    def after_run(self, run_context, run_values):
        stale_global_step = run_values.results["global_step"]
        if self._next_step is None:
            # the timer starts counting from the first step seen
            self._timer.update_last_triggered_step(stale_global_step)
        global_step = stale_global_step + 1
        if self._request_summary:
            global_step = run_context.session.run(self._global_step_tensor)
            self._timer.update_last_triggered_step(global_step)
            self._save(global_step, self._output_file.format(global_step),
                       run_values.run_metadata.step_stats)
            self._file_writer.add_run_metadata(run_values.run_metadata, f"step_{global_step}")
        self._next_step = global_step + 1

    def _save(self, step, save_path, step_stats):
        from jitgraph.client.timeline import Timeline
        from jitgraph.platform import logging
        logging.info("Saving timeline for %d into '%s'.", step, save_path)
        with open(save_path, "w") as f:
            f.write(Timeline(step_stats).generate_chrome_trace_format(
                show_dataflow=self._show_dataflow, show_memory=self._show_memory))
