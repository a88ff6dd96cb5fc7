"""One epoch of the MLP trained from a ``tf.data`` pipeline instead of ``feed_dict``.

60,000 synthetic MNIST-shaped examples, shuffled, batched by 128, repeated;
one call runs ``ceil(60000 / 128)`` training steps fed by the iterator.
"""
import math

from _mlp import BATCH, build_mlp, synthetic_mnist

NAME = "dataset_epoch"
DESCRIPTION = "the MLP + Adam trained one epoch (60,000 examples) from Dataset...batch(128)"
UNIT = "epoch"


def setup(tf, quick):
    n = 4096 if quick else 60000
    images, labels = synthetic_mnist(n)
    tf.reset_default_graph()
    dataset = (tf.data.Dataset.from_tensor_slices((images, labels))
               .shuffle(10000)
               .batch(BATCH)
               .repeat())
    x, y = dataset.make_one_shot_iterator().get_next()
    train, loss = build_mlp(tf, x, y)

    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    steps = math.ceil(n / BATCH)

    def step():
        for _ in range(steps):
            _, value = sess.run((train, loss))
        return value

    step.close = sess.close
    return step
