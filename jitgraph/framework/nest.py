"""Nested structures (lists, tuples, namedtuples, dicts) of leaves, as `tf.nest` treats them.

Used for fetches, feeds, dataset elements and optimizer slots alike. Dicts are
flattened in sorted-key order, as TensorFlow does.
"""
from __future__ import annotations

import collections.abc as _abc


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_nested(x) -> bool:
    return isinstance(x, (list, tuple, dict, _abc.Mapping))


def _sorted_keys(d):
    try:
        return sorted(d)
    except TypeError:  # keys of mixed types: TF also falls back to insertion order
        return list(d)


def _children(x):
    if isinstance(x, (dict, _abc.Mapping)):
        return [x[k] for k in _sorted_keys(x)]
    return list(x)


def flatten(structure) -> list:
    """Returns the leaves of `structure` in depth-first order."""
    if not is_nested(structure):
        return [structure]
    out = []
    stack = [structure]
    # Iterative DFS keeps deep structures off the recursion limit.
    while stack:
        x = stack.pop()
        if is_nested(x):
            stack.extend(reversed(_children(x)))
        else:
            out.append(x)
    return out


def _rebuild(template, children):
    if isinstance(template, (dict, _abc.Mapping)):
        keys = _sorted_keys(template)
        rebuilt = dict(zip(keys, children))
        if type(template) is dict:
            # Keep the caller's key order in the result, as TF does.
            return {k: rebuilt[k] for k in template}
        try:
            return type(template)((k, rebuilt[k]) for k in template)
        except TypeError:
            return {k: rebuilt[k] for k in template}
    if _is_namedtuple(template):
        return type(template)(*children)
    if isinstance(template, tuple):
        return tuple(children)
    return list(children)


def pack_sequence_as(structure, flat_sequence):
    """Packs `flat_sequence` into the shape of `structure`."""
    flat_sequence = list(flat_sequence)
    if not is_nested(structure):
        if len(flat_sequence) != 1:
            raise ValueError(
                f"Structure is a scalar but len(flat_sequence) == {len(flat_sequence)} > 1")
        return flat_sequence[0]
    pos = 0

    def build(s):
        nonlocal pos
        if not is_nested(s):
            v = flat_sequence[pos]
            pos += 1
            return v
        return _rebuild(s, [build(c) for c in _children(s)])

    n = len(flatten(structure))
    if n != len(flat_sequence):
        raise ValueError(
            f"Could not pack sequence. Structure had {n} elements, but flat_sequence had "
            f"{len(flat_sequence)} elements.")
    return build(structure)


def map_structure(fn, *structures):
    """Applies `fn` to corresponding leaves of `structures`, keeping the first's structure."""
    if not structures:
        raise ValueError("Must provide at least one structure")
    for s in structures[1:]:
        assert_same_structure(structures[0], s)
    flats = [flatten(s) for s in structures]
    return pack_sequence_as(structures[0], [fn(*xs) for xs in zip(*flats)])


def assert_same_structure(a, b, check_types=False):
    if is_nested(a) != is_nested(b):
        raise ValueError(f"The two structures don't have the same nested structure: {a}, {b}")
    if not is_nested(a):
        return
    ca, cb = _children(a), _children(b)
    if len(ca) != len(cb):
        raise ValueError(f"The two structures don't have the same number of elements: {a}, {b}")
    if isinstance(a, dict) and isinstance(b, dict) and set(a) != set(b):
        raise ValueError(f"The two dictionaries don't have the same set of keys: {a}, {b}")
    for x, y in zip(ca, cb):
        assert_same_structure(x, y, check_types)
