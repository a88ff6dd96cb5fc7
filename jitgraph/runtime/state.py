"""What a Session owns: variable buffers, random-number counters, iterators, tables."""
from __future__ import annotations

import itertools
import os
import threading

import numpy as np

from jitgraph.framework import errors
from jitgraph.ops import registry


class RunState:
    """Per-Session state. Graphs only describe it; kernels update buffers in place."""

    def __init__(self, graph):
        self.graph = graph
        self.vars: dict = {}          # VariableV2 op -> np.ndarray buffer
        self.initialized: set = set()  # VariableV2 ops holding a value
        # Unseeded random ops draw from a per-session base key, as TF's do.
        self.rng_base = int.from_bytes(os.urandom(8), "little") >> 1
        self.rng_streams: dict = {}    # random op -> RngStream
        self.resources: dict = {}      # iterators, tables, ... keyed by their op
        # Guards first-use creation of per-op entries (streams, locks, one-shot
        # iterators): two threads must not each create, and use, their own.
        self._create_lock = threading.RLock()
        self._var_locks: dict = {}     # VariableV2 op -> RLock, for use_locking stores
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
    def rng_stream(self, op) -> RngStream:
        stream = self.rng_streams.get(op)
        if stream is None:
            with self._create_lock:
                stream = self.rng_streams.get(op)
                if stream is None:
                    stream = self.rng_streams[op] = RngStream(self._rng_key(op))
        return stream

    def _rng_key(self, op) -> int:
        seed, seed2 = op.attrs.get("seed", 0), op.attrs.get("seed2", 0)
        if seed == 0 and seed2 == 0:
            return (self.rng_base ^ (op._id * 0x9E3779B1)) & 0x7FFFFFFFFFFFFFFF
        return ((seed & 0xFFFFFFFF) << 31 ^ (seed2 & 0xFFFFFFFF)) & 0x7FFFFFFFFFFFFFFF

    def rng_reserver(self, ops):
        """A function reserving one run of each random op in `ops`: it returns the
        [key, counter] rows a compiled stage's `rng` argument takes. Each call takes
        fresh counters atomically, so concurrent runs never share a stream."""
        streams = [self.rng_stream(op) for op in ops]
        if len(streams) == 1:
            key, take = streams[0].key, streams[0].take_counter

            def one():
                return np.array([(key, take())], np.int64)
            return one
        return lambda: np.array([s.take() for s in streams], np.int64)

    # -- locks -------------------------------------------------------------------------
    def store_locks(self, ops) -> list:
        """The locks of the variables that `use_locking=True` stores among `ops` write,
        in one global order (by op id) so that runs taking several never deadlock."""
        var_ops = {op.inputs[0].op for op in ops
                   if registry.get(op.type).store and op.attrs.get("use_locking")
                   and op.inputs[0].op.type == "VariableV2"}
        return [self._var_lock(v) for v in sorted(var_ops, key=lambda v: v._id)]

    def _var_lock(self, var_op):
        with self._create_lock:
            return self._var_locks.setdefault(var_op, threading.RLock())

    def resource(self, key, make):
        """The resource under `key`, made by `make()` by exactly one thread if absent."""
        r = self.resources.get(key)
        if r is None:
            with self._create_lock:
                r = self.resources.get(key)
                if r is None:
                    r = self.resources[key] = make()
        return r


class RngStream:
    """One random op's streams in a Session: run c of the op draws stream (key, c).

    `itertools.count` hands out each counter once even when threads race (its
    `__next__` is one C call under the GIL), with no lock on the per-run path.
    """

    __slots__ = ("key", "take_counter")

    def __init__(self, key: int):
        self.key = key
        self.take_counter = itertools.count().__next__

    def take(self) -> tuple[int, int]:
        """(key, counter) of a run of its own."""
        return self.key, self.take_counter()


def holding(locks, run):
    """`run` wrapped to hold `locks` (taken in their order) for the whole call."""
    def locked_run(*args):
        for lk in locks:
            lk.acquire()
        try:
            return run(*args)
        finally:
            for lk in reversed(locks):
                lk.release()
    return locked_run
