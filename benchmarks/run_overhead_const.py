"""Per-``run`` overhead without feeds: ``sess.run(total)`` for ``total = a + b`` of constants."""
import numpy as np

NAME = "run_overhead_const"
DESCRIPTION = "sess.run(total) for total = a + b of constants: the smallest possible run"
UNIT = "run"


def setup(tf, quick):
    tf.reset_default_graph()
    a = tf.constant(3.0, dtype=tf.float32)
    b = tf.constant(4.0)
    total = a + b

    sess = tf.Session()

    def step():
        return sess.run(total)

    step.close = sess.close
    return step


def setup_jax(jnp, jax, quick):
    total = jax.jit(lambda: jnp.float32(3.0) + jnp.float32(4.0))

    def step():
        return np.asarray(total())

    return step
