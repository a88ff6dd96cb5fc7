"""`tf.keras.layers` for TF 1.x graphs."""
from jitgraph.keras.base_layer import Layer
from jitgraph.keras.layers.core import (Activation, Dense, Dropout, Embedding, Flatten, Input,
                                        InputLayer, Lambda, LeakyReLU, ReLU, Reshape, Softmax)
from jitgraph.keras.layers.convolutional import (AveragePooling1D, AveragePooling2D, AvgPool1D,
                                                 AvgPool2D, Conv1D, Conv2D, Convolution1D,
                                                 Convolution2D, GlobalAveragePooling1D,
                                                 GlobalAveragePooling2D, GlobalMaxPooling1D,
                                                 GlobalMaxPooling2D, MaxPool1D, MaxPool2D,
                                                 MaxPooling1D, MaxPooling2D)
from jitgraph.keras.layers.normalization import BatchNormalization
from jitgraph.keras.layers.merge import (Add, Average, Concatenate, Dot, Maximum, Minimum,
                                         Multiply, Subtract, add, average, concatenate, dot,
                                         maximum, minimum, multiply, subtract)
from jitgraph.layers.base import InputSpec
