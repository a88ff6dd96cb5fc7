import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
# Compiled code from the tests goes to a cache beside the repo, never the user's own.
# Tests compare engines run by run: compile before the first run (programs default to
# compiling in the background; tests/test_compile_latency.py tests that mode).
os.environ.setdefault("JITGRAPH_COMPILE", "sync")
os.environ.setdefault("JITGRAPH_CACHE_DIR", os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".jitgraph-test-cache"))


@pytest.fixture(params=["jit", "interp"])
def engine(request):
    """The engine a test runs on: "jit" (Numba) or "interp" (the numpy interpreter).

    One parameter per engine, so a failure's test id names the engine that failed;
    pass it to helpers.session / check_gradients."""
    return request.param


@pytest.fixture(autouse=True)
def _fresh_default_graph():
    """Each test builds in a fresh default graph, as a new TF 1.x program would."""
    import jitgraph as tf
    tf.reset_default_graph()
    yield
