"""Shared test helpers: run a graph on both engines, check gradients numerically."""
from __future__ import annotations

import numpy as np

import jitgraph as tf

ENGINES = ("jit", "interp")


def _is_jit(engine) -> bool:
    """`engine` is the conftest fixture's "jit"/"interp", or the older bool (True: JIT)."""
    if isinstance(engine, str):
        if engine not in ENGINES:
            raise ValueError(f"engine {engine!r}: expected one of {ENGINES}")
        return engine == "jit"
    return bool(engine)


def session(graph=None, jit=True):
    """A Session on `graph` using the JIT (jit=True or "jit") or the numpy interpreter
    (False or "interp")."""
    sess = tf.Session(graph=graph)
    sess.jit = _is_jit(jit)
    return sess


def run_on(engine, fetches, feed_dict=None, graph=None, init=None):
    """Runs `fetches` on one engine ("jit" or "interp", the conftest fixture's value)."""
    sess = session(graph, engine)
    if init is not None:
        sess.run(init)
    return sess.run(fetches, feed_dict)


def run_both(fetches, feed_dict=None, graph=None, init=None, rtol=1e-5, atol=1e-6):
    """Runs `fetches` on the JIT and on the interpreter, asserts they agree, returns the JIT's.

    The interpreter is the reference: a mismatch is reported as the JIT diverging from it,
    naming the fetch. `init` (ops to run first on each session, e.g. variable
    initializers) is optional.
    """
    results = []
    for engine in ENGINES:
        sess = session(graph, engine)
        if init is not None:
            sess.run(init)
        results.append(sess.run(fetches, feed_dict))
    assert_structures_close(results[0], results[1], rtol, atol,
                            what="engine jit diverged from engine interp")
    return results[0]


def assert_structures_close(a, b, rtol=1e-5, atol=1e-6, what="structures differ"):
    fa, fb = tf.nest.flatten(a), tf.nest.flatten(b)
    assert len(fa) == len(fb), f"{what}: {len(fa)} vs {len(fb)} values"
    for i, (x, y) in enumerate(zip(fa, fb)):
        where = f"{what} at flattened fetch #{i}"
        if x is None or y is None:
            assert x is None and y is None, f"{where}: {x!r} vs {y!r}"
            continue
        x, y = np.asarray(x), np.asarray(y)
        assert x.shape == y.shape, f"{where}: shapes {x.shape} vs {y.shape}"
        assert x.dtype == y.dtype, f"{where}: dtypes {x.dtype} vs {y.dtype}"
        if x.dtype.kind in "fc":
            np.testing.assert_allclose(x, y, rtol=rtol, atol=atol, err_msg=where)
        else:
            np.testing.assert_array_equal(x, y, err_msg=where)


def check_gradients(build, inputs: dict, eps=1e-3, rtol=2e-2, atol=2e-3, engine=ENGINES):
    """Compares tf.gradients with central finite differences (in float64).

    `build(**placeholders) -> scalar-or-tensor y` builds the function; `inputs` maps
    argument names to float arrays. The gradient of sum(y) is checked on `engine` (the
    conftest fixture's "jit" or "interp"; a tuple of them checks each in turn).
    """
    g = tf.Graph()
    with g.as_default():
        phs = {k: tf.placeholder(tf.float64, np.shape(v), name=k) for k, v in inputs.items()}
        y = tf.reduce_sum(build(**phs))
        grads = tf.gradients(y, list(phs.values()))
    feeds = {phs[k]: np.asarray(v, np.float64) for k, v in inputs.items()}
    for eng in ((engine,) if isinstance(engine, str) else engine):
        _check_gradients_on(session(g, eng), eng, y, grads, phs, inputs, feeds, eps, rtol,
                            atol)


def _check_gradients_on(sess, eng, y, grads, phs, inputs, feeds, eps, rtol, atol):
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
        assert ga is not None, f"no gradient for {k} (engine {eng})"
        np.testing.assert_allclose(ga, num, rtol=rtol, atol=atol,
                                   err_msg=f"gradient wrt {k} (engine {eng})")
