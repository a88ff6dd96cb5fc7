"""Compile latency (issue 10): shared loop functions for large stages."""
import os
import sys

import numpy as np

import jitgraph as tf
from helpers import session

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "benchmarks"))
from _rnn import batch, build_rnn  # noqa: E402


def _rnn_losses(jit, steps=6, runs=3):
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1)
        x, y, train, loss = build_rnn(tf, steps)
        init = tf.global_variables_initializer()
    sess = session(g, jit)
    sess.run(init)
    xs, ys = batch(steps)
    return [sess.run((train, loss), {x: xs, y: ys})[1] for _ in range(runs)], sess, (train, loss), {
        x: xs, y: ys}


def test_unrolled_rnn_compiles_as_shared_loops_and_matches_the_interpreter():
    jit_losses, sess, fetches, feeds = _rnn_losses(True)
    ref_losses, *_ = _rnn_losses(False)
    np.testing.assert_allclose(jit_losses, ref_losses, rtol=1e-5)
    src = tf.inspect(sess, fetches, feeds).source
    defs = src.count("\ndef loop_")
    glue = src[src.index("\ndef stage0"):]
    calls = glue.count("loop_")
    # The six time steps share their loop nests: far fewer functions than calls.
    assert defs > 0 and calls >= 2 * defs, (defs, calls)
    # Shared functions are canonical: they never name an op, only its type.
    body = src[:src.index("\ndef stage0")]
    assert "rnn" not in body and "gradients/" not in body
