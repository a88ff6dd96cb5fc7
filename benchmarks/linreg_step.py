"""The TensorFlow guide's linear regression: one training step, ``sess.run((train, loss))``.

Four examples and two parameters: the work is nothing, so this measures what
an engine costs per step of a tiny model.
"""
import numpy as np

NAME = "linreg_step"
DESCRIPTION = "guide's linear regression: Dense(1), MSE, GradientDescent(0.01); one step"
UNIT = "step"


def setup(tf, quick):
    tf.reset_default_graph()
    x = tf.constant([[1], [2], [3], [4]], dtype=tf.float32)
    y_true = tf.constant([[0], [-1], [-2], [-3]], dtype=tf.float32)

    linear_model = tf.layers.Dense(units=1)
    y_pred = linear_model(x)
    loss = tf.losses.mean_squared_error(labels=y_true, predictions=y_pred)

    optimizer = tf.train.GradientDescentOptimizer(0.01)
    train = optimizer.minimize(loss)

    sess = tf.Session()
    sess.run(tf.global_variables_initializer())

    def step():
        return sess.run((train, loss))

    step.close = sess.close
    return step


def setup_jax(jnp, jax, quick):
    x = jnp.array([[1], [2], [3], [4]], dtype=jnp.float32)
    y_true = jnp.array([[0], [-1], [-2], [-3]], dtype=jnp.float32)
    params = (jnp.asarray(np.random.RandomState(0).uniform(-1.7, 1.7, (1, 1)), jnp.float32),
              jnp.zeros((1,), jnp.float32))

    def loss_fn(p):
        return jnp.mean((x @ p[0] + p[1] - y_true) ** 2)

    @jax.jit
    def train_step(p):
        loss, grads = jax.value_and_grad(loss_fn)(p)
        return tuple(v - 0.01 * g for v, g in zip(p, grads)), loss

    state = [params]

    def step():
        state[0], loss = train_step(state[0])
        return loss.block_until_ready()

    return step
