"""Random ops: uniform, normal, truncated normal, uniform ints, shuffle.

Seeds follow TF 1.x: an op seed and the graph seed (`tf.set_random_seed`) make an
op's sequence repeat in every new Session; with neither, each Session draws anew.
Draws are counter-based (see `runtime/rng.py`): run c of an op reads draws of
stream (key, c), so both engines give the same numbers.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.framework.graph import get_default_graph
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.registry import make_tensor, register
from jitgraph.runtime import rng

DEFAULT_GRAPH_SEED = 87654321
_MAXINT32 = 2**31 - 1


def get_seed(op_seed):
    """TF's (graph seed, op seed) pair for a new random op; (None, None) if unseeded."""
    g = get_default_graph()
    if g.seed is not None:
        if op_seed is None:
            op_seed = len(g.get_operations())  # TF uses the graph's last op id
        seeds = (g.seed, op_seed)
    elif op_seed is not None:
        seeds = (DEFAULT_GRAPH_SEED, op_seed)
    else:
        seeds = (None, None)
    if seeds == (0, 0):  # (0, 0) would mean "nondeterministic" to the kernel
        seeds = (0, _MAXINT32)
    return seeds


def _shape_of(s):
    v = s.const(0)
    if v is not None:
        return tuple(int(d) for d in np.asarray(v).ravel())
    n = s.shapes[0]
    return None if n is None or n[0] is None else (None,) * n[0]


def _next_stream(k):
    """(key, counter) of this run's draws for the op, reserved before drawing so that
    concurrent runs never draw the same stream; the next run draws the next one."""
    return k.state.rng_stream(k.op).take()


def _draw(fn):
    def kernel(k, shp, *bounds):
        dims = tuple(int(d) for d in np.asarray(shp).ravel())
        key, counter = _next_stream(k)
        n = int(np.prod(dims)) if dims else 1
        out = fn(key, counter, n, k.op.outputs[0].dtype.as_numpy_dtype, *bounds)
        return out.reshape(dims)
    return kernel


def _draw_emit(kernel):
    def emit(g):
        key, ctr = g.rng()
        r = g.orank()
        v = g.const(0)
        dims = ([str(int(d)) for d in np.asarray(v).ravel()] if v is not None
                else [f"{g.arr(0)}[{i}]" for i in range(r)])
        n, buf = g.tmp("n"), g.tmp("r")
        g.line(f"{n} = {' * '.join(dims) if dims else '1'}")
        g.line(f"{buf} = np.empty({n}, {g.odt()})", tag=True)
        bounds = "".join(f"{g.s(i)}, " for i in range(1, len(g.op.inputs)))
        g.line(f"K.{kernel}({key}, {ctr}, {bounds}{buf})", tag=True)
        if r == 0:
            g.out(f"{buf}[0]")
        else:
            g.out(f"{buf}.reshape(({''.join(d + ', ' for d in dims)}))")
    return emit


def _shape_rule(s):
    return [_shape_of(s)]


register("RandomUniform", shape=_shape_rule, numpy=_draw(rng.uniform),
         emit=_draw_emit("counter_uniform"), stateful=True, rng=True)
register("RandomStandardNormal", shape=_shape_rule, numpy=_draw(rng.normal),
         emit=_draw_emit("counter_normal"), stateful=True, rng=True)
register("TruncatedNormal", shape=_shape_rule, numpy=_draw(rng.truncated),
         emit=_draw_emit("counter_truncated"), stateful=True, rng=True)
register("RandomUniformInt", shape=_shape_rule,
         numpy=_draw(lambda key, c, n, dt, lo, hi: rng.uniform_int(key, c, n, lo, hi, dt)),
         emit=_draw_emit("counter_uniform_int"), stateful=True, rng=True)


def _shuffle_np(k, x):
    key, counter = _next_stream(k)
    if np.ndim(x) == 0 or len(x) < 2:
        return np.array(x, copy=True)
    order = np.argsort(rng.mix(key, counter, np.arange(len(x), dtype=np.uint64)),
                       kind="stable")
    return x[order]


register("RandomShuffle", shape=lambda s: [s.shapes[0]], numpy=_shuffle_np, stateful=True,
         rng=True, host="no emitter yet (a permutation drawn from the stream)")


def _random_op(op_type, shape, dtype, seed, inputs=(), name=None):
    seed1, seed2 = get_seed(seed)
    shp = (convert_to_tensor(shape, dtype=dtypes.int32, name="shape")
           if not hasattr(shape, "op") else shape)
    return make_tensor(op_type, [shp, *inputs], dtype,
                       {"dtype": dtype, "seed": seed1 or 0, "seed2": seed2 or 0}, name=name)


def _float_dtype(dtype, fn):
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"Invalid dtype {dtype.name} for {fn}: it must be a floating type")
    return dtype


def random_uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None, name=None):
    """Uniform values in [minval, maxval) (maxval defaults to 1 for floats)."""
    from jitgraph.ops.api import name_scope
    from jitgraph.ops.math_ops import add, multiply, subtract
    dtype = dtypes.as_dtype(dtype)
    if dtype.is_integer and maxval is None:
        raise ValueError(f"Must specify maxval for integer dtype {dtype!r}")
    with name_scope(name, "random_uniform") as scope:
        if dtype.is_integer:
            lo = convert_to_tensor(minval, dtype=dtype, name="min")
            hi = convert_to_tensor(maxval, dtype=dtype, name="max")
            return _random_op("RandomUniformInt", shape, dtype, seed, [lo, hi],
                              name=scope)
        lo = convert_to_tensor(minval, dtype=dtype, name="min")
        hi = convert_to_tensor(1 if maxval is None else maxval, dtype=dtype, name="max")
        rnd = _random_op("RandomUniform", shape, dtype, seed)
        return add(multiply(rnd, subtract(hi, lo)), lo, name=scope)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    return _scaled("RandomStandardNormal", "random_normal", shape, mean, stddev, dtype, seed,
                   name)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None,
                     name=None):
    """Normal values re-drawn when more than 2 standard deviations from the mean."""
    return _scaled("TruncatedNormal", "truncated_normal", shape, mean, stddev, dtype, seed,
                   name)


def _scaled(op_type, default_name, shape, mean, stddev, dtype, seed, name):
    from jitgraph.ops.api import name_scope
    from jitgraph.ops.math_ops import add, multiply
    dtype = _float_dtype(dtype, default_name)
    with name_scope(name, default_name) as scope:
        m = convert_to_tensor(mean, dtype=dtype, name="mean")
        sd = convert_to_tensor(stddev, dtype=dtype, name="stddev")
        rnd = _random_op(op_type, shape, dtype, seed)
        return add(multiply(rnd, sd), m, name=scope)


def random_shuffle(value, seed=None, name=None):
    """`value` with its first dimension shuffled."""
    x = convert_to_tensor(value)
    seed1, seed2 = get_seed(seed)
    return make_tensor("RandomShuffle", [x], x.dtype, {"seed": seed1 or 0, "seed2": seed2 or 0},
                       name=name or "RandomShuffle")
