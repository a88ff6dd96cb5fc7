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
import issue16_data as d16  # noqa: E402
from issue16_builders import (KERAS_OPTIMIZER_CASES, keras_layer_model,  # noqa: E402
                              keras_sequential)

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


def section_keras():
    K = tf.keras.backend
    out = {}
    d = d16.keras_layer_inputs()
    # 1. every layer kind in one functional model; 3 SGD steps on a loss of its outputs
    tf.reset_default_graph()
    model = keras_layer_model(tf.keras, d)
    bn, ap1, gmp = model.outputs
    loss = tf.reduce_mean(tf.square(bn)) + tf.reduce_mean(ap1) + tf.reduce_mean(gmp)
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    feed = dict(zip(model.inputs, (d["img"], d["seq"], d["ids"])))
    with new_session() as sess:
        sess.run(tf.global_variables_initializer())
        out["layers"] = {"outputs": [flat(v) for v in sess.run(model.outputs, feed)],
                         "losses": [r8(sess.run((train, loss), feed)[1]) for _ in range(3)],
                         "final_loss": r8(sess.run(loss, feed)),
                         "variable_names": [v.name for v in tf.global_variables()],
                         "weight_names": [v.name for v in model.weights]}
    # 2. compile/fit/evaluate/predict of a Sequential with BatchNormalization
    tf.reset_default_graph()
    K.clear_session()
    m = rd.mlp_data()
    seq = keras_sequential(tf.keras, m["W1"], m["b1"], m["W2"], m["b2"], input_shape=(6,),
                           kernel_regularizer=tf.keras.regularizers.l2(0.001))
    seq.compile(optimizer=tf.keras.optimizers.SGD(0.1, momentum=0.9),
                loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = seq.fit(m["X"], m["labels"], batch_size=8, epochs=3, shuffle=False, verbose=0,
                   validation_split=0.25)
    out["fit"] = {"history": {k: [r8(v) for v in vs] for k, vs in hist.history.items()},
                  "evaluate": [r8(v) for v in seq.evaluate(m["X"], m["labels"], batch_size=16,
                                                           verbose=0)],
                  "predict": flat(seq.predict(m["X"][:5])),
                  "weights": [flat(w) for w in seq.get_weights()],
                  "metrics_names": seq.metrics_names,
                  "weight_names": [v.name for v in seq.weights]}
    # 3. each Keras optimizer (and a loss) through compile/fit
    W, b = d16.small_dense()
    onehot = np.eye(4, dtype=np.float32)[m["labels"]]
    out["optimizers"] = {}
    for key, (cls, kw, loss_name, act, metrics) in KERAS_OPTIMIZER_CASES.items():
        K.clear_session()
        mdl = tf.keras.Sequential([tf.keras.layers.Dense(
            4, activation=act, input_shape=(6,), kernel_initializer=tf.constant_initializer(W),
            bias_initializer=tf.constant_initializer(b))])
        lossf = (tf.keras.losses.CategoricalCrossentropy(from_logits=True)
                 if loss_name == "cce_logits" else loss_name)
        mdl.compile(getattr(tf.keras.optimizers, cls)(**kw), lossf, metrics=metrics)
        y = m["labels"] if loss_name.startswith("sparse") else onehot
        h = mdl.fit(m["X"], y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        out["optimizers"][key] = {"history": {k: [r8(v) for v in vs]
                                              for k, vs in h.history.items()},
                                  "weights": [flat(w) for w in mdl.get_weights()]}
    # 4. a Keras model in a hand-written TF1 loop (learning phase fed, model.updates run)
    K.clear_session()
    x = tf.placeholder(tf.float32, [None, 6])
    y = tf.placeholder(tf.int32, [None])
    model = keras_sequential(tf.keras, m["W1"], m["b1"], m["W2"], m["b2"])
    logits = model(x)
    loss = tf.losses.sparse_softmax_cross_entropy(y, logits)
    with tf.control_dependencies(model.updates):
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    with new_session() as sess:
        K.set_session(sess)
        sess.run(tf.global_variables_initializer())
        fd = {x: m["X"], y: m["labels"]}
        losses = [r8(sess.run((train, loss), {**fd, K.learning_phase(): True})[1])
                  for _ in range(5)]
        out["in_graph"] = {"losses": losses, "eval_loss": r8(sess.run(loss, fd)),
                           "moving_mean": flat(sess.run(model.layers[1].moving_mean)),
                           "logits_name": logits.name,
                           "variable_names": [v.name for v in tf.global_variables()]}
    return out


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
