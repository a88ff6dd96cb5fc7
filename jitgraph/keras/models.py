"""`tf.keras.models`: Model and Sequential (`from tensorflow.keras.models import ...`)."""
from jitgraph.keras.engine import Model, Sequential

__all__ = ["Model", "Sequential"]
