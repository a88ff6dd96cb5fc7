"""One Adam step of the MNIST-row LSTM classifier (issue 13): ``dynamic_rnn`` of a
BasicLSTMCell(128) over 28 steps of 28 inputs, batch 128; JAX runs ``lax.scan``."""
from _lstm import make_workload

NAME = "lstm_step"
DESCRIPTION = "LSTM 28x28 -> 128 hidden (dynamic_rnn), softmax CE, Adam; batch 128; one step"
UNIT = "step"
LONG = True  # its compile (a while loop's several stages) is minutes on a busy machine: not --quick

setup, setup_jax = make_workload(128, quick_batch=32)
