"""Element-level transformations: shuffle, repeat, map, filter, take, skip, prefetch,
cache, flat_map, interleave, concatenate and shard (batching is in `batching.py`).

Each keeps its input random-access (`_ra`) where it can, so a shuffle or batch
downstream still works on index arrays; otherwise it transforms chunks as they stream.
"""
from __future__ import annotations

import os

import numpy as np

from jitgraph.data import structure
from jitgraph.data.context import Context, entropy
from jitgraph.data.dataset import CHUNK, Dataset, grouped, iter_elements
from jitgraph.data.functions import TracedFunction
from jitgraph.data.params import constant_int, run_int, static_int
from jitgraph.data.sources import ArraySource, Chunk, ListSource, MappedSource, OffsetSource
from jitgraph.framework import errors
from jitgraph.framework.tensor_shape import TensorShape


class ShuffleDataset(Dataset):
    def __init__(self, input_ds, buffer_size, seed, reshuffle_each_iteration):
        from jitgraph.ops.random_ops import get_seed
        self._buffer = static_int(buffer_size)
        if isinstance(self._buffer, int) and self._buffer <= 0:
            raise errors.InvalidArgumentError(None, None,
                                              "buffer_size must be greater than zero.")
        self._seeds = get_seed(None if seed is None else constant_int(seed, "seed"))
        self._reshuffle = True if reshuffle_each_iteration is None else \
            bool(reshuffle_each_iteration)
        super().__init__(input_ds._specs, [input_ds])

    def _epoch_rng(self, ctx):
        if self._reshuffle:
            return ctx.rng(self, self._seeds)
        # The same order every epoch: one seed drawn per initialization, reused.
        base = ctx.caches.get(self)
        if base is None:
            base = ctx.caches[self] = entropy(self._seeds)
        return np.random.default_rng(base)

    def _chunks(self, ctx):
        rng = self._epoch_rng(ctx)
        ra = self._inputs[0]._ra(ctx)
        if ra is not None:
            n, src = ra
            order = shuffle_order(n, run_int(ctx, self._buffer), rng)
            for a in range(0, n, CHUNK):
                yield Chunk(src, order[a:a + CHUNK])
            return
        yield from grouped(self._stream(ctx, rng), len(self._flat_specs))

    def _stream(self, ctx, rng):
        buf, size = [], run_int(ctx, self._buffer)
        for e in iter_elements(self._inputs[0], ctx):
            if len(buf) < size:
                buf.append(e)
                continue
            j = int(rng.integers(len(buf)))
            yield buf[j]
            buf[j] = e
        while buf:
            j = int(rng.integers(len(buf)))
            yield buf[j]
            buf[j] = buf[-1]
            buf.pop()


def shuffle_order(n, buffer_size, rng) -> np.ndarray:
    """The order a shuffle buffer of `buffer_size` emits indices 0..n-1 in (TF's algorithm:
    fill the buffer, then emit a uniformly chosen slot and refill it with the next input)."""
    if buffer_size >= n:
        return rng.permutation(n)
    draws = rng.random(n)
    buf = list(range(buffer_size))
    nxt = buffer_size
    out = np.empty(n, dtype=np.int64)
    for k in range(n):
        j = int(draws[k] * len(buf))
        out[k] = buf[j]
        if nxt < n:
            buf[j] = nxt
            nxt += 1
        else:
            buf[j] = buf[-1]
            buf.pop()
    return out


class RepeatDataset(Dataset):
    def __init__(self, input_ds, count):
        self._times = -1 if count is None else static_int(count)
        super().__init__(input_ds._specs, [input_ds])

    def _ra(self, ctx):
        times = run_int(ctx, self._times)
        if times < 0:
            return None
        ra = self._inputs[0]._ra(ctx)
        if ra is None:
            return None
        n, src = ra
        return n * times, OffsetSource(src, 0, n or 1)

    def _chunks(self, ctx):
        if self._ra(ctx) is not None:
            yield from Dataset._chunks(self, ctx)
            return
        epoch, times = 0, run_int(ctx, self._times)
        while times < 0 or epoch < times:
            produced = False
            for ch in self._inputs[0]._chunks(ctx):
                produced = produced or ch.n > 0
                yield ch
            if not produced:  # an empty input repeats to an empty dataset, as in TF
                return
            epoch += 1


class MapDataset(Dataset):
    def __init__(self, input_ds, map_func):
        self._fn = TracedFunction(map_func, input_ds._specs, "map", "map_func")
        super().__init__(self._fn.out_specs, [input_ds])

    def _ra(self, ctx):
        ra = self._inputs[0]._ra(ctx)
        if ra is None:
            return None
        return ra[0], MappedSource(ra[1], self._fn.bind(ctx))

    def _own_captures(self):
        return super()._own_captures() + self._fn.outer

    def _chunks(self, ctx):
        fn = self._fn.bind(ctx)
        for ch in self._inputs[0]._chunks(ctx):
            yield Chunk(MappedSource(ch.src, fn), ch.idx)


class FilterDataset(Dataset):
    def __init__(self, input_ds, predicate):
        self._fn = TracedFunction(predicate, input_ds._specs, "filter", "predicate")
        super().__init__(input_ds._specs, [input_ds])

    def _own_captures(self):
        return super()._own_captures() + self._fn.outer

    def _chunks(self, ctx):
        ncomp = len(self._flat_specs)
        fn = self._fn.bind(ctx)
        for ch in self._inputs[0]._chunks(ctx):
            if ch.n == 0:
                continue
            if fn.vectorized:
                rows = ch.rows()
                keep = np.nonzero(np.asarray(fn.call_batch(rows)[0], dtype=bool))[0]
                if len(keep):
                    yield Chunk(ArraySource(rows), keep)
            else:
                kept = [e for e in ch.elements() if bool(fn.call(e)[0])]
                if kept:
                    yield Chunk.of_elements(kept, ncomp)


class TakeDataset(Dataset):
    def __init__(self, input_ds, count):
        self._n = static_int(count)
        super().__init__(input_ds._specs, [input_ds])

    def _ra(self, ctx):
        ra = self._inputs[0]._ra(ctx)
        if ra is None:
            return None
        n, src = ra
        count = run_int(ctx, self._n)
        return (n if count < 0 else min(n, count)), src

    def _chunks(self, ctx):
        left = run_int(ctx, self._n)
        if left < 0:
            yield from self._inputs[0]._chunks(ctx)
            return
        if left == 0:
            return
        for ch in self._inputs[0]._chunks(ctx):
            if ch.n >= left:
                yield ch.sub(0, left)
                return
            left -= ch.n
            yield ch


class SkipDataset(Dataset):
    def __init__(self, input_ds, count):
        self._n = static_int(count)
        super().__init__(input_ds._specs, [input_ds])

    def _ra(self, ctx):
        ra = self._inputs[0]._ra(ctx)
        if ra is None:
            return None
        n, src = ra
        count = run_int(ctx, self._n)
        k = n if count < 0 else min(n, count)
        return n - k, OffsetSource(src, k)

    def _chunks(self, ctx):
        if self._ra(ctx) is not None:
            yield from Dataset._chunks(self, ctx)
            return
        left = run_int(ctx, self._n)
        if left < 0:
            for _ in self._inputs[0]._chunks(ctx):
                pass
            return
        for ch in self._inputs[0]._chunks(ctx):
            if left >= ch.n:
                left -= ch.n
                continue
            yield ch.sub(left, ch.n) if left else ch
            left = 0


class PrefetchDataset(Dataset):
    """Elements are produced on demand in the run that needs them; nothing to prefetch."""

    def __init__(self, input_ds):
        super().__init__(input_ds._specs, [input_ds])

    def _ra(self, ctx):
        return self._inputs[0]._ra(ctx)

    def _chunks(self, ctx):
        return self._inputs[0]._chunks(ctx)


class CacheDataset(Dataset):
    """In-memory cache: the first pass is recorded, later passes (repeat) replay it."""

    def __init__(self, input_ds):
        super().__init__(input_ds._specs, [input_ds])

    def _ra(self, ctx):
        hit = ctx.caches.get(self)
        if hit is not None:
            return hit if isinstance(hit, tuple) else None
        ra = self._inputs[0]._ra(ctx)
        if ra is None:
            return None
        n, src = ra
        try:
            cached = ArraySource(src.gather(slice(0, n))) if n else src
        except errors.InvalidArgumentError:  # ragged elements: keep them one by one
            cached = ListSource([src.element(i) for i in range(n)], len(self._flat_specs))
        ctx.caches[self] = (n, cached)
        return n, cached

    def _chunks(self, ctx):
        hit = ctx.caches.get(self)
        if isinstance(hit, list):
            yield from hit
            return
        if self._ra(ctx) is not None:
            yield from Dataset._chunks(self, ctx)
            return
        record = []
        ncomp = len(self._flat_specs)
        for ch in self._inputs[0]._chunks(ctx):
            ch = Chunk.of_elements(ch.elements(), ncomp)
            record.append(ch)
            yield ch
        ctx.caches[self] = record


class FlatMapDataset(Dataset):
    def __init__(self, input_ds, map_func):
        self._fn = TracedFunction(map_func, input_ds._specs, "dataset", "map_func")
        self._inner = self._fn.dataset
        super().__init__(self._inner._specs, [input_ds])

    def _own_captures(self):
        return super()._own_captures() + self._fn.outer

    def _open(self, element, outer_values):
        """Chunks of the dataset `map_func` returns for one input element."""
        caps = self._inner._captures()
        fetches = [self._fn.graph.capture(t) for t in caps]
        values = self._fn.run_fetches(fetches, element, outer_values) if caps else []
        return self._inner._chunks(Context(dict(zip(caps, values))))

    def _chunks(self, ctx):
        outer_values = [ctx.value(t) for t in self._fn.outer]
        for e in iter_elements(self._inputs[0], ctx):
            yield from self._open(e, outer_values)


class InterleaveDataset(FlatMapDataset):
    def __init__(self, input_ds, map_func, cycle_length, block_length):
        super().__init__(input_ds, map_func)
        cycle = constant_int(cycle_length, "cycle_length")
        self._cycle = cycle if cycle > 0 else (os.cpu_count() or 1)
        self._block = constant_int(block_length, "block_length")
        if self._block <= 0:
            raise errors.InvalidArgumentError(None, None,
                                              "block_length must be greater than zero.")

    def _elements(self, ctx):
        # TF's InterleaveDataset: visit slots in turn, `block` elements each; an exhausted
        # slot moves the cycle on, an empty slot is refilled from the input in place.
        inputs = iter_elements(self._inputs[0], ctx)
        outer_values = [ctx.value(t) for t in self._fn.outer]
        slots = [None] * self._cycle
        open_, end_of_input, k, taken = 0, False, 0, 0
        while not end_of_input or open_ > 0:
            if slots[k] is not None:
                e = next(slots[k], None)
                if e is not None:
                    yield e
                    taken += 1
                    if taken == self._block:
                        k, taken = (k + 1) % self._cycle, 0
                    continue
                slots[k] = None
                open_ -= 1
                k, taken = (k + 1) % self._cycle, 0
            elif not end_of_input:
                e = next(inputs, None)
                if e is None:
                    end_of_input = True
                    continue
                slots[k] = _elements_of(self._open(e, outer_values))
                open_ += 1
            else:
                k, taken = (k + 1) % self._cycle, 0

    def _chunks(self, ctx):
        return grouped(self._elements(ctx), len(self._flat_specs))


def _elements_of(chunks):
    for ch in chunks:
        for i in range(ch.n):
            yield ch.element(i)


class ConcatenateDataset(Dataset):
    def __init__(self, a, b):
        if not structure.same_structure(a._specs, b._specs):
            raise TypeError(f"Two datasets to concatenate have different types "
                            f"{a.output_types} and {b.output_types}")
        specs = []
        for x, y in zip(a._flat_specs, b._flat_specs):
            if x.dtype != y.dtype:
                raise TypeError(f"Two datasets to concatenate have different types "
                                f"{a.output_types} and {b.output_types}")
            specs.append(structure.Spec(x.dtype, _most_specific_compatible(x.shape, y.shape)))
        super().__init__(structure.pack(a._specs, specs), [a, b])

    def _chunks(self, ctx):
        for d in self._inputs:
            yield from d._chunks(ctx)


def _most_specific_compatible(a, b):
    if a.ndims is None or b.ndims is None or a.ndims != b.ndims:
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a.as_tuple(), b.as_tuple())])


class ShardDataset(Dataset):
    def __init__(self, input_ds, num_shards, index):
        self._num = constant_int(num_shards, "num_shards")
        self._index = constant_int(index, "index")
        if self._num <= 0:
            raise errors.InvalidArgumentError(None, None, "Number of shards must be greater "
                                                          "than zero")
        if not 0 <= self._index < self._num:
            raise errors.InvalidArgumentError(None, None, "Index must be between 0 and "
                                                          f"{self._num - 1}")
        super().__init__(input_ds._specs, [input_ds])

    def _chunks(self, ctx):
        seen = 0
        for ch in self._inputs[0]._chunks(ctx):
            first = (self._index - seen) % self._num
            keep = np.arange(first, ch.n, self._num, dtype=np.int64)
            seen += ch.n
            if len(keep):
                yield ch.take(keep)
