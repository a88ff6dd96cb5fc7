"""A linear model trained with plain TF 1.x code, logging its loss for TensorBoard and
saving checkpoints, then restoring the latest one in a fresh session.

Run: python examples/train_with_logging.py [LOGDIR]      (default: a temporary directory)
     tensorboard --logdir LOGDIR                         (Scalars: "loss"; Graphs)
"""
from __future__ import absolute_import, division, print_function

import os
import sys
import tempfile

import numpy as np

import jitgraph as tf

logdir = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="jitgraph-logs-")
os.makedirs(logdir, exist_ok=True)

# y = 3 x0 - 2 x1 + 0.5, with a little noise
rng = np.random.RandomState(0)
x_data = rng.randn(256, 2).astype(np.float32)
y_data = (x_data @ np.array([[3.0], [-2.0]], np.float32) + 0.5
          + 0.01 * rng.randn(256, 1).astype(np.float32))

x = tf.placeholder(tf.float32, shape=[None, 2], name="x")
y_true = tf.placeholder(tf.float32, shape=[None, 1], name="y_true")
w = tf.Variable(tf.zeros([2, 1]), name="w")
b = tf.Variable(tf.zeros([1]), name="b")
y_pred = tf.matmul(x, w) + b
loss = tf.reduce_mean(tf.square(y_pred - y_true), name="mse")
global_step = tf.Variable(0, trainable=False, name="global_step")
train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=global_step)

tf.summary.scalar("loss", loss)
tf.summary.histogram("weights", w)
merged = tf.summary.merge_all()
init = tf.global_variables_initializer()
saver = tf.train.Saver(max_to_keep=3)

with tf.Session() as sess:
    writer = tf.summary.FileWriter(logdir, sess.graph)
    sess.run(init)
    for i in range(100):
        summary, _, loss_value = sess.run((merged, train, loss), {x: x_data, y_true: y_data})
        step = i + 1  # what minimize() has counted global_step up to
        writer.add_summary(summary, step)
        if step % 25 == 0:
            path = saver.save(sess, os.path.join(logdir, "model.ckpt"), global_step=step)
            print(f"step {step}  loss {loss_value:.5f}  saved {path}")
    writer.close()

# A new session starts from the latest checkpoint instead of the initializers.
with tf.Session() as sess:
    latest = tf.train.latest_checkpoint(logdir)
    saver.restore(sess, latest)
    print("restored", latest, "w =", sess.run(w).ravel(), "b =", sess.run(b))
    print("loss", sess.run(loss, {x: x_data, y_true: y_data}))
print("TensorBoard: tensorboard --logdir", logdir)
