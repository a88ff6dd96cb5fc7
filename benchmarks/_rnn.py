"""The unrolled tanh RNN of ``compile_scaling``: T steps built with a Python loop, Adam."""
import numpy as np

HIDDEN, BATCH, INPUT = 32, 16, 8


def build_rnn(tf, steps):
    """(x, y, train op, loss) for an RNN unrolled ``steps`` times, hidden 32, batch 16."""
    x = tf.placeholder(tf.float32, [None, steps, INPUT], name="x")
    y = tf.placeholder(tf.float32, [None, 1], name="y")
    w_x = tf.get_variable("w_x", [INPUT, HIDDEN])
    w_h = tf.get_variable("w_h", [HIDDEN, HIDDEN])
    b = tf.get_variable("b", [HIDDEN], initializer=tf.zeros_initializer())
    h = x[:, 0, :1] * tf.zeros([1, HIDDEN])  # zeros of (batch, hidden), batch fed
    for t in range(steps):
        h = tf.tanh(tf.matmul(x[:, t, :], w_x) + tf.matmul(h, w_h) + b)
    pred = tf.layers.dense(h, 1)
    loss = tf.reduce_mean(tf.square(pred - y))
    train = tf.train.AdamOptimizer(1e-3).minimize(loss)
    return x, y, train, loss


def batch(steps, seed=0):
    rs = np.random.RandomState(seed)
    xs = rs.randn(BATCH, steps, INPUT).astype(np.float32)
    ys = xs.sum(axis=(1, 2))[:, None].astype(np.float32) * 0.1
    return xs, ys
