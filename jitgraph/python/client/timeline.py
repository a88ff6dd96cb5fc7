"""`tensorflow.python.client.timeline`: jitgraph.client.timeline under TF's path."""
from jitgraph.client.timeline import Timeline

__all__ = ["Timeline"]
