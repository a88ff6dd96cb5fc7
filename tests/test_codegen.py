"""What the JIT generates: fusion, in-place stores, host fallbacks, readable source."""
import numpy as np
from helpers import run_both

import jitgraph as tf
from jitgraph.ops import state_ops


def _source(fetches, feed_dict=None):
    return tf.inspect(tf.Session(), fetches, feed_dict).source


def test_elementwise_chain_is_one_loop_without_temporaries():
    x = tf.placeholder(tf.float32, [None])
    y = tf.tanh(x * 1.5 + 0.5) * tf.sigmoid(x) - 0.1 * x * x
    src = _source(y, {x: np.ones(3)})
    assert src.count("for i0 in range") == 1
    assert src.count("np.empty(") == 1  # only the result is materialized
    for name in ("mul (Mul)", "Tanh (Tanh)", "Sigmoid (Sigmoid)", "sub (Sub)"):
        assert f"# {name}" in src  # every line names the op it comes from
    data = np.linspace(-5, 5, 1001).astype(np.float32)
    got = tf.Session().run(y, {x: data})
    d = data.astype(np.float64)
    ref = np.tanh(d * 1.5 + 0.5) / (1 + np.exp(-d)) - 0.1 * d * d
    assert np.abs(got - ref).max() < 1e-5


def test_generated_source_is_deterministic():
    def build():
        g = tf.Graph()
        with g.as_default():
            x = tf.placeholder(tf.float32, [None, 3])
            y = tf.reduce_sum(tf.exp(x) * 2.0, axis=1)
            return tf.inspect(tf.Session(graph=g), y, {x: np.ones((1, 3))}).source
    assert build() == build()


def test_variable_update_is_fused_into_its_loop():
    v = state_ops.variable_op([4], tf.float32, name="w")
    init = state_ops.assign(v, tf.constant(np.arange(4, dtype=np.float32)))
    g = tf.placeholder(tf.float32, [4])
    step = state_ops.assign_sub(v, 0.1 * g * 2.0)
    sess = tf.Session()
    sess.run(init)
    src = tf.inspect(sess, step, {g: np.ones(4)}).source
    assert src.count("for i0 in range") == 1 and "np.empty(" not in src
    sess.run(step, {g: np.ones(4, np.float32)})
    np.testing.assert_allclose(sess.run(v), np.arange(4) - 0.2, rtol=1e-6)


def test_uncompilable_op_falls_back_to_host_stage():
    a = tf.placeholder(tf.float32, [None, 2, 3, 4])
    b = tf.placeholder(tf.float32, [None, 2, 4, 5])
    y = tf.exp(tf.matmul(a, b) * 0.1)  # rank-4 MatMul has no compiled form: numpy runs it
    A = np.random.RandomState(0).randn(2, 2, 3, 4).astype(np.float32)
    B = np.random.RandomState(1).randn(2, 2, 4, 5).astype(np.float32)
    out = run_both(y, {a: A, b: B})
    np.testing.assert_allclose(out, np.exp((A @ B) * 0.1), rtol=1e-5)
    plan = tf.Session()._plan_for(y, {a: A, b: B})
    assert [s.kind for s in plan.stages] == ["host", "kernel"]


def test_compile_log(capsys):
    from jitgraph import config
    config.log_compiles(True)
    try:
        x = tf.placeholder(tf.float32)
        y = x * 2.0
        sess = tf.Session()
        sess.run(y, {x: 1.0})
        sess.run(y, {x: [1.0, 2.0]})
    finally:
        config.log_compiles(False)
    err = capsys.readouterr().err
    assert "Signature(fetches=[mul:0]" in err
    assert "feed Placeholder:0 rank 0 -> 1" in err


def test_inspect_exposes_llvm_and_asm():
    x = tf.placeholder(tf.float32, [None])
    info = tf.inspect(tf.Session(), x + 1.0, {x: np.ones(2)})
    assert "def stage0" in info.source and info.signature.fetches == ("add:0",)
    assert "define" in info.llvm and len(info.asm) > 0
    assert any(o["type"] == "Add" for o in info.ops)


def test_iterator_step_is_host_then_one_kernel_on_the_fast_path():
    """get_next runs in a host stage; everything else, Adam's `beta1 * m` included, stays
    in the one kernel stage after it, and runs use the generated fast path."""
    xs = np.random.RandomState(0).randn(64, 4).astype(np.float32)
    ys = (np.arange(64) % 3).astype(np.int32)
    ds = tf.data.Dataset.from_tensor_slices((xs, ys)).batch(16).repeat()
    x, y = ds.make_one_shot_iterator().get_next()
    logits = tf.layers.dense(x, 3)
    loss = tf.losses.sparse_softmax_cross_entropy(y, logits)
    train = tf.train.AdamOptimizer(0.1).minimize(loss)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    plan = sess._plan_for((train, loss))
    assert [st.kind for st in plan.stages] == ["host", "kernel"]
    losses = [sess.run((train, loss))[1] for _ in range(20)]
    fast = [r for r in sess._runners.values() if r.plan is plan]
    assert fast and fast[0]._fast is not None
    assert losses[-1] < losses[0]


def test_dropout_training_agrees_between_engines_on_the_fast_path():
    tf.set_random_seed(7)
    X = tf.placeholder(tf.float32, [None, 6])
    h = tf.layers.dropout(tf.layers.dense(X, 8, activation=tf.nn.relu,
                                          kernel_initializer=tf.constant_initializer(0.1)),
                          rate=0.5, training=True)
    loss = tf.reduce_mean(tf.square(tf.layers.dense(
        h, 1, kernel_initializer=tf.constant_initializer(0.2)) - 1.0))
    train = tf.train.GradientDescentOptimizer(0.05).minimize(loss)
    feed = {X: np.random.RandomState(1).rand(16, 6).astype(np.float32)}
    runs = []
    for jit in (True, False):
        sess = tf.Session()
        sess.jit = jit
        sess.run(tf.global_variables_initializer())
        runs.append([sess.run((train, loss), feed)[1] for _ in range(6)])
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-5,
                               err_msg="engine jit diverged from engine interp")
    assert len(set(np.round(runs[0], 6))) > 1  # a new mask every run


def test_initializer_runs_on_the_interpreter_and_the_step_compiles():
    """An initializer plan runs once per Session: compiling it would cost more than it."""
    from jitgraph import config
    w = tf.Variable(tf.random_normal([3, 2], seed=1))
    b = tf.Variable(tf.zeros([2]))
    loss = tf.reduce_sum(tf.square(tf.matmul(tf.ones([4, 3]), w) + b))
    train = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
    sess = tf.Session()
    before = config.compile_count
    sess.run(tf.global_variables_initializer())
    assert config.compile_count == before
    sess.run(train)
    assert config.compile_count == before + 1
    other = tf.Session()
    other.jit = False
    other.run(tf.global_variables_initializer())
    np.testing.assert_array_equal(sess.run(b) * 0, other.run(b) * 0)
    np.testing.assert_allclose(tf.Session().run(w.initial_value), other.run(w), rtol=1e-6)


def test_inspect_names_the_cache_entry_the_run_uses():
    from jitgraph.codegen import diskcache
    x = tf.placeholder(tf.float32, [None])
    y = tf.tanh(x) * 3.0 - x
    sess = tf.Session()
    found = tf.inspect(sess, y, {x: np.ones(2, np.float32)})
    sess.run(y, {x: np.ones(2, np.float32)})
    assert found.cache_key in {e.key for e in diskcache.entries()}
    assert found.runner_source.startswith("def fast_run(fv):")


def test_constant_folding_gives_the_unfolded_results_on_both_engines(engine):
    from helpers import run_on
    from jitgraph import config
    x = tf.placeholder(tf.float32, [None])
    beta = tf.constant(0.9)
    n = tf.size(tf.zeros([3, 4]))                 # Size of a static shape: folded
    k = (1.0 - beta) / tf.cast(n, tf.float32)     # a chain of constants: folded
    y = x * k + tf.reduce_sum(tf.constant([[1.0, 2.0], [3.0, 4.0]]))
    feed = {x: np.arange(3, dtype=np.float32)}
    unfolded = run_on(engine, y, feed)
    config.set_fold_constants(True)
    try:
        folded = run_on(engine, y, feed)
        source = tf.inspect(tf.Session(), y, feed).source
    finally:
        config.set_fold_constants(None)
    np.testing.assert_allclose(folded, unfolded, rtol=1e-6)
    assert "Size" not in source.split("def stage0")[1]  # computed at plan time
