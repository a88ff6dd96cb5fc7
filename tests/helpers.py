"""Shared test helpers: run a graph on both engines, check gradients numerically."""
from __future__ import annotations

import numpy as np

import jitgraph as tf


def session(graph=None, jit=True):
    """A Session on `graph` using the JIT (jit=True) or the numpy interpreter."""
    sess = tf.Session(graph=graph)
    sess.jit = jit
    return sess


def run_both(fetches, feed_dict=None, graph=None, init=None, rtol=1e-5, atol=1e-6):
    """Runs `fetches` on the JIT and on the interpreter, asserts they agree, returns the JIT's.

    `init` (ops to run first on each session, e.g. variable initializers) is optional.
    """
    results = []
    for jit in (True, False):
        sess = session(graph, jit)
        if init is not None:
            sess.run(init)
        results.append(sess.run(fetches, feed_dict))
    assert_structures_close(results[0], results[1], rtol, atol)
    return results[0]


def assert_structures_close(a, b, rtol=1e-5, atol=1e-6):
    fa, fb = tf.nest.flatten(a), tf.nest.flatten(b)
    assert len(fa) == len(fb)
    for x, y in zip(fa, fb):
        if x is None or y is None:
            assert x is None and y is None
            continue
        x, y = np.asarray(x), np.asarray(y)
        assert x.shape == y.shape, (x.shape, y.shape)
        assert x.dtype == y.dtype, (x.dtype, y.dtype)
        if x.dtype.kind in "fc":
            np.testing.assert_allclose(x, y, rtol=rtol, atol=atol)
        else:
            np.testing.assert_array_equal(x, y)


def check_gradients(build, inputs: dict, eps=1e-3, rtol=2e-2, atol=2e-3, jit=True):
    """Compares tf.gradients with central finite differences (in float64).

    `build(**placeholders) -> scalar-or-tensor y` builds the function; `inputs` maps
    argument names to float arrays. The gradient of sum(y) is checked on both engines.
    """
    g = tf.Graph()
    with g.as_default():
        phs = {k: tf.placeholder(tf.float64, np.shape(v), name=k) for k, v in inputs.items()}
        y = tf.reduce_sum(build(**phs))
        grads = tf.gradients(y, list(phs.values()))
    feeds = {phs[k]: np.asarray(v, np.float64) for k, v in inputs.items()}
    for use_jit in ((True, False) if jit else (False,)):
        sess = session(g, use_jit)
        analytic = sess.run(grads, feeds)
        for (k, v), ga in zip(inputs.items(), analytic):
            v = np.asarray(v, np.float64)
            num = np.zeros_like(v)
            flat = v.reshape(-1)
            for i in range(flat.size):
                plus, minus = flat.copy(), flat.copy()
                plus[i] += eps
                minus[i] -= eps
                fp = dict(feeds)
                fp[phs[k]] = plus.reshape(v.shape)
                fm = dict(feeds)
                fm[phs[k]] = minus.reshape(v.shape)
                num.reshape(-1)[i] = (sess.run(y, fp) - sess.run(y, fm)) / (2 * eps)
            assert ga is not None, f"no gradient for {k}"
            np.testing.assert_allclose(ga, num, rtol=rtol, atol=atol,
                                       err_msg=f"gradient wrt {k} (jit={use_jit})")
