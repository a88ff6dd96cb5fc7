"""Thread safety as TF states it (issue 15, findings 8-10).

TF's iterators hand each element out once across threads, concurrent runs of a
Session draw distinct random streams, and `use_locking=True` stores are exact.
The probes shrink the GIL's switch interval so that races show in a short run.
"""
from __future__ import annotations

import sys
import threading
from collections import Counter

import numpy as np
import pytest
from helpers import session

import jitgraph as tf

BOTH = pytest.mark.parametrize("jit", [True, False], ids=["jit", "interp"])


@pytest.fixture(autouse=True)
def _busy_switching():
    """Threads switch every microsecond, so an unguarded read-modify-write races."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def _in_threads(n, fn):
    """Runs fn(i) in n threads started together; returns their results, re-raises errors."""
    results, errors_ = [None] * n, []
    barrier = threading.Barrier(n)

    def body(i):
        barrier.wait()
        try:
            results[i] = fn(i)
        except BaseException as e:  # noqa: BLE001 - reported in the main thread
            errors_.append(e)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors_:
        raise errors_[0]
    return results


# -- 8: one iterator, many threads ---------------------------------------------------------
def _drain(sess, nxt):
    """Elements until OutOfRangeError, then proof that the end repeats for this thread."""
    got = []
    while True:
        try:
            got.extend(np.ravel(sess.run(nxt)).tolist())
        except tf.errors.OutOfRangeError:
            break
    with pytest.raises(tf.errors.OutOfRangeError):
        sess.run(nxt)
    return got


@BOTH
@pytest.mark.parametrize("kind", ["one_shot", "initializable"])
def test_iterator_shared_by_threads_yields_each_element_once(jit, kind):
    n = 6000
    ds = tf.data.Dataset.range(n).map(lambda x: x * 2).batch(3)
    it = (ds.make_one_shot_iterator() if kind == "one_shot"
          else ds.make_initializable_iterator())
    nxt = it.get_next() + 0  # a compiled stage after the host get_next on the JIT
    sess = session(jit=jit)
    if kind == "initializable":
        sess.run(it.initializer)
    got = [x for part in _in_threads(4, lambda i: _drain(sess, nxt)) for x in part]
    dup = [x for x, c in Counter(got).items() if c > 1]
    assert not dup, f"{len(dup)} elements handed out twice"
    assert sorted(got) == list(range(0, 2 * n, 2))


# -- 9: random streams -------------------------------------------------------------------
def _draw_rows(sess, r, runs):
    """The first draws of each run: they name its stream."""
    return [tuple(np.ravel(sess.run(r))[:3].tolist()) for _ in range(runs)]


@BOTH
def test_concurrent_runs_draw_distinct_streams(jit):
    """Run c of a seeded op draws stream c: threads together draw runs 0..N-1, each once."""
    threads, runs = 8, 400
    # Many draws per run keep the kernel long, the window of a racy counter wide.
    r = tf.random_uniform([4096], seed=7, dtype=tf.float64)
    expected = _draw_rows(session(jit=False), r, threads * runs + 1)
    sess = session(jit=jit)
    assert _draw_rows(sess, r, 1) == expected[:1]  # the first run compiles; the rest race
    got = [row for part in _in_threads(threads, lambda i: _draw_rows(sess, r, runs))
           for row in part]
    assert len(set(got)) == len(got), f"{len(got) - len(set(got))} repeated streams"
    assert sorted(got) == sorted(expected[1:])


def test_shuffle_streams_distinct_across_threads():
    x = tf.random_shuffle(tf.range(12), seed=3)
    sess = session(jit=False)
    rows = _draw_rows(sess, x, 400)
    sess2 = session(jit=False)
    got = [row for part in _in_threads(4, lambda i: _draw_rows(sess2, x, 100)) for row in part]
    assert Counter(got) == Counter(rows)


# -- 10: use_locking ----------------------------------------------------------------------
@BOTH
def test_assign_add_with_use_locking_is_exact_across_threads(jit):
    # Long enough that the store's loop runs with the GIL released (numpy and Numba both).
    v = tf.Variable(np.zeros(50_000, np.float32))
    inc = tf.assign_add(v, tf.ones([50_000]), use_locking=True)
    dec = tf.assign_sub(v, tf.fill([50_000], 0.5), use_locking=True)
    sess = session(jit=jit)
    sess.run(v.initializer)
    steps = 500

    def work(i):
        op = inc if i % 2 == 0 else dec
        for _ in range(steps):
            sess.run(op)

    _in_threads(4, work)
    np.testing.assert_array_equal(sess.run(v), np.full(50_000, steps, np.float32))


@BOTH
def test_optimizer_with_use_locking_applies_every_step(jit):
    w = tf.Variable(np.zeros(50_000, np.float32))
    b = tf.Variable(0.0)
    loss = tf.reduce_sum(w) + 2.0 * b
    train = tf.train.GradientDescentOptimizer(1.0, use_locking=True).minimize(loss)
    sess = session(jit=jit)
    sess.run(tf.global_variables_initializer())
    steps = 500

    def work(i):
        for _ in range(steps):
            sess.run(train)

    _in_threads(4, work)
    np.testing.assert_array_equal(sess.run(w), np.full(50_000, -4.0 * steps, np.float32))
    assert sess.run(b) == -8.0 * steps


def test_use_locking_op_attr_and_default():
    v = tf.Variable(0.0)
    assert tf.assign_add(v, 1.0, use_locking=True).op.get_attr("use_locking") is True
    assert tf.assign_add(v, 1.0).op.get_attr("use_locking") is False
    opt = tf.train.AdamOptimizer(use_locking=True)
    step = opt.minimize(v * v)
    stores = [op for op in step.graph.get_operations()
              if op.type in ("Assign", "AssignAdd", "AssignSub") and op.name.startswith("Adam/")]
    assert stores and all(op.get_attr("use_locking") for op in stores)


# -- stress: mixed signatures, compiles racing with runs ------------------------------------
@pytest.mark.slow
def test_stress_mixed_signatures_on_one_session():
    """8 threads start together on a fresh Session, so first compiles race with runs of
    plans already built; every result is checked, and shared state adds up exactly."""
    threads, rounds, n_elems = 8, 30, 1000
    x = tf.placeholder(tf.float32, [None], name="x")
    y = tf.identity(x * 2.0 + 1.0, name="y")
    p = tf.placeholder(tf.float64, None, name="p")
    z = tf.reduce_sum(p * p)
    count = tf.Variable(0.0)
    inc = tf.assign_add(count, 1.0, use_locking=True)
    r = tf.random_uniform([2], seed=5, dtype=tf.float64) * 1.0
    nxt = tf.data.Dataset.range(n_elems).make_one_shot_iterator().get_next() + 1
    sess = session(jit=True)
    sess.run(count.initializer)
    draws, elems = [], []

    def tasks(i, k):
        v = np.arange(k % 5 + 1, dtype=np.float32) + i
        return [
            lambda: np.testing.assert_array_equal(sess.run(y, {x: v}), v * 2 + 1),
            lambda: np.testing.assert_array_equal(sess.run("y:0", {"x:0": v}), v * 2 + 1),
            lambda: np.testing.assert_allclose(sess.run(z, {p: v.astype(np.float64)}),
                                               np.sum(v.astype(np.float64) ** 2)),
            lambda: np.testing.assert_allclose(
                sess.run(z, {p: np.outer(v, v).astype(np.float64)}),
                np.sum(np.outer(v, v).astype(np.float64) ** 2)),
            lambda: sess.run(inc),
            lambda: draws.append(tuple(sess.run(r).tolist())),
            lambda: _next_or_end(sess, nxt, elems),
        ]

    def work(i):
        for k in range(rounds):
            todo = tasks(i, k)
            for j in range(len(todo)):
                todo[(i + j + k) % len(todo)]()

    _in_threads(threads, work)
    assert sess.run(count) == threads * rounds
    expected = _draw_rows(session(jit=False), r, threads * rounds)
    assert sorted(draws) == sorted(expected)
    assert sorted(elems) == list(range(1, threads * rounds + 1))


def _next_or_end(sess, nxt, out):
    try:
        out.append(int(sess.run(nxt)))
    except tf.errors.OutOfRangeError:
        pass
