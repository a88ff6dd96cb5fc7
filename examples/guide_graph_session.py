"""The guide's "Graph", "Session" and "Feeding" sections, unchanged but for the import.

Run: python examples/guide_graph_session.py
"""
from __future__ import absolute_import, division, print_function

import numpy as np  # noqa: F401  (the guide's set-up imports it)

import jitgraph as tf

# Graph
a = tf.constant(3.0, dtype=tf.float32)
b = tf.constant(4.0)  # also tf.float32 implicitly
total = a + b
print(a)
print(b)
print(total)

# Session
sess = tf.Session()
print(sess.run(total))
print(sess.run({'ab': (a, b), 'total': total}))

vec = tf.random_uniform(shape=(3,))
out1 = vec + 1
out2 = vec + 2
print(sess.run(vec))
print(sess.run(vec))
print(sess.run((out1, out2)))

# Feeding
x = tf.placeholder(tf.float32)
y = tf.placeholder(tf.float32)
z = x + y
print(sess.run(z, feed_dict={x: 3, y: 4.5}))
print(sess.run(z, feed_dict={x: [1, 3], y: [2, 4]}))
