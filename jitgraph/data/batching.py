"""Batching transformations: `Dataset.batch` and `Dataset.padded_batch`.

A batch of a random-access input stays random-access (`_BatchSource` gathers
batch i as one slice of the input's rows); any other input is batched as its
chunks stream by.
"""
from __future__ import annotations

import itertools

import numpy as np

from jitgraph.data import structure
from jitgraph.data.dataset import Dataset, iter_elements
from jitgraph.data.params import run_int, static_int
from jitgraph.data.sources import Chunk, concat_rows, stack_rows
from jitgraph.data.sparse_batching import batch_elements, batched_specs, sparse_positions
from jitgraph.framework import dtypes, errors
from jitgraph.framework.graph import Tensor
from jitgraph.framework.tensor_shape import TensorShape, as_shape


class BatchDataset(Dataset):
    def __init__(self, input_ds, batch_size, drop_remainder):
        self._bs = static_int(batch_size)
        if isinstance(self._bs, int) and self._bs <= 0:
            raise errors.InvalidArgumentError(None, None, "Batch size must be greater than zero.")
        self._drop = bool(drop_remainder)
        dim = self._bs if self._drop and isinstance(self._bs, int) else None
        self._sparse = sparse_positions(input_ds._specs)
        if self._sparse:  # SparseTensor components batch into one SparseTensor each
            specs = batched_specs(input_ds._specs, dim)
        else:
            specs = structure.map_specs(lambda s: structure.batched(s, dim), input_ds._specs)
        super().__init__(specs, [input_ds])

    def _ra(self, ctx):
        ra = self._inputs[0]._ra(ctx) if not self._sparse else None
        if ra is None:
            return None
        n, src = ra
        bs = _batch_size(ctx, self._bs)
        count = n // bs if self._drop else -(-n // bs)
        return count, _BatchSource(src, bs, n, len(self._flat_specs))

    def _chunks(self, ctx):
        bs, ncomp = _batch_size(ctx, self._bs), len(self._flat_specs)
        if self._sparse:
            yield from self._sparse_chunks(ctx, bs, ncomp)
            return
        pending, have = [], 0
        for ch in self._inputs[0]._chunks(ctx):
            pos = 0
            while pos < ch.n:
                k = min(bs - have, ch.n - pos)
                pending.append(ch.sub(pos, pos + k))
                have += k
                pos += k
                if have == bs:
                    yield Chunk.of_elements([_join(pending, ncomp)], ncomp)
                    pending, have = [], 0
        if have and not self._drop:
            yield Chunk.of_elements([_join(pending, ncomp)], ncomp)


    def _sparse_chunks(self, ctx, bs, ncomp):
        elements = iter_elements(self._inputs[0], ctx)
        while True:
            group = list(itertools.islice(elements, bs))
            if not group or (self._drop and len(group) < bs):
                return
            yield Chunk.of_elements([batch_elements(group, ncomp, self._sparse)], ncomp)


def _batch_size(ctx, p):
    bs = run_int(ctx, p)
    if bs <= 0:
        raise errors.InvalidArgumentError(None, None, "Batch size must be greater than zero.")
    return bs


def _join(pieces, ncomp):
    return concat_rows([p.rows() for p in pieces], ncomp)


class _BatchSource:
    """Batches of a random-access source, reachable by batch index."""

    __slots__ = ("inner", "bs", "n", "ncomp")

    def __init__(self, inner, bs, n, ncomp):
        self.inner, self.bs, self.n, self.ncomp = inner, bs, n, ncomp

    def element(self, i):
        return self.inner.gather(slice(i * self.bs, min(self.n, (i + 1) * self.bs)))

    def gather(self, idx):
        pos = range(idx.start, idx.stop) if isinstance(idx, slice) else idx
        return stack_rows([self.element(int(i)) for i in pos], self.ncomp)


class PaddedBatchDataset(Dataset):
    def __init__(self, input_ds, batch_size, padded_shapes, padding_values, drop_remainder):
        self._bs = static_int(batch_size)
        self._drop = bool(drop_remainder)
        specs = input_ds._flat_specs
        if padded_shapes is None:
            shapes = [s.shape for s in specs]
        else:
            shapes = structure.flatten_shapes(input_ds._specs, padded_shapes)
        self._pad_shapes = []
        for s, p in zip(specs, shapes):
            p = as_shape([None if d == -1 else d for d in p]) if p.ndims is not None else p
            if p.ndims is None and s.shape.ndims is not None:
                p = TensorShape([None] * s.shape.ndims)
            if not p.is_compatible_with(TensorShape([None] * (s.shape.ndims or 0))) \
                    and s.shape.ndims is not None:
                raise ValueError(f"The padded shape {p} is not compatible with the "
                                 f"corresponding input component shape {s.shape}.")
            self._pad_shapes.append(p)
        if padding_values is None:
            pads = [b"" if s.dtype == dtypes.string else 0 for s in specs]
        else:
            pads = structure.flatten(structure.normalize(padding_values, lambda v: v))
        self._pads = []
        for v, s in zip(pads, specs):
            if isinstance(v, Tensor):
                if v.dtype != s.dtype:
                    raise TypeError(f"Padding value dtype {v.dtype.name} does not match the "
                                    f"component dtype {s.dtype.name}")
                self._pads.append(v)  # captured: evaluated when the iterator starts
            else:
                self._pads.append(np.asarray(v, dtype=s.dtype.as_numpy_dtype))
        dim = self._bs if self._drop and isinstance(self._bs, int) else None
        out = [structure.Spec(s.dtype, TensorShape([dim]).concatenate(p))
               for s, p in zip(specs, self._pad_shapes)]
        super().__init__(structure.pack(input_ds._specs, out), [input_ds])

    def _own_captures(self):
        return [p for p in self._pads if isinstance(p, Tensor)] + super()._own_captures()

    def _pad(self, group, pads):
        out = []
        for j, (pshape, pad) in enumerate(zip(self._pad_shapes, pads)):
            parts = [np.asarray(e[j]) for e in group]
            rank = parts[0].ndim
            dims = []
            for k in range(rank):
                longest = max(p.shape[k] for p in parts)
                want = pshape.as_tuple()[k] if pshape.ndims else None
                if want is not None and longest > want:
                    raise errors.InvalidArgumentError(
                        None, None, "Attempted to pad to a smaller size than the input element.")
                dims.append(longest if want is None else want)
            arr = np.full([len(parts)] + dims, pad, dtype=pad.dtype)
            for i, p in enumerate(parts):
                arr[(i,) + tuple(slice(0, d) for d in p.shape)] = p
            out.append(arr)
        return out

    def _chunks(self, ctx):
        ncomp = len(self._pad_shapes)
        pads = [ctx.value(p) if isinstance(p, Tensor) else p for p in self._pads]
        bs = _batch_size(ctx, self._bs)
        elements = iter_elements(self._inputs[0], ctx)
        while True:
            group = list(itertools.islice(elements, bs))
            if not group or (self._drop and len(group) < bs):
                return
            yield Chunk.of_elements([self._pad(group, pads)], ncomp)
