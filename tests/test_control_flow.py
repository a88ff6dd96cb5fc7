"""tf.cond / case / while_loop / TensorArray / map_fn / scan / foldl / foldr against TF 1.x's
numbers (tests/reference/tf_control_flow.json, programs in control_flow_programs.py), on
both engines; gradients through them against finite differences; TF's semantics of the
branch not taken and TF's errors."""
import json
import os

import numpy as np
import pytest

import jitgraph as tf
from helpers import check_gradients, run_both, session
from reference import control_flow_programs as cfp

REF = json.load(open(os.path.join(os.path.dirname(__file__), "reference",
                                  "tf_control_flow.json")))["control_flow"]


def _check_program(name, engine):
    fetches, runs = getattr(cfp, "build_" + name)(tf)
    sess = session(jit=engine)
    sess.run(tf.global_variables_initializer())
    for feeds, want in zip(runs, REF[name]):
        got = sess.run(fetches, feeds)
        assert sorted(got) == sorted(want)
        for k, v in want.items():
            np.testing.assert_allclose(np.asarray(got[k], np.float64), np.asarray(v, np.float64),
                                       rtol=2e-5, atol=1e-5, err_msg=f"{name}: {k} ({engine})")


@pytest.mark.parametrize("name", cfp.PROGRAMS)
def test_programs_match_tf_interp(name):
    _check_program(name, "interp")


@pytest.mark.slow  # each program compiles a dozen plans: 10-20 s (cond, case and
# tensor_array pass too; the fast run_both test covers a cond in a loop)
@pytest.mark.parametrize("name", ["while", "functional"])
def test_programs_match_tf_jit(name):
    _check_program(name, "jit")


def test_jit_matches_interp_through_cond_and_while():
    """One small graph with a cond inside a while loop and gradients through both: the
    compiled sub-plans (forward and backward) against the interpreter's."""
    x = tf.placeholder(tf.float32, [2, 3])
    w = tf.constant(np.float32([[0.5, -0.2, 0.1], [0.3, 0.8, -0.4], [0.0, 0.2, 0.6]]))

    def body(i, h):
        h = tf.tanh(tf.matmul(h, w) + x)
        return i + 1, tf.cond(tf.equal(i % 2, 0), lambda: h * 2.0, lambda: h - 0.5)

    _, h = tf.while_loop(lambda i, h: i < 3, body, (0, x))
    loss = tf.reduce_sum(h * h)
    feeds = {x: np.float32([[0.1, 0.2, -0.3], [0.4, -0.5, 0.6]])}
    run_both([h, tf.gradients(loss, x)[0]], feeds)


def test_only_the_taken_branch_runs(engine):
    v = tf.Variable(1.0)
    p = tf.placeholder(tf.bool, [])
    seen = []

    def record(x):
        seen.append(float(x))
        return x

    out = tf.cond(p, lambda: tf.assign(v, 5.0),
                  lambda: tf.py_func(record, [tf.random_uniform([]) * 0.0 + 2.0], tf.float32))
    sess = session(jit=engine)
    sess.run(v.initializer)
    assert sess.run(out, {p: False}) == 2.0
    assert sess.run(v) == 1.0 and seen == [2.0]
    assert sess.run(out, {p: True}) == 5.0
    assert sess.run(v) == 5.0 and seen == [2.0]


def test_while_loop_body_updates_a_variable_each_iteration():
    v = tf.Variable(0.0)

    def body(i):
        with tf.control_dependencies([tf.assign_add(v, 2.0)]):
            return i + 1

    n = tf.while_loop(lambda i: i < 4, body, [0])
    sess = session(jit="interp")
    sess.run(v.initializer)
    assert sess.run(n) == 4 and sess.run(v) == 8.0


def test_gradients_against_finite_differences():
    w = np.float32([[0.6, -0.3], [0.2, 0.7]])

    def build(x, p):
        y = tf.cond(tf.reduce_sum(p) > 0, lambda: tf.sin(x) * p, lambda: x * x)
        _, z = tf.while_loop(lambda i, z: i < 3,
                             lambda i, z: (i + 1, tf.tanh(tf.matmul(z, tf.cast(w, z.dtype)) + y)),
                             (0, y))
        ys = tf.scan(lambda a, r: a * r + 0.1, z)
        return tf.map_fn(lambda r: r * tf.reduce_sum(r), ys)

    xv = np.array([[0.3, -0.4], [0.5, 0.2]])
    check_gradients(build, {"x": xv, "p": np.array([[1.0, 0.5], [0.2, -0.3]])},
                    engine="interp")
    check_gradients(build, {"x": xv, "p": -np.ones((2, 2))}, engine="interp")


def test_maximum_iterations_and_back_prop_false():
    x = tf.placeholder(tf.float32, [])
    n, y = tf.while_loop(lambda i, y: True, lambda i, y: (i + 1, y * 2.0), (0, x),
                         maximum_iterations=5)
    _, z = tf.while_loop(lambda i, z: i < 2, lambda i, z: (i + 1, z * x), (0, x),
                         back_prop=False)
    assert tf.gradients(z, x) == [None]
    sess = session(jit="interp")
    assert sess.run([n, y], {x: 1.5}) == [5, 48.0]
    assert sess.run(tf.gradients(y, x)[0], {x: 1.5}) == 32.0


def test_single_loop_var_and_return_same_structure():
    a = tf.while_loop(lambda a: a < 10, lambda a: a * 3, [1])
    b = tf.while_loop(lambda a: a < 10, lambda a: [a * 3], [1], return_same_structure=True)
    assert isinstance(a, tf.Tensor) and isinstance(b, list) and len(b) == 1
    sess = session(jit="interp")
    assert sess.run([a, b[0]]) == [27, 27]


def test_tensor_array_read_twice_is_an_error_as_in_tf():
    ta = tf.TensorArray(tf.float32, size=2).unstack(tf.constant([1.0, 2.0]))
    r = ta.read(0) + ta.read(0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="twice because it was cleared"):
        session(jit="interp").run(r)
    ta2 = tf.TensorArray(tf.float32, size=1).write(0, 1.0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="already been written"):
        session(jit="interp").run(ta2.write(0, 2.0).stack())
    ta3 = tf.TensorArray(tf.float32, size=1).write(3, 1.0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="not resizeable and size is: 1"):
        session(jit="interp").run(ta3.stack())


def test_errors_as_tf_raises_them():
    x = tf.constant([1.0, 2.0])
    with pytest.raises(TypeError, match="pred must not be a Python bool"):
        tf.cond(True, lambda: x, lambda: x)
    with pytest.raises(TypeError, match="true_fn must be callable"):
        tf.cond(tf.constant(True), x, lambda: x)
    with pytest.raises(TypeError, match="true_fn and fn1 may not be set simultaneously"):
        tf.cond(tf.constant(True), lambda: x, fn1=lambda: x, false_fn=lambda: x)
    with pytest.raises(ValueError, match="must have the same structure"):
        tf.cond(tf.constant(True), lambda: (x, x), lambda: x)
    with pytest.raises(ValueError, match="after one iteration. To allow the shape to vary"):
        tf.while_loop(lambda s: True, lambda s: tf.concat([s, s], 0), [x])
    with pytest.raises(ValueError, match="No loop variables provided"):
        tf.while_loop(lambda: True, lambda: [], [])
    with pytest.raises(TypeError, match="cond must be callable"):
        tf.while_loop(None, lambda s: s, [x])
    assert tf.cond(tf.constant(False), fn1=lambda: x, fn2=lambda: x * 2).shape == [2]


def test_case_without_default_asserts_some_predicate_holds():
    v = tf.placeholder(tf.float32, [])
    r = tf.case([(v < 0.0, lambda: v * 2.0), (v > 5.0, lambda: v + 1.0)])
    sess = session(jit="interp")
    assert sess.run(r, {v: -1.0}) == -2.0 and sess.run(r, {v: 6.0}) == 7.0
    with pytest.raises(tf.errors.InvalidArgumentError, match="None of the conditions"):
        sess.run(r, {v: 1.0})


def test_gradient_through_a_loop_variable_whose_shape_grows():
    def build(x):
        _, s = tf.while_loop(lambda k, s: k < 2, lambda k, s: (k + 1, tf.concat([s, tf.sin(s)], 0)),
                             [0, x], shape_invariants=[tf.TensorShape([]), tf.TensorShape([None])])
        return s * s

    check_gradients(build, {"x": np.array([0.3, -0.7])}, engine="interp")
