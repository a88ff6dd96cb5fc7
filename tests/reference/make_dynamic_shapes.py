"""Reference numbers for tests/test_dynamic_shapes.py, computed once with TensorFlow 1.x
(tf.compat.v1). Run: python tests/reference/make_dynamic_shapes.py; paste its output."""
import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402

tf.disable_v2_behavior()


def data():
    rng = np.random.RandomState(0)
    xs = rng.rand(24, 5).astype(np.float32)
    labels = np.eye(3, dtype=np.float32)[rng.randint(0, 3, 24)]
    w1 = (rng.randn(5, 8) * 0.5).astype(np.float32)
    w2 = (rng.randn(8, 3) * 0.5).astype(np.float32)
    return xs, labels, w1, w2


def linear_regression(tf):
    """The guide's linear regression: float placeholders of unknown rank, fed one sample
    at a time, then the whole set."""
    xs = np.linspace(0.0, 1.0, 9).astype(np.float32)
    ys = 2.0 * xs + 1.0
    X, Y = tf.placeholder("float"), tf.placeholder("float")
    W, b = tf.Variable(0.3, name="weight"), tf.Variable(-0.2, name="bias")
    pred = tf.add(tf.multiply(X, W), b)
    cost = tf.reduce_sum(tf.pow(pred - Y, 2)) / (2 * 9)
    opt = tf.train.GradientDescentOptimizer(0.1).minimize(cost)
    return (X, Y, xs, ys), opt, [cost, W, b]


def logistic_regression(tf):
    xs, labels, _, _ = data()
    x, y = tf.placeholder("float"), tf.placeholder("float")
    W, b = tf.Variable(tf.zeros([5, 3])), tf.Variable(tf.zeros([3]))
    pred = tf.nn.softmax(tf.matmul(x, W) + b)
    cost = tf.reduce_mean(-tf.reduce_sum(y * tf.log(pred), reduction_indices=1))
    opt = tf.train.GradientDescentOptimizer(0.5).minimize(cost)
    acc = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(pred, 1), tf.argmax(y, 1)), tf.float32))
    return (x, y, xs, labels), opt, [cost, acc]


def mlp(tf):
    xs, labels, w1, w2 = data()
    x, y = tf.placeholder("float"), tf.placeholder("float")
    h = tf.nn.relu(tf.matmul(x, tf.Variable(w1)) + tf.Variable(tf.zeros([8])))
    out = tf.matmul(h, tf.Variable(w2)) + tf.Variable(tf.zeros([3]))
    cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(logits=out, labels=y))
    opt = tf.train.AdamOptimizer(0.05).minimize(cost)
    return (x, y, xs, labels), opt, [cost]


def train(build, per_sample=False, steps=8):
    with tf.Graph().as_default():
        (x, y, xs, ys), opt, fetch = build(tf)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            for _ in range(steps):
                if per_sample:
                    for a, b in zip(xs, ys):
                        s.run(opt, {x: a, y: b})
                    got = s.run(fetch, {x: xs, y: ys})
                else:  # the values before the last step's update
                    got = s.run([opt] + fetch, {x: xs, y: ys})[1:]
            return [np.asarray(v).tolist() for v in got]


def ordering():
    with tf.Graph().as_default():
        v = tf.Variable(1.0)
        inc = tf.assign_add(v, 1.0)
        with tf.control_dependencies([inc]):
            r = tf.identity(v)
        u = tf.Variable([1.0, 2.0])
        up = tf.assign_add(u, [10.0, 10.0])
        with tf.control_dependencies([up]):
            ru = tf.identity(u) * 2.0
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            return [float(s.run(r)), [float(a) for a in s.run([v, inc])],
                    [float(a) for a in s.run([r, v])], s.run(ru).tolist(),
                    [a.tolist() for a in s.run([u, up])]]


if __name__ == "__main__":
    print("LINEAR =", train(linear_regression, per_sample=True, steps=3))
    print("LOGISTIC =", train(logistic_regression))
    print("MLP =", train(mlp))
    print("ORDERING =", ordering())
