"""TF 1.x programs using control flow, written once for both TensorFlow and jitgraph.

Each `build_<name>(tf)` builds its program in the default graph of the module it is
given (`tensorflow.compat.v1` in make_tf_control_flow.py, `jitgraph` in the tests)
and returns `(fetches, runs)`: a dict of named tensors, and a list of feed dicts
(placeholder -> numpy value) to run them with. Initial weights come from numpy
(constant initializers), so both engines start from the same numbers.
"""
import numpy as np


def _w(seed, shape, scale=0.5):
    return (np.random.RandomState(seed).uniform(-1, 1, shape) * scale).astype(np.float32)


def _grads(tf, fetches, loss, xs):
    for name, g in zip(xs, tf.gradients(loss, list(xs.values()))):
        fetches["d_" + name] = g
    return fetches


def build_cond(tf):
    x = tf.placeholder(tf.float32, [2, 3], name="x")
    p = tf.placeholder(tf.bool, [], name="p")
    w = tf.get_variable("w", initializer=tf.constant(_w(1, [3, 3])))
    y = tf.cond(p, lambda: tf.matmul(x, w) * 2.0, lambda: tf.tanh(x) + w[0])
    z = tf.cond(tf.reduce_sum(x) > 0.0,
                lambda: tf.cond(p, lambda: x * x, lambda: -x),
                lambda: (x, x * 3.0)[0])
    pair = tf.cond(p, true_fn=lambda: (x[0], {"s": tf.reduce_sum(w)}),
                   false_fn=lambda: (x[1] * 2.0, {"s": tf.constant(1.0)}))
    loss = tf.reduce_sum(y * y) + tf.reduce_sum(z * y) + tf.reduce_sum(pair[0]) * pair[1]["s"]
    fetches = _grads(tf, {"y": y, "z": z, "pair0": pair[0], "loss": loss}, loss,
                     {"x": x, "w": w})
    xv = _w(2, [2, 3], 1.0)
    return fetches, [{x: xv, p: True}, {x: xv, p: False}, {x: -np.abs(xv), p: True}]


def build_case(tf):
    v = tf.placeholder(tf.float32, [], name="v")
    r = tf.case([(v < 0.0, lambda: v * 2.0), (v < 1.0, lambda: v + 10.0)],
                default=lambda: v * v)
    e = tf.case([(v < 0.0, lambda: v - 1.0), (v >= 0.0, lambda: v * 4.0)], exclusive=True)
    loss = r * e
    return _grads(tf, {"r": r, "e": e}, loss, {"v": v}), [{v: -1.5}, {v: 0.5}, {v: 3.0}]


def build_while(tf):
    x = tf.placeholder(tf.float32, [3], name="x")
    w = tf.get_variable("w", initializer=tf.constant(_w(3, [3, 3])))

    def body(i, ab):
        a, b = ab
        a = tf.tanh(tf.matmul(a[None], w)[0] + x)
        return i + 1, (a, b + a * tf.cast(i, tf.float32))

    i, (a, b) = tf.while_loop(lambda i, ab: i < 10, body, (tf.constant(0), (x, tf.zeros([3]))),
                              maximum_iterations=4)
    # A loop variable whose shape grows, allowed by its shape invariant.
    _, grown = tf.while_loop(lambda k, s: k < 3, lambda k, s: (k + 1, tf.concat([s, s * 0.5], 0)),
                             [0, x], shape_invariants=[tf.TensorShape([]),
                                                       tf.TensorShape([None])])
    # A loop inside a loop, and a cond inside a loop.
    def outer(k, acc):
        _, inner = tf.while_loop(lambda j, c: j < k, lambda j, c: (j + 1, c * 0.9 + x), (0, acc))
        return k + 1, tf.cond(k > 1, lambda: inner * 0.5, lambda: inner + 1.0)

    _, nested = tf.while_loop(lambda k, acc: k < 3, outer, (0, x))
    loss = tf.reduce_sum(a * b) + tf.reduce_sum(nested * nested)
    fetches = _grads(tf, {"i": i, "a": a, "b": b, "grown": grown, "nested": nested,
                          "loss": loss}, loss, {"x": x, "w": w})
    return fetches, [{x: _w(4, [3], 1.0)}]


def build_functional(tf):
    x = tf.placeholder(tf.float32, [4, 3], name="x")
    m = tf.map_fn(lambda r: (r * r, tf.reduce_sum(r)), x, dtype=(tf.float32, tf.float32))
    s = tf.scan(lambda a, r: a * 0.5 + tf.sin(r), x)
    s2 = tf.scan(lambda a, r: (a[0] + r, a[1] * r), x,
                 initializer=(tf.zeros([3]), tf.ones([3])), reverse=True)
    fl = tf.foldl(lambda a, r: a * 0.5 + r * r, x)
    fr = tf.foldr(lambda a, r: a * 0.5 + r, x, initializer=tf.ones([3]))
    loss = (tf.reduce_sum(m[0]) + tf.reduce_sum(m[1] * m[1]) + tf.reduce_sum(s * s)
            + tf.reduce_sum(s2[0] * s2[1]) + tf.reduce_sum(fl * fr))
    fetches = _grads(tf, {"m0": m[0], "m1": m[1], "s": s, "s2a": s2[0], "s2b": s2[1],
                          "fl": fl, "fr": fr}, loss, {"x": x})
    return fetches, [{x: _w(5, [4, 3], 1.0)}]


def build_tensor_array(tf):
    x = tf.placeholder(tf.float32, [5, 2], name="x")
    ta = tf.TensorArray(tf.float32, size=5).unstack(x)
    rev = tf.TensorArray(tf.float32, size=0, dynamic_size=True, clear_after_read=False)

    def body(i, rev):
        return i + 1, rev.write(i, ta.read(4 - i) * tf.cast(i + 1, tf.float32))

    _, rev = tf.while_loop(lambda i, _: i < 5, body, (0, rev))
    stacked = rev.stack()
    picked = rev.gather([4, 0, 2])
    sc = tf.TensorArray(tf.float32, size=3).scatter([2, 0, 1], x[:3] * 2.0)
    cat = tf.TensorArray(tf.float32, size=2, infer_shape=False).write(0, x[:2]).write(1, x[2:])
    sp = tf.TensorArray(tf.float32, size=2, infer_shape=False).split(x, [3, 2]).read(1)
    scattered, concat = sc.stack(), cat.concat()
    loss = (tf.reduce_sum(stacked * stacked) + tf.reduce_sum(picked) + tf.reduce_sum(scattered)
            + tf.reduce_sum(concat * 3.0) + tf.reduce_sum(sp * sp))
    fetches = _grads(tf, {"stacked": stacked, "picked": picked, "size": rev.size(),
                          "scattered": scattered, "concat": concat, "split1": sp}, loss,
                     {"x": x})
    return fetches, [{x: _w(6, [5, 2], 1.0)}]


PROGRAMS = ["cond", "case", "while", "functional", "tensor_array"]
