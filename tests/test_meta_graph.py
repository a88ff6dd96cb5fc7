"""Meta graphs and init_from_checkpoint: TF 1.x's files restore and train in jitgraph
to TF's numbers, jitgraph's import in TF (where installed), damaged files give TF's
error classes and change nothing.

The fixtures under tests/reference/tf_graph/ were written by TF 1.x with
tests/reference/make_tf_graph_files.py; expected.json holds TF's numbers.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import jitgraph as tf
from jitgraph.framework import errors
from helpers import session

REF = os.path.join(os.path.dirname(__file__), "reference")
sys.path.insert(0, REF)
from make_tf_graph_files import cnn_batch, mlp_batch  # noqa: E402

FIXTURES = os.path.join(REF, "tf_graph")
EXPECTED = json.load(open(os.path.join(FIXTURES, "expected.json")))
MODELS = {"mlp": (mlp_batch, "x:0", "y:0"), "cnn": (cnn_batch, "images:0", "labels:0"),
          "bcast": (mlp_batch, "x:0", "y:0")}


def _restore_and_step(name, engine):
    """Imports TF's meta graph, restores TF's checkpoint, runs one training step: the
    outputs before and after, the loss and the global step."""
    batch, xn, yn = MODELS[name]
    prefix = os.path.join(FIXTURES, EXPECTED[name]["prefix"])
    saver = tf.train.import_meta_graph(prefix + ".meta")
    out, = tf.get_collection("outputs")
    train = tf.get_collection("train_op")[0]  # minimize() adds it too: listed twice
    loss, = tf.get_collection(tf.GraphKeys.LOSSES)
    ex, ey = batch(100)
    sess = session(jit=engine)
    saver.restore(sess, prefix)
    before = sess.run(out, {xn: ex})
    loss_v, _ = sess.run([loss, train], {xn: ex, yn: ey})
    return before, loss_v, sess.run(out, {xn: ex}), sess.run(tf.train.get_global_step())


def _assert_tfs_numbers(name, got):
    before, loss_v, after, step = got
    want = EXPECTED[name]
    np.testing.assert_allclose(before, want["restored"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(loss_v, want["loss_before_step"], rtol=1e-5)
    np.testing.assert_allclose(after, want["after_step"], rtol=1e-5, atol=1e-6)
    assert step == want["global_step_after"]


def test_tf_mlp_meta_graph_restores_and_trains(engine):
    _assert_tfs_numbers("mlp", _restore_and_step("mlp", engine))
    g = tf.get_default_graph()
    assert {v.op.name for v in tf.trainable_variables()} == {
        "hidden/kernel", "hidden/bias", "out/kernel", "out/bias"}
    assert len(tf.global_variables()) == 4 * 3 + 3  # + Adam slots, beta powers, step
    assert not [op for op in g.get_operations() if op.name.startswith("save/")]


@pytest.mark.parametrize("name", ["cnn", "bcast"])
def test_tf_meta_graphs_with_other_gradients(name):
    # cnn: Conv2DBackprop*, MaxPoolGrad, BiasAddGrad, ApplyMomentum; bcast: TF's
    # BroadcastGradientArgs with an unknown batch, StridedSliceGrad, ApplyGradientDescent.
    _assert_tfs_numbers(name, _restore_and_step(name, "interp"))


def test_second_tf_saver_restores_through_its_own_ops():
    """A program with two TF Savers: the saver_def's is our Saver; the other's save
    path is left out and its restore ops (RestoreV2, Assigns) run as TF's do."""
    prefix = os.path.join(FIXTURES, EXPECTED["mlp"]["prefix"])
    mg = tf.MetaGraphDef()
    with open(prefix + ".meta", "rb") as f:
        mg.ParseFromString(f.read())

    def renamed(s):
        bare = s.lstrip("^")
        return s[:len(s) - len(bare)] + ("save_1/" + bare[5:] if bare.startswith("save/")
                                         else bare)
    for n in list(mg.graph_def.node):
        if n.name.startswith("save/"):
            m = mg.graph_def.node.add()
            m.CopyFrom(n)
            m.name = renamed(n.name)
            del m.input[:]
            m.input.extend(renamed(i) for i in n.input)
    tf.train.import_meta_graph(mg)
    g = tf.get_default_graph()
    assert not [op for op in g.get_operations() if op.name.startswith("save/")
                or op.name == "save_1/SaveV2"]
    sess = session(jit=False)
    sess.run("save_1/restore_all", {"save_1/Const:0": prefix})
    np.testing.assert_allclose(sess.run("logits:0", {"x:0": mlp_batch(100)[0]}),
                               EXPECTED["mlp"]["restored"], rtol=1e-5, atol=1e-6)


def _jitgraph_mlp(path):
    """A jitgraph MLP trained 2 steps and saved; its numbers on the eval batch."""
    x = tf.placeholder(tf.float32, [None, 6], name="x")
    y = tf.placeholder(tf.int32, [None], name="y")
    h = tf.layers.dense(x, 8, activation=tf.nn.relu, name="hidden")
    logits = tf.identity(tf.layers.dense(h, 3, name="out") + tf.constant([0., .1, .2]),
                         name="logits")
    loss = tf.losses.sparse_softmax_cross_entropy(labels=y, logits=logits)
    train = tf.train.AdamOptimizer(0.01).minimize(
        loss, global_step=tf.train.get_or_create_global_step())
    tf.add_to_collection("train_op", train)
    tf.add_to_collection("notes", "a string")
    tf.report_uninitialized_variables()  # as Scaffold's ready_op: TF's ops in the file
    saver = tf.train.Saver()
    sess = session(jit=False)
    sess.run(tf.global_variables_initializer())
    for i in range(2):
        sess.run(train, {x: mlp_batch(i)[0], y: mlp_batch(i)[1]})
    prefix = saver.save(sess, path, global_step=2)
    ex, ey = mlp_batch(100)
    want = sess.run(logits, {x: ex})
    sess.run(train, {x: ex, y: ey})
    return prefix, want, sess.run(logits, {x: ex})


def test_jitgraph_meta_graph_round_trip(tmp_path):
    prefix, want, want_after = _jitgraph_mlp(str(tmp_path / "m"))
    mg = tf.train.export_meta_graph(str(tmp_path / "m.pbtxt"), as_text=True)
    assert mg.saver_def.restore_op_name == "save/restore_all"
    assert {"train_op", "notes", "variables", "trainable_variables"} <= set(mg.collection_def)
    ex, ey = mlp_batch(100)
    for meta in (prefix + ".meta", str(tmp_path / "m.pbtxt")):
        with tf.Graph().as_default():
            saver = tf.train.import_meta_graph(meta, import_scope="copy")
            assert tf.get_collection("notes") == [b"a string"]
            train, = tf.get_collection("train_op")
            sess = session(jit=False)
            saver.restore(sess, prefix)
            np.testing.assert_allclose(sess.run("copy/logits:0", {"copy/x:0": ex}), want,
                                       rtol=1e-6)
            sess.run(train, {"copy/x:0": ex, "copy/y:0": ey})
            np.testing.assert_allclose(sess.run("copy/logits:0", {"copy/x:0": ex}),
                                       want_after, rtol=1e-6)
    with tf.Graph().as_default():
        fixed = tf.constant(ex, name="fixed")
        saver, (logits,) = tf.train.import_meta_graph(
            prefix + ".meta", input_map={"x:0": fixed}, return_elements=["logits:0"])
        sess = session(jit=False)
        saver.restore(sess, prefix)
        np.testing.assert_allclose(sess.run(logits), want, rtol=1e-6)


def test_damaged_meta_graph_files(tmp_path):
    src = os.path.join(FIXTURES, EXPECTED["mlp"]["prefix"] + ".meta")
    data = open(src, "rb").read()
    g = tf.get_default_graph()
    with pytest.raises(errors.NotFoundError) as e:
        tf.train.import_meta_graph(str(tmp_path / "missing.meta"))
    assert isinstance(e.value, IOError)  # TF 1.x raises IOError here
    for name, blob in (("cut", data[:len(data) // 3]), ("junk", b"\x00\xff" * 50),
                       ("empty", b"")):
        (tmp_path / name).write_bytes(blob)
        with pytest.raises(errors.DataLossError) as e:
            tf.train.import_meta_graph(str(tmp_path / name))
        assert isinstance(e.value, IOError) and "Cannot parse file" in str(e.value)
    assert g.get_operations() == []


def test_mismatched_checkpoint_changes_no_variable(tmp_path):
    prefix = os.path.join(FIXTURES, EXPECTED["mlp"]["prefix"])
    saver = tf.train.import_meta_graph(prefix + ".meta")
    sess = session(jit=False)
    sess.run(tf.global_variables_initializer())
    before = sess.run(tf.global_variables())
    # The CNN's checkpoint lacks the MLP's names; a copy with one index byte flipped
    # fails its checksum.
    with pytest.raises(errors.NotFoundError, match="not found in checkpoint"):
        saver.restore(sess, os.path.join(FIXTURES, EXPECTED["cnn"]["prefix"]))
    for suffix in (".index", ".data-00000-of-00001"):
        shutil.copy(prefix + suffix, str(tmp_path / "m") + suffix)
    raw = bytearray((tmp_path / "m.data-00000-of-00001").read_bytes())
    raw[10] ^= 0xFF
    (tmp_path / "m.data-00000-of-00001").write_bytes(bytes(raw))
    with pytest.raises(errors.DataLossError):
        saver.restore(sess, str(tmp_path / "m"))
    for a, b in zip(before, sess.run(tf.global_variables())):
        np.testing.assert_array_equal(a, b)
    with tf.Graph().as_default():
        wide = tf.Variable(tf.zeros([6, 9]), name="wide")
        sess = session(jit=False)
        sess.run(wide.initializer)
        with pytest.raises(errors.InvalidArgumentError, match=r"lhs shape= \[6,9\] rhs "
                                                              r"shape= \[6,8\]"):
            tf.train.Saver({"hidden/kernel": wide}).restore(sess, prefix)
        assert not sess.run(wide).any()


def test_init_from_checkpoint(engine):
    ckpt = os.path.join(FIXTURES, EXPECTED["mlp"]["prefix"])
    reader = tf.train.load_checkpoint(ckpt)
    with tf.variable_scope("new"):
        with tf.variable_scope("hidden"):
            k = tf.get_variable("kernel", [6, 8])
            b = tf.get_variable("bias", [8])
    other = tf.Variable(tf.zeros([8, 3]), name="other")
    untouched = tf.get_variable("untouched", [2], initializer=tf.ones_initializer())
    tf.train.init_from_checkpoint(ckpt, {"hidden/": "new/hidden/", "out/kernel": other})
    sess = session(jit=engine)
    sess.run(tf.global_variables_initializer())
    for v, name in ((k, "hidden/kernel"), (b, "hidden/bias"), (other, "out/kernel")):
        np.testing.assert_array_equal(sess.run(v), reader.get_tensor(name))
    np.testing.assert_array_equal(sess.run(untouched), [1, 1])


def test_init_from_checkpoint_errors(tmp_path):
    ckpt = os.path.join(FIXTURES, EXPECTED["mlp"]["prefix"])
    v = tf.get_variable("v", [6, 8])
    w = tf.get_variable("s/w", [3])
    with pytest.raises(ValueError, match="Tensor nope is not found in"):
        tf.train.init_from_checkpoint(ckpt, {"nope": v})
    with pytest.raises(ValueError, match=r"Shape of variable s/w:0 \(\(3,\)\) doesn't match "
                                         r"with shape of tensor hidden/bias \(\[8\]\)"):
        tf.train.init_from_checkpoint(ckpt, {"hidden/bias": w})
    with pytest.raises(ValueError, match="should map to scope only hidden/bias"):
        tf.train.init_from_checkpoint(ckpt, {"hidden/bias": "s/"})
    with pytest.raises(ValueError, match=r"Tensor hidden/w \(w in hidden/\) is not found"):
        tf.train.init_from_checkpoint(ckpt, {"hidden/": "s/"})
    # Values are read when the initializer runs: a checkpoint gone by then is TF's
    # NotFoundError, and the variable stays uninitialized.
    for suffix in (".index", ".data-00000-of-00001"):
        shutil.copy(ckpt + suffix, str(tmp_path / "m") + suffix)
    tf.train.init_from_checkpoint(str(tmp_path / "m"), {"hidden/kernel": v})
    os.remove(str(tmp_path / "m.index"))
    sess = session(jit=False)
    with pytest.raises(errors.NotFoundError, match="Failed to find any matching files"):
        sess.run(v.initializer)
    assert sess.run(tf.report_uninitialized_variables([v])).tolist() == [b"v"]


_TF_CHECK = r"""
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
prefix, frozen, ex = sys.argv[1], sys.argv[2], np.array(json.loads(sys.argv[3]), np.float32)
out = {}
with tf.Graph().as_default():
    saver = tf.train.import_meta_graph(prefix + ".meta")
    with tf.Session() as s:
        saver.restore(s, prefix)
        out["logits"] = s.run("logits:0", {"x:0": ex}).tolist()
        s.run(tf.get_collection("train_op")[0], {"x:0": ex, "y:0": [0, 1, 2, 0]})
        out["after"] = s.run("logits:0", {"x:0": ex}).tolist()
with tf.Graph().as_default():
    gd = tf.GraphDef()
    gd.ParseFromString(open(frozen, "rb").read())
    o, = tf.import_graph_def(gd, return_elements=["logits:0"])
    with tf.Session() as s:
        out["frozen"] = s.run(o, {"import/x:0": ex}).tolist()
print("RESULT" + json.dumps(out))
"""


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None,
                    reason="TensorFlow is not installed")
def test_tf_imports_jitgraph_meta_graph_and_frozen_graph(tmp_path):
    prefix, want, _ = _jitgraph_mlp(str(tmp_path / "m"))
    ex = mlp_batch(100)[0]
    sess = session(jit=False)
    tf.train.Saver().restore(sess, prefix)
    sess.run(tf.get_collection("train_op")[0], {"x:0": ex, "y:0": [0, 1, 2, 0]})
    want_after = sess.run("logits:0", {"x:0": ex})
    tf.train.Saver().restore(sess, prefix)
    frozen = tf.graph_util.convert_variables_to_constants(
        sess, sess.graph.as_graph_def(), ["logits"])
    path = tf.train.write_graph(frozen, str(tmp_path), "frozen.pb", as_text=False)
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3",
               CUDA_VISIBLE_DEVICES="")
    out = subprocess.run([sys.executable, "-c", _TF_CHECK, prefix, path,
                          json.dumps(ex.tolist())],
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.split("RESULT", 1)[1])
    np.testing.assert_allclose(got["logits"], want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["frozen"], want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["after"], want_after, rtol=1e-5, atol=1e-6)
