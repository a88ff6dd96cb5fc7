"""Writes the TF 1.x checkpoints under tests/reference/tf_ckpt/ (run offline, with TF).

    TF_USE_LEGACY_KERAS=1 python tests/reference/make_tf_checkpoints.py

`model-3`: one variable of each dtype a checkpoint commonly holds, scoped names, a
global step. `many`: 150 variables, so that the index spans several table blocks.
The values are the functions below, which tests/test_tf_checkpoints.py also uses.
"""
import os
import shutil
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tf_ckpt")


def model_values():
    return {
        "dense/kernel": np.arange(12, dtype=np.float32).reshape(3, 4) / 7.0,
        "dense/bias": np.array([0.5, -1.25, 3.0, 1e-7], np.float32),
        "counts": np.array([[1, -2], [3, 2**40]], np.int64),
        "ids": np.array([7, 8, 9], np.int32),
        "scale": np.float64(np.pi),
        "flags": np.array([True, False, True]),
        "half": np.array([1.5, -2.0], np.float16),
        "small": np.array([-3, 4], np.int8),
        "pixels": np.array([0, 255, 17], np.uint8),
        "words": np.array([b"alpha", b"", b"\xffbytes\x00"], dtype=object),
        "global_step": np.int64(3),
    }


def many_values():
    return {f"layer_{i:03d}/w": np.full((2,), i, np.float32) for i in range(150)}


def _save(tf, values, prefix, global_step=None):
    with tf.Graph().as_default():
        vs = [tf.Variable(v, name=n) for n, v in values.items()]
        saver = tf.train.Saver(vs)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            saver.save(sess, prefix, global_step=global_step, write_meta_graph=False)


def main():
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    _save(tf, model_values(), os.path.join(OUT, "model"), global_step=3)
    _save(tf, many_values(), os.path.join(OUT, "many"))
    # The state file names the model checkpoint, relative to its directory.
    with open(os.path.join(OUT, "checkpoint"), "w") as f:
        f.write('model_checkpoint_path: "model-3"\nall_model_checkpoint_paths: "model-3"\n')
    print("\n".join(sorted(os.listdir(OUT))), file=sys.stderr)


if __name__ == "__main__":
    main()
