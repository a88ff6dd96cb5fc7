"""Data-parallel training of an MNIST classifier with Horovod's API, as a TF 1.x program
written for Horovod runs: only the import changes.

Run: mpiexec -n 2 python examples/distributed_mnist.py [--steps N] [--mnist mnist.npz]
     python examples/distributed_mnist.py              (one process: the same program)

Each rank reads its shard of the data; DistributedOptimizer averages the gradients of
all ranks every step (one MPI call); BroadcastGlobalVariablesHook starts every rank
from rank 0's weights; rank 0 alone writes checkpoints. Without --mnist (a Keras
`mnist.npz`), the data are synthetic MNIST-shaped digits: ten noisy prototypes,
which need no download and take a few hundred steps to learn.
"""
from __future__ import absolute_import, division, print_function

import argparse
import tempfile

import numpy as np

import jitgraph as tf
import jitgraph.distribute as hvd


def synthetic_digits(n, seed):
    """`n` 28x28 images in [0, 1] (flattened) around ten fixed prototypes, and labels."""
    prototypes = np.random.RandomState(1234).uniform(0, 1, (10, 784)) > 0.95
    rs = np.random.RandomState(seed)
    labels = rs.randint(0, 10, n).astype(np.int32)
    images = prototypes[labels] * 0.12 + rs.uniform(0, 0.88, (n, 784))
    return np.clip(images, 0, 1).astype(np.float32), labels


def load(path):
    if path:
        with np.load(path) as f:
            return ((f["x_train"].reshape(-1, 784) / 255.0).astype(np.float32),
                    f["y_train"].astype(np.int32),
                    (f["x_test"].reshape(-1, 784) / 255.0).astype(np.float32),
                    f["y_test"].astype(np.int32))
    return synthetic_digits(12000, seed=0) + synthetic_digits(2000, seed=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=400, help="steps of all ranks together")
    parser.add_argument("--batch", type=int, default=128, help="examples per rank per step")
    parser.add_argument("--mnist", help="a Keras mnist.npz (default: synthetic digits)")
    parser.add_argument("--checkpoint-dir", help="default: a new temporary directory")
    args = parser.parse_args()

    hvd.init()
    x_train, y_train, x_test, y_test = load(args.mnist)

    # Every rank holds the same arrays and takes every size()-th example of them.
    ds = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    ds = ds.shard(hvd.size(), hvd.rank()).shuffle(4096, seed=hvd.rank()).repeat()
    images, labels = ds.batch(args.batch).make_one_shot_iterator().get_next()

    def mlp(x):
        with tf.variable_scope("mlp", reuse=tf.AUTO_REUSE):
            h = tf.layers.dense(x, 256, activation=tf.nn.relu, name="hidden1")
            h = tf.layers.dense(h, 256, activation=tf.nn.relu, name="hidden2")
            return tf.layers.dense(h, 10, name="logits")

    loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=mlp(images))
    test_x = tf.placeholder(tf.float32, [None, 784])
    test_y = tf.placeholder(tf.int32, [None])
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(mlp(test_x), 1, output_type=tf.int32),
                                               test_y), tf.float32))

    # Horovod's recipe: scale the learning rate by the number of ranks (the batch grew).
    opt = hvd.DistributedOptimizer(tf.train.AdamOptimizer(0.001 * hvd.size()))
    global_step = tf.train.get_or_create_global_step()
    train_op = opt.minimize(loss, global_step=global_step)

    final = tf.train.FinalOpsHook(accuracy, {test_x: x_test, test_y: y_test})
    hooks = [hvd.BroadcastGlobalVariablesHook(0),
             tf.train.StopAtStepHook(last_step=args.steps // hvd.size()), final]
    if hvd.rank() == 0:
        hooks.append(tf.train.LoggingTensorHook({"step": global_step, "loss": loss},
                                                every_n_iter=50))
        tf.logging.set_verbosity(tf.logging.INFO)
    # One writer: the other ranks hold the same weights.
    checkpoint_dir = None
    if hvd.rank() == 0:
        checkpoint_dir = args.checkpoint_dir or tempfile.mkdtemp(prefix="jitgraph-hvd-")

    with tf.train.MonitoredTrainingSession(checkpoint_dir=checkpoint_dir, hooks=hooks,
                                           save_summaries_steps=None) as sess:
        while not sess.should_stop():
            sess.run(train_op)
    if hvd.rank() == 0:
        print(f"ranks {hvd.size()}  steps {args.steps // hvd.size()}  test accuracy "
              f"{final.final_ops_values:.3f}  checkpoint "
              f"{tf.train.latest_checkpoint(checkpoint_dir)}")


if __name__ == "__main__":
    main()
