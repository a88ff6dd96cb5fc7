"""A 2017-style contrib-layers CNN trained through MonitoredTrainingSession with hooks.

Synthetic 8x8 "images": class 1 has a bright centre. Runs in seconds; checkpoints go to a
temporary directory, and a second session resumes from them as TF 1.x programs did.
"""
import tempfile

import numpy as np

import jitgraph as tf


def batches(rng, n=32):
    while True:
        y = rng.randint(0, 2, n)
        x = rng.rand(n, 8, 8, 1).astype(np.float32) * 0.5
        x[y == 1, 3:5, 3:5, :] += 1.0
        yield x, y.astype(np.int64)


def build():
    images = tf.placeholder(tf.float32, [None, 8, 8, 1], name="images")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    layers = tf.contrib.layers
    with tf.contrib.framework.arg_scope([layers.conv2d, layers.fully_connected],
                                        weights_initializer=layers.xavier_initializer(seed=1),
                                        weights_regularizer=layers.l2_regularizer(1e-4)):
        net = layers.conv2d(images, 8, 3, normalizer_fn=layers.batch_norm,
                            normalizer_params={"is_training": True})
        net = layers.max_pool2d(net, 2)
        net = layers.flatten(net)
        logits = layers.fully_connected(net, 2, activation_fn=None)
    loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
    loss += tf.add_n(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES))
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), labels), tf.float32))
    global_step = tf.train.get_or_create_global_step()
    train_op = layers.optimize_loss(loss, global_step, 0.05, "Adam")
    return images, labels, loss, accuracy, global_step, train_op


def train(checkpoint_dir, last_step):
    tf.reset_default_graph()
    images, labels, loss, accuracy, global_step, train_op = build()
    held_out = next(batches(np.random.RandomState(9)))
    final = tf.train.FinalOpsHook([global_step, accuracy],
                                  final_ops_feed_dict={images: held_out[0], labels: held_out[1]})
    hooks = [tf.train.StopAtStepHook(last_step=last_step), tf.train.NanTensorHook(loss),
             tf.train.LoggingTensorHook({"step": global_step, "loss": loss}, every_n_iter=50),
             final]
    data = batches(np.random.RandomState(last_step))
    with tf.train.MonitoredTrainingSession(checkpoint_dir=checkpoint_dir, hooks=hooks,
                                           save_checkpoint_steps=100,
                                           save_summaries_steps=50) as sess:
        while not sess.should_stop():
            x, y = next(data)
            sess.run(train_op, {images: x, labels: y})
    return final.final_ops_values


def main():
    tf.logging.set_verbosity(tf.logging.INFO)
    with tempfile.TemporaryDirectory() as ckpt:
        step, acc = train(ckpt, 150)
        print(f"trained to step {step}: held-out accuracy {acc:.2f}")
        step, acc = train(ckpt, 200)  # resumes from model.ckpt-150
        print(f"resumed to step {step}: held-out accuracy {acc:.2f}")


if __name__ == "__main__":
    main()
