"""The datasets a pipeline starts from: from_tensor_slices, from_tensors, range,
from_generator and zip (`Dataset`'s static methods build them)."""
from __future__ import annotations

import numpy as np

from jitgraph.data import structure
from jitgraph.data.dataset import Dataset
from jitgraph.data.params import run_int, static_int
from jitgraph.data.sources import (ArraySource, Chunk, ChunksSource, FailedSource, RangeSource,
                                   ZipSource)
from jitgraph.framework import dtypes, errors
from jitgraph.framework.graph import Tensor


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


class TensorSlicesDataset(_Captured):
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


class TensorsDataset(_Captured):
    def __init__(self, tensors):
        super().__init__(tensors, slices=False)

    def _ra(self, ctx):
        return 1, ArraySource([np.asarray(v)[None] for v in self._values(ctx)])


class RangeDataset(Dataset):
    def __init__(self, *args, output_type=dtypes.int64):
        if not 1 <= len(args) <= 3:
            raise ValueError(f"Invalid arguments to RangeDataset: {args}")
        args = [static_int(a) for a in args]
        self._start, self._stop, self._step = ((0, args[0], 1) if len(args) == 1
                                               else (tuple(args) + (1,))[:3])
        if self._step == 0:
            raise errors.InvalidArgumentError(None, None, "step must be a non-zero integer.")
        self._dtype = dtypes.as_dtype(output_type)
        super().__init__(structure.Spec(self._dtype, []))

    def _ra(self, ctx):
        r = range(run_int(ctx, self._start), run_int(ctx, self._stop), run_int(ctx, self._step))
        if r.step == 0:
            raise errors.InvalidArgumentError(None, None, "step must be a non-zero integer.")
        return len(r), RangeSource(r.start, r.step, self._dtype.as_numpy_dtype)


class GeneratorDataset(Dataset):
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
            try:
                elem = [_convert_component(v, s) for v, s in
                        zip(_flatten_like(self._specs, value), specs)]
            except errors.InvalidArgumentError as e:
                yield Chunk(FailedSource(e), slice(0, 1))
                continue
            yield Chunk.of_elements([elem], len(specs))


def _convert_component(v, spec):
    """One yielded component as an array of the spec's type, or TF's error naming both."""
    try:
        a = np.asarray(v, dtype=spec.dtype.as_numpy_dtype)
    except (TypeError, ValueError) as e:
        raise errors.InvalidArgumentError(
            None, None, "TypeError: `generator` yielded an element that could not be converted "
                        f"to the expected type. The expected type was {spec.dtype.name}, but "
                        f"the yielded element was {v!r}. ({e})") from e
    if not spec.shape.is_compatible_with(a.shape):
        raise errors.InvalidArgumentError(
            None, None, f"`generator` yielded an element of shape {a.shape} where "
                        f"an element of shape {spec.shape} was expected.")
    return a


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


class ZipDataset(Dataset):
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
