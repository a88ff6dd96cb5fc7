"""The MNIST-row LSTM classifier of ``lstm_step``: 28 steps of 28 inputs, 128 hidden,
``dynamic_rnn`` over a BasicLSTMCell, the last output through a dense layer, softmax
cross-entropy, Adam. TF 1.x text for jitgraph and TensorFlow; ``lax.scan`` for JAX."""
import numpy as np

STEPS, INPUT, HIDDEN, CLASSES = 28, 28, 128, 10


def data(batch, seed=0):
    rs = np.random.RandomState(seed)
    return (rs.uniform(0, 1, (batch, STEPS, INPUT)).astype(np.float32),
            rs.randint(0, CLASSES, batch).astype(np.int32))


def make_workload(batch, quick_batch):
    """setup / setup_jax at `batch` (`quick_batch` with --quick)."""

    def setup(tf, quick):
        tf.reset_default_graph()
        x = tf.placeholder(tf.float32, [None, STEPS, INPUT], name="x")
        y = tf.placeholder(tf.int32, [None], name="y")
        cell = tf.nn.rnn_cell.BasicLSTMCell(HIDDEN)
        out, _ = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
        logits = tf.layers.dense(out[:, -1], CLASSES)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y,
                                                                             logits=logits))
        train = tf.train.AdamOptimizer(1e-3).minimize(loss)
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        feed = dict(zip((x, y), data(quick_batch if quick else batch)))

        def step():
            return sess.run((train, loss), feed)

        step.close = sess.close
        return step

    def setup_jax(jnp, jax, quick):
        rs = np.random.RandomState(0)
        lim = np.sqrt(6.0 / (INPUT + 2 * HIDDEN + 4 * HIDDEN))
        params = [jnp.asarray(rs.uniform(-lim, lim, (INPUT + HIDDEN, 4 * HIDDEN))
                              .astype(np.float32)),
                  jnp.zeros(4 * HIDDEN, jnp.float32),
                  jnp.asarray(rs.uniform(-0.2, 0.2, (HIDDEN, CLASSES)).astype(np.float32)),
                  jnp.zeros(CLASSES, jnp.float32)]
        xs, ys = data(quick_batch if quick else batch)

        def loss_fn(p, x, y):
            def cell(carry, x_t):
                c, h = carry
                i, j, f, o = jnp.split(jnp.concatenate([x_t, h], 1) @ p[0] + p[1], 4, axis=1)
                c = c * jax.nn.sigmoid(f + 1.0) + jax.nn.sigmoid(i) * jnp.tanh(j)
                h = jnp.tanh(c) * jax.nn.sigmoid(o)
                return (c, h), None

            zeros = jnp.zeros((x.shape[0], HIDDEN), jnp.float32)
            (_, h), _ = jax.lax.scan(cell, (zeros, zeros), jnp.swapaxes(x, 0, 1))
            logp = jax.nn.log_softmax(h @ p[2] + p[3])
            return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

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
