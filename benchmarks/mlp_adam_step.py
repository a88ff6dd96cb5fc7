"""One Adam step of a 784-256-256-10 MLP on a batch of 128 fed through ``feed_dict``."""
import itertools

from _mlp import BATCH, build_mlp, init_params_np, jax_mlp_adam_step, synthetic_mnist

NAME = "mlp_adam_step"
DESCRIPTION = "MLP 784-256-256-10 relu, sparse softmax CE, Adam; batch 128 fed; one step"
UNIT = "step"

# A few distinct batches, cycled: realistic feeding, still no data cost in the step.
_BATCHES = 8


def _batches():
    images, labels = synthetic_mnist(BATCH * _BATCHES)
    return [(images[i:i + BATCH], labels[i:i + BATCH]) for i in range(0, len(images), BATCH)]


def setup(tf, quick):
    tf.reset_default_graph()
    images = tf.placeholder(tf.float32, shape=[None, 784])
    labels = tf.placeholder(tf.int32, shape=[None])
    train, loss = build_mlp(tf, images, labels)

    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    batches = itertools.cycle(_batches())

    def step():
        x, y = next(batches)
        return sess.run((train, loss), feed_dict={images: x, labels: y})

    step.close = sess.close
    return step


def setup_jax(jnp, jax, quick):
    train_step = jax_mlp_adam_step(jnp, jax)
    params = [jnp.asarray(p) for p in init_params_np()]
    state = [params, [jnp.zeros_like(p) for p in params], [jnp.zeros_like(p) for p in params],
             jnp.float32(0)]
    batches = itertools.cycle(_batches())

    def step():
        x, y = next(batches)
        *new_state, loss = train_step(*state, x, y)
        state[:] = new_state
        return loss.block_until_ready()

    return step
