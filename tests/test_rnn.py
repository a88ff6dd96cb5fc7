"""tf.nn.rnn_cell cells with dynamic_rnn, static_rnn and the bidirectional forms against
TF 1.x's numbers (tests/reference/tf_control_flow.json, programs in rnn_programs.py):
outputs, states, gradients, variable names and a short Adam training run."""
import json
import os

import numpy as np
import pytest

import jitgraph as tf
from helpers import run_both, session
from reference import rnn_programs

REF = json.load(open(os.path.join(os.path.dirname(__file__), "reference",
                                  "tf_control_flow.json")))["rnn"]


def _close(got, want, what):
    np.testing.assert_allclose(np.asarray(got, np.float64), np.asarray(want, np.float64),
                               rtol=1e-4, atol=1e-5, err_msg=what)


def _check(name, engine):
    runs, weights, variables = rnn_programs.execute(tf, name, session(jit=engine))
    want = REF[name]
    assert [[n, s] for n, s in variables] == want["variables"]
    for got, ref in zip(runs, want["runs"]):
        assert sorted(got) == sorted(ref)
        for k in ref:
            _close(got[k], ref[k], f"{name}: {k} ({engine})")
    for k in want["weights"]:
        _close(weights[k], want["weights"][k], f"{name}: final {k} ({engine})")


@pytest.mark.parametrize("name", rnn_programs.PROGRAMS)
def test_programs_match_tf_interp(name):
    _check(name, "interp")


@pytest.mark.slow  # 20-60 s of compiles each; the other programs pass on the JIT too
@pytest.mark.parametrize("name", ["lstm_train"])
def test_programs_match_tf_jit(name):
    _check(name, "jit")


@pytest.mark.slow  # three compiled plans (forward, loop body, backward step): ≈30 s
def test_dynamic_rnn_lstm_jit_matches_interp():
    """A batch-major LSTM with ragged lengths and its gradients, compiled against the
    interpreter (forward loop, backward loop and the stages around them)."""
    x = tf.placeholder(tf.float32, [2, 3, 2])
    cell = tf.nn.rnn_cell.BasicLSTMCell(3)
    out, st = tf.nn.dynamic_rnn(cell, x, sequence_length=[3, 2], dtype=tf.float32)
    loss = tf.reduce_sum(out * out) + tf.reduce_sum(st.h)
    grads = tf.gradients(loss, [x] + tf.trainable_variables())
    init = [tf.global_variables_initializer()] + [
        v.assign(rnn_programs.weight_for(v.name, v.shape.as_list()))
        for v in tf.trainable_variables()]
    run_both([out, st, grads], {x: rnn_programs._data(5, [2, 3, 2])}, init=init, rtol=1e-4,
             atol=1e-5)


def test_contrib_rnn_and_nn_rnn_cell_are_one_api():
    for name in ("BasicLSTMCell", "BasicRNNCell", "GRUCell", "LSTMCell", "MultiRNNCell",
                 "DropoutWrapper", "ResidualWrapper", "LSTMStateTuple", "RNNCell"):
        assert getattr(tf.contrib.rnn, name) is getattr(tf.nn.rnn_cell, name)
    assert tf.contrib.rnn.static_rnn is tf.nn.static_rnn


def test_zero_state_and_sizes():
    cell = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.LSTMCell(4, num_proj=2),
                                        tf.nn.rnn_cell.GRUCell(3)])
    assert cell.state_size == ((4, 2), 3) and cell.output_size == 3
    b = tf.placeholder(tf.int32, [])
    (c, h), g = cell.zero_state(b, tf.float32)
    assert c.shape.as_list() == [None, 4] and h.shape.as_list() == [None, 2]
    z = session(jit="interp").run([c, h, g], {b: 5})
    assert [a.shape for a in z] == [(5, 4), (5, 2), (5, 3)] and not any(a.any() for a in z)
    assert isinstance(tf.nn.rnn_cell.BasicLSTMCell(2).zero_state(3, tf.float32),
                      tf.nn.rnn_cell.LSTMStateTuple)


def test_dropout_wrapper_drops_inputs_and_outputs():
    x = tf.ones([200, 1, 50])
    cell = tf.nn.rnn_cell.DropoutWrapper(tf.nn.rnn_cell.BasicRNNCell(50, activation=tf.identity),
                                         output_keep_prob=0.5, seed=3)
    out, _ = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
    sess = session(jit="interp")
    sess.run(tf.global_variables_initializer())
    o = sess.run(out)
    dropped = np.mean(o == 0.0)
    assert 0.4 < dropped < 0.6


def test_rnn_errors_as_tf_raises_them():
    x = tf.placeholder(tf.float32, [2, 3, 4])
    cell = tf.nn.rnn_cell.BasicRNNCell(2)
    with pytest.raises(ValueError, match="you must give a dtype"):
        tf.nn.dynamic_rnn(cell, x)
    with pytest.raises(ValueError, match="sequence_length must be a vector"):
        tf.nn.dynamic_rnn(cell, x, sequence_length=[[1]], dtype=tf.float32)
    with pytest.raises(TypeError, match="inputs must be a sequence"):
        tf.nn.static_rnn(cell, x, dtype=tf.float32)
    with pytest.raises(ValueError, match="at least one cell"):
        tf.nn.rnn_cell.MultiRNNCell([])
    with pytest.raises(ValueError, match="must be between 0 and 1"):
        tf.nn.rnn_cell.DropoutWrapper(cell, input_keep_prob=1.5)


def test_reverse_sequence_and_its_gradient(engine):
    x = tf.placeholder(tf.float32, [2, 4, 1])
    r = tf.reverse_sequence(x, [3, 1], seq_axis=1, batch_axis=0)
    g = tf.gradients(tf.reduce_sum(r * tf.constant([[[1.], [2.], [3.], [4.]]])), x)[0]
    xv = np.arange(8, dtype=np.float32).reshape(2, 4, 1)
    rv, gv = session(jit=engine).run([r, g], {x: xv})
    np.testing.assert_array_equal(rv[:, :, 0], [[2, 1, 0, 3], [4, 5, 6, 7]])
    np.testing.assert_array_equal(gv[:, :, 0], [[3, 2, 1, 4], [1, 2, 3, 4]])
