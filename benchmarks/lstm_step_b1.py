"""``lstm_step`` at batch 1: per-iteration overhead (a while loop's 28 steps forward and
28 backward) dominates the arithmetic."""
from _lstm import make_workload

NAME = "lstm_step_b1"
DESCRIPTION = "the lstm_step LSTM at batch 1 (per-step overhead); one Adam step"
UNIT = "step"
LONG = True  # its compile (a while loop's several stages) is minutes on a busy machine: not --quick

setup, setup_jax = make_workload(1, quick_batch=1)
