"""Run errors as TF raises them (issue 15, findings 11 and 13): TF's class on both engines,
naming the op and the user's line that created it; a bounded plan cache per Session."""
from __future__ import annotations

import inspect
import os

import numpy as np
import pytest
from helpers import session

import jitgraph as tf
from jitgraph import config
from jitgraph.framework import errors

HERE = os.path.abspath(__file__)
ENGINES = [pytest.param(True, id="jit"), pytest.param(False, id="interpreter")]


def _line():
    """The caller's line number: where the test built the op it expects to be named."""
    return inspect.currentframe().f_back.f_lineno


def _names(e, op_name, line):
    msg = str(e.value)
    assert f"[[node {op_name} (defined at {HERE}:{line}) ]]" in msg, msg
    assert e.value.op is not None and e.value.op.name == op_name


@pytest.mark.parametrize("jit", ENGINES)
def test_shape_error_in_a_compiled_stage_names_the_op(jit):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None])
        y = tf.reshape(x * 2.0, [4, -1]) + 1.0
        z = tf.reshape(y, [4, 4], name="bad"); line = _line()  # noqa: E702
        v = tf.Variable(tf.zeros([4]))
        step = tf.assign_add(v, tf.reduce_sum(z, 0))
    sess = session(g, jit)
    sess.run(v.initializer)
    with pytest.raises(errors.InvalidArgumentError,
                       match="Input to reshape is a tensor with 12 values, but the requested "
                             "shape has 16") as e:
        sess.run(step, {x: np.ones(12, np.float32)})
    _names(e, "bad", line)
    np.testing.assert_array_equal(sess.run(v), np.zeros(4, np.float32))  # nothing written
    with pytest.raises(errors.InvalidArgumentError):  # the fast path of a repeated run too
        sess.run(step, {x: np.ones(12, np.float32)})
    assert sess.run(step, {x: np.ones(16, np.float32)}).shape == (4,)  # still usable


@pytest.mark.parametrize("jit", ENGINES)
def test_uninitialized_variable_names_its_line(jit):
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(1.0, name="w"); line = _line()  # noqa: E702
        y = v * 2.0
    with pytest.raises(errors.FailedPreconditionError, match="uninitialized value w") as e:
        session(g, jit).run(y)
    _names(e, "w", line)


@pytest.mark.parametrize("jit", ENGINES)
def test_allocation_too_large_is_resource_exhausted(jit):
    g = tf.Graph()
    with g.as_default():
        n = tf.placeholder(tf.int32, [])
        z = tf.zeros(tf.stack([n, n]), name="huge") + 1.0; line = _line()  # noqa: E702
    with pytest.raises(errors.ResourceExhaustedError,
                       match=r"OOM when allocating tensor with shape\[400000,400000\] and "
                             r"type float") as e:
        session(g, jit).run(z, {n: 400000})  # 640 GB
    _names(e, "huge", line)


@pytest.mark.parametrize("exc,cls", [(ValueError, errors.InvalidArgumentError),
                                     (TypeError, errors.InvalidArgumentError),
                                     (StopIteration, errors.OutOfRangeError),
                                     (KeyError, errors.UnknownError)])
def test_py_func_exceptions_map_to_tf_classes(exc, cls):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None])

        def f(a):
            raise exc("from the user's function")
        y = tf.py_func(f, [x], tf.float32, name="user_fn") * 2.0; line = _line()  # noqa: E702
    for jit in (True, False):
        with pytest.raises(cls, match=exc.__name__) as e:
            session(g, jit).run(y, {x: np.ones(3, np.float32)})
        _names(e, "user_fn", line)
        assert isinstance(e.value.__cause__, exc)


@pytest.mark.parametrize("jit", ENGINES)
def test_failing_map_fails_one_element_and_the_iterator_goes_on(jit):
    g = tf.Graph()
    with g.as_default():
        def f(a):
            if a == 2:
                raise ValueError("no 2")
            return a
        ds = tf.data.Dataset.range(5).map(lambda a: tf.py_func(f, [a], tf.int64))
        nxt = ds.make_one_shot_iterator().get_next()
    sess = session(g, jit)
    out = []
    for _ in range(5):
        try:
            out.append(int(sess.run(nxt)))
        except errors.InvalidArgumentError as e:
            assert "ValueError: no 2" in str(e)
            out.append("error")
    assert out == [0, 1, "error", 3, 4]
    with pytest.raises(errors.OutOfRangeError):
        sess.run(nxt)


def test_generator_value_of_the_wrong_type_names_type_and_goes_on():
    def gen():
        yield 1.0
        yield "a"
        yield 3.0
    nxt = tf.data.Dataset.from_generator(gen, tf.float32, tf.TensorShape([])) \
        .make_one_shot_iterator().get_next(); line = _line()  # noqa: E702
    sess = tf.Session()
    assert sess.run(nxt) == 1.0
    with pytest.raises(errors.InvalidArgumentError,
                       match="could not be converted to the expected type. The expected type "
                             "was float32, but the yielded element was 'a'") as e:
        sess.run(nxt)
    _names(e, "IteratorGetNext", line)
    assert sess.run(nxt) == 3.0


@pytest.mark.parametrize("jit", ENGINES)
def test_bad_feed_names_the_tensor_with_numpys_class(jit):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None], name="x")
        y = x * 2.0
    sess = session(g, jit)
    with pytest.raises(ValueError, match="Tensor 'x:0' of dtype float32: could not convert "
                                         "string to float: 'a'"):
        sess.run(y, {x: ["a", "b"]})
    with pytest.raises(TypeError, match="Tensor 'x:0'"):
        sess.run(y, {x: (c for c in "ab")})
    assert sess.run(y, {x: [1.0]}).tolist() == [2.0]


def test_plan_cache_keeps_the_most_recent_plans(monkeypatch, capsys):
    monkeypatch.setenv("JITGRAPH_MAX_PLANS", "2")
    config.log_compiles(True)
    try:
        x = tf.placeholder(tf.float32, [None])
        ys = [x + float(i) for i in range(3)]
        sess = session(jit=False)  # the cache is the same on both engines; no compiles
        assert sess.max_plans == 2
        feed = {x: np.ones(2, np.float32)}
        sess.run(ys[0], feed)
        sess.run(ys[1], feed)
        sess.run(ys[0], feed)  # most recent now: ys[1] goes first
        sess.run(ys[2], feed)
        kept = {r.plan.signature.fetches for r in sess._plans}
        assert kept == {(ys[0].name,), (ys[2].name,)}
        assert set(sess._runners.values()) == set(sess._plans)  # no key points at a dropped one
        assert "evicted" in capsys.readouterr().err
        assert sess.run(ys[1], feed).tolist() == [2.0, 2.0]  # built again when needed
        assert len(sess._plans) == 2
    finally:
        config.log_compiles(False)


def test_plan_cache_size_from_the_environment(monkeypatch):
    monkeypatch.setenv("JITGRAPH_MAX_PLANS", "0")
    with pytest.raises(ValueError, match="JITGRAPH_MAX_PLANS"):
        tf.Session()
    monkeypatch.delenv("JITGRAPH_MAX_PLANS")
    assert tf.Session().max_plans == 256
