"""Session.make_callable, partial runs, Session.reset, traced runs and their timeline.

Reference values and messages are TF 1.x's (tensorflow.compat.v1 2.21, CPU).
"""
import json
import os

import numpy as np
import pytest

import jitgraph as tf
from helpers import session
from jitgraph.client import timeline


def _step_graph():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 10, name="w")
    loss = tf.reduce_sum(tf.square(tf.matmul(x, w)))
    train = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
    return x, w, loss, train


def test_make_callable_matches_run(engine):
    x, w, loss, train = _step_graph()
    xv = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
    ref = session(jit=engine)
    ref.run(tf.global_variables_initializer())
    sess = session(jit=engine)
    sess.run(tf.global_variables_initializer())
    step = sess.make_callable([loss, train], feed_list=[x])
    for _ in range(3):
        got = step(xv)
        want = ref.run([loss, train], {x: xv})
        assert isinstance(got, list) and got[1] is None
        np.testing.assert_allclose(got[0], want[0], rtol=1e-6)
    np.testing.assert_allclose(sess.run(w), ref.run(w), rtol=1e-6)
    # One plan for both spellings: the callable found the runner `run` uses.
    n = len(sess._plans)
    sess.run([loss, train], {x: xv})
    assert len(sess._plans) == n
    # Structures, names and no feeds, as `run` takes them.
    f = sess.make_callable({"l": loss, "t": (w, "w:0")}, ["x:0"])
    out = f(xv)
    assert set(out) == {"l", "t"} and isinstance(out["t"], tuple)
    assert sess.make_callable(train, [x])(xv) is None
    assert sess.make_callable(w)().shape == (3, 2)
    g = sess.make_callable(loss, [x], accept_options=True)
    md = tf.RunMetadata()
    g(xv, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE), run_metadata=md)
    assert md.step_stats.dev_stats[0].node_stats


def test_make_callable_tf_reference_values_and_errors():
    a = tf.placeholder(tf.float32, shape=[])
    b = tf.placeholder(tf.float32, shape=[])
    c = tf.placeholder(tf.float32, shape=[])
    r2 = (a + b) * c
    sess = session(jit=False)
    f = sess.make_callable([r2, a + b], [a, b, c])
    assert f(1, 2, 3) == [9.0, 3.0]  # TF: [9.0, 3.0]
    v = sess.make_callable(r2, [a, b, c])(1, 2, 3)
    assert v == 9.0 and type(v) is np.float32
    with pytest.raises(tf.errors.InvalidArgumentError, match="must feed a value"):
        f(1, 2)  # TF zips the values it is given: c is left unfed
    with pytest.raises(ValueError, match="cannot be interpreted as a Tensor"):
        sess.make_callable("nope:0")
    # The unknown-rank feed keys its plan by the fed rank on every call.
    p = tf.placeholder(tf.float32)
    h = sess.make_callable(p * 2.0, [p])
    assert h(1.5) == 3.0
    np.testing.assert_array_equal(h([[1.0, 2.0]]), [[2.0, 4.0]])
    sess.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        f(1, 2, 3)


def test_make_callable_survives_plan_eviction():
    x = tf.placeholder(tf.float32, [2])
    y, z = x + 1.0, x * 3.0
    sess = session(jit=False)
    sess.max_plans = 1
    f = sess.make_callable(y, [x])
    np.testing.assert_array_equal(f([1, 2]), [2, 3])
    sess.run(z, {x: [1, 2]})  # evicts f's plan
    np.testing.assert_array_equal(f([3, 4]), [4, 5])


def test_partial_run_tf_reference():
    a = tf.placeholder(tf.float32, shape=[])
    b = tf.placeholder(tf.float32, shape=[])
    c = tf.placeholder(tf.float32, shape=[])
    r1 = a + b
    r2 = r1 * c
    sess = session(jit=False)
    h = sess.partial_run_setup([r1, r2], [a, b, c])
    res = sess.partial_run(h, r1, feed_dict={a: 1, b: 2})
    assert res == 3.0
    assert sess.partial_run(h, r2, feed_dict={c: res}) == 9.0  # TF: 9.0
    # The handle is spent once everything was fetched (TF's message).
    with pytest.raises(tf.errors.InvalidArgumentError, match="Must run 'setup'"):
        sess.partial_run(h, r2)
    h = sess.partial_run_setup([r1, r2], [a, b, c])
    sess.partial_run(h, r1, feed_dict={a: 1, b: 2})
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="The feed Placeholder:0 has already been fed."):
        sess.partial_run(h, r2, {a: 3, c: 1})
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="The feed add:0 was not specified in partial_run_setup."):
        sess.partial_run(h, r2, {r1: 3})
    with pytest.raises(tf.errors.InvalidArgumentError, match="was not specified"):
        sess.partial_run(h, r1 * 2.0)


def test_partial_run_runs_each_op_once(engine):
    """A value drawn in one piece is the value later pieces see (TF runs each op once)."""
    u = tf.random_uniform([3])
    s = tf.placeholder(tf.float32, [])
    first, later = u + 0.0, u * s
    counter = tf.Variable(0.0)
    bump = tf.assign_add(counter, 1.0)
    sess = session(jit=engine)
    sess.run(counter.initializer)
    h = sess.partial_run_setup([first, later, bump], [s])
    v1, _ = sess.partial_run(h, [first, bump])
    v2 = sess.partial_run(h, later, {s: 2.0})
    np.testing.assert_allclose(v2, 2 * v1, rtol=1e-6)
    assert sess.run(counter) == 1.0


def test_session_reset_closes_in_process_sessions():
    v = tf.Variable(1.0)
    x = tf.placeholder(tf.float32, [])
    s1, s2 = session(jit=False), session(jit=False)
    for s in (s1, s2):
        s.run(v.initializer)
    f = s1.make_callable(v + x, [x])
    assert f(1.0) == 2.0
    tf.Session.reset("")
    for run in (lambda: s1.run(v), lambda: s2.run(v + 1.0), lambda: f(1.0)):
        with pytest.raises(tf.errors.CancelledError, match="Session has been closed."):
            run()
    s1.close()  # still allowed, as in TF
    with pytest.raises(tf.errors.NotFoundError, match="No session factory"):
        tf.Session.reset("grpc://localhost:2222")


def test_full_trace_step_stats_and_timeline(engine):
    x, w, loss, train = _step_graph()
    sess = session(jit=engine)
    sess.run(tf.global_variables_initializer())
    xv = np.ones((2, 3), np.float32)
    md = tf.RunMetadata()
    opts = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
    traced = sess.run(loss, {x: xv}, options=opts, run_metadata=md)
    assert traced == sess.run(loss, {x: xv})
    dev = md.step_stats.dev_stats
    assert len(dev) == 1 and dev[0].device == "/job:localhost/replica:0/task:0/device:CPU:0"
    nodes = dev[0].node_stats
    if engine == "interp":  # one node per op, labelled as TF labels them
        names = [n.node_name for n in nodes]
        assert "MatMul" in names and "Sum" in names
        mm = nodes[names.index("MatMul")]
        assert mm.timeline_label == "MatMul = MatMul(x:0, w/read:0)"
    else:  # the compiled stage is one node listing the ops it fused
        assert [n.node_name for n in nodes] == ["jit_stage_0"]
        assert "MatMul" in nodes[0].timeline_label
    for n in nodes:
        assert n.all_end_rel_micros >= 0 and n.all_start_micros > 1.6e15
        assert n.all_end_rel_nanos >= n.op_end_rel_nanos >= 0
    starts = [n.all_start_nanos for n in nodes]
    assert starts == sorted(starts)
    # Untraced options fill nothing.
    md2 = tf.RunMetadata()
    sess.run(loss, {x: xv}, options=tf.RunOptions(), run_metadata=md2)
    assert md2.step_stats.dev_stats == []

    trace = json.loads(timeline.Timeline(md.step_stats).generate_chrome_trace_format())
    ev = trace["traceEvents"]
    assert ev[:3] == [
        {"name": "process_name", "ph": "M", "pid": 0, "args": {"name": "Allocators"}},
        {"name": "process_name", "ph": "M", "pid": 1,
         "args": {"name": "/job:localhost/replica:0/task:0/device:CPU:0 Compute"}},
        {"name": "process_name", "ph": "M", "pid": 2,
         "args": {"name": "/job:localhost/replica:0/task:0/device:CPU:0 Tensors"}}]
    boxes = [e for e in ev if e["ph"] == "X"]
    assert len(boxes) == len(nodes)
    b = boxes[0]
    assert b["cat"] == "Op" and b["pid"] == 1 and b["args"]["name"] == nodes[0].node_name
    assert b["ts"] == nodes[0].all_start_micros and b["dur"] == nodes[0].all_end_rel_micros


def test_run_metadata_wire_form_is_tfs():
    pb = pytest.importorskip("tensorboard.compat.proto.config_pb2")
    a = tf.placeholder(tf.float32, [2])
    md = tf.RunMetadata()
    session(jit=False).run(a * 2.0, {a: [1.0, 2.0]}, options=tf.RunOptions(trace_level=3),
                           run_metadata=md)
    back = pb.RunMetadata.FromString(md.SerializeToString())
    n = md.step_stats.dev_stats[0].node_stats[0]
    m = back.step_stats.dev_stats[0].node_stats[0]
    assert back.step_stats.dev_stats[0].device == md.step_stats.dev_stats[0].device
    assert (m.node_name, m.timeline_label, m.all_start_micros, m.all_end_rel_nanos) == (
        n.node_name, n.timeline_label, n.all_start_micros, n.all_end_rel_nanos)
    assert tf.RunMetadata().SerializeToString() == b""


def test_session_handles_tf_example(engine):
    """TF 1.x's session_ops example: a value kept in the Session, fed back by handle."""
    a, b = tf.constant(10.0), tf.constant(5.0)
    c = tf.multiply(a, b)
    h = session_handle = tf.get_session_handle(c)
    sess = session(jit=engine)
    h = sess.run(session_handle)
    assert h.eval() == 50.0 and h.handle.startswith(b"GetSessionHandle;")
    p, t = tf.get_session_tensor(h.handle, tf.float32)
    out = tf.multiply(t, 10.0)
    assert sess.run(out, feed_dict={p: h.handle}) == 500.0  # TF: 500.0
    assert sess.run(out, feed_dict={p: h}) == 500.0  # a TensorHandle feeds as its handle
    other = session(jit=engine)
    with pytest.raises(tf.errors.InvalidArgumentError, match="not in the session store"):
        other.run(out, {p: h.handle})  # kept by the Session that fetched it
    dp, delete = tf.delete_session_tensor(h.handle)
    sess.run(delete, {dp: h.handle})
    with pytest.raises(tf.errors.InvalidArgumentError, match="not in the session store"):
        sess.run(out, {p: h.handle})


def test_make_callable_checks_feeds_as_run_does():
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    f = session(jit=False).make_callable(x * 2.0, [x])
    np.testing.assert_array_equal(f(np.ones((3, 2), np.float32)), np.full((3, 2), 2.0))
    np.testing.assert_array_equal(f([[1, 2]]), [[2.0, 4.0]])  # lists convert, as in run
    np.testing.assert_array_equal(f(np.ones((1, 2), np.float64)), [[2.0, 2.0]])
    with pytest.raises(ValueError, match=r"Cannot feed value of shape \(3, 3\) for Tensor "
                                         r"'x:0', which has shape '\(\?, 2\)'"):
        f(np.ones((3, 3), np.float32))
    with pytest.raises(ValueError, match="Cannot feed value of shape"):
        f(np.ones((2,), np.float32))
    strided = np.ones((4, 4), np.float32)[:, ::2]  # not C-contiguous: copied by the converter
    np.testing.assert_array_equal(f(strided), np.full((4, 2), 2.0))


def test_timeline_under_tfs_path():
    from jitgraph.python.client import timeline as tf_path
    assert tf_path.Timeline is timeline.Timeline


def test_profiler_hook_writes_timelines(tmp_path):
    """tf.train.ProfilerHook in a MonitoredSession: every 2nd step traced, saved as a
    Chrome trace and as run metadata TensorBoard reads."""
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    _, w, loss, train = _step_graph_with(x)
    hook = tf.train.ProfilerHook(save_steps=2, output_dir=str(tmp_path))
    xv = np.ones((2, 3), np.float32)
    with tf.train.MonitoredSession(hooks=[hook]) as sess:
        sess._tf_sess().jit = False
        for _ in range(5):
            sess.run(train, {x: xv})
    names = sorted(f for f in os.listdir(tmp_path) if f.startswith("timeline-"))
    assert names == ["timeline-2.json", "timeline-4.json"]  # TF's files for save_steps=2
    trace = json.loads((tmp_path / names[0]).read_text())
    ops = {e["args"]["name"] for e in trace["traceEvents"] if e["ph"] == "X"}
    assert "MatMul" in ops
    tf.summary.FileWriterCache.get(str(tmp_path)).flush()
    events = [f for f in os.listdir(tmp_path) if f.startswith("events.out")]
    assert events
    raw = b"".join(tf.io.tf_record_iterator(str(tmp_path / events[0])))
    assert b"step_2" in raw and b"step_4" in raw  # the tagged run metadata


def _step_graph_with(x):
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 10, name="w")
    loss = tf.reduce_sum(tf.square(tf.matmul(x, w)))
    gs = tf.train.get_or_create_global_step()
    train = tf.train.GradientDescentOptimizer(0.01).minimize(loss, global_step=gs)
    return x, w, loss, train
