"""An elementwise chain on 4M float32 values, fed and fetched.

``tanh(x*1.5+0.5)*sigmoid(x) - 0.1*x*x``: a fusing compiler makes one pass over
the data; an op-at-a-time engine makes about nine, each writing 16 MB.
"""
import numpy as np

NAME = "elementwise_4m"
DESCRIPTION = "tanh(x*1.5+0.5)*sigmoid(x) - 0.1*x*x on 4M float32, fed and fetched"
UNIT = "run"

N = 4 * 1024 * 1024


def _data():
    return (2.0 * np.random.RandomState(0).standard_normal(N)).astype(np.float32)


def setup(tf, quick):
    tf.reset_default_graph()
    x = tf.placeholder(tf.float32, shape=[None])
    y = tf.tanh(x * 1.5 + 0.5) * tf.sigmoid(x) - 0.1 * x * x

    sess = tf.Session()
    data = _data()

    def step():
        return sess.run(y, feed_dict={x: data})

    step.close = sess.close
    return step


def setup_jax(jnp, jax, quick):
    f = jax.jit(lambda x: jnp.tanh(x * 1.5 + 0.5) * jax.nn.sigmoid(x) - 0.1 * x * x)
    data = _data()

    def step():
        # Fed from and fetched to numpy, like the TF version.
        return np.asarray(f(data))

    return step


def metrics(output, quick):
    """The largest absolute difference from the same chain in float64 numpy."""
    x = _data().astype(np.float64)
    reference = np.tanh(x * 1.5 + 0.5) / (1.0 + np.exp(-x)) - 0.1 * x * x
    return {"max_abs_error": float(np.max(np.abs(np.asarray(output, np.float64) - reference)))}
