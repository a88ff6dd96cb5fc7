"""The convolutional networks shared by ``cnn_step``/``cnn_infer`` and
``vgg_block``/``vgg_infer``: graph builders written against a ``tf`` module, and a
setup that returns either the Adam training step or the inference forward pass."""
import numpy as np


def cnn_logits(tf, x):
    """MNIST-shaped CNN: conv 5x5x32 -> pool -> conv 5x5x64 -> pool -> dense 256 -> 10."""
    h = tf.layers.conv2d(x, 32, 5, padding="same", activation=tf.nn.relu)
    h = tf.layers.max_pooling2d(h, 2, 2)
    h = tf.layers.conv2d(h, 64, 5, padding="same", activation=tf.nn.relu)
    h = tf.layers.max_pooling2d(h, 2, 2)
    h = tf.layers.dense(tf.layers.flatten(h), 256, activation=tf.nn.relu)
    return tf.layers.dense(h, 10)


def vgg_logits(tf, x):
    """A VGG block pair on CIFAR-shaped input: conv 3x3x64 x2 -> pool -> conv 3x3x128 x2
    -> pool -> dense 10."""
    h = x
    for filters in (64, 128):
        h = tf.layers.conv2d(h, filters, 3, padding="same", activation=tf.nn.relu)
        h = tf.layers.conv2d(h, filters, 3, padding="same", activation=tf.nn.relu)
        h = tf.layers.max_pooling2d(h, 2, 2)
    return tf.layers.dense(tf.layers.flatten(h), 10)


def setup(tf, logits_fn, image_shape, batch, train):
    """A step on fed float32 NHWC images and int32 labels: the Adam update (and loss) when
    `train`, else the logits alone (``sess.run(logits)``)."""
    rs = np.random.RandomState(0)
    images = rs.uniform(0, 1, (batch,) + image_shape).astype(np.float32)
    labels = rs.randint(0, 10, batch).astype(np.int32)
    tf.reset_default_graph()
    x = tf.placeholder(tf.float32, (None,) + image_shape)
    y = tf.placeholder(tf.int32, [None])
    logits = logits_fn(tf, x)
    loss = tf.losses.sparse_softmax_cross_entropy(labels=y, logits=logits)
    train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    if train:
        feed = {x: images, y: labels}

        def step():
            return sess.run((train_op, loss), feed)
    else:
        feed = {x: images}

        def step():
            return sess.run(logits, feed)

    step.close = sess.close
    return step
