"""`tf.data.Dataset`: a description of an input pipeline, run by iterators on the host.

A Dataset is built at graph-construction time and holds no data of its own
beyond the numpy arrays it was given; graph tensors it was given are
*captured* and evaluated when an iterator is initialized.

At run time each dataset answers `_chunks(ctx)`: a generator of Chunks (a row
source plus positions, see `sources.py`). Datasets whose rows can be reached by
index (`_ra(ctx)` -> (length, source)) let shuffle and batch work on index
arrays, so a from_tensor_slices -> shuffle -> batch pipeline gathers each batch
with one numpy fancy-index per component and runs no Python per element.
"""
from __future__ import annotations

import itertools
import os

import numpy as np

from jitgraph.data import structure
from jitgraph.data.context import Context, entropy
from jitgraph.data.functions import TracedFunction
from jitgraph.data.sources import (ArraySource, Chunk, ListSource, OffsetSource, MappedSource,
                                   RangeSource, ZipSource, ChunksSource, concat_rows, stack_rows)
from jitgraph.framework import dtypes, errors
from jitgraph.framework.graph import Tensor
from jitgraph.framework.tensor_shape import TensorShape, as_shape

AUTOTUNE = -1
CHUNK = 4096        # elements per chunk when a random-access source is streamed
GROUP = 256         # elements per chunk when elements are produced one by one


def _count(x, name):
    """`x` as a Python int: a Python/numpy int or a constant tensor."""
    from jitgraph.ops.constant import constant_value
    if isinstance(x, Tensor):
        v = constant_value(x)
        if v is None:
            raise NotImplementedError(f"jitgraph: `{name}` must be a Python int or a constant "
                                      "tensor")
        x = v
    return int(x)


def _static(x):
    """A Python int for an int or a constant tensor; the tensor itself otherwise."""
    from jitgraph.ops.constant import constant_value
    if isinstance(x, Tensor):
        v = constant_value(x)
        return x if v is None else int(v)
    return int(x)


def _get(ctx, p):
    """A scalar parameter's value at run time (captured tensors are read from `ctx`)."""
    return int(ctx.value(p)) if isinstance(p, Tensor) else p


class Dataset:
    """Represents a potentially large set of elements (`tf.data.Dataset`)."""

    def __init__(self, specs, inputs=()):
        self._specs = specs
        self._inputs = list(inputs)

    # -- structure ------------------------------------------------------------------
    @property
    def output_types(self):
        return structure.types_of(self._specs)

    @property
    def output_shapes(self):
        return structure.shapes_of(self._specs)

    @property
    def output_classes(self):
        return structure.classes_of(self._specs)

    @property
    def _flat_specs(self):
        return structure.flatten(self._specs)

    def __repr__(self):
        # TF 1.15 prints its V1 wrapper class name and the nests with quotes removed.
        shapes = str(structure.map_specs(lambda s: str(s.shape), self._specs)).replace("'", "")
        types = str(structure.map_specs(lambda s: repr(s.dtype), self._specs)).replace("'", "")
        return f"<DatasetV1Adapter shapes: {shapes}, types: {types}>"

    def __iter__(self):
        raise RuntimeError("__iter__() is only supported inside of tf.function or when eager "
                           "execution is enabled.")

    # -- graph-time captures ----------------------------------------------------------
    def _own_captures(self):
        return [p for p in vars(self).values() if isinstance(p, Tensor)]

    def _captures(self) -> list:
        """Graph tensors this pipeline reads, evaluated when its iterator is initialized."""
        out, seen = [], set()
        stack = [self]
        while stack:
            ds = stack.pop()
            for t in ds._own_captures():
                if t not in seen:
                    seen.add(t)
                    out.append(t)
            stack.extend(reversed(ds._inputs))
        return out

    # -- run time -------------------------------------------------------------------
    def _ra(self, ctx):
        """(length, source) when rows can be reached by index; else None."""
        return None

    def _chunks(self, ctx):
        n, src = self._ra(ctx)
        for a in range(0, n, CHUNK):
            yield Chunk(src, slice(a, min(n, a + CHUNK)))

    # -- sources --------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors):
        """A dataset whose elements are slices of `tensors` along their first dimension."""
        return _TensorSlices(tensors)

    @staticmethod
    def from_tensors(tensors):
        """A dataset with a single element: `tensors`."""
        return _Tensors(tensors)

    @staticmethod
    def range(*args, **kwargs):  # noqa: A003 - TF's name
        """`Dataset.range(stop)`, `(start, stop)` or `(start, stop, step)`, as Python's range."""
        return _Range(*args, **kwargs)

    @staticmethod
    def zip(datasets):  # noqa: A003 - TF's name
        """Zips a (nested) tuple or dict of datasets into a dataset of tuples/dicts."""
        return _Zip(datasets)

    @staticmethod
    def from_generator(generator, output_types, output_shapes=None, args=None):
        """Elements produced by calling `generator(*args)` and iterating over it."""
        return _Generator(generator, output_types, output_shapes, args)

    # -- transformations ------------------------------------------------------------
    def batch(self, batch_size, drop_remainder=False):
        return _Batch(self, batch_size, drop_remainder)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False):
        return _PaddedBatch(self, batch_size, padded_shapes, padding_values, drop_remainder)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None):
        return _Shuffle(self, buffer_size, seed, reshuffle_each_iteration)

    def repeat(self, count=None):
        return _Repeat(self, count)

    def map(self, map_func, num_parallel_calls=None):  # noqa: A003 - TF's name
        return _Map(self, map_func)

    def filter(self, predicate):  # noqa: A003 - TF's name
        return _Filter(self, predicate)

    def take(self, count):
        return _Take(self, count)

    def skip(self, count):
        return _Skip(self, count)

    def prefetch(self, buffer_size):
        return _Prefetch(self)

    def cache(self, filename=""):
        return _Cache(self)

    def flat_map(self, map_func):
        return _FlatMap(self, map_func)

    def interleave(self, map_func, cycle_length=AUTOTUNE, block_length=1,
                   num_parallel_calls=None):
        return _Interleave(self, map_func, cycle_length, block_length)

    def concatenate(self, dataset):
        return _Concatenate(self, dataset)

    def shard(self, num_shards, index):
        return _Shard(self, num_shards, index)

    def apply(self, transformation_func):
        ds = transformation_func(self)
        if not isinstance(ds, Dataset):
            raise TypeError("`transformation_func` must return a Dataset. Got "
                            f"{type(ds)}.")
        return ds

    def with_options(self, options):
        return self

    # -- iterators ------------------------------------------------------------------
    def make_one_shot_iterator(self):
        from jitgraph.data.iterator import Iterator
        return Iterator._one_shot(self)

    def make_initializable_iterator(self, shared_name=None):
        from jitgraph.data.iterator import Iterator
        return Iterator._initializable(self, shared_name)


DatasetV1 = Dataset


def iter_elements(ds, ctx):
    """The elements of `ds`, one list of arrays each."""
    for ch in ds._chunks(ctx):
        for i in range(ch.n):
            yield ch.element(i)


def _grouped(elements, ncomp, size=GROUP):
    """Chunks of up to `size` elements from an element generator."""
    while True:
        group = list(itertools.islice(elements, size))
        if not group:
            return
        yield Chunk.of_elements(group, ncomp)


# -- sources ------------------------------------------------------------------------------
class _Captured(Dataset):
    """A source holding a structure of numpy arrays and graph tensors."""

    def __init__(self, tensors, slices):
        value = structure.normalize(tensors, structure.to_leaf)
        self._leaves = structure.flatten(value)
        specs = [structure.leaf_spec(x) for x in self._leaves]
        if slices:
            if not self._leaves:
                raise ValueError("Invalid `tensors`: at least one component is required")
            specs = [structure.unbatched(s) for s in specs]
            first = [structure.leaf_spec(x).shape[0].value for x in self._leaves]
            known = {d for d in first if d is not None}
            if len(known) > 1:
                a, b = sorted(known)[:2]
                raise ValueError(f"Dimensions {a} and {b} are not compatible")
        super().__init__(structure.pack(value, specs))

    def _own_captures(self):
        return [x for x in self._leaves if isinstance(x, Tensor)]

    def _values(self, ctx):
        return [ctx.value(x) if isinstance(x, Tensor) else x for x in self._leaves]


class _TensorSlices(_Captured):
    def __init__(self, tensors):
        super().__init__(tensors, slices=True)

    def _ra(self, ctx):
        cols = self._values(ctx)
        n = cols[0].shape[0] if cols[0].ndim else 0
        for c in cols:
            if c.ndim == 0 or c.shape[0] != n:
                raise errors.InvalidArgumentError(
                    None, None, "All components must have the same size in the 0th dimension")
        return n, ArraySource(cols)


class _Tensors(_Captured):
    def __init__(self, tensors):
        super().__init__(tensors, slices=False)

    def _ra(self, ctx):
        return 1, ArraySource([np.asarray(v)[None] for v in self._values(ctx)])


class _Range(Dataset):
    def __init__(self, *args, output_type=dtypes.int64):
        if not 1 <= len(args) <= 3:
            raise ValueError(f"Invalid arguments to RangeDataset: {args}")
        args = [_static(a) for a in args]
        self._start, self._stop, self._step = ((0, args[0], 1) if len(args) == 1
                                               else (tuple(args) + (1,))[:3])
        if self._step == 0:
            raise errors.InvalidArgumentError(None, None, "step must be a non-zero integer.")
        self._dtype = dtypes.as_dtype(output_type)
        super().__init__(structure.Spec(self._dtype, []))

    def _ra(self, ctx):
        r = range(_get(ctx, self._start), _get(ctx, self._stop), _get(ctx, self._step))
        if r.step == 0:
            raise errors.InvalidArgumentError(None, None, "step must be a non-zero integer.")
        return len(r), RangeSource(r.start, r.step, self._dtype.as_numpy_dtype)


class _Generator(Dataset):
    def __init__(self, generator, output_types, output_shapes, args):
        if not callable(generator):
            raise TypeError("`generator` must be callable.")
        self._gen = generator
        self._args = [] if args is None else [structure.to_leaf(a) for a in args]
        super().__init__(structure.from_types_and_shapes(output_types, output_shapes))

    def _own_captures(self):
        return [a for a in self._args if isinstance(a, Tensor)] + super()._own_captures()

    def _chunks(self, ctx):
        args = [ctx.value(a) if isinstance(a, Tensor) else a for a in self._args]
        specs = self._flat_specs
        for value in self._gen(*args):
            flat = _flatten_like(self._specs, value)
            elem = []
            for v, s in zip(flat, specs):
                a = np.asarray(v, dtype=s.dtype.as_numpy_dtype)
                if not s.shape.is_compatible_with(a.shape):
                    raise errors.InvalidArgumentError(
                        None, None, f"`generator` yielded an element of shape {a.shape} where "
                                    f"an element of shape {s.shape} was expected.")
                elem.append(a)
            yield Chunk.of_elements([elem], len(specs))


def _flatten_like(specs, value):
    if isinstance(specs, structure.Spec):
        return [value]
    if isinstance(specs, dict):
        return [x for k in sorted(specs) for x in _flatten_like(specs[k], value[k])]
    value = tuple(value)
    if len(value) != len(specs):
        raise errors.InvalidArgumentError(
            None, None, "`generator` yielded an element that did not match the expected "
                        f"structure. Expected {len(specs)} components, got {len(value)}.")
    return [x for s, v in zip(specs, value) for x in _flatten_like(s, v)]


class _Zip(Dataset):
    def __init__(self, datasets):
        from jitgraph.framework import nest
        if isinstance(datasets, list):
            datasets = tuple(datasets)
        flat = nest.flatten(datasets)
        for d in flat:
            if not isinstance(d, Dataset):
                raise TypeError(f"The argument to `Dataset.zip()` must be a (nested) structure "
                                f"of `Dataset` objects. Got {type(d)}.")
        super().__init__(nest.pack_sequence_as(datasets, [d._specs for d in flat]), flat)

    def _ra(self, ctx):
        ras = [d._ra(ctx) for d in self._inputs]
        if any(r is None for r in ras):
            return None
        return min(r[0] for r in ras), ZipSource([r[1] for r in ras])

    def _chunks(self, ctx):
        if self._ra(ctx) is not None:
            yield from Dataset._chunks(self, ctx)
            return
        gens = [d._chunks(ctx) for d in self._inputs]
        cur = [None] * len(gens)
        while True:
            for k, g in enumerate(gens):
                if cur[k] is None or cur[k].n == 0:
                    nxt = next(g, None)
                    while nxt is not None and nxt.n == 0:
                        nxt = next(g, None)
                    if nxt is None:
                        return
                    cur[k] = nxt
            m = min(c.n for c in cur)
            yield Chunk(ChunksSource([c.sub(0, m) for c in cur]), slice(0, m))
            cur = [c.sub(m, c.n) for c in cur]


# -- transformations ---------------------------------------------------------------------
class _Batch(Dataset):
    def __init__(self, input_ds, batch_size, drop_remainder):
        self._bs = _static(batch_size)
        if isinstance(self._bs, int) and self._bs <= 0:
            raise errors.InvalidArgumentError(None, None, "Batch size must be greater than zero.")
        self._drop = bool(drop_remainder)
        dim = self._bs if self._drop and isinstance(self._bs, int) else None
        super().__init__(structure.map_specs(lambda s: structure.batched(s, dim),
                                             input_ds._specs), [input_ds])

    def _ra(self, ctx):
        ra = self._inputs[0]._ra(ctx)
        if ra is None:
            return None
        n, src = ra
        bs = _batch_size(ctx, self._bs)
        count = n // bs if self._drop else -(-n // bs)
        return count, _BatchSource(src, bs, n, len(self._flat_specs))

    def _chunks(self, ctx):
        bs, ncomp = _batch_size(ctx, self._bs), len(self._flat_specs)
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


def _batch_size(ctx, p):
    bs = _get(ctx, p)
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


class _PaddedBatch(Dataset):
    def __init__(self, input_ds, batch_size, padded_shapes, padding_values, drop_remainder):
        self._bs = _static(batch_size)
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


class _Shuffle(Dataset):
    def __init__(self, input_ds, buffer_size, seed, reshuffle_each_iteration):
        from jitgraph.ops.random_ops import get_seed
        self._buffer = _static(buffer_size)
        if isinstance(self._buffer, int) and self._buffer <= 0:
            raise errors.InvalidArgumentError(None, None,
                                              "buffer_size must be greater than zero.")
        self._seeds = get_seed(None if seed is None else _count(seed, "seed"))
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
            order = shuffle_order(n, _get(ctx, self._buffer), rng)
            for a in range(0, n, CHUNK):
                yield Chunk(src, order[a:a + CHUNK])
            return
        yield from _grouped(self._stream(ctx, rng), len(self._flat_specs))

    def _stream(self, ctx, rng):
        buf, size = [], _get(ctx, self._buffer)
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


class _Repeat(Dataset):
    def __init__(self, input_ds, count):
        self._times = -1 if count is None else _static(count)
        super().__init__(input_ds._specs, [input_ds])

    def _ra(self, ctx):
        times = _get(ctx, self._times)
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
        epoch, times = 0, _get(ctx, self._times)
        while times < 0 or epoch < times:
            produced = False
            for ch in self._inputs[0]._chunks(ctx):
                produced = produced or ch.n > 0
                yield ch
            if not produced:  # an empty input repeats to an empty dataset, as in TF
                return
            epoch += 1


class _Map(Dataset):
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


class _Filter(Dataset):
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


class _Take(Dataset):
    def __init__(self, input_ds, count):
        self._n = _static(count)
        super().__init__(input_ds._specs, [input_ds])

    def _ra(self, ctx):
        ra = self._inputs[0]._ra(ctx)
        if ra is None:
            return None
        n, src = ra
        count = _get(ctx, self._n)
        return (n if count < 0 else min(n, count)), src

    def _chunks(self, ctx):
        left = _get(ctx, self._n)
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


class _Skip(Dataset):
    def __init__(self, input_ds, count):
        self._n = _static(count)
        super().__init__(input_ds._specs, [input_ds])

    def _ra(self, ctx):
        ra = self._inputs[0]._ra(ctx)
        if ra is None:
            return None
        n, src = ra
        count = _get(ctx, self._n)
        k = n if count < 0 else min(n, count)
        return n - k, OffsetSource(src, k)

    def _chunks(self, ctx):
        if self._ra(ctx) is not None:
            yield from Dataset._chunks(self, ctx)
            return
        left = _get(ctx, self._n)
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


class _Prefetch(Dataset):
    """Elements are produced on demand in the run that needs them; nothing to prefetch."""

    def __init__(self, input_ds):
        super().__init__(input_ds._specs, [input_ds])

    def _ra(self, ctx):
        return self._inputs[0]._ra(ctx)

    def _chunks(self, ctx):
        return self._inputs[0]._chunks(ctx)


class _Cache(Dataset):
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


class _FlatMap(Dataset):
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


class _Interleave(_FlatMap):
    def __init__(self, input_ds, map_func, cycle_length, block_length):
        super().__init__(input_ds, map_func)
        cycle = _count(cycle_length, "cycle_length")
        self._cycle = cycle if cycle > 0 else (os.cpu_count() or 1)
        self._block = _count(block_length, "block_length")
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
        return _grouped(self._elements(ctx), len(self._flat_specs))


def _elements_of(chunks):
    for ch in chunks:
        for i in range(ch.n):
            yield ch.element(i)


class _Concatenate(Dataset):
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


class _Shard(Dataset):
    def __init__(self, input_ds, num_shards, index):
        self._num, self._index = _count(num_shards, "num_shards"), _count(index, "index")
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
