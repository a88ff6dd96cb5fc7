"""Numba kernels for convolution and pooling: reached as `K.<name>` from generated code,
because `codegen/kernels.py` re-exports this module."""
