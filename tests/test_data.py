"""tf.data: sources, transformations, iterators, and feeding a compiled training step."""
import numpy as np
import pytest

import jitgraph as tf

from helpers import session


@pytest.fixture
def nojit(monkeypatch):
    """Pipelines are host code; most tests need no compiles (map functions would get one)."""
    monkeypatch.setenv("JITGRAPH_DISABLE_JIT", "1")


def drain(sess, nxt, limit=10_000):
    out = []
    for _ in range(limit):
        try:
            out.append(sess.run(nxt))
        except tf.errors.OutOfRangeError:
            return out
    raise AssertionError("iterator did not end")


def elements(ds, sess=None):
    it = ds.make_initializable_iterator()
    nxt = it.get_next()
    sess = sess or tf.Session()
    sess.run(it.initializer)
    return drain(sess, nxt)


def flat(ds):
    return [np.asarray(x).tolist() for x in elements(ds)]


# -- sources -------------------------------------------------------------------------------
def test_guide_one_shot_rows(nojit):
    my_data = [[0, 1], [2, 3], [4, 5], [6, 7]]
    slices = tf.data.Dataset.from_tensor_slices(my_data)
    assert slices.output_types == tf.int32
    assert slices.output_shapes == tf.TensorShape([2])
    assert slices.output_classes is tf.Tensor
    next_item = slices.make_one_shot_iterator().get_next()
    assert next_item.shape.as_list() == [2]
    sess = tf.Session()
    got = drain(sess, next_item)
    assert [g.tolist() for g in got] == my_data
    assert got[0].dtype == np.int32
    with pytest.raises(tf.errors.OutOfRangeError, match="End of sequence"):
        sess.run(next_item)
    assert sess.run(tf.constant(2) + 3) == 5  # the session stays usable


def test_guide_random_normal_redrawn_on_reinit(nojit):
    r = tf.random_normal([10, 3])
    it = tf.data.Dataset.from_tensor_slices(r).make_initializable_iterator()
    row = it.get_next()
    assert row.shape.as_list() == [3] and row.dtype == tf.float32
    sess = tf.Session()
    with pytest.raises(tf.errors.FailedPreconditionError, match="not been initialized"):
        sess.run(row)
    sess.run(it.initializer)
    first = np.stack(drain(sess, row))
    assert first.shape == (10, 3)
    sess.run(it.initializer)
    second = np.stack(drain(sess, row))
    assert second.shape == (10, 3) and not np.allclose(first, second)


def test_structures_tuple_dict_and_numpy(nojit):
    x = np.arange(12, dtype=np.float64).reshape(6, 2)
    y = np.arange(6, dtype=np.int64)
    ds = tf.data.Dataset.from_tensor_slices((x, {"label": y, "w": [1.0] * 6}))
    assert ds.output_types == (tf.float64, {"label": tf.int64, "w": tf.float32})
    assert ds.output_shapes[0] == tf.TensorShape([2])
    nxt = ds.make_one_shot_iterator().get_next()
    assert isinstance(nxt, tuple) and set(nxt[1]) == {"label", "w"}
    sess = tf.Session()
    a, d = sess.run(nxt)
    np.testing.assert_array_equal(a, [0.0, 1.0])
    assert d["label"] == 0 and d["w"] == np.float32(1.0)


def test_from_tensor_slices_mismatched_sizes(nojit):
    with pytest.raises(ValueError):
        tf.data.Dataset.from_tensor_slices((np.zeros(3), np.zeros(4)))
    with pytest.raises(ValueError):
        tf.data.Dataset.from_tensor_slices(np.float32(1.0))


def test_from_tensors_and_placeholder_capture(nojit):
    ph = tf.placeholder(tf.float32, [None])
    ds = tf.data.Dataset.from_tensors(ph)
    assert ds.output_shapes.as_list() == [None]
    it = ds.make_initializable_iterator()
    nxt = it.get_next()
    sess = tf.Session()
    sess.run(it.initializer, {ph: [1.0, 2.0]})
    np.testing.assert_array_equal(sess.run(nxt), [1.0, 2.0])
    with pytest.raises(tf.errors.OutOfRangeError):
        sess.run(nxt)
    sess.run(it.initializer, {ph: [3.0]})
    np.testing.assert_array_equal(sess.run(nxt), [3.0])


def test_range_and_zip(nojit):
    assert flat(tf.data.Dataset.range(5)) == [0, 1, 2, 3, 4]
    assert flat(tf.data.Dataset.range(2, 10, 3)) == [2, 5, 8]
    assert flat(tf.data.Dataset.range(5, 0, -2)) == [5, 3, 1]
    assert tf.data.Dataset.range(3).output_types == tf.int64
    z = tf.data.Dataset.zip((tf.data.Dataset.range(3), tf.data.Dataset.range(10, 20)))
    assert z.output_types == (tf.int64, tf.int64)
    assert [tuple(int(v) for v in e) for e in elements(z)] == [(0, 10), (1, 11), (2, 12)]
    zd = tf.data.Dataset.zip({"a": tf.data.Dataset.range(2),
                              "b": tf.data.Dataset.range(5).filter(lambda x: x % 2 > 0)})
    got = elements(zd)
    assert [(int(e["a"]), int(e["b"])) for e in got] == [(0, 1), (1, 3)]


def test_from_generator(nojit):
    def gen():
        for i in range(3):
            yield i, [float(i)] * (i + 1)

    ds = tf.data.Dataset.from_generator(gen, (tf.int32, tf.float32),
                                        (tf.TensorShape([]), tf.TensorShape([None])))
    assert ds.output_shapes[1].as_list() == [None]
    got = elements(ds)
    assert [int(a) for a, _ in got] == [0, 1, 2]
    assert [b.tolist() for _, b in got] == [[0.0], [1.0, 1.0], [2.0, 2.0, 2.0]]
    padded = elements(ds.padded_batch(2, padded_shapes=([], [None])))
    assert padded[0][1].tolist() == [[0.0, 0.0], [1.0, 1.0]]
    assert padded[1][1].tolist() == [[2.0, 2.0, 2.0]]


# -- transformations ---------------------------------------------------------------------
def test_batch_shapes_and_remainder(nojit):
    ds = tf.data.Dataset.from_tensor_slices(np.arange(10, dtype=np.float32).reshape(5, 2))
    b = ds.batch(2)
    assert b.output_shapes.as_list() == [None, 2]
    got = elements(b)
    assert [g.shape for g in got] == [(2, 2), (2, 2), (1, 2)]
    np.testing.assert_array_equal(np.concatenate(got), np.arange(10).reshape(5, 2))
    d = ds.batch(2, drop_remainder=True)
    assert d.output_shapes.as_list() == [2, 2]
    assert len(elements(d)) == 2
    # batch of batches; batch over a stream (filter) crossing chunk borders
    assert [g.shape for g in elements(ds.batch(2).batch(2))] == [(2, 2, 2), (1, 1, 2)]
    ev = tf.data.Dataset.range(10000).filter(lambda x: tf.equal(x % 3, 0)).batch(1000)
    got = elements(ev)
    assert [len(g) for g in got] == [1000, 1000, 1000, 334]
    np.testing.assert_array_equal(np.concatenate(got), np.arange(0, 10000, 3))


def test_tensor_valued_parameters(nojit):
    batch_size = tf.placeholder(tf.int64, [])
    n = tf.placeholder(tf.int64, [])
    ds = tf.data.Dataset.range(n).repeat(2).batch(batch_size)
    assert ds.output_shapes.as_list() == [None]
    it = ds.make_initializable_iterator()
    nxt = it.get_next()
    sess = tf.Session()
    sess.run(it.initializer, {batch_size: 4, n: 3})
    assert [g.tolist() for g in drain(sess, nxt)] == [[0, 1, 2, 0], [1, 2]]
    sess.run(it.initializer, {batch_size: 5, n: 2})
    assert [g.tolist() for g in drain(sess, nxt)] == [[0, 1, 0, 1]]
    assert flat(tf.data.Dataset.range(4).batch(tf.constant(3, tf.int64),
                                               drop_remainder=True)) == [[0, 1, 2]]


def test_batch_ragged_raises(nojit):
    ds = tf.data.Dataset.range(1, 4).map(lambda n: tf.fill(tf.reshape(tf.to_int32(n), [1]),
                                                            1.0))
    assert ds.output_shapes.as_list() == [None]
    it = ds.batch(3).make_one_shot_iterator().get_next()
    with pytest.raises(tf.errors.InvalidArgumentError, match="different shapes"):
        tf.Session().run(it)


def test_padded_batch(nojit):
    ds = tf.data.Dataset.range(1, 5).map(lambda n: tf.fill(tf.reshape(tf.to_int32(n), [1]), n))
    pb = ds.padded_batch(2, padded_shapes=[None])
    assert pb.output_shapes.as_list() == [None, None]
    got = elements(pb)
    assert got[0].tolist() == [[1, 0], [2, 2]]
    assert got[1].tolist() == [[3, 3, 3, 0], [4, 4, 4, 4]]
    fixed = elements(ds.padded_batch(4, padded_shapes=[5], padding_values=tf.constant(-1,
                                                                                      tf.int64)))
    assert fixed[0].shape == (4, 5) and fixed[0][0].tolist() == [1, -1, -1, -1, -1]


def test_shuffle_seeded_deterministic_and_reshuffles(nojit):
    ds = tf.data.Dataset.range(100).shuffle(100, seed=7).repeat(2)
    a, b = flat(ds), flat(ds)
    assert a == b                       # same seed, same order (new session, re-init)
    assert sorted(a[:100]) == list(range(100)) and sorted(a[100:]) == list(range(100))
    assert a[:100] != list(range(100))  # shuffled
    assert a[:100] != a[100:]           # reshuffled each epoch
    same = flat(tf.data.Dataset.range(50).shuffle(50, seed=3, reshuffle_each_iteration=False)
                .repeat(2))
    assert same[:50] == same[50:]
    # a small buffer only moves elements a bounded distance forward
    small = flat(tf.data.Dataset.range(1000).shuffle(10, seed=1))
    assert sorted(small) == list(range(1000))
    assert all(v <= k + 10 for k, v in enumerate(small)) and small != list(range(1000))


def test_shuffle_graph_seed_and_unseeded(nojit):
    def order():
        tf.reset_default_graph()
        tf.set_random_seed(42)
        return flat(tf.data.Dataset.range(30).shuffle(30))

    assert order() == order()
    tf.reset_default_graph()
    ds = tf.data.Dataset.range(30).shuffle(30)
    assert flat(ds) != flat(ds)  # unseeded: differs between initializations (1/30! chance)


def test_shuffle_stream_input(nojit):
    ds = tf.data.Dataset.range(200).filter(lambda x: x < 150).shuffle(20, seed=5)
    a = flat(ds)
    assert sorted(a) == list(range(150)) and a != list(range(150)) and a == flat(ds)


def test_repeat_take_skip_shard_concat(nojit):
    r = tf.data.Dataset.range(3)
    assert flat(r.repeat(2)) == [0, 1, 2, 0, 1, 2]
    assert flat(r.repeat().take(7)) == [0, 1, 2, 0, 1, 2, 0]
    assert flat(r.take(0)) == [] and flat(r.take(-1)) == [0, 1, 2]
    assert flat(tf.data.Dataset.range(10).skip(7)) == [7, 8, 9]
    assert flat(tf.data.Dataset.range(10).skip(-1)) == []
    odd = tf.data.Dataset.range(10).filter(lambda x: x % 2 > 0)
    assert flat(odd.skip(2).take(2)) == [5, 7]
    assert flat(odd.repeat(2).take(7)) == [1, 3, 5, 7, 9, 1, 3]
    assert flat(r.filter(lambda x: x > 5).repeat()) == []  # empty input: repeat ends
    assert flat(tf.data.Dataset.range(10).shard(3, 1)) == [1, 4, 7]
    assert flat(r.concatenate(tf.data.Dataset.range(5, 7))) == [0, 1, 2, 5, 6]
    with pytest.raises(TypeError):
        r.concatenate(tf.data.Dataset.from_tensor_slices([1.0]))
    assert flat(r.prefetch(1).cache()) == [0, 1, 2]


def test_map_structures_and_filter(nojit):
    ds = tf.data.Dataset.range(6).map(lambda x: (x, tf.cast(x, tf.float32) * 2.0))
    assert ds.output_types == (tf.int64, tf.float32)
    ds = ds.map(lambda a, b: {"a": a + 1, "b": b})
    assert ds.output_types == {"a": tf.int64, "b": tf.float32}
    ds = ds.filter(lambda e: tf.equal(e["a"] % 2, 0))
    got = elements(ds)
    assert [int(e["a"]) for e in got] == [2, 4, 6]
    assert [float(e["b"]) for e in got] == [2.0, 6.0, 10.0]
    with pytest.raises(ValueError, match="scalar boolean"):
        tf.data.Dataset.range(3).filter(lambda x: x)


def test_map_after_batch_sees_batches(nojit):
    ds = tf.data.Dataset.range(10).batch(4).map(lambda b: tf.reduce_sum(b))
    assert ds.output_shapes.as_list() == []
    assert flat(ds) == [6, 22, 17]


def test_map_vectorized_detection(nojit):
    from jitgraph.data.functions import TracedFunction
    from jitgraph.data.structure import Spec
    specs = (Spec(tf.float32, [3]), Spec(tf.int32, []))
    assert TracedFunction(lambda x, y: (x * 2.0 + 1.0, y), specs).vectorized
    assert not TracedFunction(lambda x, y: tf.reduce_sum(x), specs).vectorized
    assert not TracedFunction(lambda x, y: x + tf.cast(y, tf.float32), specs).vectorized
    assert not TracedFunction(lambda x, y: (x, tf.constant(1)), specs).vectorized


def test_functions_capture_enclosing_tensors(nojit):
    scale = tf.constant(2.0)
    ph = tf.placeholder(tf.float32, [])
    ds = tf.data.Dataset.from_tensor_slices(np.arange(4, dtype=np.float32))
    mapped = ds.map(lambda x: x * ph + scale)
    assert mapped._fn.vectorized
    it = mapped.batch(2).make_initializable_iterator()
    nxt = it.get_next()
    sess = tf.Session()
    sess.run(it.initializer, {ph: 10.0})
    assert [g.tolist() for g in drain(sess, nxt)] == [[2.0, 12.0], [22.0, 32.0]]
    sess.run(it.initializer, {ph: 1.0})
    assert sess.run(nxt).tolist() == [2.0, 3.0]
    kept = ds.filter(lambda x: x > ph).make_initializable_iterator()
    sess.run(kept.initializer, {ph: 1.5})
    assert drain(sess, kept.get_next()) == [2.0, 3.0]
    fm = tf.data.Dataset.range(2).flat_map(lambda i: tf.data.Dataset.from_tensors(ph).repeat(i + 1))
    it = fm.make_initializable_iterator()
    sess.run(it.initializer, {ph: 7.0})
    assert drain(sess, it.get_next()) == [7.0, 7.0, 7.0]


def test_flat_map_interleave_unbatch(nojit):
    ds = tf.data.Dataset.range(1, 4).flat_map(
        lambda n: tf.data.Dataset.from_tensors(n).repeat(n))
    assert flat(ds) == [1, 2, 2, 3, 3, 3]
    rows = tf.data.Dataset.from_tensor_slices(np.arange(6).reshape(3, 2)).flat_map(
        lambda r: tf.data.Dataset.from_tensor_slices(r))
    assert flat(rows) == [0, 1, 2, 3, 4, 5]
    inter = tf.data.Dataset.range(1, 4).interleave(
        lambda n: tf.data.Dataset.from_tensors(n).repeat(4), cycle_length=2, block_length=2)
    assert flat(inter) == [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 3, 3]
    ub = tf.data.Dataset.range(5).batch(2).apply(tf.data.experimental.unbatch())
    assert flat(ub) == [0, 1, 2, 3, 4]


# -- iterators ---------------------------------------------------------------------------
def test_reinitializable_iterator_from_structure(nojit):
    train = tf.data.Dataset.range(5).map(lambda x: tf.cast(x, tf.float32))
    val = tf.data.Dataset.from_tensor_slices(np.array([10.0, 20.0], np.float32))
    it = tf.data.Iterator.from_structure(train.output_types, train.output_shapes)
    nxt = it.get_next()
    assert nxt.dtype == tf.float32 and nxt.shape.as_list() == []
    init_train, init_val = it.make_initializer(train), it.make_initializer(val)
    sess = tf.Session()
    sess.run(init_train)
    assert [float(v) for v in drain(sess, nxt)] == [0, 1, 2, 3, 4]
    sess.run(init_val)
    assert float(sess.run(nxt)) == 10.0
    sess.run(init_train)  # restart mid-way
    assert float(sess.run(nxt)) == 0.0
    with pytest.raises(TypeError):
        it.make_initializer(tf.data.Dataset.range(3))
    with pytest.raises(TypeError):
        it.make_initializer(tf.data.Dataset.from_tensor_slices(np.zeros((2, 2), np.float32)))
    with pytest.raises(ValueError, match="does not have an initializer"):
        _ = tf.data.Dataset.range(2).make_one_shot_iterator().initializer


def test_module_level_iterator_functions_and_sessions_independent(nojit):
    ds = tf.data.Dataset.range(3)
    one = tf.data.make_one_shot_iterator(ds).get_next()
    it = tf.data.make_initializable_iterator(ds)
    s1, s2 = tf.Session(), tf.Session()
    assert s1.run(one) == 0 and s1.run(one) == 1 and s2.run(one) == 0
    s1.run(it.initializer)
    assert s1.run(it.get_next()) == 0
    assert tf.get_default_graph().get_collection(tf.GraphKeys.ITERATORS)


def test_get_next_twice_in_one_run_advances_once(nojit):
    nxt = tf.data.Dataset.range(4).make_one_shot_iterator().get_next()
    sess = tf.Session()
    a, b = sess.run((nxt, nxt * 10))
    assert (a, b) == (0, 0)
    assert sess.run(nxt) == 1


def test_elements_are_copies(nojit):
    data = np.zeros((3, 2), np.float32)
    nxt = tf.data.Dataset.from_tensor_slices(data).make_one_shot_iterator().get_next()
    v = tf.Session().run(nxt)
    v[0] = 5.0
    assert data[0, 0] == 0.0


# -- with the JIT ------------------------------------------------------------------------
def test_get_next_feeds_compiled_stage(engine):
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    ds = tf.data.Dataset.from_tensor_slices((x, np.arange(6, dtype=np.float32)))
    ds = ds.map(lambda a, b: (a * 2.0, b + 1.0)).batch(4)
    a, b = ds.make_one_shot_iterator().get_next()
    out = tf.reduce_sum(a, axis=1) * b
    sess = session(jit=engine)
    got = drain(sess, out)
    np.testing.assert_allclose(np.concatenate(got), (x * 2).sum(1) * (np.arange(6) + 1))


def test_map_per_element_compiled():
    ds = tf.data.Dataset.range(5).map(lambda v: tf.reduce_sum(tf.fill([3], v)))
    assert flat(ds) == [0, 3, 6, 9, 12]


def test_training_from_dataset():
    rs = np.random.RandomState(0)
    xs = rs.randn(256, 3).astype(np.float32)
    ys = xs @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3
    ds = tf.data.Dataset.from_tensor_slices((xs, ys)).shuffle(256, seed=1).batch(32).repeat()
    x, y = ds.make_one_shot_iterator().get_next()
    w = tf.Variable(tf.zeros([3, 1]))
    b = tf.Variable(tf.zeros([1]))
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
    if hasattr(tf, "train"):
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    else:
        gw, gb = tf.gradients(loss, [w, b])
        train = tf.group(tf.assign_sub(w, 0.1 * gw), tf.assign_sub(b, 0.1 * gb))
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    first = sess.run(loss)
    for _ in range(200):
        _, last = sess.run((train, loss))
    assert last < 1e-3 < first
    np.testing.assert_allclose(sess.run(w).ravel(), [1.0, -2.0, 0.5], atol=0.02)
    # the batch is pulled in a host stage, the step runs compiled in the same run
    kinds = [st.kind for st in sess._plan_for((train, loss)).stages]
    assert "host" in kinds and kinds[-1] == "kernel"
