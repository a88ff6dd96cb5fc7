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


# -- background compiles -------------------------------------------------------------------
import signal  # noqa: E402
import subprocess  # noqa: E402
import textwrap  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
import warnings  # noqa: E402

import pytest  # noqa: E402

from jitgraph import config  # noqa: E402
from jitgraph.codegen import background  # noqa: E402


@pytest.fixture
def background_mode():
    config.set_compile_mode("background")
    yield
    config.set_compile_mode(None)


def _regression(seed_const):
    """A small training step whose generated source is new to the cache (`seed_const`)."""
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(3)
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        y = tf.placeholder(tf.float32, [None, 1], name="y")
        pred = tf.layers.dense(x, 1) * seed_const
        loss = tf.reduce_mean(tf.square(pred - y))
        train = tf.train.AdamOptimizer(0.05).minimize(loss)
        init = tf.global_variables_initializer()
    rs = np.random.RandomState(0)
    xs = rs.randn(16, 3).astype(np.float32)
    ys = (xs @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)
    return g, init, (train, loss), {x: xs, y: ys}


def _train_until_compiled(sess, fetches, feeds, limit_s=180):
    plan = sess._plan_for(fetches, feeds)
    (runner,) = {r for r in sess._runners.values() if r.plan is plan}
    losses, jit_from = [], None
    t0 = time.monotonic()
    while jit_from is None or len(losses) < jit_from + 5:
        losses.append(sess.run(fetches, feeds)[1])
        if jit_from is None and runner.jit:
            jit_from = len(losses)
        assert time.monotonic() - t0 < limit_s, "the compiled code never arrived"
        time.sleep(0.01 if jit_from is None else 0)
    return losses, jit_from


def _reference_losses(seed_const, n):
    g, init, fetches, feeds = _regression(seed_const)
    sess = session(g, jit=False)
    sess.run(init)
    return [sess.run(fetches, feeds)[1] for _ in range(n)]


def test_background_compile_runs_the_interpreter_then_switches(background_mode):
    c = 1.0 + uuid.uuid4().int % 1000 / 1e4  # new source: a real compile, not a cache hit
    g, init, fetches, feeds = _regression(c)
    sess = tf.Session(graph=g)
    sess.run(init)
    t0 = time.perf_counter()
    sess.run(fetches, feeds)
    assert time.perf_counter() - t0 < 1.0  # the first step did not wait for Numba
    losses, jit_from = _train_until_compiled(sess, fetches, feeds)
    assert jit_from > 1
    ref = _reference_losses(c, len(losses) + 1)
    # Same buffers, same streams across the switch: the run continues where it was.
    np.testing.assert_allclose([ref[0]] + losses, ref, rtol=1e-4, atol=1e-6)


def test_killed_compile_process_falls_back_with_one_warning(background_mode):
    c = 2.0 + uuid.uuid4().int % 1000 / 1e4
    g, init, fetches, feeds = _regression(c)
    sess = tf.Session(graph=g)
    sess.run(init)
    sess.run(fetches, feeds)
    pid = background.worker_pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        losses, _ = _train_until_compiled(sess, fetches, feeds)
    failed = [w for w in caught if "background compile" in str(w.message)]
    assert len(failed) == 1, [str(w.message) for w in caught]
    ref = _reference_losses(c, len(losses) + 1)
    np.testing.assert_allclose(losses, ref[1:], rtol=1e-4, atol=1e-6)


def _gone(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return any(line.startswith("State:") and "Z" in line for line in f)
    except FileNotFoundError:
        return True


def test_no_compile_process_outlives_the_program(tmp_path):
    program = textwrap.dedent("""
        import jitgraph as tf
        from jitgraph.codegen import background
        x = tf.placeholder(tf.float32, [None])
        y = tf.reduce_sum(x * %r)
        sess = tf.Session()
        print(sess.run(y, {x: [1.0, 2.0]}))
        print(background.worker_pid(), flush=True)
    """ % (3.0 + uuid.uuid4().int % 1000 / 1e4))
    env = dict(os.environ, JITGRAPH_COMPILE="background")
    out = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True,
                         text=True, timeout=120, check=True).stdout.split()
    pid = int(out[-1])
    deadline = time.monotonic() + 10
    while not _gone(pid):
        assert time.monotonic() < deadline, f"compile process {pid} outlived its program"
        time.sleep(0.05)


def test_background_mode_loads_a_cached_signature_at_once(background_mode):
    g, init, fetches, feeds = _regression(4.0)
    config.set_compile_mode("sync")
    warm = tf.Session(graph=g)
    warm.run(init)
    warm.run(fetches, feeds)  # compiled: in the disk cache and in this process
    config.set_compile_mode("background")
    sess = tf.Session(graph=g)
    sess.run(init)
    sess.run(fetches, feeds)
    plan = sess._plan_for(fetches, feeds)
    (runner,) = {r for r in sess._runners.values() if r.plan is plan}
    assert runner.jit and runner._pending is None  # no compile process asked


def test_program_exits_at_once_while_its_compile_runs(tmp_path):
    # The compile process was asked politely at exit and the program waited for the
    # compile in progress to end (14 s for a CNN): it must be ended, not waited for.
    program = textwrap.dedent("""
        import sys
        sys.path.insert(0, {!r})
        import jitgraph as tf
        from _rnn import batch, build_rnn
        x, y, train, loss = build_rnn(tf, 12)
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        feed = dict(zip((x, y), batch(12)))
        # Eight signatures (200 kB of source): while the first compiles, the others fill
        # the request pipe.
        for fetches in [(train, loss * float(k)) for k in range(8)]:
            sess.run(fetches, feed)
        print("done", flush=True)
    """.format(os.path.join(os.path.dirname(os.path.dirname(__file__)), "benchmarks")))
    env = dict(os.environ, JITGRAPH_COMPILE="background",
               JITGRAPH_CACHE_DIR=str(tmp_path / "cache"))  # empty: a real compile runs
    proc = subprocess.Popen([sys.executable, "-c", program], env=env, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "done"
        t0 = time.monotonic()
        proc.wait(timeout=60)
        assert time.monotonic() - t0 < 3.0, "the program waited for its compile at exit"
    finally:
        proc.kill()
        proc.wait()
