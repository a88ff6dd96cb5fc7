"""Graph-building primitives: dtypes, shapes, Graph/Operation/Tensor, errors, nest.

Pure Python; knows nothing of Numba.
"""
