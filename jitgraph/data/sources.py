"""Row sources and chunks: how elements move through a pipeline without per-element Python.

A *source* holds rows of elements and answers two questions: `gather(idx)` (the
rows at `idx`, one array per component, leading dim = len(idx)) and
`element(i)` (one element, a list of arrays). A *chunk* is a source plus the
positions it covers (a slice or an int array). Slicing, shuffling and batching
only move index arrays; rows are gathered once, when a batch is made.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import errors


def _positions(idx) -> np.ndarray:
    if isinstance(idx, slice):
        return np.arange(idx.start, idx.stop, dtype=np.int64)
    return idx


def stack_rows(elements, component_count):
    """Stacks per-element arrays per component, with TF's error for ragged batches."""
    out = []
    for j in range(component_count):
        parts = [e[j] for e in elements]
        first = np.shape(parts[0])
        for i, p in enumerate(parts):
            if np.shape(p) != first:
                raise errors.InvalidArgumentError(
                    None, None, f"Cannot batch tensors with different shapes in component {j}. "
                                f"First element had shape {list(first)} and element {i} had "
                                f"shape {list(np.shape(p))}.")
        out.append(np.stack(parts) if parts else np.zeros((0,)))
    return out


def concat_rows(pieces, component_count):
    """Concatenates lists of component arrays along the batch dimension."""
    if len(pieces) == 1:
        return pieces[0]
    out = []
    for j in range(component_count):
        parts = [p[j] for p in pieces]
        first = parts[0].shape[1:]
        for p in parts:
            if p.shape[1:] != first:
                raise errors.InvalidArgumentError(
                    None, None, f"Cannot batch tensors with different shapes in component {j}. "
                                f"First element had shape {list(first)} and element had shape "
                                f"{list(p.shape[1:])}.")
        out.append(np.concatenate(parts))
    return out


class ArraySource:
    """Rows of numpy arrays (from_tensor_slices, materialized batches)."""

    __slots__ = ("cols",)

    def __init__(self, cols):
        self.cols = cols

    def gather(self, idx):
        return [c[idx] for c in self.cols]

    def element(self, i):
        return [c[i] for c in self.cols]


class ListSource:
    """Rows kept as a list of elements: shapes may differ between rows until batched."""

    __slots__ = ("elements", "ncomp")

    def __init__(self, elements, ncomp):
        self.elements = elements
        self.ncomp = ncomp

    def gather(self, idx):
        if isinstance(idx, slice):
            rows = self.elements[idx]
        else:
            rows = [self.elements[i] for i in idx]
        return stack_rows(rows, self.ncomp)

    def element(self, i):
        return self.elements[i]


class FailedSource:
    """One element that could not be made (a generator's value of the wrong type): it
    raises when read, so the pipeline's generator survives and the next element follows,
    as TF's from_generator does after such an error."""

    __slots__ = ("error",)

    def __init__(self, error):
        self.error = error

    def gather(self, idx):
        raise self.error

    def element(self, i):
        raise self.error


class RangeSource:
    """`Dataset.range`: rows computed from their index, nothing stored."""

    __slots__ = ("start", "step", "dtype")

    def __init__(self, start, step, dtype):
        self.start, self.step, self.dtype = start, step, dtype

    def gather(self, idx):
        return [(self.start + self.step * _positions(idx)).astype(self.dtype)]

    def element(self, i):
        return [np.asarray(self.start + self.step * i, dtype=self.dtype)]


class ZipSource:
    """Components of several sources side by side (Dataset.zip of random-access inputs)."""

    __slots__ = ("parts",)

    def __init__(self, parts):
        self.parts = parts

    def gather(self, idx):
        return [a for p in self.parts for a in p.gather(idx)]

    def element(self, i):
        return [a for p in self.parts for a in p.element(i)]


class ChunksSource:
    """Components of several equally long chunks side by side (zip of streams)."""

    __slots__ = ("chunks",)

    def __init__(self, chunks):
        self.chunks = chunks

    def gather(self, idx):
        return [a for c in self.chunks for a in c.select(idx)]

    def element(self, i):
        return [a for c in self.chunks for a in c.element(i)]


class OffsetSource:
    """Another source's rows from `offset` on, wrapping modulo `period` if given
    (skip and finite repeat of a random-access dataset)."""

    __slots__ = ("inner", "offset", "period")

    def __init__(self, inner, offset=0, period=None):
        self.inner, self.offset, self.period = inner, offset, period

    def _map(self, idx):
        p = _positions(idx) + self.offset
        return p % self.period if self.period else p

    def gather(self, idx):
        if self.period is None and isinstance(idx, slice):
            return self.inner.gather(slice(idx.start + self.offset, idx.stop + self.offset))
        return self.inner.gather(self._map(idx))

    def element(self, i):
        i += self.offset
        return self.inner.element(i % self.period if self.period else i)


class MappedSource:
    """Another source's rows passed through a traced map function.

    A function made only of elementwise ops runs once on all gathered rows;
    any other runs per element (through its own compiled Session).
    """

    __slots__ = ("inner", "fn")

    def __init__(self, inner, fn):
        self.inner, self.fn = inner, fn

    def gather(self, idx):
        if self.fn.vectorized:
            return self.fn.call_batch(self.inner.gather(idx))
        rows = [self.fn.call(self.inner.element(int(i))) for i in _positions(idx)]
        return stack_rows(rows, self.fn.n_out)

    def element(self, i):
        return self.fn.call(self.inner.element(i))


class Chunk:
    """Elements `idx` (a slice or an int array) of `src`."""

    __slots__ = ("src", "idx", "n")

    def __init__(self, src, idx):
        self.src = src
        self.idx = idx
        self.n = (idx.stop - idx.start) if isinstance(idx, slice) else len(idx)

    @classmethod
    def of_arrays(cls, arrays):
        n = len(arrays[0]) if arrays else 0
        return cls(ArraySource(arrays), slice(0, n))

    @classmethod
    def of_elements(cls, elements, ncomp):
        return cls(ListSource(elements, ncomp), slice(0, len(elements)))

    def sub(self, a, b) -> Chunk:
        if isinstance(self.idx, slice):
            s = self.idx.start
            return Chunk(self.src, slice(s + a, s + b))
        return Chunk(self.src, self.idx[a:b])

    def take(self, positions) -> Chunk:
        """The elements at chunk-relative int `positions`."""
        if isinstance(self.idx, slice):
            return Chunk(self.src, positions + self.idx.start)
        return Chunk(self.src, self.idx[positions])

    def rows(self):
        return self.src.gather(self.idx)

    def select(self, idx):
        """Rows at chunk-relative `idx` (slice or int array)."""
        if isinstance(idx, slice):
            return self.sub(idx.start, idx.stop).rows()
        return self.take(idx).rows()

    def element(self, i):
        if isinstance(self.idx, slice):
            return self.src.element(self.idx.start + i)
        return self.src.element(int(self.idx[i]))

    def elements(self):
        return [self.element(i) for i in range(self.n)]
