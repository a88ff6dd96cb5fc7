"""Generate ``tf_reference.json``: TensorFlow 1.x reference numbers for jitgraph's tests.

This script NEEDS TensorFlow, which is *not* a jitgraph dependency.  It is run
once, by hand, and its output (``tf_reference.json``) is committed; jitgraph's
tests only read the JSON and rebuild the inputs with ``reference_data.py``
(numpy only).

How to run (the JSON in the repo was made with tensorflow-cpu 2.21.0 in TF1
compat mode, CPU only, Python 3.11)::

    python -m venv /tmp/tfenv
    /tmp/tfenv/bin/pip install tensorflow-cpu==2.21.0 tf_keras==2.21.0
    /tmp/tfenv/bin/python tests/reference/make_tf_reference.py   # from repo root

It sets ``TF_USE_LEGACY_KERAS=1`` before importing TensorFlow (so
``tf.layers`` is the Keras-2 based legacy implementation) and uses
``tensorflow.compat.v1`` with ``disable_v2_behavior()``.

Sections of the JSON (see README.md and the docstrings of each ``section_*``):
tf_version, linreg, mlp, gradients, losses, nn, names, errors.
Floats are rounded to 8 significant digits.
"""

import json
import os
import sys

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # plain Eigen kernels, reproducible

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference_data as rd  # noqa: E402

import tensorflow.compat.v1 as tf  # noqa: E402

tf.disable_v2_behavior()
tf.logging.set_verbosity(tf.logging.ERROR)

OUT_PATH = os.path.join(HERE, "tf_reference.json")


# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #
def r8(v):
    """Round to 8 significant digits -> Python float."""
    v = float(v)
    if not np.isfinite(v):
        return v
    return float(f"{v:.8g}")


def tolist(a):
    """numpy array / scalar -> nested lists of rounded floats (ints kept as ints)."""
    a = np.asarray(a)
    if a.dtype.kind in "iub":
        return a.tolist()
    if a.ndim == 0:
        return r8(a)
    return [tolist(x) for x in a]


def flat(a):
    return [r8(x) for x in np.asarray(a).ravel()]


def new_session():
    return tf.Session(config=tf.ConfigProto(
        intra_op_parallelism_threads=1, inter_op_parallelism_threads=1))


def first_line(msg):
    return str(msg).strip().splitlines()[0] if str(msg).strip() else ""


# --------------------------------------------------------------------------- #
# 1. linreg
# --------------------------------------------------------------------------- #
def section_linreg():
    """Guide linear regression (tf.layers.Dense, MSE, GD(0.01), 30 steps).

    losses[i] is the loss fetched together with the i-th train op, i.e. the
    loss *before* the i-th update.  final_loss is evaluated after all steps.
    """
    d = rd.linreg_data()
    tf.reset_default_graph()
    x = tf.constant(d["x"], dtype=tf.float32)
    y_true = tf.constant(d["y_true"], dtype=tf.float32)
    linear_model = tf.layers.Dense(
        units=1,
        kernel_initializer=tf.constant_initializer(rd.LINREG_KERNEL_INIT),
        bias_initializer=tf.constant_initializer(rd.LINREG_BIAS_INIT))
    y_pred = linear_model(x)
    loss = tf.losses.mean_squared_error(labels=y_true, predictions=y_pred)
    optimizer = tf.train.GradientDescentOptimizer(rd.LINREG_LEARNING_RATE)
    train = optimizer.minimize(loss)
    init = tf.global_variables_initializer()
    out = {"builder": "reference_data.linreg_data",
           "kernel_init": rd.LINREG_KERNEL_INIT, "bias_init": rd.LINREG_BIAS_INIT,
           "learning_rate": rd.LINREG_LEARNING_RATE, "steps": rd.LINREG_STEPS}
    with new_session() as sess:
        sess.run(init)
        out["initial_y_pred"] = flat(sess.run(y_pred))
        out["initial_loss"] = r8(sess.run(loss))
        losses = []
        for _ in range(rd.LINREG_STEPS):
            _, lv = sess.run((train, loss))
            losses.append(r8(lv))
        out["losses"] = losses
        out["final_loss"] = r8(sess.run(loss))
        out["final_kernel"] = tolist(sess.run(linear_model.kernel))  # shape (1, 1)
        out["final_bias"] = tolist(sess.run(linear_model.bias))  # shape (1,)
        out["final_y_pred"] = tolist(sess.run(y_pred))  # shape (4, 1)
    out["variable_names"] = [v.name for v in tf.global_variables()]
    out["y_pred_name"] = y_pred.name
    out["loss_name"] = loss.name
    out["train_op_name"] = train.name
    return out


# --------------------------------------------------------------------------- #
# 2. mlp
# --------------------------------------------------------------------------- #
OPTIMIZERS = [
    ("GradientDescent", lambda: tf.train.GradientDescentOptimizer(0.1),
     "GradientDescentOptimizer(0.1)"),
    ("Momentum", lambda: tf.train.MomentumOptimizer(0.1, 0.9),
     "MomentumOptimizer(0.1, momentum=0.9)"),
    ("MomentumNesterov", lambda: tf.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
     "MomentumOptimizer(0.1, momentum=0.9, use_nesterov=True)"),
    ("Adam", lambda: tf.train.AdamOptimizer(0.01),
     "AdamOptimizer(0.01) [beta1=0.9, beta2=0.999, epsilon=1e-8]"),
    ("Adagrad", lambda: tf.train.AdagradOptimizer(0.1),
     "AdagradOptimizer(0.1) [initial_accumulator_value=0.1]"),
    ("RMSProp", lambda: tf.train.RMSPropOptimizer(0.01),
     "RMSPropOptimizer(0.01) [decay=0.9, momentum=0.0, epsilon=1e-10, centered=False]"),
]


def build_mlp(d):
    X = tf.constant(d["X"])
    labels = tf.constant(d["labels"])
    h = tf.layers.dense(X, 16, activation=tf.nn.relu,
                        kernel_initializer=tf.constant_initializer(d["W1"]),
                        bias_initializer=tf.constant_initializer(d["b1"]))
    logits = tf.layers.dense(h, 4,
                             kernel_initializer=tf.constant_initializer(d["W2"]),
                             bias_initializer=tf.constant_initializer(d["b2"]))
    loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
    return h, logits, loss


def section_mlp():
    """MLP 6->16(relu)->4, sparse softmax CE: one key per optimizer, plus '_info'."""
    d = rd.mlp_data()
    res = {}
    for key, make_opt, desc in OPTIMIZERS:
        tf.reset_default_graph()
        h, logits, loss = build_mlp(d)
        gs = tf.train.get_or_create_global_step()
        opt = make_opt()
        train = opt.minimize(loss, global_step=gs)
        init = tf.global_variables_initializer()
        trainables = tf.trainable_variables()
        entry = {"optimizer": desc, "steps": rd.MLP_STEPS}
        with new_session() as sess:
            sess.run(init)
            entry["initial_loss"] = r8(sess.run(loss))
            losses, steps_seen = [], []
            for _ in range(rd.MLP_STEPS):
                _, lv, gsv = sess.run((train, loss, gs))
                losses.append(r8(lv))
                steps_seen.append(int(gsv))
            entry["losses"] = losses
            entry["global_step_fetched_with_train"] = steps_seen
            entry["final_loss"] = r8(sess.run(loss))
            entry["final_global_step"] = int(sess.run(gs))
            entry["final_variables"] = {v.name: flat(sess.run(v)) for v in trainables}
            entry["final_slots"] = {}
            for v in trainables:
                for sname in opt.get_slot_names():
                    s = opt.get_slot(v, sname)
                    if s is not None:
                        entry["final_slots"][s.name] = flat(sess.run(s))
            known = set(entry["final_variables"]) | set(entry["final_slots"])
            entry["final_other_variables"] = {
                v.name: tolist(sess.run(v)) for v in tf.global_variables()
                if v.name not in known}
        entry["global_variable_names"] = [v.name for v in tf.global_variables()]
        entry["trainable_variable_names"] = [v.name for v in trainables]
        entry["slot_names"] = list(opt.get_slot_names())
        entry["global_step_name"] = gs.name
        entry["global_step_dtype"] = gs.dtype.base_dtype.name
        entry["train_op_name"] = train.name
        entry["train_op_type"] = train.type
        entry["loss_name"] = loss.name
        entry["logits_name"] = logits.name
        entry["hidden_name"] = h.name
        res[key] = entry
    info = {"builder": "reference_data.mlp_data",
            "optimizer_keys": list(res),
            "notes": [
                "losses[i] is fetched in the same sess.run as the i-th train op: it is the loss "
                "BEFORE the i-th update (losses[0] == initial_loss); final_loss is evaluated "
                "after all 15 updates.",
                "global_step_fetched_with_train[i] is global_step fetched in the same run as the "
                "train op: TF returns the POST-increment value (1..15) because global_step is a "
                "ref variable whose buffer is read after the run.",
                "minimize(..., global_step=gs) returns an AssignAdd op named after the optimizer "
                "(e.g. 'Adam'), which runs after the apply ops.",
                "RMSProp's 'rms' slot (RMSProp:0) is initialised to ONES, 'momentum' slot "
                "(RMSProp_1:0) to zeros; update: ms = 0.9*ms + 0.1*g^2; "
                "mom = 0.0*mom + lr*g/sqrt(ms + eps); var -= mom.",
                "Adagrad accumulator starts at 0.1; var -= lr*g/sqrt(acc) after acc += g^2.",
                "Adam: lr_t = lr*sqrt(1-beta2^t)/(1-beta1^t); var -= lr_t*m/(sqrt(v)+eps); "
                "beta1_power/beta2_power are non-slot variables created (unscoped) before the "
                "slots "
                "and hold beta^(t+1) after t steps.",
                "Momentum: accum = momentum*accum + g; var -= lr*accum "
                "(nesterov: var -= lr*(g + momentum*accum)).",
            ],
            "model": ("h = tf.layers.dense(X, 16, activation=tf.nn.relu, kernel_initializer="
                      "tf.constant_initializer(W1), bias_initializer=tf.constant_initializer(b1)); "
                      "logits = tf.layers.dense(h, 4, "
                      "kernel_initializer=tf.constant_initializer(W2), "
                      "bias_initializer=tf.constant_initializer(b2)); "
                      "loss = tf.losses.sparse_softmax_cross_entropy(labels, logits); "
                      "train = opt.minimize(loss, "
                      "global_step=tf.train.get_or_create_global_step())"),
            "variable_map": {"dense/kernel:0": "W1", "dense/bias:0": "b1",
                             "dense_1/kernel:0": "W2", "dense_1/bias:0": "b2"}}
    return {"_info": info, **res}


# --------------------------------------------------------------------------- #
# 3. gradients
# --------------------------------------------------------------------------- #
def section_gradients():
    """tf.gradients of composite scalar expressions.

    Each case: expr (python source using the names in `inputs`), inputs
    (name -> key of reference_data.gradient_inputs()), value (forward value of
    y), wrt (list of input names), grads (name -> nested list, or null if
    tf.gradients returned None).
    """
    g = rd.gradient_inputs()
    cases = {}

    def case(name, expr, inputs, wrt, fn, note=None):
        tf.reset_default_graph()
        tens = {k: tf.constant(g[v]) for k, v in inputs.items()}
        y = fn(**tens)
        grads = tf.gradients(y, [tens[k] for k in wrt])
        dense = [None if gr is None else tf.convert_to_tensor(gr) for gr in grads]
        with new_session() as sess:
            yv = sess.run(y)
            gv = sess.run([x for x in dense if x is not None])
        it = iter(gv)
        out = {"expr": expr, "inputs": inputs, "wrt": wrt, "value": tolist(yv),
               "grads": {k: (None if gr is None else tolist(next(it)))
                         for k, gr in zip(wrt, dense)},
               "raw_grad_types": {k: (None if gr is None else
                                      "IndexedSlices" if isinstance(gr, tf.IndexedSlices)
                                      else "Tensor") for k, gr in zip(wrt, grads)}}
        if note:
            out["note"] = note
        cases[name] = out

    case("tanh_sigmoid_broadcast",
         "tf.reduce_sum(tf.tanh(x * w) + tf.sigmoid(x))",
         {"x": "x34", "w": "w4"}, ["x", "w"],
         lambda x, w: tf.reduce_sum(tf.tanh(x * w) + tf.sigmoid(x)))
    case("matmul_square_mean",
         "tf.reduce_mean(tf.matmul(a, b) ** 2)",
         {"a": "a34", "b": "b42"}, ["a", "b"],
         lambda a, b: tf.reduce_mean(tf.matmul(a, b) ** 2))
    case("reduce_max_axis1",
         "tf.reduce_sum(tf.reduce_max(x, axis=1))",
         {"x": "x34"}, ["x"],
         lambda x: tf.reduce_sum(tf.reduce_max(x, axis=1)))
    case("reduce_max_ties",
         "tf.reduce_sum(tf.reduce_max(x, axis=1))",
         {"x": "x_ties"}, ["x"],
         lambda x: tf.reduce_sum(tf.reduce_max(x, axis=1)),
         note="TF splits the gradient equally among tied maxima")
    case("softmax_log",
         "tf.reduce_sum(tf.log(tf.nn.softmax(x)) * c)",
         {"x": "x34", "c": "c34"}, ["x", "c"],
         lambda x, c: tf.reduce_sum(tf.log(tf.nn.softmax(x)) * c))
    case("gather",
         "tf.reduce_sum(tf.gather(params, idx) * c)",
         {"params": "params53", "idx": "gather_idx", "c": "c43"}, ["params", "c"],
         lambda params, idx, c: tf.reduce_sum(tf.gather(params, idx) * c),
         note="raw gradient w.r.t. params is IndexedSlices; densified with "
              "tf.convert_to_tensor (duplicate index 2 is summed)")
    case("concat_split",
         "s1, s2 = tf.split(tf.concat([a, b], axis=1), [1, 4], axis=1); "
         "tf.reduce_sum(s1 * 2.0) + tf.reduce_sum(s2 ** 2)",
         {"a": "a23", "b": "b22"}, ["a", "b"],
         lambda a, b: (lambda s: tf.reduce_sum(s[0] * 2.0) + tf.reduce_sum(s[1] ** 2))(
             tf.split(tf.concat([a, b], axis=1), [1, 4], axis=1)))
    case("split_unused_output",
         "s1, s2, s3 = tf.split(x, 3, axis=0); tf.reduce_sum(s2 * c)",
         {"x": "x34", "c": "w4"}, ["x"],
         lambda x, c: tf.reduce_sum(tf.split(x, 3, axis=0)[1] * c),
         note="unused split outputs get zero gradient")
    case("where",
         "tf.reduce_sum(tf.where(x > 0, x ** 2, -3.0 * x))",
         {"x": "x34"}, ["x"],
         lambda x: tf.reduce_sum(tf.where(x > 0, x ** 2, -3.0 * x)))
    case("reduce_prod_axis1",
         "tf.reduce_sum(tf.reduce_prod(x, axis=1))",
         {"x": "x_prod"}, ["x"],
         lambda x: tf.reduce_sum(tf.reduce_prod(x, axis=1)))
    case("reduce_prod_with_zeros",
         "tf.reduce_sum(tf.reduce_prod(x, axis=1))",
         {"x": "x_prod_zero"}, ["x"],
         lambda x: tf.reduce_sum(tf.reduce_prod(x, axis=1)),
         note="row 0 has one zero, row 2 has two zeros")
    case("reduce_prod_all",
         "tf.reduce_prod(x)",
         {"x": "x_prod"}, ["x"],
         lambda x: tf.reduce_prod(x))
    case("transpose_reshape",
         "tf.reduce_sum(tf.reshape(tf.transpose(x, [2, 0, 1]), [4, 6]) * c)",
         {"x": "x234", "c": "c46"}, ["x", "c"],
         lambda x, c: tf.reduce_sum(tf.reshape(tf.transpose(x, [2, 0, 1]), [4, 6]) * c))
    case("div_sqrt_exp_broadcast",
         "tf.reduce_sum(tf.exp(x / 4.0) / tf.sqrt(p) - x * w)",
         {"x": "x34", "p": "x_pos34", "w": "w4"}, ["x", "p", "w"],
         lambda x, p, w: tf.reduce_sum(tf.exp(x / 4.0) / tf.sqrt(p) - x * w))
    case("reduce_mean_keepdims_sub",
         "tf.reduce_sum((x - tf.reduce_mean(x, axis=0, keepdims=True)) ** 2 * c)",
         {"x": "x34", "c": "c34"}, ["x"],
         lambda x, c: tf.reduce_sum((x - tf.reduce_mean(x, axis=0, keepdims=True)) ** 2 * c))
    case("matmul_transpose_b",
         "tf.reduce_sum(tf.matmul(x, c, transpose_b=True) * tf.matmul(x, c, transpose_b=True))",
         {"x": "x34", "c": "a34"}, ["x", "c"],
         lambda x, c: tf.reduce_sum(tf.square(tf.matmul(x, c, transpose_b=True))))
    case("unconnected_is_none",
         "tf.reduce_sum(x * 2.0)   # gradient w.r.t. w (unused) is None",
         {"x": "x34", "w": "w4"}, ["x", "w"],
         lambda x, w: tf.reduce_sum(x * 2.0))
    return {"builder": "reference_data.gradient_inputs", "cases": cases}


# --------------------------------------------------------------------------- #
# 4. losses
# --------------------------------------------------------------------------- #
REDUCTIONS = ["NONE", "SUM", "MEAN", "SUM_OVER_BATCH_SIZE",
              "SUM_OVER_NONZERO_WEIGHTS", "SUM_BY_NONZERO_WEIGHTS"]


def section_losses():
    """tf.losses.* for every (loss variant, weights, reduction)."""
    L = rd.loss_inputs()
    specs = {
        # name: (call-description, function(inputs, weights, reduction), per-example weights key)
        "mean_squared_error": (
            "tf.losses.mean_squared_error(labels=reg_labels, predictions=reg_predictions, ...)",
            lambda t, w, r: tf.losses.mean_squared_error(
                t["reg_labels"], t["reg_predictions"], weights=w, reduction=r),
            "weights_col"),
        "absolute_difference": (
            "tf.losses.absolute_difference(labels=reg_labels, predictions=reg_predictions, ...)",
            lambda t, w, r: tf.losses.absolute_difference(
                t["reg_labels"], t["reg_predictions"], weights=w, reduction=r),
            "weights_col"),
        "huber_loss_delta1.0": (
            "tf.losses.huber_loss(labels=reg_labels, predictions=reg_predictions, delta=1.0, ...)",
            lambda t, w, r: tf.losses.huber_loss(
                t["reg_labels"], t["reg_predictions"], weights=w, delta=1.0, reduction=r),
            "weights_col"),
        "huber_loss_delta0.5": (
            "tf.losses.huber_loss(labels=reg_labels, predictions=reg_predictions, delta=0.5, ...)",
            lambda t, w, r: tf.losses.huber_loss(
                t["reg_labels"], t["reg_predictions"], weights=w, delta=0.5, reduction=r),
            "weights_col"),
        "log_loss": (
            "tf.losses.log_loss(labels=bin_labels, predictions=prob_predictions, ...) "
            "[epsilon=1e-7]",
            lambda t, w, r: tf.losses.log_loss(
                t["bin_labels"], t["prob_predictions"], weights=w, reduction=r),
            "weights_col"),
        "hinge_loss": (
            "tf.losses.hinge_loss(labels=bin_labels, logits=logits43, ...)",
            lambda t, w, r: tf.losses.hinge_loss(
                t["bin_labels"], t["logits43"], weights=w, reduction=r),
            "weights_col"),
        "sigmoid_cross_entropy": (
            "tf.losses.sigmoid_cross_entropy(multi_class_labels=bin_labels, logits=logits43, ...)",
            lambda t, w, r: tf.losses.sigmoid_cross_entropy(
                t["bin_labels"], t["logits43"], weights=w, reduction=r),
            "weights_col"),
        "sigmoid_cross_entropy_ls0.1": (
            "tf.losses.sigmoid_cross_entropy(bin_labels, logits43, label_smoothing=0.1, ...)",
            lambda t, w, r: tf.losses.sigmoid_cross_entropy(
                t["bin_labels"], t["logits43"], weights=w, label_smoothing=0.1, reduction=r),
            "weights_col"),
        "softmax_cross_entropy": (
            "tf.losses.softmax_cross_entropy(onehot_labels=onehot_labels, logits=logits43, ...)",
            lambda t, w, r: tf.losses.softmax_cross_entropy(
                t["onehot_labels"], t["logits43"], weights=w, reduction=r),
            "weights_vec"),
        "softmax_cross_entropy_ls0.1": (
            "tf.losses.softmax_cross_entropy(onehot_labels, logits43, label_smoothing=0.1, ...)",
            lambda t, w, r: tf.losses.softmax_cross_entropy(
                t["onehot_labels"], t["logits43"], weights=w, label_smoothing=0.1, reduction=r),
            "weights_vec"),
        "sparse_softmax_cross_entropy": (
            "tf.losses.sparse_softmax_cross_entropy(labels=sparse_labels, logits=logits43, ...)",
            lambda t, w, r: tf.losses.sparse_softmax_cross_entropy(
                t["sparse_labels"], t["logits43"], weights=w, reduction=r),
            "weights_vec"),
    }
    weight_variants = ["scalar_1.0", "scalar_2.0", "scalar_0.0", "per_example"]
    results = {}
    for name, (desc, fn, wkey) in specs.items():
        tf.reset_default_graph()
        t = {k: tf.constant(v) for k, v in L.items()}
        fetches = {}
        for wv in weight_variants:
            if wv == "per_example":
                w = t[wkey]
            else:
                w = float(wv.split("_")[1])
            for red in REDUCTIONS:
                fetches[(wv, red)] = fn(t, w, getattr(tf.losses.Reduction, red))
        with new_session() as sess:
            vals = sess.run(fetches)
        entry = {"call": desc, "per_example_weights": wkey, "values": {}}
        for wv in weight_variants:
            entry["values"][wv] = {red: tolist(vals[(wv, red)]) for red in REDUCTIONS}
        entry["default_reduction_value_weights_1.0"] = None
        # default reduction (SUM_BY_NONZERO_WEIGHTS) with default weights
        tf.reset_default_graph()
        t = {k: tf.constant(v) for k, v in L.items()}
        default = fn(t, 1.0, tf.losses.Reduction.SUM_BY_NONZERO_WEIGHTS)
        with new_session() as sess:
            entry["default_reduction_value_weights_1.0"] = r8(sess.run(default))
        entry["loss_name"] = default.name
        entry["losses_collection_size"] = len(tf.get_collection(tf.GraphKeys.LOSSES))
        results[name] = entry
    return {"builder": "reference_data.loss_inputs",
            "weight_variants": {"scalar_1.0": "weights=1.0", "scalar_2.0": "weights=2.0",
                                "scalar_0.0": "weights=0.0",
                                "per_example": "weights=loss_inputs()[per_example_weights] "
                                               "(weights_col (4,1) or weights_vec (4,))"},
            "reductions": {r: getattr(tf.losses.Reduction, r) for r in REDUCTIONS},
            "note": "SUM_BY_NONZERO_WEIGHTS and SUM_OVER_NONZERO_WEIGHTS are the same string "
                    "'weighted_sum_by_nonzero_weights' (the TF1 default). NONE keeps the "
                    "broadcast (weighted) elementwise loss shape.",
            "losses": results}


# --------------------------------------------------------------------------- #
# 5. nn
# --------------------------------------------------------------------------- #
def section_nn():
    """tf.nn functions on reference_data.nn_inputs()['x'] (5, 4)."""
    N = rd.nn_inputs()
    tf.reset_default_graph()
    x = tf.constant(N["x"])
    sl = tf.constant(N["sig_labels"])
    so = tf.constant(N["soft_labels"])
    sp = tf.constant(N["sparse_labels"])
    mean, var = tf.nn.moments(x, axes=[0])
    ops = {
        "relu": ("tf.nn.relu(x)", tf.nn.relu(x)),
        "relu6": ("tf.nn.relu6(x)", tf.nn.relu6(x)),
        "elu": ("tf.nn.elu(x)", tf.nn.elu(x)),
        "selu": ("tf.nn.selu(x)", tf.nn.selu(x)),
        "leaky_relu_0.2": ("tf.nn.leaky_relu(x, alpha=0.2)", tf.nn.leaky_relu(x, alpha=0.2)),
        "leaky_relu_default": ("tf.nn.leaky_relu(x)  # alpha=0.2 default",
                               tf.nn.leaky_relu(x)),
        "softplus": ("tf.nn.softplus(x)", tf.nn.softplus(x)),
        "softsign": ("tf.nn.softsign(x)", tf.nn.softsign(x)),
        "sigmoid": ("tf.nn.sigmoid(x)", tf.nn.sigmoid(x)),
        "tanh": ("tf.nn.tanh(x)", tf.nn.tanh(x)),
        "softmax": ("tf.nn.softmax(x)", tf.nn.softmax(x)),
        "softmax_axis0": ("tf.nn.softmax(x, axis=0)", tf.nn.softmax(x, axis=0)),
        "log_softmax": ("tf.nn.log_softmax(x)", tf.nn.log_softmax(x)),
        "l2_normalize_axis1": ("tf.nn.l2_normalize(x, axis=1)", tf.nn.l2_normalize(x, axis=1)),
        "l2_normalize_axis0": ("tf.nn.l2_normalize(x, axis=0)", tf.nn.l2_normalize(x, axis=0)),
        "moments_axes0_mean": ("tf.nn.moments(x, axes=[0])[0]", mean),
        "moments_axes0_variance": ("tf.nn.moments(x, axes=[0])[1]", var),
        "sigmoid_cross_entropy_with_logits": (
            "tf.nn.sigmoid_cross_entropy_with_logits(labels=sig_labels, logits=x)",
            tf.nn.sigmoid_cross_entropy_with_logits(labels=sl, logits=x)),
        "softmax_cross_entropy_with_logits_v2": (
            "tf.nn.softmax_cross_entropy_with_logits_v2(labels=soft_labels, logits=x)",
            tf.nn.softmax_cross_entropy_with_logits_v2(labels=so, logits=x)),
        "sparse_softmax_cross_entropy_with_logits": (
            "tf.nn.sparse_softmax_cross_entropy_with_logits(labels=sparse_labels, logits=x)",
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=sp, logits=x)),
        "l2_loss": ("tf.nn.l2_loss(x)  # sum(x**2)/2", tf.nn.l2_loss(x)),
        "bias_add": ("tf.nn.bias_add(x, soft_labels[0])", tf.nn.bias_add(x, so[0])),
    }
    with new_session() as sess:
        vals = sess.run({k: v[1] for k, v in ops.items()})
    res = {k: {"expr": ops[k][0], "shape": list(np.shape(vals[k])), "value": tolist(vals[k])}
           for k in ops}
    return {"builder": "reference_data.nn_inputs", "functions": res}


# --------------------------------------------------------------------------- #
# 6. names
# --------------------------------------------------------------------------- #
def section_names():
    """.name / repr strings TF 1.x gives to things (each group in a fresh graph)."""
    out = {}

    tf.reset_default_graph()
    a = tf.constant(1.0)
    b = tf.constant(2.0)
    c1 = a + b
    c2 = a + b
    m = a * b
    s = a - b
    d = a / b
    n = -a
    out["constants_and_add"] = {
        "code": "a = tf.constant(1.0); b = tf.constant(2.0); c1 = a + b; c2 = a + b; "
                "m = a * b; s = a - b; d = a / b; n = -a",
        "a": a.name, "b": b.name, "c1": c1.name, "c2": c2.name, "mul": m.name,
        "sub": s.name, "truediv": d.name, "neg": n.name,
        "op_types": {"a": a.op.type, "c1": c1.op.type, "mul": m.op.type, "sub": s.op.type,
                     "truediv": d.op.type, "neg": n.op.type},
        "c1_op_name": c1.op.name,
        "c1_value_index": c1.value_index,
    }

    tf.reset_default_graph()
    with tf.name_scope("scope"):
        x1 = tf.constant(1.0)
        y1 = x1 * 2.0
    with tf.name_scope("scope"):
        x2 = tf.constant(1.0)
        y2 = x2 * 2.0
    with tf.name_scope("outer"):
        with tf.name_scope("inner"):
            z = tf.constant(3.0, name="z")
    z2 = tf.constant(3.0, name="z")
    z3 = tf.constant(3.0, name="z")
    out["name_scope"] = {
        "code": "with tf.name_scope('scope'): x = tf.constant(1.0); y = x * 2.0   (twice); "
                "nested outer/inner constant(name='z'); then tf.constant(3.0, name='z') twice "
                "at top level",
        "first_const": x1.name, "first_mul": y1.name,
        "second_const": x2.name, "second_mul": y2.name,
        "nested": z.name, "top_z_1": z2.name, "top_z_2": z3.name,
        "all_op_names": [o.name for o in tf.get_default_graph().get_operations()],
    }

    tf.reset_default_graph()
    X = tf.placeholder(tf.float32, [None, 3])
    h1 = tf.layers.dense(X, 4)
    h2 = tf.layers.dense(h1, 2, activation=tf.nn.relu)
    out["layers_dense_twice"] = {
        "code": "X = tf.placeholder(tf.float32, [None, 3]); h1 = tf.layers.dense(X, 4); "
                "h2 = tf.layers.dense(h1, 2, activation=tf.nn.relu)",
        "h1": h1.name, "h2": h2.name, "h1_shape": str(h1.shape), "h2_shape": str(h2.shape),
        "global_variables": [v.name for v in tf.global_variables()],
        "trainable_variables": [v.name for v in tf.trainable_variables()],
        "variable_shapes": {v.name: v.shape.as_list() for v in tf.global_variables()},
        "all_op_names": [o.name for o in tf.get_default_graph().get_operations()],
    }

    tf.reset_default_graph()
    with tf.variable_scope("vs"):
        w = tf.get_variable("w", shape=[2, 3])
        o1 = tf.identity(w)
    with tf.variable_scope("vs", reuse=True):
        w_again = tf.get_variable("w")
        o2 = tf.identity(w_again)
    with tf.variable_scope("vs2"):
        with tf.variable_scope("inner"):
            u = tf.get_variable("u", shape=[], initializer=tf.zeros_initializer())
    v1 = tf.Variable(1.0)
    v2 = tf.Variable(2.0)
    v3 = tf.Variable(3.0, name="myvar")
    out["variable_scope"] = {
        "code": "with tf.variable_scope('vs'): w = tf.get_variable('w', [2,3]); "
                "o1 = tf.identity(w); "
                "with tf.variable_scope('vs', reuse=True): w_again = tf.get_variable('w'); "
                "o2 = tf.identity(w_again); vs2/inner get_variable('u'); "
                "tf.Variable(1.0); tf.Variable(2.0); tf.Variable(3.0, name='myvar')",
        "w": w.name, "w_again": w_again.name, "same_object": w is w_again,
        "o1": o1.name, "o2": o2.name, "u": u.name,
        "tf_Variable_first": v1.name, "tf_Variable_second": v2.name, "myvar": v3.name,
        "w_op_name": w.op.name, "w_op_type": w.op.type,
        "w_dtype": repr(w.dtype), "w_value_dtype": repr(w.value().dtype),
        "w_initializer_name": w.initializer.name,
        "repr_w": repr(w), "repr_Variable": repr(v1),
        "global_variables": [v.name for v in tf.global_variables()],
    }

    tf.reset_default_graph()
    p = tf.placeholder(tf.float32, [None, 3])
    c3 = tf.constant(3.0)
    c12 = tf.constant([1, 2])
    p2 = tf.placeholder(tf.int32, name="ids")
    out["repr"] = {
        "code": "p = tf.placeholder(tf.float32, [None, 3]); c3 = tf.constant(3.0); "
                "c12 = tf.constant([1, 2]); p2 = tf.placeholder(tf.int32, name='ids')  "
                "(one graph, so c12 is Const_1)",
        "placeholder_float32_None_3": repr(p),
        "str_placeholder_float32_None_3": str(p),
        "placeholder_shape_str": str(p.shape),
        "placeholder_shape_as_list": p.shape.as_list(),
        "constant_3.0": repr(c3),
        "str_constant_3.0": str(c3),
        "constant_[1,2]": repr(c12),
        "constant_[1,2]_dtype": repr(c12.dtype),
        "placeholder_int32_unknown_shape_named_ids": repr(p2),
        "dtype_repr_float32": repr(tf.float32),
        "dtype_str_float32": str(tf.float32),
        "tensorshape_repr_None_3": repr(p.shape),
        "op_repr_first_line": first_line(repr(p.op)),
    }
    return out


# --------------------------------------------------------------------------- #
# 7. errors
# --------------------------------------------------------------------------- #
def strip_traces(msg):
    """Drop the Python traceback lines TF embeds ('Detected at node ... defined at',
    '  File "..."', 'Originally defined at:' listings) so the JSON has no local paths."""
    keep = []
    for line in str(msg).splitlines():
        st = line.strip()
        if (st.startswith("File \"") or "defined at (most recent call last)" in st
                or st.startswith("Original stack trace for")):
            continue
        keep.append(line)
    return "\n".join(keep).strip()


def core_message(msg):
    """The informative line of an error message (skips 'Graph execution error:',
    'Detected at node', 'Node: ...', blank lines)."""
    for line in strip_traces(msg).splitlines():
        st = line.strip()
        if (not st or st == "Graph execution error:" or st.startswith("Node: ")
                or st.startswith("Detected at node")):
            continue
        return st
    return ""


def capture(fn):
    try:
        value = fn()
    except Exception as e:  # noqa: BLE001
        alias = None
        for nm in dir(tf.errors):
            if getattr(tf.errors, nm) is type(e):
                alias = "tf.errors." + nm
        return {"type": type(e).__name__, "module": type(e).__module__,
                "tf_errors_alias": alias,
                "mro": [c.__name__ for c in type(e).__mro__],
                "first_line": first_line(e),
                "core_message": core_message(e),
                "message": strip_traces(e),
                "op_error_code": getattr(e, "error_code", None)}
    return {"type": None, "message": "no exception raised",
            "value": None if value is None else tolist(value)}


def section_errors():
    res = {}

    def feed_wrong_shape():
        tf.reset_default_graph()
        p = tf.placeholder(tf.float32, [None, 3])
        y = p * 2.0
        with new_session() as sess:
            sess.run(y, feed_dict={p: np.zeros((2, 4), np.float32)})
    res["feed_wrong_shape"] = {
        "code": "p = tf.placeholder(tf.float32, [None, 3]); y = p * 2.0; "
                "sess.run(y, feed_dict={p: np.zeros((2, 4), np.float32)})",
        **capture(feed_wrong_shape)}

    def unfed_placeholder():
        tf.reset_default_graph()
        p = tf.placeholder(tf.float32, [None, 3])
        y = p * 2.0
        with new_session() as sess:
            sess.run(y)
    res["unfed_placeholder"] = {
        "code": "p = tf.placeholder(tf.float32, [None, 3]); y = p * 2.0; sess.run(y)",
        **capture(unfed_placeholder)}

    def uninit_variable():
        tf.reset_default_graph()
        v = tf.Variable(1.0)
        with new_session() as sess:
            sess.run(v)
    res["uninitialized_variable"] = {
        "code": "v = tf.Variable(1.0); sess.run(v)  # no initializer run",
        **capture(uninit_variable)}

    def uninit_get_variable():
        tf.reset_default_graph()
        with tf.variable_scope("vs"):
            w = tf.get_variable("w", shape=[2])
        y = w + 1.0
        with new_session() as sess:
            sess.run(y)
    res["uninitialized_get_variable_in_expr"] = {
        "code": "with tf.variable_scope('vs'): w = tf.get_variable('w', shape=[2]); "
                "y = w + 1.0; sess.run(y)",
        **capture(uninit_get_variable)}

    def get_variable_twice():
        tf.reset_default_graph()
        tf.get_variable("w", shape=[2])
        tf.get_variable("w", shape=[2])
    res["get_variable_twice"] = {
        "code": "tf.get_variable('w', shape=[2]); tf.get_variable('w', shape=[2])",
        **capture(get_variable_twice)}

    def get_variable_reuse_missing():
        tf.reset_default_graph()
        with tf.variable_scope("vs", reuse=True):
            tf.get_variable("nope", shape=[2])
    res["get_variable_reuse_missing"] = {
        "code": "with tf.variable_scope('vs', reuse=True): tf.get_variable('nope', shape=[2])",
        **capture(get_variable_reuse_missing)}

    def other_graph():
        g1 = tf.Graph()
        with g1.as_default():
            c = tf.constant(1.0)
        g2 = tf.Graph()
        with g2.as_default():
            tf.constant(2.0)
        with tf.Session(graph=g2) as sess:
            sess.run(c)
    res["fetch_from_other_graph"] = {
        "code": "g1: c = tf.constant(1.0); g2 has tf.constant(2.0); "
                "tf.Session(graph=g2).run(c)",
        **capture(other_graph)}

    def run_after_close():
        tf.reset_default_graph()
        c = tf.constant(1.0)
        sess = tf.Session()
        sess.close()
        sess.run(c)
    res["run_after_close"] = {
        "code": "c = tf.constant(1.0); sess = tf.Session(); sess.close(); sess.run(c)",
        **capture(run_after_close)}

    def feed_wrong_dtype_int():
        tf.reset_default_graph()
        p = tf.placeholder(tf.int32, [2])
        with new_session() as sess:
            return sess.run(p, feed_dict={p: np.array([1.5, 2.5])})
    res["feed_float_to_int32_placeholder"] = {
        "code": "p = tf.placeholder(tf.int32, [2]); "
                "sess.run(p, feed_dict={p: np.array([1.5, 2.5])})",
        **capture(feed_wrong_dtype_int)}

    def fetch_none():
        tf.reset_default_graph()
        tf.constant(1.0)
        with new_session() as sess:
            sess.run(None)
    res["fetch_none"] = {"code": "tf.constant(1.0); sess.run(None)", **capture(fetch_none)}

    def fetch_none_empty_graph():
        tf.reset_default_graph()
        with new_session() as sess:
            sess.run(None)
    res["fetch_none_empty_graph"] = {"code": "(empty graph) sess.run(None)",
                                     **capture(fetch_none_empty_graph)}

    def add_shape_mismatch():
        tf.reset_default_graph()
        tf.constant(np.zeros((2, 3), np.float32)) + tf.constant(np.zeros((4,), np.float32))
    res["add_incompatible_shapes_graph_construction"] = {
        "code": "tf.constant(np.zeros((2,3),np.float32)) + tf.constant(np.zeros((4,),np.float32))",
        **capture(add_shape_mismatch)}

    def matmul_mismatch():
        tf.reset_default_graph()
        tf.matmul(tf.constant(np.zeros((2, 3), np.float32)),
                  tf.constant(np.zeros((4, 2), np.float32)))
    res["matmul_incompatible_shapes_graph_construction"] = {
        "code": "tf.matmul(zeros((2,3)), zeros((4,2)))",
        **capture(matmul_mismatch)}

    def add_float_int():
        tf.reset_default_graph()
        tf.constant(1.0) + tf.constant(1)
    res["add_float32_int32"] = {
        "code": "tf.constant(1.0) + tf.constant(1)",
        **capture(add_float_int)}
    return res


# --------------------------------------------------------------------------- #
def main():
    ref = {
        "tf_version": tf.__version__,
        "generator": "tests/reference/make_tf_reference.py (TF1 compat: "
                     "tensorflow.compat.v1 + disable_v2_behavior, TF_USE_LEGACY_KERAS=1, CPU)",
        "float_format": "float32 results rounded to 8 significant digits",
        "linreg": section_linreg(),
        "mlp": section_mlp(),
        "gradients": section_gradients(),
        "losses": section_losses(),
        "nn": section_nn(),
        "names": section_names(),
        "errors": section_errors(),
    }
    with open(OUT_PATH, "w") as f:
        json.dump(ref, f, indent=1, sort_keys=False)
        f.write("\n")
    print(f"wrote {OUT_PATH} ({os.path.getsize(OUT_PATH)} bytes)")


if __name__ == "__main__":
    main()
