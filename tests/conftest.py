import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture(autouse=True)
def _fresh_default_graph():
    """Each test builds in a fresh default graph, as a new TF 1.x program would."""
    import jitgraph as tf
    tf.reset_default_graph()
    yield
