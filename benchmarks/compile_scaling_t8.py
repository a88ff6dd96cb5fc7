"""``compile_scaling`` at T=8: a tanh RNN unrolled 8 steps by a Python loop, trained by Adam.

The first call is the first run of the train step from an empty cache (the compile);
the samples are steady steps. Together, T = 2, 8, 32, 128 show how compile time grows
with graph size.
"""
from _rnn import make_workload

NAME = "compile_scaling_t8"
DESCRIPTION = "unrolled tanh RNN, T=8 (hidden 32, batch 16), Adam; first run = compile"
UNIT = "step"
LONG = True  # left out of `jitgraph bench --quick` unless named (t=2 stays)

setup, setup_jax = make_workload(8)
