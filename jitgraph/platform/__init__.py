"""TF 1.x's platform modules that training scripts use: `tf.logging`, `tf.flags` /
`tf.app.flags`, `tf.app.run`, `tf.gfile`. Thin layers over Python's standard library."""
