"""TF 1.x programs print fetched scalars as `7.0`, not NumPy 2's `np.float32(7.0)`.

The guide's outputs (`{'total': 7.0, 'ab': (3.0, 4.0)}`) assume the old scalar
repr, so jitgraph selects NumPy's 1.25 print legacy on import (arrays print as
usual). Set JITGRAPH_NUMPY_PRINT=modern to keep NumPy's default.
"""
import os

import numpy as np

if os.environ.get("JITGRAPH_NUMPY_PRINT", "legacy") != "modern":
    try:
        np.set_printoptions(legacy="1.25")
    except (TypeError, ValueError):  # NumPy < 2 already prints this way
        pass
