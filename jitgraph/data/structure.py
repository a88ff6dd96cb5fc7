"""Element structures of a Dataset: nests (tuples, dicts) of (dtype, shape) specs.

tf.data treats tuples, namedtuples and dicts as structure and lists as tensors,
which is not what `nest` does for fetches; so elements are normalized here
before `nest` ever sees them.
"""
from __future__ import annotations

import collections.abc as _abc

import numpy as np

from jitgraph.framework import dtypes, nest
from jitgraph.framework.graph import Tensor
from jitgraph.framework.tensor_shape import TensorShape, as_shape


class Spec:
    """One component of an element: its dtype and static shape."""

    __slots__ = ("dtype", "shape")

    def __init__(self, dtype, shape):
        self.dtype = dtypes.as_dtype(dtype)
        self.shape = as_shape(shape)

    def __repr__(self):
        return f"Spec({self.dtype.name}, {self.shape})"


def _is_structure(x) -> bool:
    return isinstance(x, (tuple, dict, _abc.Mapping))


def normalize(value, convert):
    """`value` with lists turned into leaves; each leaf passed through `convert`."""
    if isinstance(value, (dict, _abc.Mapping)):
        return {k: normalize(v, convert) for k, v in value.items()}
    if isinstance(value, tuple):
        children = [normalize(v, convert) for v in value]
        return type(value)(*children) if hasattr(type(value), "_fields") else tuple(children)
    return convert(value)


def to_leaf(value):
    """A Tensor stays a Tensor (evaluated when the iterator is initialized); any other
    value becomes a numpy array with TF's dtype (Python floats -> float32)."""
    from jitgraph.ops.constant import _contains_tensor, convert_to_tensor, infer_dtype, to_numpy
    if isinstance(value, Tensor):
        return value
    if hasattr(value, "_as_graph_element") or _contains_tensor(value):
        return convert_to_tensor(value)
    if isinstance(value, np.ndarray) and value.dtype.kind not in "USO":
        return value
    return to_numpy(value, infer_dtype(value))


def leaf_spec(leaf) -> Spec:
    if isinstance(leaf, Tensor):
        return Spec(leaf.dtype, leaf.shape)
    return Spec(dtypes.as_dtype(leaf.dtype) if leaf.dtype.kind not in "USO" else dtypes.string,
                leaf.shape)


def flatten(structure) -> list:
    return nest.flatten(structure)


def pack(structure, flat):
    return nest.pack_sequence_as(structure, list(flat))


def map_specs(fn, structure):
    return pack(structure, [fn(s) for s in flatten(structure)])


def types_of(structure):
    return map_specs(lambda s: s.dtype, structure)


def shapes_of(structure):
    return map_specs(lambda s: s.shape, structure)


def classes_of(structure):
    return map_specs(lambda s: Tensor, structure)


def from_types_and_shapes(output_types, output_shapes=None):
    """A spec structure from `Iterator.from_structure`-style arguments."""
    flat_types = flatten(output_types)
    if output_shapes is None:
        flat_shapes = [TensorShape(None)] * len(flat_types)
    else:
        flat_shapes = flatten_shapes(output_types, output_shapes)
    return pack(output_types, [Spec(t, s) for t, s in zip(flat_types, flat_shapes)])


def flatten_shapes(structure, shapes) -> list:
    """Shapes given as a structure like `structure` whose leaves may be lists/TensorShapes."""
    if not nest.is_nested(structure):
        return [as_shape(shapes)]
    if isinstance(structure, (dict, _abc.Mapping)):
        keys = sorted(structure)
        if set(keys) != set(shapes):
            raise ValueError(f"The two structures don't have the same nested structure: "
                             f"{structure}, {shapes}")
        return [s for k in keys for s in flatten_shapes(structure[k], shapes[k])]
    shapes = list(shapes)
    if len(shapes) != len(structure):
        raise ValueError(f"The two structures don't have the same number of elements: "
                         f"{structure}, {shapes}")
    return [s for a, b in zip(structure, shapes) for s in flatten_shapes(a, b)]


def same_structure(a, b) -> bool:
    try:
        nest.assert_same_structure(a, b)
    except (ValueError, TypeError):
        return False
    return True


def batched(spec: Spec, dim=None) -> Spec:
    return Spec(spec.dtype, TensorShape([dim]).concatenate(spec.shape))


def unbatched(spec: Spec) -> Spec:
    if spec.shape.ndims == 0:
        raise ValueError("Shape must be at least rank 1 but is rank 0")
    dims = spec.shape.as_tuple()
    return Spec(spec.dtype, TensorShape(None if dims is None else dims[1:]))


class HasElementSpecs:
    """`output_types`, `output_shapes`, `output_classes` of an object holding `_specs`
    (a Dataset or an Iterator)."""

    @property
    def output_types(self):
        return types_of(self._specs)

    @property
    def output_shapes(self):
        return shapes_of(self._specs)

    @property
    def output_classes(self):
        return classes_of(self._specs)
