"""`tf.layers`: Layer, Dense, Dropout, Flatten, BatchNormalization and their function forms."""
from jitgraph.layers.base import InputSpec, Layer
from jitgraph.layers.core import Dense, Dropout, Flatten, dense, dropout, flatten
from jitgraph.layers.normalization import BatchNormalization, batch_normalization
