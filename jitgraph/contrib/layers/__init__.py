"""`tf.contrib.layers`: contrib's layer functions, initializers, regularizers, optimize_loss."""
from jitgraph.contrib.layers.initializers import (variance_scaling_initializer,
                                                  xavier_initializer,
                                                  xavier_initializer_conv2d)
from jitgraph.contrib.layers.layers import (avg_pool2d, batch_norm, conv2d, convolution2d,
                                            dropout, flatten, fully_connected, linear,
                                            max_pool2d)
from jitgraph.contrib.layers.optimizers import OPTIMIZER_SUMMARIES, optimize_loss
from jitgraph.layers.regularizers import (apply_regularization, l1_l2_regularizer,
                                          l1_regularizer, l2_regularizer)
from jitgraph.contrib.framework import get_variables

__all__ = ["OPTIMIZER_SUMMARIES", "apply_regularization", "avg_pool2d", "batch_norm",
           "conv2d", "convolution2d", "dropout", "flatten", "fully_connected",
           "get_variables", "l1_l2_regularizer", "l1_regularizer", "l2_regularizer",
           "linear", "max_pool2d", "optimize_loss", "variance_scaling_initializer",
           "xavier_initializer", "xavier_initializer_conv2d"]
