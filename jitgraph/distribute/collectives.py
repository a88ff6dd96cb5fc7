"""The collectives on numpy arrays: what the graph ops' kernels call.

Tensors of one dtype travel in one fused buffer, so a step's gradients cost one
MPI call however many variables there are (Horovod's tensor fusion, without its
background thread: the host stage holds every gradient at once). On one rank no
MPI call is made.
"""
from __future__ import annotations

import time

import numpy as np

from jitgraph.distribute import world as _world
from jitgraph.framework import errors

# Horovod's reduce-op values (hvd.Average, hvd.Sum, ...): programs compare against them.
Average, Sum, Adasum, Min, Max, Product = 0, 1, 2, 3, 4, 5
REDUCE_OP_NAMES = {Average: "Average", Sum: "Sum", Adasum: "Adasum", Min: "Min", Max: "Max",
                   Product: "Product"}

calls = 0        # MPI collective calls made by this process (tests count them per step)
seconds = 0.0    # wall time spent inside them, waiting for slower ranks included


def _mpi_op(mpi, reduce_op):
    return {Average: mpi.SUM, Sum: mpi.SUM, Min: mpi.MIN, Max: mpi.MAX,
            Product: mpi.PROD}[reduce_op]


def _by_dtype(arrays):
    """Positions of the arrays grouped by dtype, groups in order of first appearance."""
    groups: dict = {}
    for i, a in enumerate(arrays):
        groups.setdefault(a.dtype, []).append(i)
    return groups.items()


def _pack(arrays, idx, dtype):
    buf = np.empty(sum(arrays[i].size for i in idx), dtype)
    pos = 0
    for i in idx:
        n = arrays[i].size
        buf[pos:pos + n] = arrays[i].reshape(-1)
        pos += n
    return buf


def _unpack(buf, arrays, idx, out):
    pos = 0
    for i in idx:
        n = arrays[i].size
        out[i] = buf[pos:pos + n].reshape(arrays[i].shape)
        pos += n


def _call(w, what, fn, *args, **kwargs):
    """One MPI call under the watchdog; an MPI failure becomes TF's UnavailableError."""
    global calls, seconds
    calls += 1
    w.watchdog.enter(what)
    t0 = time.perf_counter()
    try:
        fn(*args, **kwargs)
    except w.mpi.Exception as e:
        raise errors.UnavailableError(
            None, None, f"{what} failed on rank {w.rank} of {w.size}: {e}") from e
    finally:
        seconds += time.perf_counter() - t0
        w.watchdog.leave()


def _scale(buf, factor):
    # Integer tensors take no scale factors (the ops refuse them when built).
    if factor != 1:
        buf *= buf.dtype.type(factor)


def allreduce(arrays, reduce_op=Average, prescale=1.0, postscale=1.0, what="allreduce"):
    """The reduction over all ranks of each array; one MPI call per dtype.

    Average divides the sum by the number of ranks (integers: floor division)."""
    w = _world.world()
    out = [None] * len(arrays)
    for dtype, idx in _by_dtype(arrays):
        buf = _pack(arrays, idx, dtype)
        _scale(buf, prescale)
        if w.size > 1:
            _call(w, what, w.comm.Allreduce, w.mpi.IN_PLACE, buf, op=_mpi_op(w.mpi, reduce_op))
        if reduce_op == Average and buf.dtype.kind in "iu":
            buf //= w.size  # Horovod's old tf.div of the sum: floor division
        elif reduce_op == Average:
            _scale(buf, postscale / w.size)
        else:
            _scale(buf, postscale)
        _unpack(buf, arrays, idx, out)
    return out


def broadcast(arrays, root_rank, what="broadcast"):
    """Each array as rank `root_rank` holds it; one MPI call per dtype."""
    w = _world.world()
    if not 0 <= root_rank < w.size:
        raise errors.InvalidArgumentError(
            None, None, f"{what}: root_rank {root_rank} is not a rank of this world "
                        f"(size {w.size})")
    out = [None] * len(arrays)
    for dtype, idx in _by_dtype(arrays):
        buf = _pack(arrays, idx, dtype)  # a copy: the input may be a variable's buffer
        if w.size > 1:
            _call(w, what, w.comm.Bcast, buf, root=root_rank)
        _unpack(buf, arrays, idx, out)
    return out


def allgather(array, what="allgather"):
    """The arrays of all ranks concatenated along dimension 0 (their first dimensions
    may differ, the others must match)."""
    w = _world.world()
    array = np.ascontiguousarray(array)
    if w.size == 1:
        return array.copy()
    if array.ndim == 0:
        raise errors.InvalidArgumentError(None, None, f"{what}: a scalar has no dimension 0 "
                                                      "to gather along")
    shapes = np.empty((w.size, array.ndim), np.int64)
    _call(w, what, w.comm.Allgather, np.asarray(array.shape, np.int64), shapes)
    if (shapes[:, 1:] != shapes[w.rank, 1:]).any():
        raise errors.InvalidArgumentError(
            None, None, f"{what}: mismatched allgather tensor shapes: ranks hold "
                        f"{[list(s) for s in shapes.tolist()]}; all dimensions but the "
                        f"first must be equal")
    rows = shapes[:, 0]
    row = int(np.prod(array.shape[1:], dtype=np.int64))
    out = np.empty((int(rows.sum()),) + array.shape[1:], array.dtype)
    counts = rows * row
    _call(w, what, w.comm.Allgatherv, array, [out, (counts, np.cumsum(counts) - counts)])
    return out
