"""The guide's complete linear-regression program, run as a whole new process.

Cold start is what a user waits for between typing ``python train.py`` and the
program's end: interpreter, engine import, graph building, compiling (or loading
compiled code from the cache) and 100 training steps.
"""
import sys

# The guide's "Complete program", verbatim; ``tf`` is bound by the engine's loader.
GUIDE_PROGRAM = '''
x = tf.constant([[1], [2], [3], [4]], dtype=tf.float32)
y_true = tf.constant([[0], [-1], [-2], [-3]], dtype=tf.float32)

linear_model = tf.layers.Dense(units=1)

y_pred = linear_model(x)
loss = tf.losses.mean_squared_error(labels=y_true, predictions=y_pred)

optimizer = tf.train.GradientDescentOptimizer(0.01)
train = optimizer.minimize(loss)

init = tf.global_variables_initializer()

sess = tf.Session()
sess.run(init)
for i in range(100):
    _, loss_value = sess.run((train, loss))
    print(loss_value)

print(sess.run(y_pred))
'''

# The same program in JAX, for the "jax" engine.
JAX_PROGRAM = '''
import jax
import jax.numpy as jnp

x = jnp.array([[1], [2], [3], [4]], dtype=jnp.float32)
y_true = jnp.array([[0], [-1], [-2], [-3]], dtype=jnp.float32)
params = (jnp.full((1, 1), 0.5, jnp.float32), jnp.zeros((1,), jnp.float32))


def loss_fn(p):
    return jnp.mean((x @ p[0] + p[1] - y_true) ** 2)


@jax.jit
def train_step(p):
    loss, grads = jax.value_and_grad(loss_fn)(p)
    return tuple(v - 0.01 * g for v, g in zip(p, grads)), loss


for i in range(100):
    params, loss_value = train_step(params)
    print(loss_value)

print(x @ params[0] + params[1])
'''


def command(engine):
    if engine.api == "jax":
        return [sys.executable, "-c", JAX_PROGRAM]
    return [sys.executable, "-c", engine.loader + "\n" + GUIDE_PROGRAM]
