"""`tf.layers`: Layer, Dense, Dropout, Flatten, BatchNormalization and their function forms."""
from jitgraph.layers.base import InputSpec, Layer
from jitgraph.layers.core import Dense, Dropout, Flatten, dense, dropout, flatten
from jitgraph.layers.normalization import BatchNormalization, batch_normalization
from jitgraph.layers.convolutional import (AveragePooling2D, Conv2D, MaxPooling2D,
                                           average_pooling2d, conv2d, max_pooling2d)
from jitgraph.layers.convolutional import (Conv1D, Conv2DTranspose, SeparableConv2D,
                                           conv1d, conv2d_transpose, separable_conv2d)
