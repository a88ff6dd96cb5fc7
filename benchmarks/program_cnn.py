"""A whole CNN training program: 300 steps of ``cnn_step``'s network with an evaluation
every 100, timed as a new process from an empty compiled-code cache (compiles included)."""
import sys

NAME = "program_cnn"
DESCRIPTION = "300 steps of the cnn_step CNN + Adam (batch 64), eval every 100; new process"
UNIT = "process"
LONG = True  # left out of `jitgraph bench --quick` unless named
KIND = "process"
CACHE = "empty"

PROGRAM = '''
import numpy as np
rs = np.random.RandomState(0)
images = rs.uniform(0, 1, (64 * 10 + 500, 28, 28, 1)).astype(np.float32)
labels = rs.randint(0, 10, 64 * 10 + 500).astype(np.int32)
x = tf.placeholder(tf.float32, [None, 28, 28, 1])
y = tf.placeholder(tf.int32, [None])
h = tf.layers.conv2d(x, 32, 5, padding="same", activation=tf.nn.relu)
h = tf.layers.max_pooling2d(h, 2, 2)
h = tf.layers.conv2d(h, 64, 5, padding="same", activation=tf.nn.relu)
h = tf.layers.max_pooling2d(h, 2, 2)
h = tf.layers.dense(tf.layers.flatten(h), 256, activation=tf.nn.relu)
logits = tf.layers.dense(h, 10)
loss = tf.losses.sparse_softmax_cross_entropy(labels=y, logits=logits)
accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1, output_type=tf.int32), y),
                                  tf.float32))
train = tf.train.AdamOptimizer(1e-3).minimize(loss)
sess = tf.Session()
sess.run(tf.global_variables_initializer())
for step in range(300):
    i = (step % 10) * 64
    sess.run(train, {x: images[i:i + 64], y: labels[i:i + 64]})
    if step % 100 == 99:
        print(step + 1, *sess.run((loss, accuracy), {x: images[640:], y: labels[640:]}))
'''


def command(engine):
    if engine.api == "jax":
        return None
    return [sys.executable, "-c", engine.loader + "\n" + PROGRAM]
