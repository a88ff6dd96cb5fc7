"""Elementwise math, reductions and matmul: both engines against numpy, and gradients."""
import numpy as np
import pytest
from helpers import check_gradients, run_both, run_on
from hypothesis import given, settings
from hypothesis import strategies as st

import jitgraph as tf

RNG = np.random.RandomState(0)
X = RNG.uniform(0.2, 2.0, (3, 4)).astype(np.float32)
Y = RNG.uniform(-2.0, 2.0, (3, 4)).astype(np.float32)

UNARY = {
    "negative": np.negative, "abs": np.abs, "sign": np.sign, "exp": np.exp, "log": np.log,
    "log1p": np.log1p, "sqrt": np.sqrt, "rsqrt": lambda x: 1 / np.sqrt(x),
    "square": np.square, "reciprocal": lambda x: 1 / x, "sin": np.sin, "cos": np.cos,
    "tanh": np.tanh, "sigmoid": lambda x: 1 / (1 + np.exp(-x)), "round": np.round,
    "floor": np.floor, "ceil": np.ceil, "expm1": np.expm1, "tan": np.tan,
}
BINARY = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide,
    "truediv": np.true_divide, "floordiv": np.floor_divide, "floormod": np.mod,
    "pow": np.power, "maximum": np.maximum, "minimum": np.minimum,
    "squared_difference": lambda a, b: (a - b) ** 2,
}
COMPARE = {"less": np.less, "less_equal": np.less_equal, "greater": np.greater,
           "greater_equal": np.greater_equal, "equal": np.equal, "not_equal": np.not_equal}


def test_unary_ops_both_engines():
    x = tf.placeholder(tf.float32, [None, 4])
    fetches = {name: getattr(tf, name)(x) for name in UNARY}
    out = run_both(fetches, {x: X})
    for name, fn in UNARY.items():
        np.testing.assert_allclose(out[name], fn(X), rtol=2e-6, atol=1e-6, err_msg=name)
        assert out[name].dtype == np.float32


def test_binary_ops_broadcasting():
    x = tf.placeholder(tf.float32, [None, 4])
    row = tf.constant(Y[0])
    scalar = tf.constant(1.5)
    fetches = {}
    for name in BINARY:
        fn = getattr(tf, name)
        fetches[name] = (fn(x, row), fn(row, x), fn(x, scalar), fn(x, x))
    out = run_both(fetches, {x: X})
    for name, fn in BINARY.items():
        with np.errstate(all="ignore"):
            expect = (fn(X, Y[0]), fn(Y[0], X), fn(X, np.float32(1.5)), fn(X, X))
        for got, exp in zip(out[name], expect):
            np.testing.assert_allclose(got, exp.astype(np.float32), rtol=2e-6, atol=1e-6,
                                       err_msg=name)


def test_comparisons_logic_where_cast():
    x = tf.placeholder(tf.float32, [3, 4])
    y = tf.constant(Y)
    f = {name: getattr(tf, name)(x, y) for name in COMPARE}
    f["and"] = tf.logical_and(x > 1.0, y > 0.0)
    f["or"] = tf.logical_or(x > 1.0, y > 0.0)
    f["not"] = tf.logical_not(x > 1.0)
    f["where"] = tf.where(x > 1.0, x, y)
    f["cast_int"] = tf.cast(y * 3.0, tf.int32)
    f["cast_bool"] = tf.cast(y, tf.bool)
    f["cast_f64"] = tf.cast(x, tf.float64)
    out = run_both(f, {x: X})
    for name, fn in COMPARE.items():
        np.testing.assert_array_equal(out[name], fn(X, Y))
    np.testing.assert_array_equal(out["and"], (X > 1) & (Y > 0))
    np.testing.assert_array_equal(out["or"], (X > 1) | (Y > 0))
    np.testing.assert_array_equal(out["not"], ~(X > 1))
    np.testing.assert_array_equal(out["where"], np.where(X > 1, X, Y))
    np.testing.assert_array_equal(out["cast_int"], (Y * 3).astype(np.int32))
    np.testing.assert_array_equal(out["cast_bool"], Y != 0)
    assert out["cast_f64"].dtype == np.float64


def test_integer_arithmetic_semantics():
    a = tf.constant(np.array([7, -7, 6, -1], np.int32))
    b = tf.constant(np.array([2, 2, -4, 3], np.int32))
    out = run_both({"fd": a // b, "mod": a % b, "div": a / b, "mul": a * b, "add": a + b,
                    "tdiv": tf.div(a, b)})
    np.testing.assert_array_equal(out["fd"], np.array([3, -4, -2, -1]))
    np.testing.assert_array_equal(out["mod"], np.array([1, 1, -2, 2]))
    assert out["div"].dtype == np.float64 and out["mul"].dtype == np.int32
    np.testing.assert_array_equal(out["tdiv"], out["fd"])


@pytest.mark.parametrize("reduce", ["reduce_sum", "reduce_mean", "reduce_max", "reduce_min",
                                    "reduce_prod"])
def test_reductions(reduce):
    x = tf.placeholder(tf.float32, [None, 3, 4])
    data = RNG.uniform(0.5, 1.5, (2, 3, 4)).astype(np.float32)
    fn = getattr(np, reduce.split("_")[1] if reduce != "reduce_mean" else "mean")
    op = getattr(tf, reduce)
    cases = [None, 0, 1, 2, -1, (0, 2), [1, 2]]
    fetches = [(op(x, axis=a), op(x, axis=a, keepdims=True)) for a in cases]
    out = run_both(fetches, {x: data})
    for a, (plain, kept) in zip(cases, out):
        ax = tuple(a) if isinstance(a, list) else a
        np.testing.assert_allclose(plain, fn(data, axis=ax), rtol=1e-5)
        np.testing.assert_allclose(kept, fn(data, axis=ax, keepdims=True), rtol=1e-5)


def test_reduce_any_all_and_aliases():
    b = tf.constant(np.array([[True, False], [True, True]]))
    x = tf.constant(np.ones((2, 3), np.float32))
    out = run_both([tf.reduce_any(b, axis=1), tf.reduce_all(b, axis=1), tf.reduce_all(b),
                    tf.reduce_sum(x, reduction_indices=[1]), tf.reduce_sum(x, 0, keep_dims=True)])
    np.testing.assert_array_equal(out[0], [True, True])
    np.testing.assert_array_equal(out[1], [False, True])
    assert not out[2]
    np.testing.assert_array_equal(out[3], [3, 3])
    assert out[4].shape == (1, 3)


def test_matmul_variants():
    a = tf.placeholder(tf.float32, [None, 5])
    A = RNG.randn(3, 5).astype(np.float32)
    B = RNG.randn(5, 2).astype(np.float32)
    big_a = RNG.randn(64, 128).astype(np.float32)
    b = tf.constant(B)
    bb = tf.placeholder(tf.float32, [None, None])
    out = run_both([tf.matmul(a, b), tf.matmul(b, a, transpose_a=True, transpose_b=True),
                    a @ b, tf.matmul(bb, bb, transpose_b=True)], {a: A, bb: big_a},
                   rtol=1e-4, atol=1e-4)  # BLAS and loop sum in other orders
    np.testing.assert_allclose(out[0], A @ B, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out[1], B.T @ A.T, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out[2], A @ B, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out[3], big_a @ big_a.T, rtol=1e-4, atol=1e-3)
    x3 = RNG.randn(2, 3, 4).astype(np.float32)
    y3 = RNG.randn(2, 4, 5).astype(np.float32)
    np.testing.assert_allclose(run_both(tf.matmul(tf.constant(x3), tf.constant(y3))),
                               x3 @ y3, rtol=1e-5, atol=1e-5)


def test_matmul_runtime_size_mismatch():
    a = tf.placeholder(tf.float32, [None, None])
    sess = tf.Session()
    with pytest.raises(tf.errors.InvalidArgumentError):
        sess.run(tf.matmul(a, a), {a: np.ones((2, 3))})


def test_unary_gradients(engine):
    fns = [tf.exp, tf.log, tf.sqrt, tf.rsqrt, tf.square, tf.reciprocal, tf.sin, tf.cos,
           tf.tanh, tf.sigmoid, tf.abs, tf.negative, tf.log1p, tf.expm1, tf.tan]
    check_gradients(lambda x: tf.add_n([f(x) for f in fns]), {"x": X.astype(np.float64)},
                    engine=engine)


def test_binary_gradients_with_broadcasting(engine):
    check_gradients(lambda x, r: x * r + x / r - r ** 2.0 + tf.maximum(x, r) * tf.minimum(x, r)
                    + tf.squared_difference(x, r) + tf.pow(x, r) - tf.where(x > r, x, r),
                    {"x": X.astype(np.float64), "r": Y[0].astype(np.float64) + 2.5}, engine=engine)


def test_reduction_and_matmul_gradients(heavy_engine):
    data = RNG.uniform(0.5, 1.5, (3, 4))
    check_gradients(lambda x: tf.reduce_sum(x, axis=1) * tf.reduce_mean(x, axis=1)
                    + tf.reduce_sum(tf.reduce_max(x, axis=0, keepdims=True))
                    + tf.reduce_prod(x, axis=1) + tf.reduce_min(x), {"x": data},
                    engine=heavy_engine)
    check_gradients(lambda a, b: tf.matmul(a, b) + tf.matmul(a, b, transpose_a=False),
                    {"a": RNG.randn(2, 3), "b": RNG.randn(3, 4)}, engine=heavy_engine)
    check_gradients(lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True),
                    {"a": RNG.randn(3, 2), "b": RNG.randn(4, 3)}, engine=heavy_engine)


def test_reshape_and_shape_ops(engine):
    x = tf.placeholder(tf.float32, [None, 4])
    out = run_on(engine, [tf.reshape(x, [-1]), tf.reshape(x, [2, 2, -1]), tf.shape(x),
                          tf.size(x), tf.rank(x), tf.expand_dims(x, 1),
                          tf.squeeze(tf.expand_dims(x, 0), [0]), tf.zeros_like(x),
                          tf.ones([2, 3]), tf.fill([2], 7.0), tf.reshape(x, tf.shape(x))],
                 {x: X})
    np.testing.assert_array_equal(out[0], X.ravel())
    np.testing.assert_array_equal(out[7], np.zeros_like(X))
    np.testing.assert_array_equal(out[8], np.ones((2, 3), np.float32))
    assert out[1].shape == (2, 2, 3)
    np.testing.assert_array_equal(out[2], [3, 4])
    assert out[3] == 12 and out[4] == 2
    assert out[5].shape == (3, 1, 4) and out[6].shape == (3, 4)
    np.testing.assert_array_equal(out[9], [7.0, 7.0])
    np.testing.assert_array_equal(out[10], X)
    check_gradients(lambda x: tf.reshape(x, [4, 3]) * tf.constant(np.arange(12.0).reshape(4, 3)),
                    {"x": X.astype(np.float64)}, engine=engine)


_UN = [tf.tanh, tf.sigmoid, tf.square, tf.abs, tf.negative, lambda t: t * 0.5]
_BIN = [tf.add, tf.subtract, tf.multiply, tf.maximum, tf.minimum]


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_random_elementwise_graphs_agree(data):
    """Random elementwise/reduction graphs: the JIT, the interpreter and numpy agree."""
    g = tf.Graph()
    rank = data.draw(st.integers(0, 3))
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=rank, max_size=rank)))
    with g.as_default():
        x = tf.placeholder(tf.float64, [None] * rank)
        y = tf.placeholder(tf.float64, shape)
        nodes = [x, y]
        for _ in range(data.draw(st.integers(1, 8))):
            if data.draw(st.booleans()):
                f = data.draw(st.sampled_from(_UN))
                nodes.append(f(data.draw(st.sampled_from(nodes))))
            else:
                f = data.draw(st.sampled_from(_BIN))
                nodes.append(f(data.draw(st.sampled_from(nodes)),
                               data.draw(st.sampled_from(nodes))))
        out = nodes[-1]
        if rank and data.draw(st.booleans()):
            out = tf.reduce_sum(out, axis=data.draw(st.integers(0, rank - 1)))
        fetches = [out, nodes[2]]
    xs = np.random.RandomState(1).randn(*shape)
    ys = np.random.RandomState(2).randn(*shape)
    run_both(fetches, {x: xs, y: ys}, graph=g, rtol=1e-9, atol=1e-9)


def _size_one_pattern(data, full):
    return tuple(d if data.draw(st.booleans()) else 1 for d in full)


# A compile costs seconds and grows with the graph, while a run of compiled code is cheap:
# each example compiles one graph (ranks and ops) and feeds it three broadcasting patterns.
# Ten compiles take a minute, a fifth of the suite on one core: CI's slow step runs it.
@pytest.mark.slow
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_random_broadcasting_graphs_and_gradients_agree(data):
    """Broadcasting between fed shapes with size-1 dims, forward and backward, both engines."""
    rank = data.draw(st.integers(1, 3))
    cut = data.draw(st.integers(0, rank - 1))
    g = tf.Graph()
    with g.as_default():
        a = tf.placeholder(tf.float64, [None] * rank)
        b = tf.placeholder(tf.float64, [None] * (rank - cut))
        f = data.draw(st.sampled_from(_BIN))
        h = data.draw(st.sampled_from(_UN))
        y = h(f(a, b)) * a + b
        loss = tf.reduce_sum(y * y)
        grads = tf.gradients(loss, [a, b])
    for i in range(3):
        full = tuple(data.draw(st.lists(st.integers(2, 4), min_size=rank, max_size=rank)))
        a_shape = _size_one_pattern(data, full)
        b_shape = _size_one_pattern(data, full)[cut:]
        av = np.random.RandomState(3 + 2 * i).randn(*a_shape)
        bv = np.random.RandomState(4 + 2 * i).randn(*b_shape)
        out = run_both([y] + grads, {a: av, b: bv}, graph=g, rtol=1e-9, atol=1e-9)
        assert out[1].shape == a_shape and out[2].shape == b_shape


def test_gradients_of_mutual_broadcasting(engine):
    check_gradients(lambda a, b: tf.tanh(a * b) + a - tf.maximum(a, b) / (b * b + 1.0),
                    {"a": RNG.randn(3, 1), "b": RNG.randn(1, 4)}, engine=engine)
