"""A small CNN training step (MNIST-shaped): conv 5x5x32 -> pool -> conv 5x5x64 -> pool ->
dense 256 -> dense 10, sparse softmax cross-entropy, Adam; batch 64, NHWC float32, fed."""
import numpy as np

NAME = "cnn_step"
DESCRIPTION = "CNN conv5x5x32-pool-conv5x5x64-pool-dense256-dense10, Adam; batch 64 fed"
UNIT = "step"


def setup(tf, quick):
    batch = 8 if quick else 64
    rs = np.random.RandomState(0)
    images = rs.uniform(0, 1, (batch, 28, 28, 1)).astype(np.float32)
    labels = rs.randint(0, 10, batch).astype(np.int32)
    tf.reset_default_graph()
    x = tf.placeholder(tf.float32, [None, 28, 28, 1])
    y = tf.placeholder(tf.int32, [None])
    h = tf.layers.conv2d(x, 32, 5, padding="same", activation=tf.nn.relu)
    h = tf.layers.max_pooling2d(h, 2, 2)
    h = tf.layers.conv2d(h, 64, 5, padding="same", activation=tf.nn.relu)
    h = tf.layers.max_pooling2d(h, 2, 2)
    h = tf.layers.dense(tf.layers.flatten(h), 256, activation=tf.nn.relu)
    logits = tf.layers.dense(h, 10)
    loss = tf.losses.sparse_softmax_cross_entropy(labels=y, logits=logits)
    train = tf.train.AdamOptimizer(1e-3).minimize(loss)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    feed = {x: images, y: labels}

    def step():
        return sess.run((train, loss), feed)

    step.close = sess.close
    return step
