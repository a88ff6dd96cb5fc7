"""tf.train.Saver: round trips, rotation, the checkpoint state file, crashes and corruption."""
from __future__ import annotations

import os

import numpy as np
import pytest

import jitgraph as tf
import jitgraph.saver as saver_mod
from jitgraph import variables
from jitgraph.saver import (Saver, checkpoint_exists, get_checkpoint_state,
                            latest_checkpoint)
from helpers import session


def _model():
    w = variables.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="w")
    b = variables.Variable(np.array([1, 2], np.int64), name="b")
    s = variables.Variable(np.array(["x", "yz"], dtype=object), name="s")
    init = variables.global_variables_initializer()
    return w, b, s, init


def _values(sess, *vs):
    return [sess.run(v.op.outputs[0]).copy() for v in vs]


def test_round_trip_jit_and_files(tmp_path):
    w, b, s, init = _model()
    saver = Saver()
    sess = session(jit=True)
    sess.run(init)
    prefix = saver.save(sess, str(tmp_path / "model"), global_step=7)
    assert prefix == str(tmp_path / "model-7")
    for suffix in (".index", ".data-00000-of-00001", ".meta"):
        assert os.path.isfile(prefix + suffix)
    state = (tmp_path / "checkpoint").read_text()
    assert state == (f'model_checkpoint_path: "{prefix}"\n'
                     f'all_model_checkpoint_paths: "{prefix}"\n')
    assert latest_checkpoint(str(tmp_path)) == prefix and checkpoint_exists(prefix)
    assert not [f for f in os.listdir(tmp_path) if ".tmp-" in f]

    w.load(np.zeros((2, 3)), sess)
    b.load([0, 0], sess)
    saver.restore(sess, prefix)
    got_w, got_b, got_s = _values(sess, w, b, s)
    np.testing.assert_array_equal(got_w, np.arange(6).reshape(2, 3))
    assert got_w.dtype == np.float32 and got_b.tolist() == [1, 2] and got_b.dtype == np.int64
    assert got_s.tolist() == [b"x", b"yz"]

    fresh = session(jit=True)          # restore initializes a new session's variables
    saver.restore(fresh, prefix)
    np.testing.assert_array_equal(fresh.run(w), np.arange(6).reshape(2, 3))


def test_rotation_and_state(tmp_path):
    w, b, s, init = _model()
    saver = Saver(max_to_keep=2)
    sess = session(jit=False)
    sess.run(init)
    paths = [saver.save(sess, str(tmp_path / "m"), global_step=i) for i in range(4)]
    assert saver.last_checkpoints == paths[2:]
    assert [checkpoint_exists(p) for p in paths] == [False, False, True, True]
    assert not any(os.path.exists(paths[0] + sfx) for sfx in (".index", ".meta",
                                                                ".data-00000-of-00001"))
    st = get_checkpoint_state(str(tmp_path))
    assert st.model_checkpoint_path == paths[3]
    assert st.all_model_checkpoint_paths == paths[2:]
    assert latest_checkpoint(str(tmp_path)) == paths[3]

    keep_all = Saver(max_to_keep=None, var_list=[w])
    more = [keep_all.save(sess, str(tmp_path / "k"), global_step=i, latest_filename="kstate")
            for i in range(7)]
    assert all(checkpoint_exists(p) for p in more)
    assert latest_checkpoint(str(tmp_path), "kstate") == more[-1]
    assert latest_checkpoint(str(tmp_path)) == paths[3]   # the default state file is untouched


def test_relative_paths_dict_var_list_and_global_step_tensor(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.mkdir("ck")
    w, b, s, init = _model()
    step = variables.Variable(3, name="global_step")
    sess = session(jit=False)
    sess.run(variables.global_variables_initializer())
    saver = Saver({"weights": w, "step": step})
    prefix = saver.save(sess, "ck/model", global_step=step)
    assert prefix == "ck/model-3"
    assert open("ck/checkpoint").read().splitlines()[0] == 'model_checkpoint_path: "model-3"'
    assert latest_checkpoint("ck") == os.path.join("ck", "model-3")

    # A new graph whose variable has another name reads the "weights" entry.
    with tf.Graph().as_default():
        v = variables.Variable(np.zeros((2, 3), np.float32), name="other")
        sess2 = session(jit=False)
        Saver({"weights": v}).restore(sess2, latest_checkpoint("ck"))
        np.testing.assert_array_equal(sess2.run(v.op.outputs[0]), np.arange(6).reshape(2, 3))


def test_restore_errors_leave_variables_unchanged(tmp_path):
    w, b, s, init = _model()
    sess = session(jit=False)
    sess.run(init)
    only_w = Saver([w])
    prefix = only_w.save(sess, str(tmp_path / "w_only"))
    assert prefix == str(tmp_path / "w_only")

    with pytest.raises(ValueError, match="The passed save_path is not a valid checkpoint: "):
        Saver().restore(sess, str(tmp_path / "nothing"))
    with pytest.raises(ValueError, match="save_path when it is None"):
        Saver().restore(sess, None)

    w.load(np.full((2, 3), 9.0), sess)
    with pytest.raises(tf.errors.NotFoundError, match="Key b not found in checkpoint"):
        Saver([w, b]).restore(sess, prefix)
    assert (sess.run(w.op.outputs[0]) == 9).all()     # w was not assigned before the check

    with tf.Graph().as_default():
        w2 = variables.Variable(np.zeros((3, 2), np.float32), name="w")
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"shape.*'w'"):
            Saver().restore(session(jit=False), prefix)
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"tensor_name = w"):
            with tf.Graph().as_default():
                w3 = variables.Variable(np.zeros((2, 3), np.float64), name="w")
                Saver([w3]).restore(session(jit=False), prefix)
        # reshape=True accepts the same number of elements
        sess3 = session(jit=False)
        Saver([w2], reshape=True).restore(sess3, prefix)
        assert sess3.run(w2.op.outputs[0]).shape == (3, 2)


def test_crash_mid_save_keeps_previous_checkpoint(tmp_path, monkeypatch):
    w, b, s, init = _model()
    sess = session(jit=False)
    sess.run(init)
    saver = Saver()
    first = saver.save(sess, str(tmp_path / "model"), global_step=1)
    same = saver.save(sess, str(tmp_path / "fixed"))
    w.load(np.full((2, 3), 5.0), sess)

    real = saver_mod.bundle.tensor_record
    calls = []

    def crash_on_second(value, dtype, offset):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(value, dtype, offset)

    monkeypatch.setattr(saver_mod.bundle, "tensor_record", crash_on_second)
    # An OSError without an errno is TF's UnknownError, naming the file being written.
    data_file = ".data-00000-of-00001; disk full"
    with pytest.raises(tf.errors.UnknownError, match="model-2" + data_file):
        saver.save(sess, str(tmp_path / "model"), global_step=2)
    calls.clear()
    with pytest.raises(tf.errors.UnknownError, match="fixed" + data_file):
        saver.save(sess, str(tmp_path / "fixed"))      # over an existing checkpoint
    monkeypatch.undo()

    assert not checkpoint_exists(str(tmp_path / "model-2"))
    assert latest_checkpoint(str(tmp_path)) == same
    assert not [f for f in os.listdir(tmp_path) if ".tmp-" in f]
    for prefix in (first, same):
        saver.restore(sess, prefix)
        np.testing.assert_array_equal(sess.run(w.op.outputs[0]), np.arange(6).reshape(2, 3))
        w.load(np.full((2, 3), 5.0), sess)


def test_corrupt_or_truncated_checkpoint_is_data_loss(tmp_path):
    w, b, s, init = _model()
    sess = session(jit=False)
    sess.run(init)
    saver = Saver()
    prefix = saver.save(sess, str(tmp_path / "model"))
    data_path = prefix + ".data-00000-of-00001"
    good = open(data_path, "rb").read()
    w.load(np.full((2, 3), 7.0), sess)
    b.load([5, 5], sess)

    flipped = bytearray(good)
    flipped[3] ^= 0xFF
    cases = [(data_path, bytes(flipped), "Checksum does not match"),
             (data_path, good[:-5], "truncated"),
             (prefix + ".index", b"{not json", "corrupt index")]
    for path, content, why in cases:
        original = open(path, "rb").read()
        with open(path, "wb") as f:
            f.write(content)
        with pytest.raises(tf.errors.DataLossError, match=why) as e:
            saver.restore(sess, prefix)
        assert os.path.basename(path) in str(e.value)
        assert (sess.run(w.op.outputs[0]) == 7).all()
        assert sess.run(b.op.outputs[0]).tolist() == [5, 5]
        with open(path, "wb") as f:
            f.write(original)
    os.remove(data_path)
    with pytest.raises(ValueError, match="not a valid checkpoint"):
        saver.restore(sess, prefix)


def test_save_preconditions(tmp_path):
    w, b, s, init = _model()
    sess = session(jit=False)
    with pytest.raises(tf.errors.FailedPreconditionError):
        Saver().save(sess, str(tmp_path / "model"))
    sess.run(init)
    with pytest.raises(ValueError, match="doesn't exist, can't save"):
        Saver().save(sess, str(tmp_path / "no" / "such" / "model"))
    with pytest.raises(ValueError, match="same name"):
        Saver([w, w])
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="No variables to save"):
            Saver()
        assert Saver(allow_empty=True).save(sess, str(tmp_path / "e")) == str(tmp_path / "e")
    assert latest_checkpoint(str(tmp_path / "missing")) is None
    assert get_checkpoint_state(str(tmp_path / "missing")) is None
    saver = Saver()
    tf.get_default_graph().finalize()                  # save and restore add no ops
    saver.restore(sess, saver.save(sess, str(tmp_path / "fin")))


def test_raw_variable_tensors_restore_through_graph_ops(tmp_path):
    from jitgraph.ops import state_ops
    v = state_ops.variable_op([3], tf.float32, name="raw")
    init = state_ops.assign(v, np.array([1.0, 2.0, 3.0], np.float32))
    sess = session(jit=False)
    sess.run(init)
    saver = Saver([v])
    prefix = saver.save(sess, str(tmp_path / "raw"), write_meta_graph=False)
    assert not os.path.exists(prefix + ".meta")
    fresh = session(jit=False)
    saver.restore(fresh, prefix)
    assert fresh.run(v).tolist() == [1.0, 2.0, 3.0]


def test_train_with_logging_example(tmp_path):
    pytest.importorskip("tensorboard")  # the example logs its loss for TensorBoard
    import subprocess
    import sys
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, os.path.join(root, "examples", "train_with_logging.py"),
                          str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / "model.ckpt-100")
    assert get_checkpoint_state(str(tmp_path)).all_model_checkpoint_paths == [
        str(tmp_path / f"model.ckpt-{s}") for s in (50, 75, 100)]
    ea = EventAccumulator(str(tmp_path), size_guidance={"scalars": 0})
    ea.Reload()
    losses = ea.Scalars("loss")
    assert [e.step for e in losses] == list(range(1, 101))
    assert losses[-1].value < 1e-3 < losses[0].value
    assert "weights" in ea.Tags()["histograms"]
