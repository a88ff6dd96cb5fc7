"""Generate ``tf_control_flow.json``: TF 1.x numbers for the programs of
``control_flow_programs.py`` and ``rnn_programs.py`` (tests/test_control_flow.py,
tests/test_rnn.py).

Needs TensorFlow (not a jitgraph dependency); run by hand from the repo root, as
``make_tf_reference.py`` (TF1 compat graph mode, ``TF_USE_LEGACY_KERAS=1``, one thread,
floats rounded to 8 significant digits)::

    python tests/reference/make_tf_control_flow.py
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_tf_reference import new_session, r8, tf  # noqa: E402
import numpy as np  # noqa: E402
import control_flow_programs as cfp  # noqa: E402
import rnn_programs  # noqa: E402

OUT_PATH = os.path.join(HERE, "tf_control_flow.json")


def rounded(v):
    a = np.asarray(v)
    if a.dtype.kind in "fc":
        return np.vectorize(r8, otypes=[float])(a).tolist() if a.ndim else r8(a)
    return a.tolist()


def run_program(module, name):
    tf.reset_default_graph()
    fetches, runs = getattr(module, "build_" + name)(tf)
    with new_session() as sess:
        sess.run(tf.global_variables_initializer())
        out = []
        for feeds in runs:
            vals = sess.run(fetches, feeds)
            out.append({k: rounded(v) for k, v in sorted(vals.items())})
    return out


def run_rnn(name):
    tf.reset_default_graph()
    with new_session() as sess:
        runs, weights, variables = rnn_programs.execute(tf, name, sess)
    return {"runs": [{k: rounded(v) for k, v in sorted(r.items())} for r in runs],
            "weights": {k: rounded(v) for k, v in sorted(weights.items())},
            "variables": variables}


def main():
    result = {"tf_version": tf.__version__}
    result["control_flow"] = {n: run_program(cfp, n) for n in cfp.PROGRAMS}
    result["rnn"] = {n: run_rnn(n) for n in rnn_programs.PROGRAMS}
    with open(OUT_PATH, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
