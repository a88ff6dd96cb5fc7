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


def _batches(n, batch, epochs):
    """numpy_input_fn's batches with shuffle=False: rows in order, epochs back to back."""
    idx = np.concatenate([np.arange(n)] * epochs)
    return [idx[i:i + batch] for i in range(0, len(idx), batch)]


def _train_eval(feeds, train, loss_sum, fetch_final, eval_parts, pred, data, batch=8,
                epochs=3, eval_batch=16, streaming=None):
    """Trains on numpy_input_fn-style batches, then evaluates as Estimator.evaluate does:
    `loss` is the mean of the batch losses, the rest streaming means."""
    n = len(data[0])
    with new_session() as sess:
        sess.run(tf.global_variables_initializer())
        for idx in _batches(n, batch, epochs):
            sess.run(train, {p: a[idx] for p, a in zip(feeds, data)})
        final = sess.run(fetch_final)
        batch_losses, parts = [], {k: [] for k in eval_parts}
        for idx in _batches(n, eval_batch, 1):
            fd = {p: a[idx] for p, a in zip(feeds, data)}
            batch_losses.append(sess.run(loss_sum, fd))
            for k, (num, den) in eval_parts.items():
                parts[k].append(sess.run((num, den), fd))
        metrics = {k: r8(sum(a for a, _ in v) / sum(b for _, b in v)) for k, v in parts.items()}
        metrics["loss"] = r8(np.mean(batch_losses))
        if streaming:  # TF's own streaming metrics over the same batches
            sess.run(tf.local_variables_initializer())
            for idx in _batches(n, eval_batch, 1):
                sess.run([u for _, u in streaming.values()],
                         {p: a[idx] for p, a in zip(feeds, data)})
            metrics.update({k: r8(sess.run(v)) for k, (v, _) in streaming.items()})
        preds = sess.run(pred, {p: a[:5] for p, a in zip(feeds, data)})
    return final, metrics, preds


def section_estimator():
    """Graphs written by hand as the Estimator cases build them (tf.estimator is gone from
    TF 2.16+): the custom model_fn, LinearRegressor (Ftrl 0.2, zero init, summed squared
    error), a binary DNNClassifier warm-started from dnn_weights() (Adagrad 0.05), and a
    3-class LinearClassifier on a numeric and a vocabulary column."""
    out = {}
    x, y = d16.regression_data()
    # custom model_fn: GD 0.1 on mean squared error, 3 epochs of batches of 8
    tf.reset_default_graph()
    X = tf.placeholder(tf.float32, [None, 3])
    Y = tf.placeholder(tf.float32, [None])
    w = tf.get_variable("w", [3, 1], initializer=tf.zeros_initializer())
    b = tf.get_variable("b", [1], initializer=tf.zeros_initializer())
    pred = tf.matmul(X, w) + b
    lab = tf.reshape(Y, [-1, 1])
    loss = tf.losses.mean_squared_error(lab, pred)
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    err = tf.abs(lab - pred)
    final, metrics, preds = _train_eval(
        (X, Y), train, loss, {"w": w, "b": b},
        {"mae": (tf.reduce_sum(err), tf.cast(tf.size(err), tf.float32))}, pred, (x, y))
    out["model_fn"] = {"w": flat(final["w"]), "b": flat(final["b"]), "metrics": metrics,
                       "predictions": flat(preds)}
    # LinearRegressor
    tf.reset_default_graph()
    X = tf.placeholder(tf.float32, [None, 3])
    Y = tf.placeholder(tf.float32, [None])
    w = tf.get_variable("linear/linear_model/x/weights", [3, 1],
                        initializer=tf.zeros_initializer())
    b = tf.get_variable("linear/linear_model/bias_weights", [1],
                        initializer=tf.zeros_initializer())
    pred = tf.matmul(X, w) + b
    lab = tf.reshape(Y, [-1, 1])
    sq = tf.squared_difference(pred, lab)
    loss = tf.reduce_sum(sq)
    train = tf.train.FtrlOptimizer(0.2).minimize(loss)
    cnt = tf.cast(tf.size(sq), tf.float32)
    final, metrics, preds = _train_eval(
        (X, Y), train, loss, {"w": w, "b": b},
        {"average_loss": (loss, cnt), "label/mean": (tf.reduce_sum(lab), cnt),
         "prediction/mean": (tf.reduce_sum(pred), cnt)}, pred, (x, y))
    out["linear_regressor"] = {"w": flat(final["w"]), "b": flat(final["b"]),
                               "metrics": metrics, "predictions": flat(preds)}
    # binary DNNClassifier, hidden [4]
    xc, colors, binary, three = d16.classifier_data()
    init = d16.dnn_weights()
    tf.reset_default_graph()
    X = tf.placeholder(tf.float32, [None, 3])
    Y = tf.placeholder(tf.int64, [None])
    v = {k: tf.get_variable(k, initializer=val) for k, val in init.items()}
    h = tf.nn.relu(tf.matmul(X, v["dnn/hiddenlayer_0/kernel"]) + v["dnn/hiddenlayer_0/bias"])
    logits = tf.matmul(h, v["dnn/logits/kernel"]) + v["dnn/logits/bias"]
    lab = tf.cast(tf.reshape(Y, [-1, 1]), tf.float32)
    ce = tf.nn.sigmoid_cross_entropy_with_logits(labels=lab, logits=logits)
    loss = tf.reduce_sum(ce)
    train = tf.train.AdagradOptimizer(0.05).minimize(loss)
    cls = tf.cast(logits > 0, tf.float32)
    cnt = tf.cast(tf.size(ce), tf.float32)
    final, metrics, preds = _train_eval(
        (X, Y), train, loss, v,
        {"average_loss": (loss, cnt), "accuracy": (tf.reduce_sum(tf.cast(tf.equal(cls, lab),
                                                                         tf.float32)), cnt),
         "label/mean": (tf.reduce_sum(lab), cnt),
         "prediction/mean": (tf.reduce_sum(tf.sigmoid(logits)), cnt),
         "precision": (tf.reduce_sum(cls * lab), tf.reduce_sum(cls)),
         "recall": (tf.reduce_sum(cls * lab), tf.reduce_sum(lab))},
        tf.sigmoid(logits), (xc, binary),
        streaming={"auc": tf.metrics.auc(lab, tf.sigmoid(logits)),
                   "auc_precision_recall": tf.metrics.auc(
                       lab, tf.sigmoid(logits), curve="PR",
                       summation_method="careful_interpolation")})
    metrics["accuracy_baseline"] = r8(max(metrics["label/mean"], 1 - metrics["label/mean"]))
    out["dnn_classifier"] = {"weights": {k: flat(a) for k, a in final.items()},
                             "metrics": metrics, "logistic": flat(preds)}
    # 3-class LinearClassifier on x and a vocabulary column (one-hot: TF's sparse update
    # of the present rows equals Ftrl's dense update, zero gradients change nothing)
    tf.reset_default_graph()
    X = tf.placeholder(tf.float32, [None, 3])
    C = tf.placeholder(tf.float32, [None, 3])
    Y = tf.placeholder(tf.int64, [None])
    wc = tf.get_variable("linear/linear_model/color/weights", [3, 3],
                         initializer=tf.zeros_initializer())
    wx = tf.get_variable("linear/linear_model/x/weights", [3, 3],
                         initializer=tf.zeros_initializer())
    b = tf.get_variable("linear/linear_model/bias_weights", [3],
                        initializer=tf.zeros_initializer())
    logits = tf.matmul(C, wc) + tf.matmul(X, wx) + b
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=Y, logits=logits)
    loss = tf.reduce_sum(ce)
    train = tf.train.FtrlOptimizer(min(0.2, 1 / np.sqrt(2))).minimize(loss)
    cnt = tf.cast(tf.size(ce), tf.float32)
    vocab = ["red", "green", "blue"]
    onehot = np.eye(3, dtype=np.float32)[[vocab.index(c) for c in colors]]
    hit = tf.cast(tf.equal(tf.argmax(logits, 1), Y), tf.float32)
    final, metrics, preds = _train_eval(
        (X, Y, C), train, loss, {"color": wc, "x": wx, "bias": b},
        {"average_loss": (loss, cnt), "accuracy": (tf.reduce_sum(hit), cnt)},
        tf.nn.softmax(logits), (xc, three, onehot))
    out["linear_classifier"] = {"weights": {k: flat(a) for k, a in final.items()},
                                "metrics": metrics}
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
