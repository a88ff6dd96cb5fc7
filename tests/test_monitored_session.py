"""tf.train.MonitoredTrainingSession, SingularMonitoredSession, Scaffold and the common hooks.

Reference numbers come from TensorFlow 1.x semantics (tensorflow.compat.v1 2.21, the same
program): a least-squares step loop to global step 7 with checkpoints every 3 steps, then
a second session restoring step 7 and running 2 more."""
import os

import numpy as np
import pytest

import jitgraph as tf

X = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
Y = np.ones((4, 1), np.float32)
TF_W_AT_7 = [0.5445389151573181, 0.518886923789978, 0.4932349622249603]
TF_LOSS_AT_7 = 0.3110249
TF_W_AT_9 = [0.505275547504425, 0.48618537187576294, 0.4670952260494232]
TF_LOSS_AT_9 = 0.28546223


@pytest.fixture
def use_engine(engine, monkeypatch):
    """Monitored sessions make their own Session: pick its engine through the environment."""
    if engine == "interp":
        monkeypatch.setenv("JITGRAPH_DISABLE_JIT", "1")
    return engine


def _model():
    tf.reset_default_graph()
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.placeholder(tf.float32, [None, 1])
    w = tf.Variable(np.ones((3, 1), np.float32))
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y))
    gs = tf.train.get_or_create_global_step()
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=gs)
    return x, y, w, loss, gs, train


def _loop(sess, x, y, loss, train):
    n, last = 0, None
    while not sess.should_stop():
        last, _ = sess.run([loss, train], {x: X, y: Y})
        n += 1
    return n, last


def _indexes(d):
    return sorted(f for f in os.listdir(d) if f.endswith(".index"))


def test_training_session_matches_tf_and_restores_checkpoints(use_engine, tmp_path):
    ck = str(tmp_path)
    x, y, w, loss, gs, train = _model()
    fin = tf.train.FinalOpsHook(w)
    with tf.train.MonitoredTrainingSession(checkpoint_dir=ck, save_checkpoint_steps=3,
                                           hooks=[tf.train.StopAtStepHook(last_step=7),
                                                  fin]) as sess:
        n, last = _loop(sess, x, y, loss, train)
    assert n == 7
    np.testing.assert_allclose(last, TF_LOSS_AT_7, rtol=1e-5)
    np.testing.assert_allclose(fin.final_ops_values.ravel(), TF_W_AT_7, rtol=1e-5)
    assert _indexes(ck) == [f"model.ckpt-{i}.index" for i in (0, 3, 6, 7)]
    assert not tf.get_default_graph().finalized  # closing undoes the Scaffold's finalize

    x, y, w, loss, gs, train = _model()
    fin = tf.train.FinalOpsHook([w, gs])
    with tf.train.MonitoredTrainingSession(checkpoint_dir=ck, save_checkpoint_steps=3,
                                           hooks=[tf.train.StopAtStepHook(num_steps=2),
                                                  fin]) as sess:
        n, last = _loop(sess, x, y, loss, train)
    assert n == 2 and fin.final_ops_values[1] == 9
    np.testing.assert_allclose(last, TF_LOSS_AT_9, rtol=1e-5)
    np.testing.assert_allclose(fin.final_ops_values[0].ravel(), TF_W_AT_9, rtol=1e-5)
    assert "model.ckpt-9.index" in _indexes(ck)


class _Recorder(tf.train.SessionRunHook):
    def __init__(self, fetch, feed=None, stop_at=None):
        self.fetch, self.feed, self.stop_at = fetch, feed, stop_at
        self.calls, self.seen = [], []

    def begin(self):
        self.calls.append("begin")

    def after_create_session(self, session, coord):
        self.calls.append("after_create_session")

    def before_run(self, run_context):
        return tf.train.SessionRunArgs(self.fetch, feed_dict=self.feed)

    def after_run(self, run_context, run_values):
        self.seen.append(run_values.results)
        if self.stop_at is not None and len(self.seen) >= self.stop_at:
            run_context.request_stop()

    def end(self, session):
        self.calls.append("end")


def test_hook_fetches_feeds_and_request_stop():
    a = tf.placeholder(tf.float32, [])
    b = tf.placeholder(tf.float32, [])
    total = a + b
    hook = _Recorder({"double_b": b * 2.0}, feed={b: 3.0}, stop_at=2)
    with tf.train.SingularMonitoredSession(hooks=[hook]) as sess:
        assert sess.run(total, {a: 1.0}) == 4.0
        assert not sess.should_stop()
        sess.run(a, {a: 1.0})
        assert sess.should_stop()
        with pytest.raises(RuntimeError, match="should_stop"):
            sess.run(a, {a: 1.0})
        assert isinstance(sess.raw_session(), tf.Session)
    assert hook.seen == [{"double_b": 6.0}, {"double_b": 6.0}]
    assert hook.calls == ["begin", "after_create_session", "end"]
    with pytest.raises(RuntimeError, match="Graph is finalized"):
        with tf.train.SingularMonitoredSession():
            a * 3.0  # the Scaffold freezes the graph while the session lives


def test_same_tensor_fed_by_hook_and_user_is_an_error():
    a = tf.placeholder(tf.float32, [])
    with tf.train.SingularMonitoredSession(hooks=[_Recorder(None, feed={a: 1.0})]) as sess:
        with pytest.raises(RuntimeError, match="Same tensor is fed by a SessionRunHook and user"):
            sess.run(a, {a: 2.0})


def test_out_of_range_ends_the_with_block_and_runs_end_hooks():
    ds = tf.data.Dataset.from_tensor_slices(np.arange(3, dtype=np.int64))
    nxt = ds.make_one_shot_iterator().get_next()
    hook = _Recorder(None)
    got = []
    with tf.train.MonitoredSession(hooks=[hook]) as sess:
        while not sess.should_stop():
            got.append(int(sess.run(nxt)))
    assert got == [0, 1, 2] and hook.calls[-1] == "end"


def test_hooks_that_need_a_global_step_say_so():
    v = tf.Variable(1.0)
    with pytest.raises(RuntimeError, match="Global step should be created to use "
                                           "StopAtStepHook"):
        tf.train.SingularMonitoredSession(hooks=[tf.train.StopAtStepHook(num_steps=1)])
    del v


def test_nan_tensor_hook_raises_or_stops():
    bad = tf.placeholder(tf.float32, [])
    with tf.train.SingularMonitoredSession(hooks=[tf.train.NanTensorHook(bad)]) as sess:
        sess.run(bad, {bad: 1.0})
        with pytest.raises(tf.train.NanLossDuringTrainingError, match="NaN loss"):
            sess.run(bad, {bad: np.nan})
    hook = tf.train.NanTensorHook(bad, fail_on_nan_loss=False)
    with tf.train.SingularMonitoredSession(hooks=[hook]) as sess:
        sess.run(bad, {bad: np.nan})
        assert sess.should_stop()


def test_logging_tensor_hook_every_n_iter_and_at_end():
    step = tf.placeholder(tf.int32, [])
    logged = []
    hook = tf.train.LoggingTensorHook({"s": step}, every_n_iter=2, at_end=False,
                                      formatter=lambda values: logged.append(int(values["s"])))
    with tf.train.SingularMonitoredSession(hooks=[hook]) as sess:
        for i in range(5):
            sess.run(step, {step: i})
    assert logged == [0, 2, 4]
    with pytest.raises(ValueError, match="exactly one of every_n_iter and every_n_secs"):
        tf.train.LoggingTensorHook({"s": step})


def test_summary_and_step_counter_hooks_write_events(tmp_path):
    gs = tf.train.get_or_create_global_step()
    inc = tf.assign_add(gs, 1)
    tf.summary.scalar("my_step_value", tf.cast(gs, tf.float32))
    with tf.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path),
                                           save_summaries_steps=2, log_step_count_steps=2,
                                           save_checkpoint_secs=None,
                                           hooks=[tf.train.StopAtStepHook(last_step=5)]) as s:
        while not s.should_stop():
            s.run(inc)
    events = [f for f in os.listdir(tmp_path) if "tfevents" in f]
    assert events and not _indexes(str(tmp_path))
    data = b"".join(open(os.path.join(tmp_path, f), "rb").read() for f in events)
    assert b"my_step_value" in data and b"global_step/sec" in data


def test_scaffold_init_fn_and_checkpoint_saver_needs_one_schedule(tmp_path):
    v = tf.Variable(0.0)
    five = tf.assign(v, 5.0)
    scaffold = tf.train.Scaffold(init_fn=lambda sc, sess: sess.run(five))
    with tf.train.SingularMonitoredSession(scaffold=scaffold) as sess:
        assert sess.run(v) == 5.0
    with pytest.raises(ValueError, match="Either every_secs or every_steps"):
        tf.train.CheckpointSaverHook(str(tmp_path))


def test_queue_input_runs_under_a_monitored_session_and_ends_at_the_last_epoch():
    # TF's MonitoredSession starts the graph's queue runners itself (a 2017 input
    # pipeline needs no start_queue_runners), and an exhausted input ends the with block.
    data = np.arange(12, dtype=np.float32)
    (x,) = tf.train.slice_input_producer([data], num_epochs=2, shuffle=False)
    batch = tf.train.batch([x], batch_size=4)
    total = tf.Variable(0.0)
    step = tf.assign_add(total, tf.reduce_sum(batch))
    seen = []
    with tf.train.MonitoredTrainingSession() as sess:
        while not sess.should_stop():
            seen.append(float(sess.run(step)))
    assert seen[-1] == 2 * data.sum() and len(seen) == 6
