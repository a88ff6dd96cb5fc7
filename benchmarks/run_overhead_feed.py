"""Per-``run`` overhead with feeds: ``sess.run(z, feed_dict={x: 3, y: 4.5})`` for ``z = x + y``.

The arithmetic is one add, so the time is the engine's cost of a run call.
"""
import numpy as np

NAME = "run_overhead_feed"
DESCRIPTION = "sess.run(z, feed_dict={x: 3, y: 4.5}) for z = x + y: per-run cost with feeds"
UNIT = "run"


def setup(tf, quick):
    tf.reset_default_graph()
    x = tf.placeholder(tf.float32)
    y = tf.placeholder(tf.float32)
    z = x + y

    sess = tf.Session()

    def step():
        return sess.run(z, feed_dict={x: 3, y: 4.5})

    step.close = sess.close
    return step


def setup_jax(jnp, jax, quick):
    add = jax.jit(lambda x, y: x + y)

    def step():
        return np.asarray(add(np.float32(3), np.float32(4.5)))

    return step
