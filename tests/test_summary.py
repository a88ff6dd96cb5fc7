"""tf.summary ops and FileWriter, read back with TensorBoard's own loaders (and server)."""
from __future__ import annotations

import glob
import json
import os
import socket
import struct
import subprocess
import sys
import time
import types
import urllib.request

import numpy as np
import pytest

import jitgraph as tf
from helpers import session

pytest.importorskip("tensorboard")
# TensorBoard's readers import TensorFlow when it is installed (10-30 s); the module
# `tensorboard.compat.notf` existing (TensorBoard's no_tensorflow build) makes them use
# their stub, which reads event files the same way and is what a user without TF gets.
sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("tensorboard.compat.notf"))

from tensorboard.backend.event_processing.event_accumulator import (  # noqa: E402
    EventAccumulator)
from tensorboard.compat.proto import event_pb2, summary_pb2  # noqa: E402
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c  # noqa: E402


def _events_file(logdir):
    files = glob.glob(os.path.join(str(logdir), "events.out.tfevents.*"))
    assert len(files) == 1, files
    return files[0]


def _read_records(path):
    """The TFRecord payloads of `path`, checking both masked CRC32Cs of every record."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        header = data[pos:pos + 8]
        (n,) = struct.unpack("<Q", header)
        (hcrc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        assert hcrc == masked_crc32c(header)
        payload = data[pos + 12:pos + 12 + n]
        (dcrc,) = struct.unpack("<I", data[pos + 12 + n:pos + 16 + n])
        assert dcrc == masked_crc32c(payload)
        out.append(event_pb2.Event.FromString(payload))
        pos += 16 + n
    return out


def _accumulator(logdir):
    ea = EventAccumulator(str(logdir), size_guidance={"scalars": 0, "histograms": 0,
                                                        "tensors": 0})
    ea.Reload()
    return ea


def _guide_graph():
    a = tf.constant(3.0, dtype=tf.float32)
    b = tf.constant(4.0)
    total = a + b
    return a, b, total


# -- graphs ------------------------------------------------------------------------------
def test_guide_graph_event_file(tmp_path):
    _, _, total = _guide_graph()
    writer = tf.summary.FileWriter(str(tmp_path))
    writer.add_graph(tf.get_default_graph())
    writer.flush()
    path = _events_file(tmp_path)
    assert os.path.basename(path).startswith("events.out.tfevents.")
    stamp, host = os.path.basename(path).split(".", 3)[3].split(".", 1)
    assert abs(int(stamp) - time.time()) < 60 and host == socket.gethostname()
    events = _read_records(path)
    assert events[0].file_version == "brain.Event:2"
    assert events[1].HasField("graph_def")
    writer.close()

    g = _accumulator(tmp_path).Graph()
    nodes = {n.name: n for n in g.node}
    assert [n.name for n in g.node] == ["Const", "Const_1", "add"]
    assert nodes["add"].op == "Add" and list(nodes["add"].input) == ["Const", "Const_1"]
    assert nodes["add"].attr["T"].type == tf.float32.as_datatype_enum
    const = nodes["Const"]
    assert const.attr["dtype"].type == 1
    value = const.attr["value"].tensor
    assert np.frombuffer(value.tensor_content, np.float32).tolist() == [3.0]


def test_graph_def_inputs_attrs_and_shapes():
    from jitgraph.summary.graph_def import as_graph_def
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.constant(np.arange(6, dtype=np.float32).reshape(3, 2), name="w")
    s = tf.constant(["ab", "c"], name="s")
    y = tf.matmul(x, w)
    with tf.control_dependencies([y.op]):
        z = tf.identity(s, name="z")
    parts = tf.unstack(w, name="parts")
    second = tf.identity(parts[1], name="second")
    gd = as_graph_def(tf.get_default_graph())
    nodes = {n.name: n for n in gd.node}
    assert nodes["x"].op == "Placeholder"
    assert [d.size for d in nodes["x"].attr["shape"].shape.dim] == [-1, 3]
    assert [d.size for d in nodes["MatMul"].attr["_output_shapes"].list.shape[0].dim] == [-1, 2]
    assert list(nodes["MatMul"].input) == ["x", "w"]
    assert list(nodes[z.op.name].input) == ["s", "^MatMul"]
    assert list(nodes[second.op.name].input) == [parts[1].op.name + ":1"]
    wt = nodes["w"].attr["value"].tensor
    assert [d.size for d in wt.tensor_shape.dim] == [3, 2]
    assert np.frombuffer(wt.tensor_content, np.float32).tolist() == list(range(6))
    st = nodes["s"].attr["value"].tensor
    assert st.dtype == tf.string.as_datatype_enum and list(st.string_val) == [b"ab", b"c"]
    assert all(n.device == "" for n in gd.node)


# -- summaries ---------------------------------------------------------------------------
def test_scalar_summaries_over_steps_jit(tmp_path):
    x = tf.placeholder(tf.float32, [None], name="x")
    loss = tf.reduce_mean(tf.square(x), name="loss_value")
    tf.summary.scalar("loss", loss)
    with tf.name_scope("stats"):
        tf.summary.scalar("largest", tf.reduce_max(x))
    merged = tf.summary.merge_all()
    assert merged.op.type == "MergeSummary" and merged.op.name == "Merge/MergeSummary"
    sess = session(jit=True)
    expected = []
    with tf.summary.FileWriter(str(tmp_path), sess.graph) as writer:
        assert writer.get_logdir() == str(tmp_path)
        for step in range(5):
            xv = np.arange(3, dtype=np.float32) + step
            data = sess.run(merged, {x: xv})
            assert isinstance(data, bytes)
            writer.add_summary(data, step)
            expected.append(float(np.mean(xv ** 2)))
    ea = _accumulator(tmp_path)
    assert set(ea.Tags()["scalars"]) == {"loss", "stats/largest"}
    got = ea.Scalars("loss")
    assert [e.step for e in got] == list(range(5))
    np.testing.assert_allclose([e.value for e in got], expected, rtol=1e-6)
    assert [e.value for e in ea.Scalars("stats/largest")] == [2.0, 3.0, 4.0, 5.0, 6.0]
    nodes = {n.name: n for n in ea.Graph().node}
    assert nodes["loss"].op == "ScalarSummary"
    assert list(nodes["loss"].input) == ["loss/tags", "loss_value"]


def test_summary_names_tags_family_and_collections():
    c = tf.constant(1.0)
    s1 = tf.summary.scalar("loss", c)
    s2 = tf.summary.scalar("loss", c)
    s3 = tf.summary.scalar("acc", c, family="train")
    s4 = tf.summary.scalar("bad name!", c, collections=["mine"])
    assert [s.op.name for s in (s1, s2, s3, s4)] == ["loss", "loss_1", "train/acc", "bad_name_"]
    assert tf.get_collection(tf.GraphKeys.SUMMARIES) == [s1, s2, s3]
    assert tf.get_collection("mine") == [s4]
    out = summary_pb2.Summary.FromString(session(jit=False).run(tf.summary.merge([s1, s2, s3])))
    assert [v.tag for v in out.value] == ["loss", "loss_1", "train/train/acc"]


def test_merge_all_empty_and_duplicate_tags():
    assert tf.summary.merge_all() is None
    c = tf.constant(2.0)
    a = tf.summary.scalar("a", c)
    dup = tf.summary.merge([a, a])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Duplicate tag a"):
        session(jit=False).run(dup)


def test_histogram_and_text(tmp_path):
    from jitgraph.summary.summary_ops import default_bucket_limits
    limits = default_bucket_limits()
    assert limits[len(limits) // 2] == 0.0 and limits[len(limits) // 2 + 1] == 1e-12
    np.testing.assert_allclose(limits[len(limits) // 2 + 2], 1.1e-12)
    assert np.all(np.diff(limits) > 0) and limits[0] == -limits[-1]

    x = tf.placeholder(tf.float32, [None], name="x")
    tf.summary.histogram("weights", x)
    tf.summary.text("note", tf.constant("hello **world**"))
    merged = tf.summary.merge_all()
    sess = session(jit=False)
    values = np.array([-2.0, 0.0, 0.5, 0.5, 3.0], np.float32)
    with tf.summary.FileWriter(str(tmp_path)) as writer:
        writer.add_summary(sess.run(merged, {x: values}), 1)
        writer.add_summary(sess.run(merged, {x: values}), 2)
    ea = _accumulator(tmp_path)
    h = ea.Histograms("weights")[0].histogram_value
    assert (h.min, h.max, h.num, h.sum, h.sum_squares) == (-2.0, 3.0, 5.0, 2.0, 13.5)
    assert sum(h.bucket) == 5
    # each value lies in the bucket [previous limit, limit)
    assert h.bucket_limit[list(h.bucket).index(2.0)] > 0.5
    text_event = ea.Tensors("note")
    assert [e.step for e in text_event] == [1, 2]
    assert text_event[0].tensor_proto.string_val == [b"hello **world**"]
    assert ea.SummaryMetadata("note").plugin_data.plugin_name == "text"

    bad = tf.summary.histogram("nan_hist", tf.constant([1.0, np.nan]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Nan in summary histogram"):
        sess.run(bad)
    with pytest.raises(ValueError, match="dtype string"):
        tf.summary.text("t", tf.constant(1.0))


def test_writer_queue_close_reopen_and_proto_summaries(tmp_path):
    writer = tf.summary.FileWriter(str(tmp_path), max_queue=3, flush_secs=1000)
    path = _events_file(tmp_path)
    assert len(_read_records(path)) == 1
    proto = tf.summary.Summary(value=[tf.summary.Summary.Value(tag="v", simple_value=1.5)])
    writer.add_summary(proto, 1)
    writer.add_summary(proto.SerializeToString(), 2)
    assert len(_read_records(path)) == 1        # still queued
    writer.add_summary(proto, 3)                # the third fills the queue: written
    assert len(_read_records(path)) == 4
    writer.add_session_log(tf.summary.SessionLog(status=tf.summary.SessionLog.START), 3)
    writer.close()
    writer.add_summary(proto, 4)                # dropped after close, as in TF
    writer.close()
    events = _read_records(path)
    assert [e.step for e in events[1:]] == [1, 2, 3, 3]
    assert events[-1].session_log.status == event_pb2.SessionLog.START
    with pytest.raises(TypeError):
        tf.summary.FileWriter(str(tmp_path / "x")).add_summary(3.0)


def test_jitgraph_imports_without_tensorboard(tmp_path):
    code = ("import sys; sys.modules['tensorboard'] = None\n"
            "import jitgraph as tf\n"
            "c = tf.summary.scalar('x', tf.constant(1.0))\n"
            "try:\n"
            "    tf.summary.FileWriter(sys.argv[1])\n"
            "except ImportError as e:\n"
            "    print('IMPORT-ERROR', e)\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                         text=True, env={**os.environ, "JITGRAPH_DISABLE_JIT": "1"}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "IMPORT-ERROR" in out.stdout and "jitgraph[tensorboard]" in out.stdout


# -- the real TensorBoard server -------------------------------------------------------
def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


@pytest.mark.slow  # starts a TensorBoard server: seconds of start-up
def test_tensorboard_server_shows_graph_and_scalars(tmp_path):
    logdir = tmp_path / "run1"
    x = tf.placeholder(tf.float32, [], name="x")
    y = tf.multiply(x, 2.0, name="double")
    tf.summary.scalar("y", y)
    merged = tf.summary.merge_all()
    sess = session(jit=False)
    with tf.summary.FileWriter(str(logdir), sess.graph) as writer:
        for step in range(3):
            writer.add_summary(sess.run(merged, {x: float(step)}), step)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", str(tmp_path),
                             "--host", "127.0.0.1", "--port", str(port),
                             "--reload_interval", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        scalars = None
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                scalars = json.loads(_get(f"{base}/data/plugin/scalars/scalars?run=run1&tag=y"))
                if len(scalars) == 3:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert scalars is not None and [s[1:] for s in scalars] == [[0, 0.0], [1, 2.0],
                                                                    [2, 4.0]]
        graph = _get(f"{base}/data/plugin/graphs/graph?run=run1").decode()
        assert 'name: "double"' in graph and 'op: "Mul"' in graph and 'input: "x"' in graph
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_background_flush_and_writer_cache(tmp_path):
    proto = tf.summary.Summary(value=[tf.summary.Summary.Value(tag="v", simple_value=2.0)])
    writer = tf.summary.FileWriter(str(tmp_path / "bg"), flush_secs=0.2)
    writer.add_summary(proto, 1)
    path = _events_file(tmp_path / "bg")
    deadline = time.time() + 10
    while len(_read_records(path)) < 2 and time.time() < deadline:
        time.sleep(0.05)
    assert len(_read_records(path)) == 2        # written by the flush thread, no flush()
    writer.close()

    tf.constant(1.0, name="c")
    cached = tf.summary.FileWriterCache.get(str(tmp_path / "cache"))
    assert tf.summary.FileWriterCache.get(str(tmp_path / "cache")) is cached
    tf.summary.FileWriterCache.clear()
    g = _accumulator(tmp_path / "cache").Graph()
    assert [n.name for n in g.node] == ["c"]


def test_graph_def_of_variables_has_tf_attrs():
    from jitgraph import variables
    from jitgraph.summary.graph_def import as_graph_def
    v = variables.Variable(np.zeros((2, 2), np.float32), name="v")
    gd = as_graph_def(v.graph)
    nodes = {n.name: n for n in gd.node}
    var = nodes["v"]
    assert var.op == "VariableV2" and var.attr["dtype"].type == 1
    assert [d.size for d in var.attr["shape"].shape.dim] == [2, 2]
    assert nodes["v/Assign"].op == "Assign" and list(nodes["v/Assign"].input)[0] == "v"
    assert nodes["v/Assign"].attr["T"].type == 1
