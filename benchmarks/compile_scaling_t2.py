"""``compile_scaling`` at T=2: a tanh RNN unrolled 2 steps by a Python loop, trained by Adam.

The first call is the first run of the train step from an empty cache (the compile);
the samples are steady steps. Together, T = 2, 8, 32, 128 show how compile time grows
with graph size.
"""
from _rnn import make_workload

NAME = "compile_scaling_t2"
DESCRIPTION = "unrolled tanh RNN, T=2 (hidden 32, batch 16), Adam; first run = compile"
UNIT = "step"
LONG = True  # a compile of seconds is its point: left out of --quick unless named

setup, setup_jax = make_workload(2)
