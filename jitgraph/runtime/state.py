"""What a Session owns: variable buffers, random-number counters, iterators, tables."""
from __future__ import annotations

import os

import numpy as np

from jitgraph.framework import errors


class RunState:
    """Per-Session state. Graphs only describe it; kernels update buffers in place."""

    def __init__(self, graph):
        self.graph = graph
        self.vars: dict = {}          # VariableV2 op -> np.ndarray buffer
        self.initialized: set = set()  # VariableV2 ops holding a value
        # Unseeded random ops draw from a per-session base key, as TF's do.
        self.rng_base = int.from_bytes(os.urandom(8), "little") >> 1
        self.rng_counters: dict = {}   # random op -> np.int64 array [key, counter]
        self.resources: dict = {}      # iterators, tables, ... keyed by their op
        # Bumped whenever a buffer is (re)allocated or a variable changes initialized
        # state: compiled fast paths cache buffers and checks until it moves.
        self.version = 0

    # -- variables -----------------------------------------------------------------
    def read_var(self, op) -> np.ndarray:
        if op not in self.initialized:
            raise errors.FailedPreconditionError(
                None, op, f"Attempting to use uninitialized value {op.name}\n\t [[node "
                          f"{op.name} (defined at <graph>) ]]")
        return self.vars[op]

    def check_initialized(self, var_ops):
        for op in var_ops:
            if op not in self.initialized:
                self.read_var(op)

    def buffer_for_write(self, op, shape, dtype) -> np.ndarray:
        """The buffer an assign writes into, allocated on first use."""
        buf = self.vars.get(op)
        if buf is None or buf.shape != tuple(shape) or buf.dtype != dtype:
            buf = np.empty(shape, dtype=dtype)
            self.vars[op] = buf
            self.initialized.discard(op)
            self.version += 1
        return buf

    def mark_initialized(self, var_ops):
        for op in var_ops:
            if op not in self.initialized:
                self.initialized.add(op)
                self.version += 1

    def assign(self, op, value, validate_shape=True) -> np.ndarray:
        value = np.asarray(value, dtype=op.outputs[0].dtype.as_numpy_dtype)
        buf = self.vars.get(op)
        if buf is None or buf.shape != value.shape:
            if buf is not None and validate_shape and op in self.initialized:
                raise errors.InvalidArgumentError(
                    None, op, f"Assign requires shapes of both tensors to match. lhs shape= "
                              f"{list(buf.shape)} rhs shape= {list(value.shape)}")
            buf = np.array(value, copy=True, order="C")
            self.vars[op] = buf
            self.version += 1
        else:
            buf[...] = value
        if op not in self.initialized:
            self.initialized.add(op)
            self.version += 1
        return buf

    # -- random numbers --------------------------------------------------------------
    def rng_slot(self, op) -> np.ndarray:
        slot = self.rng_counters.get(op)
        if slot is None:
            seed, seed2 = op.attrs.get("seed", 0), op.attrs.get("seed2", 0)
            if seed == 0 and seed2 == 0:
                key = (self.rng_base ^ (op._id * 0x9E3779B1)) & 0x7FFFFFFFFFFFFFFF
            else:
                key = ((seed & 0xFFFFFFFF) << 31 ^ (seed2 & 0xFFFFFFFF)) & 0x7FFFFFFFFFFFFFFF
            slot = np.array([key, 0], dtype=np.int64)
            self.rng_counters[op] = slot
        return slot
