"""`tf.data.Iterator`: one-shot, initializable and reinitializable (`from_structure`)."""
from __future__ import annotations

from jitgraph.data import structure
from jitgraph.data.iterator_ops import (get_next_from_handle_op, get_next_op, make_iterator_op,
                                       string_handle_op)
from jitgraph.framework.graph import GraphKeys, get_default_graph


class Iterator(structure.HasElementSpecs):
    """Represents the state of iterating through a Dataset (`tf.data.Iterator`)."""

    def __init__(self, name, specs, graph, initializer=None, one_shot=None):
        self._name = name
        self._specs = specs
        self._graph = graph
        self._initializer = initializer
        self._one_shot = one_shot
        self._handle = None  # the fed handle tensor of a from_string_handle iterator
        graph.add_to_collection(GraphKeys.ITERATORS, self)

    # -- construction ---------------------------------------------------------------
    @staticmethod
    def _new_name(graph, base):
        return graph.unique_name(base)

    @classmethod
    def _one_shot(cls, dataset):
        g = get_default_graph()
        return cls(cls._new_name(g, "OneShotIterator"), dataset._specs, g, one_shot=dataset)

    @classmethod
    def _initializable(cls, dataset, shared_name=None):
        g = get_default_graph()
        it = cls(shared_name or cls._new_name(g, "Iterator"), dataset._specs, g)
        it._initializer = make_iterator_op(dataset, it._name, g, "MakeIterator")
        return it

    @staticmethod
    def from_structure(output_types, output_shapes=None, shared_name=None,
                       output_classes=None):
        """An uninitialized iterator for any dataset of this structure; initialize it with
        `make_initializer(dataset)` (a reinitializable iterator)."""
        specs = structure.from_types_and_shapes(output_types, output_shapes)
        g = get_default_graph()
        return Iterator(shared_name or Iterator._new_name(g, "Iterator"), specs, g)

    @staticmethod
    def from_string_handle(string_handle, output_types, output_shapes=None,
                           output_classes=None):
        """A feedable iterator: each `get_next` runs whichever iterator the fed
        `string_handle` names (a value of another iterator's `string_handle()`)."""
        from jitgraph.framework import dtypes
        from jitgraph.ops.constant import convert_to_tensor
        handle = convert_to_tensor(string_handle, dtype=dtypes.string)
        specs = structure.from_types_and_shapes(output_types, output_shapes)
        it = Iterator(Iterator._new_name(handle.graph, "Iterator"), specs, handle.graph)
        it._handle = handle
        return it

    # -- properties -----------------------------------------------------------------
    @property
    def initializer(self):
        if self._initializer is None:
            raise ValueError("Iterator does not have an initializer.")
        return self._initializer


    # -- ops ------------------------------------------------------------------------
    def make_initializer(self, dataset, name=None):
        """An op that (re)starts this iterator on `dataset`'s elements."""
        if not structure.same_structure(self._specs, dataset._specs):
            raise TypeError(f"Expected output types {self.output_types!r} but got dataset with "
                            f"output types {dataset.output_types!r}.")
        mine, theirs = structure.flatten(self._specs), dataset._flat_specs
        if any(a.dtype != b.dtype for a, b in zip(mine, theirs)):
            raise TypeError(f"Expected output types {self.output_types!r} but got dataset with "
                            f"output types {dataset.output_types!r}.")
        if any(not a.shape.is_compatible_with(b.shape) for a, b in zip(mine, theirs)):
            raise TypeError(f"Expected output shapes compatible with {self.output_shapes!r} "
                            f"but got dataset with output shapes {dataset.output_shapes!r}.")
        return make_iterator_op(dataset, self._name, self._graph, name or "make_initializer")

    def get_next(self, name=None):
        """The next element: a structure of Tensors like the dataset's elements.

        Each `run` that evaluates it advances the iterator; at the end it raises
        `tf.errors.OutOfRangeError`.
        """
        flat = structure.flatten(self._specs)
        if self._handle is not None:
            op = get_next_from_handle_op(self._handle, flat, self._graph,
                                         name or "IteratorGetNext")
        else:
            op = get_next_op(self._name, flat, self._graph, name or "IteratorGetNext",
                             one_shot=self._one_shot)
        return structure.pack(self._specs, op.outputs)

    def string_handle(self, name=None):
        """A scalar string naming this iterator, to feed to a `from_string_handle` one."""
        if self._handle is not None:
            return self._handle
        return string_handle_op(self._name, self._graph, name or "IteratorToStringHandle")


def make_one_shot_iterator(dataset):
    """`tf.data.make_one_shot_iterator(dataset)` (TF 1.15's spelling)."""
    return dataset.make_one_shot_iterator()


def make_initializable_iterator(dataset, shared_name=None):
    """`tf.data.make_initializable_iterator(dataset)` (TF 1.15's spelling)."""
    return dataset.make_initializable_iterator(shared_name)


def get_output_types(dataset_or_iterator):
    return dataset_or_iterator.output_types


def get_output_shapes(dataset_or_iterator):
    return dataset_or_iterator.output_shapes


def get_output_classes(dataset_or_iterator):
    return dataset_or_iterator.output_classes
