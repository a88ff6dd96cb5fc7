"""tf.keras inside a TF 1.x program, both ways such programs were written:

1. Keras layers build the model; the program's own graph trains it: a placeholder, a
   tf.train optimizer, the learning phase fed True, the model's BatchNormalization
   updates run with the train op.
2. The same kind of model through `compile` / `fit` / `evaluate` / `predict` on numpy
   arrays, on the Keras session.

Synthetic data: a noisy 2-class problem in 10 dimensions. Runs in seconds.
"""
import numpy as np

import jitgraph as tf

K = tf.keras.backend


def data(rng, n):
    x = rng.randn(n, 10).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] - x[:, 2] > 0).astype(np.int64)
    return x, y


def hand_written_loop(x_train, y_train, x_test, y_test):
    x = tf.placeholder(tf.float32, [None, 10])
    y = tf.placeholder(tf.int64, [None])
    model = tf.keras.Sequential([
        tf.keras.layers.Dense(32, activation="relu"),
        tf.keras.layers.BatchNormalization(),
        tf.keras.layers.Dropout(0.2),
        tf.keras.layers.Dense(2)])
    logits = model(x)
    loss = tf.losses.sparse_softmax_cross_entropy(y, logits)
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), y), tf.float32))
    with tf.control_dependencies(model.updates):  # BatchNormalization's moving averages
        train = tf.train.AdamOptimizer(0.01).minimize(loss)
    sess = tf.Session()
    K.set_session(sess)
    sess.run(tf.global_variables_initializer())
    for step in range(200):
        idx = np.random.RandomState(step).randint(0, len(x_train), 64)
        sess.run(train, {x: x_train[idx], y: y_train[idx], K.learning_phase(): True})
    acc = sess.run(accuracy, {x: x_test, y: y_test})  # learning phase: False by default
    print(f"graph loop: {len(model.weights)} weights, test accuracy {acc:.3f}")


def compile_and_fit(x_train, y_train, x_test, y_test):
    inputs = tf.keras.Input(shape=(10,))
    h = tf.keras.layers.Dense(32, activation="relu")(inputs)
    h = tf.keras.layers.Dropout(0.2)(h)
    outputs = tf.keras.layers.Dense(2, activation="softmax")(h)
    model = tf.keras.Model(inputs, outputs)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=64, epochs=5, verbose=0,
                        validation_split=0.1)
    print("fit: loss per epoch", " ".join(f"{v:.3f}" for v in history.history["loss"]))
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"evaluate: loss {loss:.3f}, accuracy {acc:.3f}")
    print("predict:", model.predict(x_test[:3]).argmax(axis=1), "labels:", y_test[:3])


def main():
    rng = np.random.RandomState(0)
    x_train, y_train = data(rng, 2000)
    x_test, y_test = data(rng, 500)
    hand_written_loop(x_train, y_train, x_test, y_test)
    K.clear_session()
    compile_and_fit(x_train, y_train, x_test, y_test)


if __name__ == "__main__":
    main()
