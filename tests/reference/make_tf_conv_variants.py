"""Generate ``tf_conv_variants.json``: TF 1.x outputs and gradients of the convolution
variants in ``conv_variant_cases.py`` (tests/test_conv_variants.py).

Needs TensorFlow (not a jitgraph dependency); run by hand from the repo root, in the
environment of ``make_tf_reference.py`` (TF1 compat graph mode, ``TF_USE_LEGACY_KERAS=1``,
one thread; floats rounded to 8 significant digits), but with oneDNN ON, TF's default on
x86: without it TF's CPU Conv2D rejects dilations and NCHW ("Current CPU implementations
do not yet support dilation rates larger than 1")::

    python tests/reference/make_tf_conv_variants.py
"""
import json
import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import numpy as np  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402
import conv_variant_cases as cases  # noqa: E402

tf.disable_v2_behavior()
OUT_PATH = os.path.join(HERE, "tf_conv_variants.json")


def r8(a):
    return [float(f"{v:.8g}") for v in np.ravel(a)]


def session(g):
    cfg = tf.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
    return tf.Session(graph=g, config=cfg)


def main():
    out = {"tf_version": tf.__version__, "cases": {}, "layers": {}}
    for name in cases.CASES:
        g = tf.Graph()
        with g.as_default():
            phs, y, grads, xs = cases.build(tf, name)
            vals = session(g).run([y] + grads, dict(zip(phs, xs)))
        out["cases"][name] = {"shape": list(vals[0].shape), "y": r8(vals[0]),
                              "grads": [r8(v) for v in vals[1:]]}
    for name, (shape, fn) in cases.LAYERS.items():
        g = tf.Graph()
        with g.as_default():
            x = tf.placeholder(tf.float32, shape)
            y = fn(tf, x)
            sess = session(g)
            sess.run(tf.global_variables_initializer())
            v = sess.run(y, {x: cases.values(shape, 0)})
            out["layers"][name] = {
                "shape": list(v.shape), "static_shape": y.shape.as_list(), "y": r8(v),
                "variables": [[t.name, t.shape.as_list()] for t in tf.global_variables()]}
    with open(OUT_PATH, "w") as fh:
        json.dump(out, fh, separators=(",", ":"))
        fh.write("\n")


if __name__ == "__main__":
    main()
