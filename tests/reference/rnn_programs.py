"""TF 1.x recurrent-network programs, written once for both TensorFlow and jitgraph.

`build_<name>(tf)` builds a program in the default graph and returns
`(fetches, runs, train_op)`; `execute(tf, name, session)` runs it the same way on
either: variables are initialized, then every trainable variable is assigned
numbers derived from its name (so both start from the same weights, and a variable
named differently fails the comparison), then each feed dict is run (with the train
op, if any), then the final weights are read.
"""
import zlib

import numpy as np


def weight_for(name, shape):
    rs = np.random.RandomState(zlib.crc32(name.encode()) & 0x7FFFFFFF)
    return rs.uniform(-0.5, 0.5, shape).astype(np.float32)


def _data(seed, shape):
    return np.random.RandomState(seed).uniform(-1, 1, shape).astype(np.float32)


def _grads(tf, fetches, loss, xs):
    names = sorted(xs)
    for n, g in zip(names, tf.gradients(loss, [xs[n] for n in names])):
        fetches["d_" + n] = g
    return fetches


def _var_grads(tf, fetches, loss):
    vs = tf.trainable_variables()
    for v, g in zip(vs, tf.gradients(loss, vs)):
        fetches["d_" + v.name] = g
    return fetches


def build_lstm_dynamic(tf):
    x = tf.placeholder(tf.float32, [3, 4, 2], name="x")
    lengths = tf.placeholder(tf.int32, [3], name="lengths")
    cell = tf.nn.rnn_cell.BasicLSTMCell(5)
    out, st = tf.nn.dynamic_rnn(cell, x, sequence_length=lengths, dtype=tf.float32)
    loss = tf.reduce_sum(out * out) + tf.reduce_sum(st.c * st.h)
    f = _grads(tf, {"out": out, "c": st.c, "h": st.h}, loss, {"x": x})
    _var_grads(tf, f, loss)
    return f, [{x: _data(1, [3, 4, 2]), lengths: np.int32([4, 2, 3])}], None


def build_lstm_peephole_projection(tf):
    x = tf.placeholder(tf.float32, [4, 2, 3], name="x")  # time major
    cell = tf.nn.rnn_cell.LSTMCell(6, use_peepholes=True, num_proj=3, cell_clip=0.4,
                                   forget_bias=0.5)
    init = tf.nn.rnn_cell.LSTMStateTuple(tf.fill([2, 6], 0.1), tf.fill([2, 3], -0.2))
    out, st = tf.nn.dynamic_rnn(cell, x, initial_state=init, time_major=True)
    loss = tf.reduce_sum(tf.sin(out)) + tf.reduce_sum(st.c * st.c) + tf.reduce_sum(st.h)
    f = _grads(tf, {"out": out, "c": st.c, "h": st.h}, loss, {"x": x})
    _var_grads(tf, f, loss)
    return f, [{x: _data(2, [4, 2, 3])}], None


def build_gru_static(tf):
    xs = [tf.placeholder(tf.float32, [2, 3], name=f"x{i}") for i in range(3)]
    lengths = tf.placeholder(tf.int32, [2], name="lengths")
    cell = tf.nn.rnn_cell.GRUCell(4)
    outs, st = tf.nn.static_rnn(cell, xs, sequence_length=lengths, dtype=tf.float32)
    loss = tf.add_n([tf.reduce_sum(o * o) for o in outs]) + tf.reduce_sum(st)
    f = _grads(tf, {"out": tf.stack(outs), "state": st}, loss, {"x0": xs[0], "x2": xs[2]})
    _var_grads(tf, f, loss)
    feeds = {x: _data(3 + i, [2, 3]) for i, x in enumerate(xs)}
    feeds[lengths] = np.int32([3, 1])
    return f, [feeds], None


def build_multi_bidirectional(tf):
    x = tf.placeholder(tf.float32, [2, 5, 3], name="x")
    lengths = tf.placeholder(tf.int32, [2], name="lengths")
    fw = tf.nn.rnn_cell.MultiRNNCell([
        tf.nn.rnn_cell.BasicRNNCell(3),
        tf.nn.rnn_cell.ResidualWrapper(tf.nn.rnn_cell.DropoutWrapper(
            tf.nn.rnn_cell.BasicRNNCell(3), input_keep_prob=1.0, output_keep_prob=1.0))])
    bw = tf.nn.rnn_cell.GRUCell(2)
    (o_fw, o_bw), (s_fw, s_bw) = tf.nn.bidirectional_dynamic_rnn(
        fw, bw, x, sequence_length=lengths, dtype=tf.float32)
    loss = (tf.reduce_sum(o_fw * o_fw) + tf.reduce_sum(tf.cos(o_bw)) + tf.reduce_sum(s_fw[1])
            + tf.reduce_sum(s_bw * s_bw))
    f = _grads(tf, {"out_fw": o_fw, "out_bw": o_bw, "state_fw0": s_fw[0],
                    "state_fw1": s_fw[1], "state_bw": s_bw}, loss, {"x": x})
    _var_grads(tf, f, loss)
    return f, [{x: _data(7, [2, 5, 3]), lengths: np.int32([5, 3])}], None


def build_static_bidirectional(tf):
    xs = [tf.placeholder(tf.float32, [2, 2], name=f"x{i}") for i in range(3)]
    fw = tf.nn.rnn_cell.BasicLSTMCell(3, state_is_tuple=False)
    bw = tf.nn.rnn_cell.LSTMCell(2)
    outs, s_fw, s_bw = tf.nn.static_bidirectional_rnn(fw, bw, xs, dtype=tf.float32,
                                                      sequence_length=[3, 2])
    loss = tf.add_n([tf.reduce_sum(tf.tanh(o)) for o in outs]) + tf.reduce_sum(s_fw) \
        + tf.reduce_sum(s_bw.h * s_bw.c)
    f = _grads(tf, {"out": tf.stack(outs), "state_fw": s_fw, "state_bw_c": s_bw.c},
               loss, {"x1": xs[1]})
    _var_grads(tf, f, loss)
    return f, [{x: _data(9 + i, [2, 2]) for i, x in enumerate(xs)}], None


def build_lstm_train(tf):
    """An MNIST-row-style classifier, small: dynamic_rnn, last output, dense, Adam."""
    x = tf.placeholder(tf.float32, [None, 6, 4], name="x")
    y = tf.placeholder(tf.int32, [None], name="y")
    out, _ = tf.nn.dynamic_rnn(tf.nn.rnn_cell.BasicLSTMCell(8), x, dtype=tf.float32)
    logits = tf.layers.dense(out[:, -1], 3)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y,
                                                                         logits=logits))
    train = tf.train.AdamOptimizer(0.05).minimize(loss)
    feeds = {x: _data(11, [5, 6, 4]), y: np.int32([0, 1, 2, 1, 0])}
    return {"loss": loss}, [feeds] * 4, train


def execute(tf, name, session):
    """(results per run, final weights by name) of program `name` in `session`."""
    fetches, runs, train = globals()["build_" + name](tf)
    session.run(tf.global_variables_initializer())
    variables = tf.trainable_variables()
    for v in variables:
        session.run(v.assign(weight_for(v.name, v.shape.as_list())))
    results = []
    for feeds in runs:
        if train is not None:
            results.append(session.run([fetches, train], feeds)[0])
        else:
            results.append(session.run(fetches, feeds))
    weights = dict(zip([v.name for v in variables], session.run(variables))) if train else {}
    return results, weights, sorted((v.name, v.shape.as_list()) for v in variables)


PROGRAMS = ["lstm_dynamic", "lstm_peephole_projection", "gru_static", "multi_bidirectional",
            "static_bidirectional", "lstm_train"]
