"""The baseline for ``dataset_epoch``: the same epoch fed batch by batch through ``feed_dict``.

Same 60,000 examples, same MLP and Adam; the loop shuffles with numpy and slices
each batch of 128 in Python, as a hand-written TF 1.x input loop does.
"""
import math

import numpy as np
from _mlp import BATCH, build_mlp, synthetic_mnist

NAME = "feed_epoch"
DESCRIPTION = "the same epoch as dataset_epoch, batches sliced in Python and fed by feed_dict"
UNIT = "epoch"


def setup(tf, quick):
    n = 4096 if quick else 60000
    images, labels = synthetic_mnist(n)
    tf.reset_default_graph()
    x = tf.placeholder(tf.float32, [None, 784])
    y = tf.placeholder(tf.int32, [None])
    train, loss = build_mlp(tf, x, y)

    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    steps = math.ceil(n / BATCH)
    rs = np.random.RandomState(0)

    def step():
        order = rs.permutation(n)
        for i in range(steps):
            idx = order[i * BATCH:(i + 1) * BATCH]
            _, value = sess.run((train, loss), {x: images[idx], y: labels[idx]})
        return value

    step.close = sess.close
    return step
