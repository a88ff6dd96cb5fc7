"""Generate ``tf_issue16.json``: TF 1.x numbers for the optimizers, keras-in-a-graph and
estimator-equivalent graphs of issue 16 (tests/test_optimizers_extra.py, test_keras.py,
test_estimator.py).

Needs TensorFlow (not a jitgraph dependency); run by hand from the repo root, as
``make_tf_reference.py`` (same environment, same conventions: TF1 compat graph mode,
``TF_USE_LEGACY_KERAS=1``, one thread, floats rounded to 8 significant digits)::

    python tests/reference/make_tf_issue16.py
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_tf_reference import build_mlp, flat, new_session, r8, tf  # noqa: E402
import numpy as np  # noqa: E402
import reference_data as rd  # noqa: E402

OUT_PATH = os.path.join(HERE, "tf_issue16.json")

# The tests build the same optimizers from these (name, kwargs) pairs.
OPTIMIZERS = {
    "Ftrl": ("FtrlOptimizer", dict(learning_rate=0.1)),
    "FtrlReg": ("FtrlOptimizer", dict(learning_rate=0.1, learning_rate_power=-0.7,
                                      initial_accumulator_value=0.2,
                                      l1_regularization_strength=0.001,
                                      l2_regularization_strength=0.01,
                                      l2_shrinkage_regularization_strength=0.02)),
    "Adadelta": ("AdadeltaOptimizer", dict(learning_rate=1.0, rho=0.9, epsilon=1e-6)),
    "ProximalGradientDescent": ("ProximalGradientDescentOptimizer",
                                dict(learning_rate=0.1, l1_regularization_strength=0.001,
                                     l2_regularization_strength=0.01)),
    "ProximalAdagrad": ("ProximalAdagradOptimizer",
                        dict(learning_rate=0.1, l1_regularization_strength=0.001,
                             l2_regularization_strength=0.01)),
    "ProximalAdagradPlain": ("ProximalAdagradOptimizer", dict(learning_rate=0.1)),
    "AdagradDA": ("AdagradDAOptimizer", dict(learning_rate=0.1,
                                             l1_regularization_strength=0.001,
                                             l2_regularization_strength=0.01)),
}


def section_optimizers():
    """The MLP of make_tf_reference.section_mlp trained 15 steps by each optimizer."""
    d = rd.mlp_data()
    res = {"_kwargs": OPTIMIZERS}
    for key, (cls, kw) in OPTIMIZERS.items():
        tf.reset_default_graph()
        h, logits, loss = build_mlp(d)
        gs = tf.train.get_or_create_global_step()
        kw = dict(kw)
        if cls == "AdagradDAOptimizer":
            kw["global_step"] = gs
        opt = getattr(tf.train, cls)(**kw)
        train = opt.minimize(loss, global_step=gs)
        trainables = tf.trainable_variables()
        entry = {}
        with new_session() as sess:
            sess.run(tf.global_variables_initializer())
            entry["losses"] = [r8(sess.run((train, loss))[1]) for _ in range(rd.MLP_STEPS)]
            entry["final_loss"] = r8(sess.run(loss))
            entry["final_variables"] = {v.name: flat(sess.run(v)) for v in trainables}
            entry["final_slots"] = {
                s.name: flat(sess.run(s)) for v in trainables
                for s in [opt.get_slot(v, n) for n in opt.get_slot_names()] if s is not None}
        entry["global_variable_names"] = [v.name for v in tf.global_variables()]
        entry["slot_names"] = list(opt.get_slot_names())
        entry["train_op_name"] = train.name
        res[key] = entry
    return res


def main():
    sections = {"tf_version": tf.__version__, "optimizers": section_optimizers()}
    for extra in ("section_keras", "section_estimator"):
        if extra in globals():
            sections[extra[len("section_"):]] = globals()[extra]()
    with open(OUT_PATH, "w") as f:
        json.dump(sections, f, indent=1, default=lambda o: o.tolist()
                  if isinstance(o, np.ndarray) else str(o))
        f.write("\n")
    print(f"wrote {OUT_PATH} ({os.path.getsize(OUT_PATH)} bytes)")


if __name__ == "__main__":
    main()
