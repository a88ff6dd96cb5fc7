"""The unrolled tanh RNN of ``compile_scaling``: T steps built with a Python loop, Adam."""
import numpy as np

HIDDEN, BATCH, INPUT = 32, 16, 8


def build_rnn(tf, steps):
    """(x, y, train op, loss) for an RNN unrolled ``steps`` times, hidden 32, batch 16."""
    x = tf.placeholder(tf.float32, [None, steps, INPUT], name="x")
    y = tf.placeholder(tf.float32, [None, 1], name="y")
    w_x = tf.get_variable("w_x", [INPUT, HIDDEN])
    w_h = tf.get_variable("w_h", [HIDDEN, HIDDEN])
    b = tf.get_variable("b", [HIDDEN], initializer=tf.zeros_initializer())
    h = x[:, 0, :1] * tf.zeros([1, HIDDEN])  # zeros of (batch, hidden), batch fed
    for t in range(steps):
        h = tf.tanh(tf.matmul(x[:, t, :], w_x) + tf.matmul(h, w_h) + b)
    pred = tf.layers.dense(h, 1)
    loss = tf.reduce_mean(tf.square(pred - y))
    train = tf.train.AdamOptimizer(1e-3).minimize(loss)
    return x, y, train, loss


def batch(steps, seed=0):
    rs = np.random.RandomState(seed)
    xs = rs.randn(BATCH, steps, INPUT).astype(np.float32)
    ys = xs.sum(axis=(1, 2))[:, None].astype(np.float32) * 0.1
    return xs, ys


def make_workload(steps):
    """setup / setup_jax of the ``compile_scaling`` workload at ``steps`` time steps."""

    def setup(tf, quick):
        tf.reset_default_graph()
        x, y, train, loss = build_rnn(tf, steps)
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        feed = dict(zip((x, y), batch(steps)))

        def step():
            return sess.run((train, loss), feed)

        step.close = sess.close
        return step

    def setup_jax(jnp, jax, quick):
        rs = np.random.RandomState(0)
        params = [jnp.asarray(rs.randn(*s).astype(np.float32) * 0.1)
                  for s in [(INPUT, HIDDEN), (HIDDEN, HIDDEN), (HIDDEN,), (HIDDEN, 1), (1,)]]
        xs, ys = batch(steps)

        def loss_fn(p, x, y):
            h = jnp.zeros((x.shape[0], HIDDEN), jnp.float32)
            for t in range(steps):  # unrolled, as the TF graph is
                h = jnp.tanh(x[:, t, :] @ p[0] + h @ p[1] + p[2])
            return jnp.mean((h @ p[3] + p[4] - y) ** 2)

        @jax.jit
        def train_step(p, m, v, t, x, y):
            loss, g = jax.value_and_grad(loss_fn)(p, x, y)
            t = t + 1
            m = [0.9 * a + 0.1 * b for a, b in zip(m, g)]
            v = [0.999 * a + 0.001 * b * b for a, b in zip(v, g)]
            lr = 1e-3 * jnp.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
            p = [a - lr * b / (jnp.sqrt(c) + 1e-8) for a, b, c in zip(p, m, v)]
            return p, m, v, t, loss

        state = [params, [jnp.zeros_like(p) for p in params],
                 [jnp.zeros_like(p) for p in params], jnp.float32(0)]

        def step():
            *new, loss = train_step(*state, xs, ys)
            state[:] = new
            return loss.block_until_ready()

        return step

    return setup, setup_jax
