"""Times a frozen TF GraphDef of the benchmark CNN (benchmarks/cnn_step.py's model,
inference) under TF 1.x and under jitgraph (run by hand; needs TF).

    TF_USE_LEGACY_KERAS=1 python tests/reference/bench_frozen_cnn.py [batch] [runs] [threads]

`threads` (default 0: each engine's own choice) sets both engines' intra-op threads.

TF builds the model with seeded random weights, freezes it with
convert_variables_to_constants and writes the .pb; each engine then imports that same
file in a process of its own and runs it on the same batch: after warm-up runs (for
jitgraph: its compile), the best of 5 repeats of `runs` runs, per run.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

_TIMER = r"""
import json, sys, time
import numpy as np
engine, pb, batch, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
threads = int(sys.argv[5])
if engine == "tf":
    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()
else:
    import jitgraph as tf
gd = tf.GraphDef()
gd.ParseFromString(open(pb, "rb").read())
probs, = tf.import_graph_def(gd, return_elements=["probs:0"])
x = np.random.RandomState(0).rand(batch, 28, 28, 1).astype(np.float32)
config = tf.ConfigProto(intra_op_parallelism_threads=threads,
                        inter_op_parallelism_threads=threads)
sess = tf.Session(config=config)
feed = {"import/images:0": x}
t0 = time.perf_counter()
out = sess.run(probs, feed)
first = time.perf_counter() - t0
for _ in range(3):
    sess.run(probs, feed)
best = float("inf")
for _ in range(5):
    t0 = time.perf_counter()
    for _ in range(runs):
        sess.run(probs, feed)
    best = min(best, (time.perf_counter() - t0) / runs)
print("RESULT" + json.dumps({"per_run_s": best, "first_run_s": first,
                             "checksum": float(np.asarray(out, np.float64).sum()),
                             "probs0": np.asarray(out[0], np.float64).tolist()}))
"""


def freeze(path):
    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [None, 28, 28, 1], name="images")
        h = tf.layers.conv2d(x, 32, 5, padding="same", activation=tf.nn.relu)
        h = tf.layers.max_pooling2d(h, 2, 2)
        h = tf.layers.conv2d(h, 64, 5, padding="same", activation=tf.nn.relu)
        h = tf.layers.max_pooling2d(h, 2, 2)
        h = tf.layers.dense(tf.layers.flatten(h), 256, activation=tf.nn.relu)
        tf.nn.softmax(tf.layers.dense(h, 10), name="probs")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            frozen = tf.graph_util.convert_variables_to_constants(
                sess, sess.graph.as_graph_def(), ["probs"])
    with open(path, "wb") as f:
        f.write(frozen.SerializeToString())


def time_engine(engine, pb, batch, runs, threads):
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3",
               CUDA_VISIBLE_DEVICES="", JITGRAPH_COMPILE="sync")
    out = subprocess.run([sys.executable, "-c", _TIMER, engine, pb, str(batch), str(runs),
                          str(threads)],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.split("RESULT", 1)[1])


def main():
    batch = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    pb = os.path.join(tempfile.mkdtemp(), "cnn_frozen.pb")
    freeze(pb)
    res = {e: time_engine(e, pb, batch, runs, threads) for e in ("tf", "jitgraph")}
    agree = np.allclose(res["tf"]["probs0"], res["jitgraph"]["probs0"], rtol=1e-4, atol=1e-6)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; batch {batch}; "
          f"threads {threads or 'default'}")
    for e, r in res.items():
        print(f"{e:9s} {r['per_run_s'] * 1e3:8.2f} ms/run  (first run {r['first_run_s']:.2f} s)")
    ratio = res["tf"]["per_run_s"] / res["jitgraph"]["per_run_s"]
    print(f"jitgraph is {ratio:.2f}x TF's speed; outputs agree: {agree}")


if __name__ == "__main__":
    main()
