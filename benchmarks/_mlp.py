"""The MLP shared by ``mlp_adam_step`` and ``dataset_epoch``: 784-256-256-10, relu, Adam."""
import numpy as np

BATCH = 128


def synthetic_mnist(n, seed=0):
    """``n`` MNIST-shaped examples: float32 images in [0, 1), int32 labels in [0, 10)."""
    rs = np.random.RandomState(seed)
    images = rs.uniform(0.0, 1.0, size=(n, 784)).astype(np.float32)
    labels = rs.randint(0, 10, size=(n,)).astype(np.int32)
    return images, labels


def build_mlp(tf, images, labels):
    """(train op, loss) for the MLP on ``images`` (batch, 784) and ``labels`` (batch,)."""
    hidden = tf.layers.dense(images, 256, activation=tf.nn.relu)
    hidden = tf.layers.dense(hidden, 256, activation=tf.nn.relu)
    logits = tf.layers.dense(hidden, 10)
    loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    train = tf.train.AdamOptimizer(1e-3).minimize(loss)
    return train, loss


def init_params_np(seed=0):
    """Glorot-uniform weights and zero biases, as numpy arrays (for the JAX variants)."""
    rs = np.random.RandomState(seed)
    params = []
    for fan_in, fan_out in [(784, 256), (256, 256), (256, 10)]:
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params.append(rs.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
        params.append(np.zeros(fan_out, np.float32))
    return params


def jax_mlp_adam_step(jnp, jax, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    """A jitted Adam step ``(params, m, v, t, x, y) -> (params, m, v, t, loss)`` in JAX."""

    def loss_fn(p, x, y):
        h = jax.nn.relu(x @ p[0] + p[1])
        h = jax.nn.relu(h @ p[2] + p[3])
        logits = h @ p[4] + p[5]
        logp = jax.nn.log_softmax(logits)
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

    @jax.jit
    def step(p, m, v, t, x, y):
        loss, g = jax.value_and_grad(loss_fn)(p, x, y)
        t = t + 1
        m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g)]
        v = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(v, g)]
        # TF's Adam folds the bias corrections into the learning rate; so do we.
        lr_t = lr * jnp.sqrt(1 - b2**t) / (1 - b1**t)
        p = [pi - lr_t * mi / (jnp.sqrt(vi) + eps) for pi, mi, vi in zip(p, m, v)]
        return p, m, v, t, loss

    return step
