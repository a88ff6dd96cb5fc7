"""`tf.map_fn`, `tf.scan`, `tf.foldl`, `tf.foldr`: `while_loop` over TensorArrays, built
as TF 1.x's functional_ops builds them (same loop variables, same names)."""
from __future__ import annotations

from jitgraph.control_flow.tensor_array import TensorArray
from jitgraph.control_flow.while_loop import while_loop
from jitgraph.framework import dtypes, nest
from jitgraph.framework.graph import get_default_graph
from jitgraph.framework.tensor_shape import TensorShape
from jitgraph.ops.array_ops import shape
from jitgraph.ops.constant import constant, convert_to_tensor


def _elems(elems, what):
    flat = [convert_to_tensor(e, name="elem") for e in nest.flatten(elems)]
    if not flat:
        raise ValueError(f"{what} called on an empty sequence of elems")
    for e in flat:
        if e.shape.ndims == 0:
            raise ValueError("Elements in elems must be 1+ dimensional Tensors, not scalars")
    return flat


def _length(flat):
    n = flat[0].shape[0] if flat[0].shape.ndims else None
    n = getattr(n, "value", n)
    return constant(n, dtypes.int32) if n is not None else shape(flat[0])[0], n


def _static_n(flat):
    n = TensorShape(flat[0].shape.as_tuple()[:1] if flat[0].shape.ndims else [None])
    for e in flat[1:]:
        n = n.merge_with(TensorShape(e.shape.as_tuple()[:1] if e.shape.ndims else [None]))
    return n


def _unstacked(flat, n):
    return [TensorArray(e.dtype, size=n, dynamic_size=False, infer_shape=True).unstack(e)
            for e in flat]


def _packer(structure):
    if nest.is_nested(structure):
        return lambda xs: nest.pack_sequence_as(structure, xs)
    return lambda xs: xs[0]


def _set_leading(results, n_static):
    for r in results:
        if r.shape.ndims is not None:
            r.set_shape(n_static.concatenate(r.shape[1:]))


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True, swap_memory=False,
           infer_shape=True, name=None):
    """`tf.map_fn`: `fn` applied to each slice of `elems` along dimension 0, stacked.

    `dtype` gives the output structure when it differs from that of `elems`."""
    if not callable(fn):
        raise TypeError("fn must be callable.")
    g = get_default_graph()
    with g.name_scope(name or "map"):
        flat = _elems(elems, "map_fn")
        pack_in = _packer(elems)
        out_struct = dtype if dtype is not None else nest.map_structure(lambda e: e.dtype,
                                                                        elems)
        out_dtypes = [dtypes.as_dtype(d) for d in nest.flatten(out_struct)]
        n, _ = _length(flat)
        elems_ta = _unstacked(flat, n)
        accs = [TensorArray(dt, size=n, dynamic_size=False, infer_shape=infer_shape)
                for dt in out_dtypes]

        def compute(i, tas):
            value = fn(pack_in([ta.read(i) for ta in elems_ta]))
            try:
                nest.assert_same_structure(out_struct, value)
            except (TypeError, ValueError) as e:
                raise ValueError("The two structures don't have the same nested structure "
                                 f"(map_fn's dtype and fn's result): {e}") from None
            flat_v = nest.flatten(value)
            return i + 1, [ta.write(i, v) for ta, v in zip(tas, flat_v)]

        _, r_a = while_loop(lambda i, _: i < n, compute, (constant(0), accs),
                            parallel_iterations=parallel_iterations or 10,
                            back_prop=back_prop, swap_memory=swap_memory, maximum_iterations=n)
        results = [r.stack() for r in r_a]
        _set_leading(results, _static_n(flat))
        return _packer(out_struct)(results)


def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
         swap_memory=False, infer_shape=True, reverse=False, name=None):
    """`tf.scan`: the running results of `a = fn(a, x)` over `elems` along dimension 0 (from
    the end with `reverse=True`); without `initializer` the first element starts it."""
    if not callable(fn):
        raise TypeError("fn must be callable.")
    g = get_default_graph()
    with g.name_scope(name or "scan"):
        flat = _elems(elems, "scan")
        pack_in = _packer(elems)
        n, _ = _length(flat)
        elems_ta = _unstacked(flat, n)
        if initializer is None:
            a_struct = elems
            first = n - 1 if reverse else 0
            a_flat = [ta.read(first) for ta in elems_ta]
            i = 1
        else:
            a_struct = initializer
            a_flat = [convert_to_tensor(x) for x in nest.flatten(initializer)]
            i = 0
        pack_a = _packer(a_struct)
        accs = [TensorArray(a.dtype, size=n, dynamic_size=False, infer_shape=infer_shape,
                            element_shape=a.shape if infer_shape else None) for a in a_flat]
        if initializer is None:
            accs = [ta.write(n - 1 if reverse else 0, a) for ta, a in zip(accs, a_flat)]

        def compute(i, a_flat, tas):
            a_out = fn(pack_a(a_flat), pack_in([ta.read(i) for ta in elems_ta]))
            try:
                nest.assert_same_structure(a_struct, a_out)
            except (TypeError, ValueError) as e:
                raise ValueError(f"The two structures don't have the same nested structure: "
                                 f"{e}") from None
            flat_out = nest.flatten(a_out)
            tas = [ta.write(i, v) for ta, v in zip(tas, flat_out)]
            return (i - 1 if reverse else i + 1), flat_out, tas

        if reverse:
            start = n - 1 - i

            def test(i, _1, _2):
                return i >= 0
        else:
            start = constant(i)

            def test(i, _1, _2):
                return i < n
        _, _, r_a = while_loop(test, compute, (start, a_flat, accs),
                               parallel_iterations=parallel_iterations, back_prop=back_prop,
                               swap_memory=swap_memory, maximum_iterations=n)
        results = [r.stack() for r in r_a]
        _set_leading(results, _static_n(flat))
        return pack_a(results)


def _fold(fn, elems, initializer, parallel_iterations, back_prop, swap_memory, name, default,
          from_end):
    if not callable(fn):
        raise TypeError("fn must be callable.")
    g = get_default_graph()
    with g.name_scope(name or default):
        flat = _elems(elems, default)
        pack_in = _packer(elems)
        n, _ = _length(flat)
        elems_ta = _unstacked(flat, n)
        if initializer is None:
            a = pack_in([ta.read(n - 1 if from_end else 0) for ta in elems_ta])
            i = n - 2 if from_end else constant(1)
        else:
            a = initializer
            i = n - 1 if from_end else constant(0)

        def compute(i, a):
            a = fn(a, pack_in([ta.read(i) for ta in elems_ta]))
            return [i - 1 if from_end else i + 1, a]

        def test(i, a):
            return i >= 0 if from_end else i < n

        _, r_a = while_loop(test, compute, [i, a], parallel_iterations=parallel_iterations,
                            back_prop=back_prop, swap_memory=swap_memory, maximum_iterations=n)
        return r_a


def foldl(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """`tf.foldl`: `fn(a, x)` folded over `elems` from the first element."""
    return _fold(fn, elems, initializer, parallel_iterations, back_prop, swap_memory, name,
                 "foldl", from_end=False)


def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """`tf.foldr`: `fn(a, x)` folded over `elems` from the last element."""
    return _fold(fn, elems, initializer, parallel_iterations, back_prop, swap_memory, name,
                 "foldr", from_end=True)
