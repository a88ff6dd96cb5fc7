"""Models built the same way in TensorFlow (make_tf_issue16.py) and in jitgraph (the
tests): each builder takes the `keras` module (tf.keras of either) and numpy weights."""


def keras_layer_model(keras, d):
    """The many-layer functional model (shared with tests/test_keras.py)."""
    L, C = keras.layers, keras.initializers.Constant
    img = keras.Input((5, 5, 3))
    seq = keras.Input((7, 3))
    ids = keras.Input((4,), dtype="int32")
    c2 = L.Conv2D(4, 3, padding="same", activation="relu", kernel_initializer=C(d["K2"]),
                  bias_initializer=C(d["b2"]))(img)
    f = L.Flatten()(L.MaxPooling2D(2)(c2))
    a = L.AveragePooling2D(2, strides=1)(c2)
    c1 = L.Conv1D(2, 3, strides=2, kernel_initializer=C(d["K1"]))(seq)
    c1c = L.Conv1D(2, 3, padding="causal", kernel_initializer=C(d["K1"]))(seq)
    mp1 = L.MaxPooling1D(2)(c1c)
    ap1 = L.AveragePooling1D(2, padding="same")(c1c)
    ef = L.Flatten()(L.Embedding(10, 3, embeddings_initializer=C(d["E"]))(ids))
    gap = L.GlobalAveragePooling2D()(a)
    cat = L.Concatenate()([f, ef, gap, L.Reshape((6,))(mp1)])
    dd = L.Dense(5, kernel_initializer=C(d["Wd"]), activation="tanh")(cat)
    lam = L.Lambda(lambda t: t * 2.0 + 1.0)(dd)
    act = L.Activation("sigmoid")(L.Add()([dd, lam]))
    bn = L.BatchNormalization(gamma_initializer=C(d["gamma"]), beta_initializer=C(d["beta"]),
                              moving_mean_initializer=C(d["mm"]),
                              moving_variance_initializer=C(d["mv"]))(act)
    model = keras.Model([img, seq, ids], [bn, ap1, L.GlobalMaxPooling1D()(c1)])
    return model


def keras_sequential(keras, W1, b1, W2, b2, **first):
    L, C = keras.layers, keras.initializers.Constant
    return keras.Sequential([
        L.Dense(16, activation="relu", kernel_initializer=C(W1), bias_initializer=C(b1),
                **first),
        L.BatchNormalization(momentum=0.9),
        L.Dense(4, kernel_initializer=C(W2), bias_initializer=C(b2),
                **({"activation": "softmax"} if first else {}))])


# (optimizer class, kwargs, loss, output activation, metrics)
KERAS_OPTIMIZER_CASES = {
    "sgd_nesterov": ("SGD", dict(learning_rate=0.1, momentum=0.9, nesterov=True),
                     "categorical_crossentropy", "softmax", []),
    "rmsprop": ("RMSprop", dict(learning_rate=0.01), "cce_logits", None, []),
    "rmsprop_centered": ("RMSprop", dict(learning_rate=0.01, momentum=0.5, centered=True),
                         "mse", None, ["mae"]),
    "adagrad": ("Adagrad", dict(learning_rate=0.1), "mae", None, []),
    "adadelta": ("Adadelta", dict(learning_rate=1.0), "binary_crossentropy", "sigmoid",
                 ["accuracy"]),
    "adam_amsgrad": ("Adam", dict(learning_rate=0.01, amsgrad=True),
                     "sparse_categorical_crossentropy", "softmax", ["accuracy"]),
    "sgd_decay": ("SGD", dict(learning_rate=0.1, decay=0.01), "kld", "softmax", []),
}
