"""A whole training program as users run it: 2,000 MLP steps with an evaluation every 200.

Timed as a new process from an empty compiled-code cache, so it counts what a user
waits for: start-up, graph building, every compile (train and eval signatures) and
the steps. jitgraph runs it in its default mode (compiles in the background).
"""
import sys

NAME = "program_mlp"
DESCRIPTION = "2,000 steps of MLP 784-256-256-10 + Adam (batch 128), eval every 200; new process"
UNIT = "process"
LONG = True  # left out of `jitgraph bench --quick` unless named
KIND = "process"
CACHE = "empty"

PROGRAM = '''
import numpy as np
rs = np.random.RandomState(0)
images = rs.uniform(0, 1, (12800 + 1000, 784)).astype(np.float32)
labels = rs.randint(0, 10, 12800 + 1000).astype(np.int32)
x = tf.placeholder(tf.float32, [None, 784])
y = tf.placeholder(tf.int32, [None])
h = tf.layers.dense(x, 256, activation=tf.nn.relu)
h = tf.layers.dense(h, 256, activation=tf.nn.relu)
logits = tf.layers.dense(h, 10)
loss = tf.losses.sparse_softmax_cross_entropy(labels=y, logits=logits)
accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1, output_type=tf.int32), y),
                                  tf.float32))
train = tf.train.AdamOptimizer(1e-3).minimize(loss)
sess = tf.Session()
sess.run(tf.global_variables_initializer())
for step in range(2000):
    i = (step % 100) * 128
    sess.run(train, {x: images[i:i + 128], y: labels[i:i + 128]})
    if step % 200 == 199:
        l, a = sess.run((loss, accuracy), {x: images[12800:], y: labels[12800:]})
        print(step + 1, l, a)
'''


def command(engine):
    if engine.api == "jax":
        return None
    return [sys.executable, "-c", engine.loader + "\n" + PROGRAM]
