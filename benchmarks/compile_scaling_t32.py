"""``compile_scaling`` at T=32: a tanh RNN unrolled 32 steps by a Python loop, trained by Adam.

The first call is the first run of the train step from an empty cache (the compile);
the samples are steady steps. Together, T = 2, 8, 32, 128 show how compile time grows
with graph size.
"""
from _rnn import make_workload

NAME = "compile_scaling_t32"
DESCRIPTION = "unrolled tanh RNN, T=32 (hidden 32, batch 16), Adam; first run = compile"
UNIT = "step"
LONG = True  # left out of `jitgraph bench --quick` unless named

setup, setup_jax = make_workload(32)
