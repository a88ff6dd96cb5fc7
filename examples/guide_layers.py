"""The guide's "Layers" sections (Creating, Initializing, Executing Layers and the
function shortcuts), unchanged but for the import.

Run: python examples/guide_layers.py
"""
import jitgraph as tf

sess = tf.Session()

# Creating Layers
x = tf.placeholder(tf.float32, shape=[None, 3])
linear_model = tf.layers.Dense(units=1)
y = linear_model(x)

# Initializing Layers
init = tf.global_variables_initializer()
sess.run(init)

# Executing Layers
print(sess.run(y, {x: [[1, 2, 3], [4, 5, 6]]}))

# Layer Function shortcuts
x = tf.placeholder(tf.float32, shape=[None, 3])
y = tf.layers.dense(x, units=1)

init = tf.global_variables_initializer()
sess.run(init)

print(sess.run(y, {x: [[1, 2, 3], [4, 5, 6]]}))
