"""Reference numbers for tests/test_ops_breadth.py, computed once with TensorFlow 1.x
(tf.compat.v1). Run: python tests/reference/make_ops_breadth.py

The graph builders take the `tf` module to build with: the test builds the very same
graphs with jitgraph (importing this file does not import TensorFlow).
"""
import json
import os
import pathlib

import numpy as np

X = np.array([0.1, -0.4, 0.7, 0.95], np.float32)
GAMMA_X = np.array([0.3, 1.0, 2.5, 10.0, -0.5, -2.3, 0.0, -2.0], np.float32)
SEG = (np.arange(15, dtype=np.float32).reshape(5, 3) % 4) * 0.5 - 0.3
SEG_IDS = [0, 0, 2, 3, 3]
UNSORTED_IDS = [1, -1, 0, 1, 2]
PARAMS = np.arange(12, dtype=np.float32).reshape(4, 3) * 0.25


def special(tf):
    x = tf.placeholder(tf.float32, [None])
    m = tf.math
    ys = [m.erf(x), m.erfc(x), m.lgamma(x + 1.5), m.digamma(x + 1.5), m.acos(x), m.asin(x),
          m.atan(x), m.sinh(x), m.cosh(x), m.asinh(x), m.atanh(x), m.acosh(x + 1.5),
          m.atan2(x, 0.5 - x), m.log_sigmoid(x)]
    grads = [tf.gradients(tf.reduce_sum(y), x)[0] for y in ys]
    return x, X, ys + grads


def gamma_edges(tf):
    x = tf.placeholder(tf.float32, [None])
    return x, GAMMA_X, [tf.math.lgamma(x), tf.math.digamma(x)]


def segments(tf):
    d = tf.placeholder(tf.float32, [None, 3])
    m = tf.math
    outs = [m.segment_sum(d, SEG_IDS), m.segment_mean(d, SEG_IDS), m.segment_max(d, SEG_IDS),
            m.segment_min(d, SEG_IDS), m.segment_prod(d, SEG_IDS),
            m.unsorted_segment_sum(d, UNSORTED_IDS, 4),
            m.unsorted_segment_max(d, UNSORTED_IDS, 4),
            m.unsorted_segment_min(d, UNSORTED_IDS, 3),
            m.unsorted_segment_prod(d, UNSORTED_IDS, 4),
            m.unsorted_segment_mean(d, UNSORTED_IDS, 4),
            m.unsorted_segment_sqrt_n(d, UNSORTED_IDS, 4)]
    w = tf.constant(np.arange(1, 13, dtype=np.float32).reshape(4, 3))
    loss = tf.add_n([tf.reduce_sum(o[:3] * w[:3]) for i, o in enumerate(outs)
                     if i not in (4, 8)])
    return d, SEG, outs + tf.gradients(loss, d)


def gather_scatter(tf):
    p = tf.placeholder(tf.float32, [None, 3])
    idx = [[2, 1], [0, 0], [2, 1]]
    outs = [tf.gather_nd(p, idx), tf.gather_nd(p, [[1], [0]]),
            tf.scatter_nd([[1], [0], [1]], p[:3], [4, 3]),
            tf.tensor_scatter_nd_update(p, [[1], [3]], p[:2] * 3.0),
            tf.tensor_scatter_nd_add(p, idx, [5.0, 6.0, 7.0]),
            tf.tensor_scatter_nd_sub(p, [[0], [0]], p[2:] * 2.0),
            tf.tensor_scatter_nd_max(p, idx, [5.0, 6.0, 7.0])]
    w = tf.constant(np.arange(1, 13, dtype=np.float32).reshape(4, 3))
    loss = (tf.reduce_sum(outs[0] * [1.0, 2.0, 3.0]) + tf.reduce_sum(outs[1] * w[:2])
            + tf.reduce_sum(outs[2] * w) + tf.reduce_sum(outs[3] * w)
            + tf.reduce_sum(outs[5] * w))
    return p, PARAMS, outs + tf.gradients(loss, p)


def partitions(tf):
    d = tf.placeholder(tf.float32, [None, 2])
    parts = tf.dynamic_partition(d, [1, 0, 1, 2], 3)
    st = tf.dynamic_stitch([[0, 2], [1, 3]], [d[:2] * 2.0, d[2:] + 1.0])
    cp = [tf.cumprod(d, 0), tf.cumprod(d, 1, exclusive=True, reverse=True)]
    w = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
    loss = (tf.reduce_sum(parts[0]) * 2.0 + tf.reduce_sum(parts[1] ** 2)
            + tf.reduce_sum(st * w) + tf.reduce_sum(cp[0] * w) + tf.reduce_sum(cp[1] * w))
    x = np.array([[1.0, 2.0], [0.5, -1.5], [3.0, 0.25], [-2.0, 1.5]], np.float32)
    return d, x, parts + [st] + cp + tf.gradients(loss, d)


def nn_ops(tf):
    """Sampled losses with given samples (TF draws from another generator), fused batch
    norm (training, inference, NCHW) and LRN; values and gradients."""
    rs = np.random.RandomState(5)
    x = tf.placeholder(tf.float32, [None, 3, 3, 4])
    w = tf.constant(rs.randn(10, 4).astype(np.float32))
    b = tf.constant(rs.randn(10).astype(np.float32) * 0.1)
    inp = tf.reduce_mean(x, [1, 2])  # [2, 4]
    labels = tf.constant([[1, 7], [3, 0]], tf.int64)
    sampled = (tf.constant([3, 2, 5, 9], tf.int64), tf.constant([[0.5, 0.1], [0.2, 0.3]]),
               tf.constant([0.3, 0.9, 0.25, 0.1]))
    nce = tf.nn.nce_loss(w, b, labels, inp, 4, 10, num_true=2, sampled_values=sampled)
    ssm = tf.nn.sampled_softmax_loss(w, b, labels, inp, 4, 10, num_true=2,
                                     sampled_values=sampled)  # class 3 is an accidental hit
    scale, offset = tf.constant([1.5, 0.5, 1.0, 2.0]), tf.constant([0.1, 0.2, -0.1, 0.0])
    y, m, v = tf.nn.fused_batch_norm(x, scale, offset)
    yi, _, _ = tf.nn.fused_batch_norm(x, scale, offset, mean=m, variance=v,
                                      is_training=False)
    xc = tf.transpose(x, [0, 3, 1, 2])
    yc, mc, vc = tf.nn.fused_batch_norm(xc, scale, offset, data_format="NCHW")
    lrn = tf.nn.lrn(x, depth_radius=2, bias=1.0, alpha=0.5, beta=0.75)
    weights = tf.constant(rs.rand(2, 3, 3, 4).astype(np.float32))
    loss = (tf.reduce_sum(nce) + tf.reduce_sum(ssm) + tf.reduce_sum(y * weights)
            + tf.reduce_sum(yc * tf.transpose(weights, [0, 3, 1, 2]))
            + tf.reduce_sum(lrn * weights) + tf.reduce_sum(m * v))
    value = rs.rand(2, 3, 3, 4).astype(np.float32) * 2 - 0.5
    return x, value, [nce, ssm, y, m, v, yi, yc, mc, vc, lrn] + tf.gradients(loss, x)


def sampler_counts(tf):
    """Expected counts of samplers without `unique` (with it they depend on the draws)."""
    t = tf.placeholder(tf.int64, [None, 2])
    log_u = tf.nn.log_uniform_candidate_sampler(t, 2, 5, False, 20, seed=1)
    uni = tf.nn.uniform_candidate_sampler(t, 2, 5, False, 20, seed=1)
    return t, np.array([[0, 3], [19, 7]], np.int64), [log_u[1], uni[1]]


def einsums(tf):
    a = tf.placeholder(tf.float32, [None, 3])
    rs = np.random.RandomState(6)
    b = tf.constant(rs.rand(3, 4).astype(np.float32))
    c = tf.constant(rs.rand(2, 3, 4).astype(np.float32))
    outs = [tf.einsum("ij,jk->ik", a, b), tf.einsum("ij,kj", a, a),
            tf.einsum("bij,bjk->bik", c[:, :, :3] * a[:, None, :], c),
            tf.einsum("bij,bij->b", c, c * a[:, :, None]), tf.einsum("ij->ji", a),
            tf.einsum("ij,jk,kl->il", a, b, tf.transpose(b)),
            tf.einsum("ijk,k->ij", c * a[0, :, None], b[0])]
    loss = tf.add_n([tf.reduce_sum(o * o) for o in outs])
    return a, rs.rand(2, 3).astype(np.float32), outs + tf.gradients(loss, a)


def sparse(tf):
    """Sparse inputs fed as a SparseTensorValue; dense results and gradients."""
    sp = tf.sparse_placeholder(tf.float32, shape=[3, 4])
    params = tf.constant(np.arange(20, dtype=np.float32).reshape(5, 4) / 10)
    ids = tf.SparseTensor([[0, 0], [0, 1], [2, 0]], tf.constant([1, 3, 4], tf.int64), [3, 2])
    weights = tf.SparseTensor([[0, 0], [0, 1], [2, 0]], sp.values[:3] + 1.0, [3, 2])
    dense = tf.sparse_tensor_to_dense(sp, default_value=-1.0)
    b = tf.constant(np.arange(12, dtype=np.float32).reshape(4, 3))
    outs = [dense, tf.sparse_tensor_dense_matmul(sp, b),
            tf.sparse_tensor_dense_matmul(sp, tf.transpose(b), adjoint_b=True),
            tf.sparse_to_dense([1, 3], [5], 7.0), tf.sparse_add(sp, tf.ones([3, 4]))]
    outs += [tf.nn.embedding_lookup_sparse(params, ids, None, combiner=c)
             for c in ("sum", "mean", "sqrtn")]
    outs += [tf.nn.embedding_lookup_sparse(params, ids, weights, combiner=c)
             for c in ("sum", "sqrtn")]
    loss = tf.add_n([tf.reduce_sum(o * o) for o in outs[1:3] + outs[4:]])
    value = tf.SparseTensorValue([[0, 1], [1, 0], [2, 3]],
                                 np.array([5.0, -2.0, 6.0], np.float32), [3, 4])
    return sp, value, outs + tf.gradients(loss, sp.values)


def variable_scatters(tf):
    """Each update ordered after the one before; the variable's final value."""
    v = tf.Variable(np.arange(8, dtype=np.float32).reshape(4, 2))
    steps = [lambda: tf.scatter_update(v, [0, 2], [[10.0, 10.0], [20.0, 20.0]]),
             lambda: tf.scatter_add(v, [[1, 1]], [[[1.0, 1.0], [2.0, 2.0]]]),
             lambda: tf.scatter_sub(v, 3, [1.0, 1.0]),
             lambda: tf.scatter_mul(v, [0], [[2.0, 3.0]]),
             lambda: tf.scatter_div(v, [2], [[4.0, 5.0]]),
             lambda: tf.scatter_max(v, [1, 3], [[100.0, 0.0], [0.0, 100.0]]),
             lambda: tf.scatter_min(v, [0], [[-1.0, 50.0]]),
             lambda: tf.scatter_nd_update(v, [[0, 1]], [-7.0]),
             lambda: tf.scatter_nd_add(v, [[3, 0]], [0.5]),
             lambda: tf.scatter_nd_sub(v, [[3, 1]], [0.25])]
    last = None
    for step in steps:
        with tf.control_dependencies([last] if last is not None else []):
            last = step()
    return v, last


GRAPHS = ["special", "gamma_edges", "segments", "gather_scatter", "partitions", "nn_ops",
          "sampler_counts", "einsums", "sparse"]


def main():
    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()
    out = {}
    for name in GRAPHS:
        build = globals()[name]
        with tf.Graph().as_default():
            ph, value, fetch = build(tf)
            with tf.Session() as s:
                out[name] = [np.asarray(r).tolist() for r in s.run(fetch, {ph: value})]
    with tf.Graph().as_default():
        v, last = variable_scatters(tf)
        with tf.Session() as s:
            s.run(v.initializer)
            out["variable_scatters"] = [s.run(last).tolist(), s.run(v).tolist()]
    path = pathlib.Path(__file__).with_name("ops_breadth.json")
    path.write_text(json.dumps(out) + "\n")  # NaN/Infinity as Python's json writes them
    print(f"wrote {path}")


if __name__ == "__main__":
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    main()
