"""Slicing and array-manipulation ops: both engines against numpy, static shapes as TF
prints them, TF's errors, and gradients (finite differences and TF's own numbers).

Many fetches share one graph so the number of compiled signatures stays small.
"""
import json
import os

import numpy as np
import pytest
from helpers import check_gradients, run_both, run_on, session
from hypothesis import given, settings
from hypothesis import strategies as st

import jitgraph as tf

RNG = np.random.RandomState(0)
X3 = RNG.randn(4, 5, 6).astype(np.float32)
X2 = RNG.randn(3, 4).astype(np.float32)


# -- getitem / strided_slice / slice -------------------------------------------------------
def test_getitem_static_shapes_print_like_tf():
    x = tf.placeholder(tf.float32, [None, 4])
    assert str(x[:, 1].shape) == "(?,)"
    assert str(x[1].shape) == "(4,)"
    assert str(x[1:3, ::2].shape) == "(?, 2)"
    assert str(x[..., tf.newaxis].shape) == "(?, 4, 1)"
    assert str(x[None, :, -1].shape) == "(1, ?)"
    assert str(x[0, 0].shape) == "()"
    y = tf.placeholder(tf.float32, [5, 6, 7])
    assert y[1:-1, ::-2, 3].shape.as_list() == [3, 3]
    assert y[..., 1:3].shape.as_list() == [5, 6, 2]
    assert y[::3, ..., None, 2].shape.as_list() == [2, 6, 1]
    i = tf.placeholder(tf.int32, [])
    assert y[i].shape.as_list() == [6, 7]
    assert str(y[i:, 1].shape) == "(?, 7)"
    z = x[1]
    assert z.op.type == "StridedSlice" and z.op.name.startswith("strided_slice_")
    assert tf.placeholder(tf.float32).__getitem__(1).shape.ndims is None


def test_getitem_both_engines():
    x = tf.placeholder(tf.float32, [None, 5, 6])
    i = tf.placeholder(tf.int32, [])
    keys = [(1,), (-1,), (slice(1, 3), 2), (Ellipsis, 1), (slice(None, None, -1),),
            (slice(None), slice(None, None, -2), slice(4, 0, -3)),
            (None, 0, Ellipsis, None), (2, 3, 4), (Ellipsis, None), (slice(-3, None), -2),
            (slice(10, 20),), (1, slice(None), slice(1, 2))]
    fetches = [x[k] for k in keys]
    fetches += [x[i], x[:, i], x[i:i + 2, 1, -i]]
    out = run_both(fetches, {x: X3, i: 2})
    for k, got in zip(keys, out):
        np.testing.assert_array_equal(got, X3[k], err_msg=str(k))
    np.testing.assert_array_equal(out[len(keys)], X3[2])
    np.testing.assert_array_equal(out[len(keys) + 1], X3[:, 2])
    np.testing.assert_array_equal(out[len(keys) + 2], X3[2:4, 1, -2])


def test_strided_slice_and_slice():
    x = tf.placeholder(tf.float32, [None, 5, 6])
    b = tf.placeholder(tf.int32, [3])
    a = tf.strided_slice(x, [1, 0, 5], [3, 0, 0], [1, 1, -2], begin_mask=2, end_mask=6)
    s = tf.strided_slice(x, [0, 2], [0, 0], shrink_axis_mask=2, end_mask=1)
    c = tf.slice(x, [1, 0, 2], [2, -1, 3])
    d = tf.slice(x, b, [1, 2, -1])
    assert a.shape.as_list() == [None, 5, 3]
    assert s.shape.as_list() == [None, 6]
    assert c.shape.as_list() == [2, 5, 3]
    assert d.shape.as_list() == [1, 2, None]
    out = run_both([a, s, c, d], {x: X3, b: [2, 1, 3]})
    np.testing.assert_array_equal(out[0], X3[1:3, :, 5::-2])
    np.testing.assert_array_equal(out[1], X3[:, 2])
    np.testing.assert_array_equal(out[2], X3[1:3, :, 2:5])
    np.testing.assert_array_equal(out[3], X3[2:3, 1:3, 3:])


def test_slice_errors(engine):
    x = tf.placeholder(tf.float32, [4, 5])
    with pytest.raises(ValueError, match=r"Expected size\[1\] in \[0, 3\], but got 4"):
        tf.slice(x, [0, 2], [1, 4])
    with pytest.raises(TypeError, match="Only integers, slices"):
        x[1.5]
    with pytest.raises(ValueError, match="Index out of range using input dim 2"):
        x[1, 2, 3]
    with pytest.raises(ValueError, match="slice index 7 of dimension 0 out of bounds"):
        x[7]
    y = tf.placeholder(tf.float32, [None, 5])
    i = tf.placeholder(tf.int32, [])
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of bounds"):
        session(jit=engine).run(y[i], {y: np.zeros((2, 5), np.float32), i: 3})


_INDEX = st.one_of(st.integers(-4, 3), st.just(None), st.just(Ellipsis),
                   st.builds(slice, st.one_of(st.none(), st.integers(-6, 6)),
                             st.one_of(st.none(), st.integers(-6, 6)),
                             st.one_of(st.none(), st.sampled_from([-3, -2, -1, 1, 2, 3]))))


@settings(max_examples=150, deadline=None)
@given(st.lists(_INDEX, min_size=1, max_size=4))
def test_getitem_random_keys_match_numpy(key):
    """Random keys against numpy indexing: values (interpreter) and exact static shapes."""
    key = tuple(key)
    if key.count(Ellipsis) > 1 or sum(k is not None and k is not Ellipsis for k in key) > 3:
        return
    arr = np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6)
    try:
        expect = arr[key]
    except IndexError:
        with pytest.raises((ValueError, tf.errors.InvalidArgumentError)):
            tf.constant(arr)[key]
        return
    g = tf.Graph()
    with g.as_default():
        y = tf.constant(arr)[key]
        unknown = tf.placeholder(tf.float32, [None, 5, None])[key]
    assert y.shape.as_list() == list(expect.shape)
    assert unknown.shape.ndims == expect.ndim
    got = session(g, jit=False).run(y)
    np.testing.assert_array_equal(got, expect)


def test_getitem_and_slice_gradients(heavy_engine):
    x = RNG.randn(4, 5).astype(np.float64)
    check_gradients(lambda x: x[1:3, ::-2] * 2.0 + x[-1, None, 1:4] ** 2, {"x": x},
                    engine=heavy_engine)
    check_gradients(lambda x: tf.slice(x, [1, 1], [2, -1]) ** 2 + x[2, 3], {"x": x},
                    engine=heavy_engine)
    check_gradients(lambda x: tf.strided_slice(x, [3, 0], [0, 5], [-1, 2]) * x[1:, 0:1],
                    {"x": x}, engine=heavy_engine)


# -- transpose / concat / split -------------------------------------------------------------
def test_transpose_concat_split_both_engines():
    x = tf.placeholder(tf.float32, [None, 5, 6])
    y = tf.placeholder(tf.float32, [None, 5, 2])
    t = tf.transpose(x, [2, 0, 1])
    t2 = tf.transpose(x)
    c = tf.concat([x, y, x], axis=-1)
    c0 = tf.concat([x, x], 0)
    s1, s2, s3 = tf.split(x, 3, axis=2)
    v1, v2, v3 = tf.split(x, [1, -1, 2], axis=1)
    assert t.shape.as_list() == [6, None, 5] and t2.shape.as_list() == [6, 5, None]
    assert c.shape.as_list() == [None, 5, 14] and c0.shape.as_list() == [None, 5, 6]
    assert s1.shape.as_list() == [None, 5, 2] and v2.shape.as_list() == [None, 2, 6]
    yv = RNG.randn(4, 5, 2).astype(np.float32)
    out = run_both([t, t2, c, c0, s1, s2, s3, v1, v2, v3], {x: X3, y: yv})
    np.testing.assert_array_equal(out[0], X3.transpose(2, 0, 1))
    np.testing.assert_array_equal(out[1], X3.T)
    np.testing.assert_array_equal(out[2], np.concatenate([X3, yv, X3], -1))
    np.testing.assert_array_equal(out[3], np.concatenate([X3, X3], 0))
    for got, exp in zip(out[4:7], np.split(X3, 3, axis=2)):
        np.testing.assert_array_equal(got, exp)
    for got, exp in zip(out[7:], np.split(X3, [1, 3], axis=1)):
        np.testing.assert_array_equal(got, exp)


def test_transpose_concat_split_errors():
    a = tf.placeholder(tf.float32, [2, 3])
    b = tf.placeholder(tf.float32, [3])
    with pytest.raises(ValueError, match=r"Shape must be rank 2 but is rank 1 for 'concat' "
                                         r"\(op: 'ConcatV2'\) with input shapes: \[2,3\], \[3\]"):
        tf.concat([a, b], 0)
    with pytest.raises(ValueError, match="Dimension 1 in both shapes must be equal"):
        tf.concat([a, tf.placeholder(tf.float32, [2, 4])], 0)
    with pytest.raises(ValueError, match="perm dim 2 is out of range of input rank 2"):
        tf.transpose(a, [0, 2])
    with pytest.raises(ValueError, match="Dimension must be 2 but is 3"):
        tf.transpose(a, [0, 1, 2])
    with pytest.raises(ValueError, match="evenly divisible by 2 but is 3"):
        tf.split(a, 2, axis=1)
    assert tf.concat([a], 0).op.type == "Identity"


def test_transpose_concat_split_gradients(engine):
    def build(a, b):
        c = tf.concat([a, tf.transpose(b)], axis=-1)
        p, q = tf.split(c, [2, -1], axis=1)
        r, s = tf.split(tf.transpose(c), 2, axis=0)
        return tf.reduce_sum(p * 3.0) + tf.reduce_sum(q ** 2) + tf.reduce_sum(r * s)
    check_gradients(build, {"a": RNG.randn(3, 4), "b": RNG.randn(2, 3)}, engine=engine)


# -- tile / pad / reverse / cumsum / broadcast_to / clip ---------------------------------------
def test_tile_pad_reverse_cumsum_both_engines():
    x = tf.placeholder(tf.float32, [None, 4])
    fetches = {
        "tile": tf.tile(x, [2, 3]),
        "pad": tf.pad(x, [[1, 2], [0, 1]], constant_values=-1.0),
        "reflect": tf.pad(x, [[2, 1], [3, 0]], mode="REFLECT"),
        "symmetric": tf.pad(x, [[3, 0], [1, 4]], mode="symmetric"),
        "rev": tf.reverse(x, [-1]),
        "rev01": tf.reverse(x, [0, 1]),
        "cumsum": tf.cumsum(x, axis=1),
        "cumsum_ex": tf.cumsum(x, axis=0, exclusive=True),
        "cumsum_rev": tf.cumsum(x, axis=1, reverse=True, exclusive=True),
        "bcast": tf.broadcast_to(x[0], [2, 3, 4]),
        "clip": tf.clip_by_value(x, -0.5, 0.5),
        "clip_t": tf.clip_by_value(x, x[:, :1], 0.3),
    }
    assert fetches["tile"].shape.as_list() == [None, 12]
    assert fetches["pad"].shape.as_list() == [None, 5]
    assert fetches["bcast"].shape.as_list() == [2, 3, 4]
    out = run_both(fetches, {x: X2})
    np.testing.assert_array_equal(out["tile"], np.tile(X2, [2, 3]))
    np.testing.assert_array_equal(out["pad"], np.pad(X2, [[1, 2], [0, 1]], constant_values=-1))
    np.testing.assert_array_equal(out["reflect"], np.pad(X2, [[2, 1], [3, 0]], mode="reflect"))
    np.testing.assert_array_equal(out["symmetric"],
                                  np.pad(X2, [[3, 0], [1, 4]], mode="symmetric"))
    np.testing.assert_array_equal(out["rev"], X2[:, ::-1])
    np.testing.assert_array_equal(out["rev01"], X2[::-1, ::-1])
    np.testing.assert_allclose(out["cumsum"], np.cumsum(X2, 1), rtol=1e-6)
    np.testing.assert_allclose(out["cumsum_ex"], np.cumsum(X2, 0) - X2, atol=1e-6)
    rc = np.cumsum(X2[:, ::-1], 1)[:, ::-1] - X2
    np.testing.assert_allclose(out["cumsum_rev"], rc, atol=1e-6)
    np.testing.assert_array_equal(out["bcast"], np.broadcast_to(X2[0], [2, 3, 4]))
    np.testing.assert_array_equal(out["clip"], np.clip(X2, -0.5, 0.5))
    np.testing.assert_array_equal(out["clip_t"], np.minimum(np.maximum(X2, X2[:, :1]), 0.3))


def test_pad_errors():
    x = tf.placeholder(tf.float32, [3, 4])
    with pytest.raises(ValueError, match="paddings must be less than the dimension size"):
        tf.pad(x, [[3, 0], [0, 0]], mode="REFLECT")
    with pytest.raises(ValueError, match="Unknown padding mode"):
        tf.pad(x, [[1, 0], [0, 0]], mode="WRAP")


def test_tile_pad_reverse_cumsum_gradients(heavy_engine):
    def build(x, lo):
        y = tf.tile(x, [2, 1]) * tf.pad(x, [[1, 2], [0, 0]], mode="REFLECT")[:6]
        z = tf.pad(x, [[2, 2], [1, 3]], mode="SYMMETRIC") ** 2
        w = tf.pad(x, [[0, 1], [2, 0]]) * 1.5
        v = tf.reverse(x, [1]) * tf.cumsum(x, axis=1, exclusive=True)
        u = tf.clip_by_value(x, lo, 0.5) * tf.broadcast_to(lo, [3, 4])
        return [tf.reduce_sum(t) for t in (y, z, w, v, u)]
    x = np.array([[0.1, -1.2, 0.7, 2.0], [1.1, 0.3, -0.4, 0.9], [-0.8, 0.6, 1.5, -2.1]])
    check_gradients(lambda x, lo: tf.add_n(build(x, lo)), {"x": x, "lo": [[-0.3]]},
                    engine=heavy_engine)


# -- gather / one_hot / argmax / range / where / boolean_mask ----------------------------------
def test_gather_one_hot_argmax_range_both_engines():
    p = tf.placeholder(tf.float32, [None, 4])
    idx = tf.placeholder(tf.int32, [None])
    n = tf.placeholder(tf.int32, [])
    fetches = {
        "g0": tf.gather(p, idx),
        "g1": tf.gather(p, [[3, 0], [1, 1]], axis=1),
        "gs": tf.gather(p, 2),
        "oh": tf.one_hot(idx, 4),
        "oh0": tf.one_hot(idx, 3, on_value=5, off_value=-1, axis=0),
        "amax": tf.argmax(p, axis=1),
        "amin": tf.argmin(p, 0, output_type=tf.int32),
        "amax_dim": tf.argmax(p, dimension=-1),
        "r1": tf.range(n),
        "r2": tf.range(1, n, 2),
        "r3": tf.range(3.0, -1.0, -0.5),
        "r4": tf.range(n, dtype=tf.float64),
    }
    assert fetches["g0"].shape.as_list() == [None, 4]
    assert fetches["g1"].shape.as_list() == [None, 2, 2]
    assert fetches["oh"].dtype == tf.float32 and fetches["oh0"].dtype == tf.int32
    assert fetches["oh0"].shape.as_list() == [3, None]
    assert fetches["amax"].dtype == tf.int64 and fetches["amax"].shape.as_list() == [None]
    assert fetches["r3"].shape.as_list() == [8] and fetches["r3"].dtype == tf.float32
    iv = np.array([2, 0, 1, 1], np.int32)
    out = run_both(fetches, {p: X2, idx: iv, n: 7})
    np.testing.assert_array_equal(out["g0"], X2[iv])
    np.testing.assert_array_equal(out["g1"], X2[:, [[3, 0], [1, 1]]])
    np.testing.assert_array_equal(out["gs"], X2[2])
    np.testing.assert_array_equal(out["oh"], np.eye(4, dtype=np.float32)[iv])
    oh0 = np.where(np.arange(3)[:, None] == iv[None], 5, -1)
    np.testing.assert_array_equal(out["oh0"], oh0)
    np.testing.assert_array_equal(out["amax"], X2.argmax(1))
    assert out["amin"].dtype == np.int32
    np.testing.assert_array_equal(out["amin"], X2.argmin(0))
    np.testing.assert_array_equal(out["amax_dim"], X2.argmax(-1))
    np.testing.assert_array_equal(out["r1"], np.arange(7))
    np.testing.assert_array_equal(out["r2"], np.arange(1, 7, 2))
    np.testing.assert_array_equal(out["r3"], np.arange(3.0, -1.0, -0.5, dtype=np.float32))
    assert out["r4"].dtype == np.float64


def test_gather_out_of_range_is_invalid_argument(engine):
    p = tf.placeholder(tf.float32, [5, 2])
    idx = tf.placeholder(tf.int32, [None])
    y = tf.gather(p, idx)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"indices\[3\] = 7 is not in \[0, 5\)"):
        session(jit=engine).run(y, {p: np.zeros((5, 2), np.float32),
                                    idx: np.array([0, 1, 4, 7], np.int32)})


def test_gather_out_of_range_names_position_in_nd_indices(engine):
    p = tf.placeholder(tf.float32, [None, 2])
    idx = tf.placeholder(tf.int32, [None, 2])
    y = tf.gather(p, idx)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"indices\[1,0\] = -1 is not in \[0, 3\)"):
        session(jit=engine).run(y, {p: np.zeros((3, 2), np.float32),
                                    idx: np.array([[0, 1], [-1, 2]], np.int32)})


def test_gradients_with_unknown_dims_match_known_dims(heavy_engine):
    """The gradient builders' dynamic-shape paths (Shape ops, computed sizes) agree with
    the static ones, which check_gradients verifies numerically."""
    xv = RNG.randn(3, 4).astype(np.float32)
    grads, feeds = [], {}
    for shape in ([3, 4], [None, None]):
        x = tf.placeholder(tf.float32, shape)
        y = tf.placeholder(tf.float32, shape)
        feeds.update({x: xv, y: xv * 0.5})
        terms = [tf.concat([x, y * 2.0], 1), tf.tile(x, [2, 3]), tf.slice(x, [1, 1], [-1, 2]),
                 tf.gather(x, [2, 2, 0], axis=1), x[1:, ::-1], tf.split(x, [1, 3], 1)[1]]
        loss = tf.add_n([tf.reduce_sum(t * t) for t in terms])
        grads.append(tf.gradients(loss, [x, y]))
    known = session(jit=False).run(grads[0], feeds)
    dynamic = run_on(heavy_engine, grads[1], feeds)
    for a, b in zip(known, dynamic):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_one_hot_out_of_range_and_where_boolean_mask():
    c = tf.placeholder(tf.float32, [None, 4])
    m = tf.placeholder(tf.bool, [None])
    fetches = {
        "oh": tf.one_hot([[0, 5], [-1, 2]], 3, dtype=tf.int64),
        "where": tf.where(c > 0.0),
        "bm": tf.boolean_mask(c, m),
        "bm2": tf.boolean_mask(c, c > 0.0),
        "bm_axis": tf.boolean_mask(c, [True, False, True, True], axis=1),
    }
    assert fetches["where"].dtype == tf.int64 and fetches["where"].shape.as_list() == [None, 2]
    assert fetches["bm"].shape.as_list() == [None, 4]
    assert fetches["bm_axis"].shape.as_list() == [None, None]
    mv = np.array([True, False, True])
    out = run_both(fetches, {c: X2, m: mv})
    np.testing.assert_array_equal(out["oh"], [[[1, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 1]]])
    np.testing.assert_array_equal(out["where"], np.argwhere(X2 > 0))
    np.testing.assert_array_equal(out["bm"], X2[mv])
    np.testing.assert_array_equal(out["bm2"], X2[X2 > 0])
    np.testing.assert_array_equal(out["bm_axis"], X2[:, [0, 2, 3]])


def test_gather_boolean_mask_gradients(heavy_engine):
    idx = np.array([[0, 2], [2, 4]], np.int32)

    def build(p, q):
        a = tf.gather(p, idx) * tf.gather(p, 1)
        b = tf.gather(q, [2, 0, 2], axis=1) ** 2
        c = tf.boolean_mask(q, [[True, False, True], [False, True, True]]) * 3.0
        return tf.reduce_sum(a) + tf.reduce_sum(b) + tf.reduce_sum(c)
    check_gradients(build, {"p": RNG.randn(5, 3), "q": RNG.randn(2, 3)}, engine=heavy_engine)


# -- tensordot --------------------------------------------------------------------------------
def test_tensordot_values_and_gradients(heavy_engine):
    a = tf.placeholder(tf.float32, [None, 3, 4])
    b = tf.constant(RNG.randn(4, 3, 2).astype(np.float32))
    t1 = tf.tensordot(a, b, [[1, 2], [1, 0]])
    t2 = tf.tensordot(a, b[:, :, 0], 1)
    t0 = tf.tensordot(X2, X2[0], 0)
    assert t1.shape.ndims == 2 and t2.shape.ndims == 3
    assert t0.shape.as_list() == [3, 4, 4]
    av = RNG.randn(2, 3, 4).astype(np.float32)
    out = run_on(heavy_engine, [t1, t2, t0], {a: av})
    bv = tf.Session().run(b)
    np.testing.assert_allclose(out[0], np.tensordot(av, bv, [[1, 2], [1, 0]]), rtol=1e-4,
                               atol=1e-5)
    np.testing.assert_allclose(out[1], np.tensordot(av, bv[:, :, 0], 1), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out[2], np.tensordot(X2, X2[0], 0), rtol=1e-5)
    check_gradients(lambda x, y: tf.tensordot(x, y, [[0, 2], [1, 0]]),
                    {"x": RNG.randn(2, 3, 2), "y": RNG.randn(2, 2, 3)}, engine=heavy_engine)
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        tf.tensordot(a, b, [[1], [0]])


# -- TF's own gradient numbers -------------------------------------------------------------------
_REF = os.path.join(os.path.dirname(__file__), "reference")


def test_gradients_match_tensorflow_reference():
    import sys
    sys.path.insert(0, _REF)
    from reference_data import gradient_inputs
    with open(os.path.join(_REF, "tf_reference.json")) as f:
        cases = json.load(f)["gradients"]["cases"]
    data = gradient_inputs()
    c = {k: tf.constant(v) for k, v in data.items()}

    def var(name):
        return tf.placeholder_with_default(data[name], data[name].shape)
    p, cc = var("params53"), c["c43"]
    g1 = tf.gradients(tf.reduce_sum(tf.gather(p, c["gather_idx"]) * cc), [p])
    a, b = var("a23"), var("b22")
    s1, s2 = tf.split(tf.concat([a, b], axis=1), [1, 4], axis=1)
    g2 = tf.gradients(tf.reduce_sum(s1 * 2.0) + tf.reduce_sum(s2 ** 2), [a, b])
    x = var("x234")
    g3 = tf.gradients(tf.reduce_sum(tf.reshape(tf.transpose(x, [2, 0, 1]), [4, 6]) * c["c46"]),
                      [x])
    x34 = var("x34")
    _, m, _ = tf.split(x34, 3, axis=0)
    g4 = tf.gradients(tf.reduce_sum(m * c["w4"]), [x34])
    out = run_both([g1, g2, g3, g4])
    ref = [cases["gather"]["grads"]["params"], cases["concat_split"]["grads"]["a"],
           cases["concat_split"]["grads"]["b"], cases["transpose_reshape"]["grads"]["x"],
           cases["split_unused_output"]["grads"]["x"]]
    got = [out[0][0], out[1][0], out[1][1], out[2][0], out[3][0]]
    for gv, rv in zip(got, ref):
        np.testing.assert_allclose(gv, np.asarray(rv, np.float32), rtol=1e-5, atol=1e-6)


def test_zeros_ones_fill_take_shape_lists_holding_tensors(engine):
    # TF packs such a list, and keeps its constant entries as the static shape.
    from helpers import run_on
    x = tf.placeholder(tf.float32, [None, 3])
    z = tf.zeros([tf.shape(x)[0], 128])
    o = tf.ones([tf.shape(x)[0], 2], tf.int32)
    f = tf.fill([2, tf.shape(x)[1]], 1.5)
    assert (z.shape.as_list(), o.shape.as_list(), f.shape.as_list()) == (
        [None, 128], [None, 2], [2, None])
    zv, ov, fv = run_on(engine, (z, o, f), {x: np.ones((5, 3), np.float32)})
    assert zv.shape == (5, 128) and not zv.any()
    np.testing.assert_array_equal(ov, np.ones((5, 2), np.int32))
    np.testing.assert_array_equal(fv, np.full((2, 3), 1.5, np.float32))
