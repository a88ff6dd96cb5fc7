"""Fault probes of tf.train.Saver (issue 15, findings 6, 11, 13).

Crashes are real: a helper process (interpreter engine, so nothing compiles) forks
savers and kills them with SIGKILL at random moments, or has them `os._exit` before
each rename and fsync of a save; the test process then restores what is on disk.
A restore must always give the values of the last completed save or of the one in
flight, never a DataLossError, and the next successful save must leave no temp files.
"""
from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
import zlib

import numpy as np
import pytest

import jitgraph as tf
import jitgraph.saver as saver_mod
from jitgraph import variables
from jitgraph.saver import Saver, latest_checkpoint
from helpers import session

SIZE = 1 << 18  # 1 MB of float32: a save takes a few ms, so kills land inside saves

# Runs the trials in argv[1] (JSON), each in a forked child saving to its own directory,
# and prints one JSON line per trial: the last value whose save returned (0: none), and
# for "exit_at" trials whether the crashing save returned.
_PROBE = textwrap.dedent("""
    import json, os, random, signal, sys, time
    import numpy as np
    import jitgraph as tf

    SIZE = @SIZE@
    w = tf.Variable(np.zeros(SIZE, np.float32), name="w")
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    saver = tf.train.Saver()

    def save(path, k):
        w.load(np.full(SIZE, k, np.float32), sess)
        saver.save(sess, path)

    def kill_loop(path, fd):
        for k in range(1, 1 << 30):
            save(path, k)
            os.write(fd, k.to_bytes(4, "little"))

    def exit_at(path, fd, crash_at):
        save(path, 1)
        os.write(fd, (1).to_bytes(4, "little"))
        steps = [0]
        def crashing(real):
            def step(*args):
                if steps[0] == crash_at:
                    os._exit(7)
                steps[0] += 1
                return real(*args)
            return step
        os.replace, os.fsync = crashing(os.replace), crashing(os.fsync)
        save(path, 2)
        os.write(fd, (2).to_bytes(4, "little"))

    def last_value(fd):
        data = b""
        while chunk := os.read(fd, 4096):
            data += chunk
        return int.from_bytes(data[-4:], "little") if data else 0

    for trial in json.loads(sys.argv[1]):
        r, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                if trial["mode"] == "kill":
                    kill_loop(trial["path"], wfd)
                else:
                    exit_at(trial["path"], wfd, trial["crash_at"])
            finally:
                os._exit(0)
        os.close(wfd)
        if trial["mode"] == "kill":
            first = os.read(r, 4)  # the first save is whole: now kill the loop anywhere
            assert first, "the saver died before its first save"
            time.sleep(trial["delay"])
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        done = int.from_bytes(first, "little") if trial["mode"] == "kill" else 0
        done = max(done, last_value(r))
        os.close(r)
        print(json.dumps({"path": trial["path"], "done": done}), flush=True)
""").replace("@SIZE@", str(SIZE))


def _run_probe(tmp_path, trials):
    script = tmp_path / "probe.py"
    script.write_text(_PROBE)
    env = dict(os.environ, JITGRAPH_DISABLE_JIT="1")
    out = subprocess.run([sys.executable, str(script), json.dumps(trials)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def _restored_value(path):
    """The uniform value a fresh graph restores from `path` (DataLossError propagates)."""
    with tf.Graph().as_default():
        w = variables.Variable(np.zeros(SIZE, np.float32), name="w")
        sess = session(jit=False)
        Saver([w]).restore(sess, path)
        got = sess.run(w.op.outputs[0])
    assert (got == got[0]).all(), "a checkpoint mixes two saves"
    return int(got[0])


def _temp_files(directory):
    return sorted(f for f in os.listdir(directory) if ".tmp-" in f)


def _check_trials(results):
    for res in results:
        path, done = res["path"], res["done"]
        assert done >= 1, res                # the first save of each trial completed
        allowed = {done, done + 1}           # the last completed save, or the one killed
        assert _restored_value(path) in allowed, res
        assert latest_checkpoint(os.path.dirname(path)) == path
        assert _restored_value(latest_checkpoint(os.path.dirname(path))) in allowed
        # The next successful save cleans up what the killed save left behind.
        with tf.Graph().as_default():
            w = variables.Variable(np.full(SIZE, 99, np.float32), name="w")
            sess = session(jit=False)
            sess.run(variables.global_variables_initializer())
            Saver([w]).save(sess, path)
        assert _temp_files(os.path.dirname(path)) == [], res
        assert _restored_value(path) == 99


def test_crash_before_each_rename_and_fsync_keeps_a_whole_checkpoint(tmp_path):
    """Deterministic: a save dies before its n-th rename or fsync, for every n."""
    steps = 13  # a save makes 11 today; the last trials let the save complete
    trials = []
    for n in range(steps):
        os.mkdir(tmp_path / str(n))
        trials.append({"mode": "exit_at", "crash_at": n, "path": str(tmp_path / str(n) / "m")})
    results = _run_probe(tmp_path, trials)
    assert len(results) == steps
    assert results[-1]["done"] == 2          # the sweep reached a save that completes
    _check_trials(results)


@pytest.mark.slow  # the crash-before-each-rename probe covers the same states
def test_kill9_at_random_moments_keeps_a_whole_checkpoint(tmp_path):
    rng = np.random.default_rng(15)
    trials = []
    for n, delay in enumerate(rng.uniform(0.0, 0.04, size=10)):
        os.mkdir(tmp_path / str(n))
        trials.append({"mode": "kill", "delay": float(delay),
                       "path": str(tmp_path / str(n) / "m")})
    results = _run_probe(tmp_path, trials)
    assert len(results) == len(trials)
    _check_trials(results)


def _dead_pid():
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_next_save_removes_only_temp_files_of_dead_saves(tmp_path):
    w = variables.Variable(np.arange(4, dtype=np.float32), name="w")
    sess = session(jit=False)
    sess.run(variables.global_variables_initializer())
    saver = Saver([w])
    prefix = saver.save(sess, str(tmp_path / "m"), global_step=1)
    dead = _dead_pid()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stale = [f"m-1.data-00000-of-00001.tmp-{dead}-0123abcd",
                 f"m-1.index.tmp-{dead}-89abcdef", f"checkpoint.tmp-{dead}-00000000"]
        busy = [f"m-2.data-00000-of-00001.tmp-{live.pid}-0123abcd",
                f"m-2.index.tmp-{os.getpid()}-0123abcd"]
        old = f"m-3.meta.tmp-{live.pid}-0123abcd"   # a pid reused by a live process
        for name in stale + busy + [old]:
            (tmp_path / name).write_bytes(b"x" * 100)
        os.utime(tmp_path / old, (0, 0))
        # A dead save that committed its index and died before renaming its data:
        # that data file is the checkpoint's, not garbage.
        committed = f"other.data-00000-of-00001.tmp-{dead}-fedcba98"
        saver.save(sess, str(tmp_path / "other"), write_state=False)
        os.replace(tmp_path / "other.data-00000-of-00001", tmp_path / committed)
        _name_pending_data(tmp_path / "other.index", committed)
        saver.save(sess, prefix)
        assert _temp_files(tmp_path) == sorted(busy + [committed])
        w.load(np.zeros(4), sess)
        saver.restore(sess, str(tmp_path / "other"))
        assert sess.run(w.op.outputs[0]).tolist() == [0, 1, 2, 3]
        saver.save(sess, str(tmp_path / "other"), write_state=False)   # supersedes it
        assert _temp_files(tmp_path) == sorted(busy)
    finally:
        live.kill()
        live.wait()


def _name_pending_data(index_path, name):
    """Rewrites an index as a save that committed and died before renaming its data."""
    bundle = saver_mod.bundle
    _, entries = bundle.read_index(open(index_path, "rb").read())
    with open(index_path, "wb") as f:
        f.write(bundle.index_bytes(entries, name))


def test_rotation_removes_a_committed_data_file_under_its_temp_name(tmp_path):
    w = variables.Variable(np.arange(4, dtype=np.float32), name="w")
    sess = session(jit=False)
    sess.run(variables.global_variables_initializer())
    saver = Saver([w], max_to_keep=1)
    first = saver.save(sess, str(tmp_path / "m"), global_step=1)
    committed = f"m-1.data-00000-of-00001.tmp-{_dead_pid()}-0123abcd"
    os.replace(first + ".data-00000-of-00001", tmp_path / committed)
    _name_pending_data(first + ".index", committed)
    saver.save(sess, str(tmp_path / "m"), global_step=2)
    assert os.listdir(tmp_path) and _temp_files(tmp_path) == []
    assert not os.path.exists(first + ".index")


def _failing_fsync(monkeypatch, fail_at):
    real = os.fsync
    calls = []

    def fsync(fd):
        calls.append(fd)
        if len(calls) == fail_at + 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd)
    monkeypatch.setattr(saver_mod.os, "fsync", fsync)
    return calls


# The fsyncs of one save, in order: the new data, the directory (best effort, never an
# error), the committing index, the index naming the usual data file, meta, state.
_FSYNCS = [(".data-00000-of-00001", "old"), (None, "new"), (".index", "old"),
           (".index", "new"), (".meta", "new"), ("checkpoint", "new")]


@pytest.mark.parametrize("fail_at", range(len(_FSYNCS)))
def test_full_disk_is_resource_exhausted_and_keeps_the_previous_checkpoint(tmp_path,
                                                                          monkeypatch,
                                                                          fail_at):
    w = variables.Variable(np.arange(4, dtype=np.float32), name="w")
    sess = session(jit=False)
    sess.run(variables.global_variables_initializer())
    saver = Saver([w])
    path = str(tmp_path / "m")
    saver.save(sess, path)
    w.load(np.full(4, 7.0), sess)
    _failing_fsync(monkeypatch, fail_at)
    failed_file, restores = _FSYNCS[fail_at]
    if failed_file is None:
        saver.save(sess, path)
    else:
        named = str(tmp_path / failed_file) if failed_file == "checkpoint" else path + failed_file
        with pytest.raises(tf.errors.ResourceExhaustedError) as e:
            saver.save(sess, path)
        assert str(e.value) == f"{named}; No space left on device"
    monkeypatch.undo()
    assert _temp_files(tmp_path) == []
    assert sess.run(w.op.outputs[0] * 2).tolist() == [14.0] * 4   # the session still runs
    # The previous checkpoint, or the new one once its index was committed: whole.
    want = [0, 1, 2, 3] if restores == "old" else [7, 7, 7, 7]
    assert _restored_value_small(saver, sess, w, path) == want
    w.load(np.full(4, 5.0), sess)                        # and saves
    saver.save(sess, path)
    assert _restored_value_small(saver, sess, w, path) == [5, 5, 5, 5]


def test_write_errors_map_errno_to_tf_classes(tmp_path, monkeypatch):
    w = variables.Variable(np.arange(4, dtype=np.float32), name="w")
    sess = session(jit=False)
    sess.run(variables.global_variables_initializer())
    cases = [(errno.EDQUOT, tf.errors.ResourceExhaustedError),
             (errno.EROFS, tf.errors.PermissionDeniedError),
             (errno.EIO, tf.errors.UnknownError)]
    for code, cls in cases:
        def fsync(fd, code=code):
            raise OSError(code, os.strerror(code))
        monkeypatch.setattr(saver_mod.os, "fsync", fsync)
        with pytest.raises(cls, match=os.strerror(code)):
            Saver([w]).save(sess, str(tmp_path / "m"))
        monkeypatch.undo()
    assert os.listdir(tmp_path) == []


def _restored_value_small(saver, sess, w, path):
    w.load(np.full(4, -1.0), sess)
    saver.restore(sess, path)
    return sess.run(w.op.outputs[0]).tolist()


def test_checkpoint_written_by_the_previous_format_restores(tmp_path):
    """Checkpoints written before atomic switching: the index names the usual data file."""
    data = np.array([1.5, -2.0], "<f4").tobytes()
    (tmp_path / "old.data-00000-of-00001").write_bytes(data)
    (tmp_path / "old.index").write_text(json.dumps({
        "format": "jitgraph-checkpoint-1", "data_file": "old.data-00000-of-00001",
        "data_size": len(data), "tensors": {"w": {
            "dtype": "float32", "shape": [2], "offset": 0, "length": len(data),
            "crc32": zlib.crc32(data)}}}))
    w = variables.Variable(np.zeros(2, np.float32), name="w")
    sess = session(jit=False)
    Saver([w]).restore(sess, str(tmp_path / "old"))
    assert sess.run(w.op.outputs[0]).tolist() == [1.5, -2.0]
    # and a save writes it back in TF's format, naming the usual data file
    Saver([w]).save(sess, str(tmp_path / "old"))
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "old.data-00000-of-00001",
                                            "old.index", "old.meta"]
    header, entries = saver_mod.bundle.read_index((tmp_path / "old.index").read_bytes())
    assert header.pending_data is None and entries["w"].size == len(data)
    w.load(np.zeros(2), sess)
    Saver([w]).restore(sess, str(tmp_path / "old"))
    assert sess.run(w.op.outputs[0]).tolist() == [1.5, -2.0]


def test_directory_removed_during_save_is_value_error_as_in_tf(tmp_path, monkeypatch):
    import shutil
    w = variables.Variable(np.arange(4, dtype=np.float32), name="w")
    sess = session(jit=False)
    sess.run(variables.global_variables_initializer())
    ckdir = tmp_path / "ck"
    ckdir.mkdir()
    real_open = open

    def vanishing_open(path, *args, **kwargs):
        if str(path).startswith(str(ckdir)):
            shutil.rmtree(ckdir)
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr("builtins.open", vanishing_open)
    with pytest.raises(ValueError, match=r"Parent directory of .*ck/m doesn't exist"):
        Saver([w]).save(sess, str(ckdir / "m"))
    monkeypatch.undo()
    assert sess.run(w.op.outputs[0]).tolist() == [0, 1, 2, 3]


def test_interrupt_just_after_the_commit_keeps_the_committed_data(tmp_path, monkeypatch):
    w = variables.Variable(np.arange(4, dtype=np.float32), name="w")
    sess = session(jit=False)
    sess.run(variables.global_variables_initializer())
    saver = Saver([w])
    path = str(tmp_path / "m")
    saver.save(sess, path)
    w.load(np.full(4, 7.0), sess)
    real = os.replace

    def replace_then_interrupt(src, dst):
        real(src, dst)
        if dst.endswith(".index"):
            raise KeyboardInterrupt
    monkeypatch.setattr(saver_mod.os, "replace", replace_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        saver.save(sess, path)
    monkeypatch.undo()
    assert _restored_value_small(saver, sess, w, path) == [7, 7, 7, 7]
