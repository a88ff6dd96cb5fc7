"""`tf.data.Dataset`: a description of an input pipeline, run by iterators on the host.

A Dataset is built at graph-construction time and holds no data of its own
beyond the numpy arrays it was given; graph tensors it was given are
*captured* and evaluated when an iterator is initialized.

At run time each dataset answers `_chunks(ctx)`: a generator of Chunks (a row
source plus positions, see `sources.py`). Datasets whose rows can be reached by
index (`_ra(ctx)` -> (length, source)) let shuffle and batch work on index
arrays, so a from_tensor_slices -> shuffle -> batch pipeline gathers each batch
with one numpy fancy-index per component and runs no Python per element.

This module holds the Dataset base class and its method surface; the datasets
those methods build live in `source_datasets.py` (from_tensor_slices, range,
zip, ...), `batching.py` (batch, padded_batch) and `transformations.py` (the
rest). They subclass Dataset, so the methods import them when called.
"""
from __future__ import annotations

import itertools

from jitgraph.data import structure
from jitgraph.data.sources import Chunk
from jitgraph.framework.graph import Tensor

AUTOTUNE = -1
CHUNK = 4096        # elements per chunk when a random-access source is streamed
GROUP = 256         # elements per chunk when elements are produced one by one


class Dataset(structure.HasElementSpecs):
    """Represents a potentially large set of elements (`tf.data.Dataset`)."""

    def __init__(self, specs, inputs=()):
        self._specs = specs
        self._inputs = list(inputs)

    # -- structure (output_types/shapes/classes come from HasElementSpecs) -------------
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
        from jitgraph.data.source_datasets import TensorSlicesDataset
        return TensorSlicesDataset(tensors)

    @staticmethod
    def from_tensors(tensors):
        """A dataset with a single element: `tensors`."""
        from jitgraph.data.source_datasets import TensorsDataset
        return TensorsDataset(tensors)

    @staticmethod
    def range(*args, **kwargs):  # noqa: A003 - TF's name
        """`Dataset.range(stop)`, `(start, stop)` or `(start, stop, step)`, as Python's range."""
        from jitgraph.data.source_datasets import RangeDataset
        return RangeDataset(*args, **kwargs)

    @staticmethod
    def zip(datasets):  # noqa: A003 - TF's name
        """Zips a (nested) tuple or dict of datasets into a dataset of tuples/dicts."""
        from jitgraph.data.source_datasets import ZipDataset
        return ZipDataset(datasets)

    @staticmethod
    def list_files(file_pattern, shuffle=None, seed=None):
        """The names of the files matching `file_pattern`, shuffled unless shuffle=False."""
        from jitgraph.data.file_datasets import list_files
        return list_files(file_pattern, shuffle, seed)

    @staticmethod
    def from_generator(generator, output_types, output_shapes=None, args=None):
        """Elements produced by calling `generator(*args)` and iterating over it."""
        from jitgraph.data.source_datasets import GeneratorDataset
        return GeneratorDataset(generator, output_types, output_shapes, args)

    # -- transformations ------------------------------------------------------------
    def batch(self, batch_size, drop_remainder=False):
        from jitgraph.data.batching import BatchDataset
        return BatchDataset(self, batch_size, drop_remainder)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False):
        from jitgraph.data.batching import PaddedBatchDataset
        return PaddedBatchDataset(self, batch_size, padded_shapes, padding_values, drop_remainder)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None):
        from jitgraph.data.transformations import ShuffleDataset
        return ShuffleDataset(self, buffer_size, seed, reshuffle_each_iteration)

    def repeat(self, count=None):
        from jitgraph.data.transformations import RepeatDataset
        return RepeatDataset(self, count)

    def map(self, map_func, num_parallel_calls=None):  # noqa: A003 - TF's name
        from jitgraph.data.transformations import MapDataset
        return MapDataset(self, map_func)

    def filter(self, predicate):  # noqa: A003 - TF's name
        from jitgraph.data.transformations import FilterDataset
        return FilterDataset(self, predicate)

    def take(self, count):
        from jitgraph.data.transformations import TakeDataset
        return TakeDataset(self, count)

    def skip(self, count):
        from jitgraph.data.transformations import SkipDataset
        return SkipDataset(self, count)

    def prefetch(self, buffer_size):
        from jitgraph.data.transformations import PrefetchDataset
        return PrefetchDataset(self)

    def cache(self, filename=""):
        from jitgraph.data.transformations import CacheDataset
        return CacheDataset(self)

    def flat_map(self, map_func):
        from jitgraph.data.transformations import FlatMapDataset
        return FlatMapDataset(self, map_func)

    def interleave(self, map_func, cycle_length=AUTOTUNE, block_length=1,
                   num_parallel_calls=None):
        from jitgraph.data.transformations import InterleaveDataset
        return InterleaveDataset(self, map_func, cycle_length, block_length)

    def concatenate(self, dataset):
        from jitgraph.data.transformations import ConcatenateDataset
        return ConcatenateDataset(self, dataset)

    def shard(self, num_shards, index):
        from jitgraph.data.transformations import ShardDataset
        return ShardDataset(self, num_shards, index)

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


def grouped(elements, ncomp, size=GROUP):
    """Chunks of up to `size` elements from an element generator."""
    while True:
        group = list(itertools.islice(elements, size))
        if not group:
            return
        yield Chunk.of_elements(group, ncomp)


def __getattr__(name):
    # `shuffle_order` lived here before the transformations had a module of their own;
    # importing it eagerly would be a cycle (transformations.py subclasses Dataset).
    if name == "shuffle_order":
        from jitgraph.data.transformations import shuffle_order
        return shuffle_order
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
