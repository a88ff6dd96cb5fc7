"""More of `tf.data.experimental`: Counter, sample_from_datasets, choose_from_datasets,
take_while, scan, unique and bucket_by_sequence_length.

Each streams elements (no random access), with user functions traced once like map's.
Sampling draws from a NumPy generator seeded as shuffles are (TF's own random stream
cannot be reproduced, so a seeded sample is repeatable here, not equal to TF's).
"""
from __future__ import annotations

import numpy as np

from jitgraph.data import structure
from jitgraph.data.context import entropy
from jitgraph.data.dataset import Dataset, grouped, iter_elements
from jitgraph.data.functions import TracedFunction
from jitgraph.data.params import constant_int
from jitgraph.framework import dtypes, errors
from jitgraph.framework.graph import Tensor
from jitgraph.framework.tensor_shape import TensorShape


def Counter(start=0, step=1, dtype=dtypes.int64):  # noqa: N802 - TF's name
    """start, start + step, ... without end."""
    end = np.iinfo(np.int64).max if step > 0 else np.iinfo(np.int64).min
    return Dataset.range(start, end, step, output_type=dtypes.as_dtype(dtype))


def _same_structure(datasets):
    first = datasets[0]
    for d in datasets[1:]:
        if not structure.same_structure(first._specs, d._specs) or \
                [s.dtype for s in first._flat_specs] != [s.dtype for s in d._flat_specs]:
            raise TypeError("All datasets must have the same type and structure.")
    return _merged_specs(datasets)


def _merged_specs(datasets):
    """Specs whose shapes are the most specific shapes all datasets' elements fit."""
    flat = [d._flat_specs for d in datasets]
    out = []
    for parts in zip(*flat):
        shape = parts[0].shape
        for p in parts[1:]:
            shape = _most_specific_compatible(shape, p.shape)
        out.append(structure.Spec(parts[0].dtype, shape))
    return structure.pack(datasets[0]._specs, out)


def _most_specific_compatible(a, b):
    if a.ndims is None or b.ndims is None or a.ndims != b.ndims:
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a.as_tuple(), b.as_tuple())])


class _Directed(Dataset):
    """Elements taken from `datasets` in the order a selector gives (TF's
    DirectedInterleave): an exhausted dataset is skipped from then on."""

    def __init__(self, datasets, specs, extra=()):
        super().__init__(specs, list(datasets) + list(extra))
        self._n = len(datasets)

    def _selections(self, ctx, alive):
        raise NotImplementedError

    def _chunks(self, ctx):
        gens = [iter_elements(d, ctx) for d in self._inputs[:self._n]]
        alive = [True] * self._n

        def elements():
            for i in self._selections(ctx, alive):
                if not alive[i]:
                    continue
                e = next(gens[i], None)
                if e is None:
                    alive[i] = False
                    if not any(alive):
                        return
                    continue
                yield e
        return grouped(elements(), len(self._flat_specs))


class _Sample(_Directed):
    def __init__(self, datasets, weights, seed):
        from jitgraph.ops.random_ops import get_seed
        self._weights = weights
        self._seeds = get_seed(None if seed is None else constant_int(seed, "seed"))
        super().__init__(datasets, _same_structure(datasets))

    def _own_captures(self):
        return [self._weights] if isinstance(self._weights, Tensor) else []

    def _selections(self, ctx, alive):
        w = self._weights
        w = np.ones(self._n) if w is None else np.asarray(
            ctx.value(w) if isinstance(w, Tensor) else w, dtype=np.float64)
        if w.shape != (self._n,):
            raise errors.InvalidArgumentError(
                None, None, f"`weights` must have {self._n} elements, got {w.shape}")
        rng = np.random.default_rng(entropy(self._seeds))
        while any(alive):
            p = np.where(alive, w, 0.0)
            if p.sum() <= 0:
                return
            yield int(rng.choice(self._n, p=p / p.sum()))


def sample_from_datasets(datasets, weights=None, seed=None):
    """Elements of `datasets` picked at random with probabilities `weights` (a list, or
    a Tensor evaluated when the iterator starts); an exhausted dataset drops out."""
    datasets = list(datasets)
    if not datasets:
        raise ValueError("`datasets` must be a non-empty list of datasets.")
    if weights is not None and not isinstance(weights, Tensor):
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != (len(datasets),):
            raise ValueError(f"`weights` must have {len(datasets)} elements.")
    return _Sample(datasets, weights, seed)


class _Choose(_Directed):
    def __init__(self, datasets, choices):
        flat = choices._flat_specs
        if len(flat) != 1 or flat[0].dtype != dtypes.int64 or flat[0].shape.ndims not in (
                0, None):
            raise TypeError("`choice_dataset` must be a dataset of scalar `tf.int64` tensors.")
        super().__init__(datasets, _same_structure(datasets), [choices])

    def _selections(self, ctx, alive):
        for (c,) in iter_elements(self._inputs[self._n], ctx):
            i = int(np.asarray(c))
            if not 0 <= i < self._n:
                raise errors.InvalidArgumentError(
                    None, None, f"Selector index out of range: {i} >= {self._n}")
            yield i


def choose_from_datasets(datasets, choice_dataset):
    """Elements of `datasets[i]` for each i of `choice_dataset` (scalar int64s)."""
    datasets = list(datasets)
    if not datasets:
        raise ValueError("`datasets` must be a non-empty list of datasets.")
    return _Choose(datasets, choice_dataset)


class _TakeWhile(Dataset):
    def __init__(self, input_ds, predicate):
        self._fn = TracedFunction(predicate, input_ds._specs, "filter", "predicate")
        super().__init__(input_ds._specs, [input_ds])

    def _own_captures(self):
        return super()._own_captures() + self._fn.outer

    def _chunks(self, ctx):
        fn = self._fn.bind(ctx)

        def elements():
            for e in iter_elements(self._inputs[0], ctx):
                if not bool(fn.call(e)[0]):
                    return
                yield e
        return grouped(elements(), len(self._flat_specs))


def take_while(predicate):
    """A transformation: elements up to (not including) the first one `predicate` refuses."""
    return lambda ds: _TakeWhile(ds, predicate)


class _Unique(Dataset):
    def __init__(self, input_ds):
        flat = input_ds._flat_specs
        if len(flat) != 1 or flat[0].dtype not in (dtypes.int32, dtypes.int64, dtypes.string):
            raise TypeError("`tf.data.experimental.unique()` only supports datasets with 1 "
                            "component of type int32, int64 or string.")
        super().__init__(input_ds._specs, [input_ds])

    def _chunks(self, ctx):
        def elements():
            seen = set()
            for e in iter_elements(self._inputs[0], ctx):
                v = np.asarray(e[0])
                key = v[()] if v.ndim == 0 else (v.shape, v.tobytes()) if v.dtype != object \
                    else (v.shape, tuple(v.ravel()))
                if key not in seen:
                    seen.add(key)
                    yield e
        return grouped(elements(), 1)


def unique():
    """A transformation: each distinct element once, in first-seen order."""
    return _Unique


class _Scan(Dataset):
    def __init__(self, input_ds, initial_state, scan_func):
        self._init = structure.normalize(initial_state, structure.to_leaf)
        self._state_specs = structure.map_specs(structure.leaf_spec, self._init)
        in_specs = (self._state_specs, input_ds._specs)
        self._fn = TracedFunction(lambda *a: scan_func(*a), in_specs, "map", "scan_func")
        out = self._fn.out_structure
        if not isinstance(out, tuple) or len(out) != 2:
            raise TypeError("The scan function must return a pair comprising the new state "
                            "and the output value.")
        self._n_state = len(structure.flatten(out[0]))
        state_out = structure.flatten(out[0])
        for old, new in zip(structure.flatten(self._state_specs), state_out):
            if old.dtype != new.dtype:
                raise TypeError(f"The element types for the new state must match the initial "
                                f"state. Expected {old.dtype.name}; got {new.dtype.name}.")
        specs = structure.map_specs(lambda t: structure.Spec(t.dtype, t.shape), out[1])
        super().__init__(specs, [input_ds])

    def _own_captures(self):
        return [t for t in structure.flatten(self._init) if isinstance(t, Tensor)] + \
            self._fn.outer

    def _chunks(self, ctx):
        fn = self._fn.bind(ctx)
        state = [np.asarray(ctx.value(t) if isinstance(t, Tensor) else t)
                 for t in structure.flatten(self._init)]

        def elements():
            nonlocal state
            for e in iter_elements(self._inputs[0], ctx):
                res = fn.call(list(state) + list(e))
                state, out = res[:self._n_state], res[self._n_state:]
                yield out
        return grouped(elements(), len(self._flat_specs))


def scan(initial_state, scan_func):
    """A transformation: `scan_func(state, element) -> (new_state, output)` over the
    elements, starting from `initial_state`; the outputs are the elements."""
    return lambda ds: _Scan(ds, initial_state, scan_func)


class _Buckets(Dataset):
    """bucket_by_sequence_length: elements grouped by length into buckets, each bucket
    emitted as a padded batch when full; the rest at the end, bucket by bucket."""

    def __init__(self, input_ds, length_fn, boundaries, batch_sizes, padded_shapes,
                 padding_values, pad_to_boundary, no_padding, drop_remainder):
        from jitgraph.data.batching import PaddedBatchDataset
        self._fn = TracedFunction(length_fn, input_ds._specs, "map", "element_length_func")
        self._bounds = [int(b) for b in boundaries]
        if any(b <= a for a, b in zip(self._bounds, self._bounds[1:])):
            raise ValueError("bucket_boundaries must be sorted ascending.")
        self._sizes = [int(b) for b in batch_sizes]
        if len(self._sizes) != len(self._bounds) + 1:
            raise ValueError("len(bucket_batch_sizes) must equal len(bucket_boundaries) + 1")
        self._pad_to_boundary = bool(pad_to_boundary)
        self._no_padding = bool(no_padding)
        self._drop = bool(drop_remainder)
        # One padded batcher describes the batches' specs and pads them.
        self._padder = PaddedBatchDataset(input_ds, 1, padded_shapes, padding_values, False)
        specs = (structure.map_specs(structure.batched, input_ds._specs) if no_padding
                 else self._padder._specs)
        super().__init__(specs, [input_ds])

    def _own_captures(self):
        return super()._own_captures() + self._fn.outer + self._padder._own_captures()

    def _bucket(self, n):
        return int(np.searchsorted(self._bounds, n, side="right"))

    def _batch(self, group, bucket, pads):
        if self._no_padding:
            from jitgraph.data.sources import stack_rows
            return stack_rows(group, len(self._flat_specs))
        if not self._pad_to_boundary:
            return self._padder._pad(group, pads)
        out = self._padder._pad(group, pads)
        if bucket < len(self._bounds):
            # each component padded along its first dim to the bucket's boundary - 1
            want = self._bounds[bucket] - 1
            padded = []
            for arr, pad in zip(out, pads):
                if arr.ndim >= 2 and arr.shape[1] < want:
                    extra = np.full((arr.shape[0], want - arr.shape[1]) + arr.shape[2:], pad,
                                    dtype=arr.dtype)
                    arr = np.concatenate([arr, extra], axis=1)
                padded.append(arr)
            out = padded
        return out

    def _chunks(self, ctx):
        from jitgraph.data.sources import Chunk
        fn = self._fn.bind(ctx)
        pads = [ctx.value(p) if isinstance(p, Tensor) else p for p in self._padder._pads]
        ncomp = len(self._flat_specs)
        waiting = {}
        for e in iter_elements(self._inputs[0], ctx):
            n = int(np.asarray(fn.call(e)[0]))
            if self._pad_to_boundary and n >= self._bounds[-1]:
                raise errors.InvalidArgumentError(
                    None, None, "assertion failed: [When pad_to_bucket_boundary=True, "
                                "elements must have length < max(bucket_boundaries).]")
            b = self._bucket(n)
            group = waiting.setdefault(b, [])
            group.append(e)
            if len(group) == self._sizes[b]:
                yield Chunk.of_elements([self._batch(group, b, pads)], ncomp)
                waiting[b] = []
        if not self._drop:
            for b in sorted(waiting):
                if waiting[b]:
                    yield Chunk.of_elements([self._batch(waiting[b], b, pads)], ncomp)


def bucket_by_sequence_length(element_length_func, bucket_boundaries, bucket_batch_sizes,
                              padded_shapes=None, padding_values=None,
                              pad_to_bucket_boundary=False, no_padding=False,
                              drop_remainder=False):
    """A transformation: batches of elements of similar length (`element_length_func`),
    bucket i holding lengths in [boundaries[i-1], boundaries[i]), padded per batch."""
    return lambda ds: _Buckets(ds, element_length_func, bucket_boundaries,
                               bucket_batch_sizes, padded_shapes, padding_values,
                               pad_to_bucket_boundary, no_padding, drop_remainder)


__all__ = ["Counter", "bucket_by_sequence_length", "choose_from_datasets",
           "sample_from_datasets", "scan", "take_while", "unique"]
