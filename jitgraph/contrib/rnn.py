"""`tf.contrib.rnn`: TF 1.x's home of the cells before `tf.nn.rnn_cell`; the same classes."""
from jitgraph.rnn import static_bidirectional_rnn, static_rnn
from jitgraph.rnn_cell import (BasicLSTMCell, BasicRNNCell, DropoutWrapper, GRUCell,
                               LayerRNNCell, LSTMCell, LSTMStateTuple, MultiRNNCell, RNNCell,
                               ResidualWrapper)

__all__ = ["BasicLSTMCell", "BasicRNNCell", "DropoutWrapper", "GRUCell", "LSTMCell",
           "LSTMStateTuple", "LayerRNNCell", "MultiRNNCell", "RNNCell", "ResidualWrapper",
           "static_bidirectional_rnn", "static_rnn"]
