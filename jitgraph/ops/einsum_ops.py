"""`tf.einsum`: written as transposes, reductions, reshapes and (batched) matmuls, as TF
1.x does, so that it compiles, fuses and differentiates like those ops. Operands are
contracted pairwise, left to right; an index repeated within one operand (a trace or
diagonal) or an ellipsis runs on the host with NumPy's einsum instead.
"""
from __future__ import annotations

import re

import numpy as np

from jitgraph.ops.constant import convert_n
from jitgraph.ops.registry import make_tensor, register


def _parse(equation, n):
    eq = equation.replace(" ", "")
    if "->" in eq:
        ins, out = eq.split("->")
    else:  # implicit form: the indices seen once, in alphabetical order
        ins = eq
        letters = re.sub(r"[^A-Za-z]", "", ins)
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    subs = ins.split(",")
    if len(subs) != n:
        raise ValueError(f"Expected {len(subs)} input tensors for equation {equation!r}, "
                         f"got {n}")
    return subs, out


def _dims(x):
    """x's dims: ints where static, scalar tensors where not."""
    from jitgraph.ops.array_ops import shape
    s = x.shape.as_tuple()
    if s is None:
        raise ValueError("jitgraph: tf.einsum needs the ranks of its operands")
    dyn = None
    out = []
    for i, d in enumerate(s):
        if d is None:
            dyn = shape(x) if dyn is None else dyn
            out.append(dyn[i])
        else:
            out.append(d)
    return out


def _prod(dims):
    from jitgraph.ops import math_ops
    ints = int(np.prod([d for d in dims if isinstance(d, int)], dtype=np.int64))
    out = ints
    for d in dims:
        if not isinstance(d, int):
            out = d if isinstance(out, int) and out == 1 else math_ops.multiply(out, d)
    return out


def _transpose(x, sub, order):
    from jitgraph.ops.manip_ops import transpose
    perm = [sub.index(c) for c in order]
    return x if perm == list(range(len(sub))) else transpose(x, perm)


def _sum_out(x, sub, keep):
    """Sums over the indices of `sub` not in `keep`."""
    from jitgraph.ops.reduction_ops import reduce_sum
    axes = [i for i, c in enumerate(sub) if c not in keep]
    if not axes:
        return x, sub
    return reduce_sum(x, axes), "".join(c for c in sub if c in keep)


def _contract(a, sa, b, sb, keep):
    """einsum(f"{sa},{sb}->{out}") for `out` = the indices in `keep`, in a canonical order;
    returns (result, its subscripts)."""
    from jitgraph.ops.array_ops import reshape
    from jitgraph.ops.linalg_ops import matmul
    a, sa = _sum_out(a, sa, set(sb) | keep)
    b, sb = _sum_out(b, sb, set(sa) | keep)
    batch = [c for c in sa if c in sb and c in keep]
    contracted = [c for c in sa if c in sb and c not in keep]
    free_a = [c for c in sa if c not in sb]
    free_b = [c for c in sb if c not in sa]
    da = dict(zip(sa, _dims(a)))
    db = dict(zip(sb, _dims(b)))
    a = _transpose(a, sa, batch + free_a + contracted)
    b = _transpose(b, sb, batch + contracted + free_b)
    nb = _prod([da[c] for c in batch])
    a3 = reshape(a, [nb, _prod([da[c] for c in free_a]), _prod([da[c] for c in contracted])])
    b3 = reshape(b, [nb, _prod([db[c] for c in contracted]), _prod([db[c] for c in free_b])])
    out = matmul(a3, b3)
    sub = "".join(batch + free_a + free_b)
    dims = [da[c] for c in batch + free_a] + [db[c] for c in free_b]
    return reshape(out, dims), sub


def _with_rank(x, r):
    if x.shape.ndims is not None:
        return x
    from jitgraph.ops.array_ops import identity
    y = identity(x)
    y.set_shape([None] * r)
    return y


def _einsum_np(k, *xs):
    return np.einsum(k.attrs["equation"], *xs)


def _einsum_shape(s):
    subs, out = _parse(s.attrs["equation"], len(s.shapes))
    sizes = {}
    for sub, shp in zip(subs, s.shapes):
        if shp is None or "." in sub:
            return [None]
        for c, d in zip(sub, shp):
            if d is not None:
                sizes[c] = d
    return [tuple(sizes.get(c) for c in out)]


register("Einsum", shape=_einsum_shape, numpy=_einsum_np,
         host="an index repeated within an operand, or an ellipsis: NumPy's einsum")


def einsum(equation, *inputs, **kwargs):
    """`tf.einsum(equation, *inputs)`: sums of products over the indices the equation
    names (e.g. "ij,jk->ik" is a matmul, "bi,bi->b" a batched dot product)."""
    from jitgraph.ops.api import name_scope
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"invalid keyword arguments for einsum: {', '.join(kwargs)}")
    xs = convert_n(list(inputs))
    subs, out = _parse(equation, len(xs))
    with name_scope(name, "einsum") as scope:
        if "." in equation or any(len(set(s)) != len(s) for s in subs):
            return make_tensor("Einsum", xs, xs[0].dtype, {"equation": equation}, name=scope)
        # Without an ellipsis the subscripts give each operand's rank.
        xs = [_with_rank(x, len(sub)) for x, sub in zip(xs, subs)]
        sizes = {}
        for x, sub in zip(xs, subs):
            if x.shape.ndims is not None and x.shape.ndims != len(sub):
                raise ValueError(f"einsum: operand of rank {x.shape.ndims} for subscripts "
                                 f"{sub!r} in {equation!r}")
            for c, d in zip(sub, x.shape.as_tuple() or ()):
                if d is not None and sizes.setdefault(c, d) != d:
                    raise ValueError(f"Dimensions must be equal, but are {sizes[c]} and {d} "
                                     f"for index {c!r} of einsum {equation!r}")
        acc, sacc = xs[0], subs[0]
        for i in range(1, len(xs)):
            later = set(out).union(*subs[i + 1:])
            acc, sacc = _contract(acc, sacc, xs[i], subs[i], later)
        acc, sacc = _sum_out(acc, sacc, set(out))
        from jitgraph.ops.array_ops import identity
        return identity(_transpose(acc, sacc, list(out)), name=scope)


__all__ = ["einsum"]
