"""`tf.layers`: Layer, Dense, Dropout, Flatten and their function forms."""
from jitgraph.layers.base import InputSpec, Layer
from jitgraph.layers.core import Dense, Dropout, Flatten, dense, dropout, flatten
