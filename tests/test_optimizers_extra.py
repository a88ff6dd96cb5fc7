"""FtrlOptimizer, AdadeltaOptimizer, ProximalGradientDescentOptimizer,
ProximalAdagradOptimizer and AdagradDAOptimizer to TF 1.x's numbers (issue 16).

The MLP and its initial weights are those of test_training.py; the numbers in
tests/reference/tf_issue16.json come from tests/reference/make_tf_issue16.py.
"""
import json
import os

import numpy as np
import pytest

import jitgraph as tf
from helpers import assert_structures_close, session
from reference import reference_data

REF = json.load(open(os.path.join(os.path.dirname(__file__), "reference",
                                  "tf_issue16.json")))["optimizers"]
KEYS = [k for k in REF if not k.startswith("_")]


def _build(key):
    d = reference_data.mlp_data()
    h = tf.layers.dense(tf.constant(d["X"]), 16, activation=tf.nn.relu,
                        kernel_initializer=tf.constant_initializer(d["W1"]),
                        bias_initializer=tf.constant_initializer(d["b1"]))
    logits = tf.layers.dense(h, 4, kernel_initializer=tf.constant_initializer(d["W2"]),
                             bias_initializer=tf.constant_initializer(d["b2"]))
    loss = tf.losses.sparse_softmax_cross_entropy(tf.constant(d["labels"]), logits)
    gs = tf.train.get_or_create_global_step()
    cls, kw = REF["_kwargs"][key]
    if cls == "AdagradDAOptimizer":
        kw = dict(kw, global_step=gs)
    opt = getattr(tf.train, cls)(**kw)
    return loss, opt, opt.minimize(loss, global_step=gs)


@pytest.mark.parametrize("key", KEYS)
def test_optimizer_matches_tf(key):
    """TF's numbers on the interpreter; the JIT is held to the interpreter below."""
    ref = REF[key]
    loss, opt, train = _build(key)
    assert [v.name for v in tf.global_variables()] == ref["global_variable_names"]
    assert opt.get_slot_names() == ref["slot_names"]
    assert train.name == ref["train_op_name"]
    sess = session(jit="interp")
    sess.run(tf.global_variables_initializer())
    losses = [sess.run((train, loss))[1] for _ in range(len(ref["losses"]))]
    np.testing.assert_allclose(losses, ref["losses"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(sess.run(loss), ref["final_loss"], rtol=1e-5)
    byname = {v.name: v for v in tf.global_variables()}
    for name, want in {**ref["final_variables"], **ref["final_slots"]}.items():
        np.testing.assert_allclose(np.ravel(sess.run(byname[name])), want, rtol=1e-4,
                                   atol=1e-6, err_msg=name)


def test_every_update_compiles_into_one_stage_and_agrees():
    """All seven configurations, each on its own variable, in one training step: no host
    op splits it, and the JIT's steps match the interpreter's (one compile for all)."""
    x = tf.placeholder(tf.float32, [None, 3])
    gs = tf.train.get_or_create_global_step()
    trains, ws = [], []
    for i, key in enumerate(KEYS):
        w = tf.Variable(np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2) * (i + 1),
                        name=f"w_{key}")
        loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - 1.0))
        cls, kw = REF["_kwargs"][key]
        opt = getattr(tf.train, cls)(**(dict(kw, global_step=gs)
                                        if cls == "AdagradDAOptimizer" else kw))
        trains.append(opt.minimize(loss))
        ws.append(w)
    step = tf.group(*trains)
    with tf.control_dependencies([step]):
        step = tf.assign_add(gs, 1)
    feed = {x: np.arange(12, dtype=np.float32).reshape(4, 3) / 10 - 0.3}
    results = {}
    for engine in ("jit", "interp"):
        sess = session(jit=engine)
        sess.run(tf.global_variables_initializer())
        if engine == "jit":
            kinds = [st.kind for st in sess._plan_for(step, feed).stages]
            assert kinds == ["kernel"], kinds
        results[engine] = [sess.run((step, ws), feed)[1] for _ in range(4)]
    assert_structures_close(results["jit"], results["interp"], rtol=1e-5, atol=1e-6,
                            what="engine jit diverged from engine interp")


def test_argument_errors_as_tf():
    with pytest.raises(ValueError, match="learning_rate_power 0.500000 needs to be negative"):
        tf.train.FtrlOptimizer(0.1, learning_rate_power=0.5)
    with pytest.raises(ValueError, match="l1_regularization_strength -1.000000 needs to be "
                                         "positive or zero"):
        tf.train.FtrlOptimizer(0.1, l1_regularization_strength=-1.0)
    with pytest.raises(ValueError, match="initial_accumulator_value must be positive: 0.0"):
        tf.train.ProximalAdagradOptimizer(0.1, initial_accumulator_value=0.0)
    with pytest.raises(ValueError, match="initial_gradient_squared_accumulator_value must"):
        tf.train.AdagradDAOptimizer(0.1, None, initial_gradient_squared_accumulator_value=0)
