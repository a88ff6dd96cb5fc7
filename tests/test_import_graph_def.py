"""GraphDefs in and out: tf.import_graph_def of TF's frozen graphs and of ours,
Graph.as_graph_def, tf.graph_util, write_graph; missing op types named at once.

tests/reference/tf_graph/cnn_frozen.pb was frozen by TF 1.x
(tests/reference/make_tf_graph_files.py); expected.json holds TF's probabilities.
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

import jitgraph as tf
from jitgraph.framework import errors
from jitgraph.graph_io.files import read_graph_def
from jitgraph.graph_io.tf_ops import broadcast_gradient_args
from helpers import run_both, session

REF = os.path.join(os.path.dirname(__file__), "reference")
sys.path.insert(0, REF)
from make_tf_graph_files import cnn_batch, zoo_batch  # noqa: E402

FIXTURES = os.path.join(REF, "tf_graph")
EXPECTED = json.load(open(os.path.join(FIXTURES, "expected.json")))


def _tf_graph_def(name):
    gd = tf.GraphDef()
    with open(os.path.join(FIXTURES, name), "rb") as f:
        gd.ParseFromString(f.read())
    return gd


def _tf_frozen_cnn():
    return _tf_graph_def("cnn_frozen.pb")


def test_tf_frozen_cnn_gives_tfs_probabilities():
    gd = _tf_frozen_cnn()
    probs, images = tf.import_graph_def(gd, return_elements=["probs:0", "images"])
    assert probs.name == "import/probs:0" and images.type == "Placeholder"
    got = run_both(probs, {"import/images:0": cnn_batch(100)[0]})
    np.testing.assert_allclose(got, EXPECTED["cnn"]["after_step"], rtol=1e-5, atol=1e-6)
    g = tf.get_default_graph()
    # The node names are kept; the weights are Consts.
    assert g.get_operation_by_name("import/conv/Conv2D").type == "Conv2D"
    assert not [op for op in g.get_operations() if op.type == "VariableV2"]


def test_tf_frozen_graph_of_other_inference_ops():
    # FusedBatchNormV3, AvgPool, Pad, ConcatV2, Mean, Squeeze, Relu6, LeakyRelu, ...
    # (on the interpreter: what runs is our ops, whose engines their own tests compare)
    out, = tf.import_graph_def(_tf_graph_def("zoo_frozen.pb"), return_elements=["out:0"])
    got = session(jit=False).run(out, {"import/x:0": zoo_batch(100)})
    np.testing.assert_allclose(got, EXPECTED["zoo"], rtol=1e-5, atol=1e-5)


def test_tf_fused_batch_norm_in_training_form():
    outs = tf.import_graph_def(_tf_graph_def("bn_train.pb"),
                               return_elements=["y:0", "mean:0", "var:0"])
    got = session(jit=False).run(outs, {"import/x:0": zoo_batch(101)})
    for g, want in zip(got, EXPECTED["bn_train"]):  # the variance Bessel-corrected
        np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-6)


def test_input_map_and_name_prefix():
    gd = _tf_frozen_cnn()
    x = tf.constant(cnn_batch(100)[0], name="fixed_images")
    p1, = tf.import_graph_def(gd, input_map={"images:0": x}, return_elements=["probs:0"],
                              name="net")
    p2, = tf.import_graph_def(gd, input_map={"images": x}, return_elements=["probs:0"],
                              name="net")
    assert p1.name == "net/probs:0" and p2.name == "net_1/probs:0"
    got = session(jit=False).run([p1, p2])
    for g in got:
        np.testing.assert_allclose(g, EXPECTED["cnn"]["after_step"], rtol=1e-5, atol=1e-6)
    # Names created afterwards do not collide with imported ones.
    assert tf.identity(x, name="net/probs").name == "net/probs_1:0"


def test_errors_are_tfs_and_add_nothing():
    gd = _tf_frozen_cnn()
    for node, kind in (("Frobnicate", "a"), ("Conv3DBackpropInputV2", "b"),
                       ("Frobnicate", "c")):
        n = gd.node.add(name=f"extra_{kind}", op=node)
        n.input.append("probs")
    g = tf.get_default_graph()
    with pytest.raises(errors.NotFoundError) as e:
        tf.import_graph_def(gd)
    msg = str(e.value)
    # One message names every missing type, once each.
    assert "'Conv3DBackpropInputV2', 'Frobnicate'" in msg and msg.count("Frobnicate") == 1
    assert g.get_operations() == []

    gd = _tf_frozen_cnn()
    with pytest.raises(ValueError, match="Attempted to map inputs that were not found in "
                                         r"graph_def: \[nope:0\]"):
        tf.import_graph_def(gd, input_map={"nope:0": tf.constant(1.0)})
    with pytest.raises(ValueError, match="Requested return tensor 'probs:3' not found"):
        tf.import_graph_def(gd, return_elements=["probs:3"])
    bad = tf.GraphDef()
    bad.node.add(name="a", op="Identity").input.append("zz")
    with pytest.raises(ValueError, match="Node 'a': Unknown input node 'zz'"):
        tf.import_graph_def(bad)
    with pytest.raises(TypeError):
        tf.import_graph_def(b"not a proto")


def _mixed_graph():
    """Ops whose attrs TF holds as inputs (axes, alpha), ours-only ops, a variable."""
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    w = tf.Variable(np.arange(12, dtype=np.float32).reshape(4, 3) / 10, name="w")
    h = tf.nn.leaky_relu(tf.matmul(x, w) - 0.5, alpha=0.1)
    s = tf.nn.softmax(h)
    s0 = tf.nn.softmax(h, axis=0)                  # not TF's form: kept as ours
    m = tf.reduce_mean(s, axis=1, keepdims=True)
    parts = tf.split(h, [1, 2], axis=1)
    c = tf.concat([parts[1], m, tf.expand_dims(tf.squeeze(m, [1]), 1)], axis=1)
    a = tf.argmax(c, 1, output_type=tf.int32)
    g = tf.gather(c, [1, 0], axis=1)
    cs = tf.cumsum(tf.pad(g, [[0, 0], [1, 1]]), axis=1)
    st = tf.stack([tf.reduce_sum(cs), tf.reduce_max(s0)])
    sl = h[:, 1:] + tf.slice(h, [0, 0], [-1, 2])    # slices keep their build-time facts
    loss = tf.reduce_sum(tf.square(sl - tf.ones([2])))  # a broadcast: SumToShape in grads
    grad = tf.gradients(loss, w)[0]
    return x, w, [tf.identity(t, name=f"out{i}") for i, t in enumerate([c, a, cs, st, grad])]


def test_our_graph_round_trips():
    # The interpreter only: the imported ops are our ops, whose engines other tests
    # compare (and the frozen CNN above runs on both).
    x, w, outs = _mixed_graph()
    feed = np.random.RandomState(0).randn(5, 4).astype(np.float32)
    sess = session(jit=False)
    sess.run(tf.global_variables_initializer())
    want = sess.run(outs, {x: feed})
    gd = tf.get_default_graph().as_graph_def()
    types = {n.op for n in gd.node}
    assert {"BroadcastGradientArgs", "Reshape", "StridedSliceGrad"} <= types
    assert "SumToShape" not in types
    with tf.Graph().as_default() as g2:
        got = tf.import_graph_def(gd, return_elements=[t.name for t in outs], name="")
        init = g2.get_operation_by_name("w/Assign")
        sess2 = session(g2, jit=False)
        sess2.run(init)
        for a, b in zip(sess2.run(got, {"x:0": feed}), want):
            np.testing.assert_allclose(a, b, rtol=1e-6)


def test_convert_variables_to_constants_and_write_graph(tmp_path):
    x, w, outs = _mixed_graph()
    sess = session(jit=False)
    sess.run(tf.global_variables_initializer())
    w.load(np.full((4, 3), 0.25, np.float32), sess)
    feed = np.ones((2, 4), np.float32)
    want = sess.run(outs[0], {x: feed})
    frozen = tf.graph_util.convert_variables_to_constants(
        sess, sess.graph.as_graph_def(), ["out0"])
    assert "w" in {n.name for n in frozen.node}
    assert not [n for n in frozen.node if n.op in ("VariableV2", "Assign")]
    kept = tf.graph_util.convert_variables_to_constants(
        sess, sess.graph.as_graph_def(), ["out0"], variable_names_blacklist=["w"])
    assert [n.op for n in kept.node if n.name == "w"] == ["VariableV2"]
    with pytest.raises(AssertionError, match="nope is not in graph"):
        tf.graph_util.extract_sub_graph(frozen, ["nope"])
    slim = tf.graph_util.remove_training_nodes(frozen, protected_nodes=["out0"])
    assert len(slim.node) < len(frozen.node)
    assert [n.name for n in slim.node if n.op == "Identity"] == ["out0"]
    with tf.Graph().as_default() as g2:
        o, = tf.import_graph_def(slim, return_elements=["out0:0"])
        np.testing.assert_allclose(session(g2, jit=False).run(o, {"import/x:0": feed}), want)
    for as_text, name in ((True, "g.pbtxt"), (False, "g.pb")):
        path = tf.train.write_graph(frozen, str(tmp_path / "out"), name, as_text=as_text)
        assert path == str(tmp_path / "out" / name)
        with tf.Graph().as_default() as g2:
            o, = tf.import_graph_def(read_graph_def(path), return_elements=["out0:0"])
            got = session(g2, jit=False).run(o, {"import/x:0": feed})
        np.testing.assert_allclose(got, want, rtol=1e-6)
    assert tf.io.write_graph is tf.train.write_graph
    with pytest.raises(errors.NotFoundError):
        read_graph_def(str(tmp_path / "missing.pb"))
    data = (tmp_path / "out" / "g.pb").read_bytes()
    (tmp_path / "cut.pb").write_bytes(data[:len(data) // 2 + 3])
    with pytest.raises(errors.DataLossError):
        read_graph_def(str(tmp_path / "cut.pb"))


def test_broadcast_gradient_args_matches_tf():
    # TF's BCast: each operand's broadcast dims; a 1 in both counts for both.
    assert broadcast_gradient_args([2, 3, 4], [4]) == ([], [0, 1])
    assert broadcast_gradient_args([2, 1, 4], [1, 3, 1]) == ([1], [0, 2])
    assert broadcast_gradient_args([1, 1], [1]) == ([0, 1], [0, 1])
    with pytest.raises(errors.InvalidArgumentError, match=r"Incompatible shapes: \[2\] vs. "
                                                          r"\[3\]"):
        broadcast_gradient_args([2], [3])
    s0 = tf.placeholder(tf.int32, [None])
    r0, r1 = _bga(s0, tf.constant([3, 1]))
    got = run_both([r0, r1], {s0: [2, 1, 5]})
    assert [v.tolist() for v in got] == [[1], [0, 2]]


def _bga(s0, s1):
    from jitgraph.ops.registry import make_op
    return make_op("BroadcastGradientArgs", [s0, s1], [tf.int32, tf.int32]).outputs


def test_variable_state_ops_and_python_attrs():
    a = tf.Variable(1.0, name="a")
    b = tf.Variable(2.0, name="b")
    c = tf.Variable(a.initialized_value() * 3, name="c")  # an attr naming a's op
    report = tf.report_uninitialized_variables()  # written as TF's ops
    known = tf.is_variable_initialized(b)
    gd = tf.get_default_graph().as_graph_def()
    assert "ReportUninitializedVariables" not in {n.op for n in gd.node}
    with tf.Graph().as_default():
        r, k = tf.import_graph_def(gd, return_elements=[report.name, known.name], name="")
        sess = session(jit=False)
        sess.run("a/Assign")
        assert sess.run(r).tolist() == [b"b", b"c"] and not sess.run(k)
        sess.run("c/Assign")
        assert sess.run("c:0") == 3.0 and sess.run(r).tolist() == [b"b"]
    del c
    # A py_func's function cannot travel: importing it says so, naming the attr.
    tf.py_func(lambda v: v, [tf.constant(1.0)], tf.float32, name="pyf")
    gd = tf.get_default_graph().as_graph_def()
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=r"Node 'pyf' \(PyFunc\) held Python objects a "
                                             r"GraphDef cannot carry \(attrs func"):
            tf.import_graph_def(gd)
