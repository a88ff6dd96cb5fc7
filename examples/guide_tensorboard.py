"""The guide's "TensorBoard" section, unchanged but for the import.

Run: python examples/guide_tensorboard.py [LOGDIR]    (LOGDIR defaults to the current
directory, as in the guide), then: tensorboard --logdir LOGDIR
"""
from __future__ import absolute_import, division, print_function

import os
import sys

import jitgraph as tf

if len(sys.argv) > 1:  # the guide writes to '.': run it from inside LOGDIR
    os.makedirs(sys.argv[1], exist_ok=True)
    os.chdir(sys.argv[1])

# The graph of the guide's "Graph" section
a = tf.constant(3.0, dtype=tf.float32)
b = tf.constant(4.0)  # also tf.float32 implicitly
total = a + b

# TensorBoard
writer = tf.summary.FileWriter('.')
writer.add_graph(tf.get_default_graph())
writer.flush()

print(sorted(f for f in os.listdir('.') if f.startswith('events.out.tfevents.')))
