"""`tf.keras` inside TF 1.x graphs: layers, Sequential/Model called on tensors, and
compile/fit/evaluate/predict running on the Keras session (`backend.get_session`)."""
from jitgraph.keras import (activations, backend, callbacks, initializers, layers, losses,
                            metrics, models, optimizers, regularizers, utils)
from jitgraph.keras.engine import Model, Sequential
from jitgraph.keras.layers import Input

__all__ = ["activations", "backend", "callbacks", "initializers", "layers", "losses",
           "metrics", "optimizers", "regularizers", "utils", "Model", "Sequential", "Input",
           "models"]
