"""The op functions `import jitgraph as tf` exposes at top level (`tf.add`, `tf.reshape`, ...)."""
from __future__ import annotations

import contextlib

from jitgraph.framework.graph import GraphKeys, get_default_graph, graph_of
from jitgraph.ops.array_ops import (expand_dims, fill, group, identity, no_op, ones, ones_like,
                                    rank, reshape, shape, size, squeeze, stack, stop_gradient,
                                    unstack, zeros, zeros_like)
from jitgraph.ops.array_ops import tuple_ as tuple  # noqa: A001
from jitgraph.ops.constant import (constant, convert_to_tensor, placeholder,
                                   placeholder_with_default)
from jitgraph.ops.linalg_ops import matmul
from jitgraph.ops.math_ops import (abs, add, add_n, cast, ceil, cos, div, divide,  # noqa: A004
                                   equal, exp, expm1, floor, floordiv, floormod, greater,
                                   greater_equal, is_finite, is_inf, is_nan, less, less_equal,
                                   log, log1p, logical_and, logical_not, logical_or,
                                   logical_xor, maximum, minimum, multiply, negative,
                                   not_equal, pow, real_div, reciprocal, round, rsqrt,
                                   saturate_cast, scalar_mul, sigmoid, sign, sin, sqrt, square,
                                   squared_difference, subtract, tan, tanh, to_float, to_int32,
                                   to_int64, truediv, where)
from jitgraph.ops.check_ops import (Assert, assert_equal, assert_greater,
                                    assert_greater_equal, assert_less, assert_less_equal,
                                    assert_negative, assert_non_negative, assert_none_equal,
                                    assert_positive, assert_rank, verify_tensor_all_finite)
from jitgraph.ops.clip_ops import (clip_by_average_norm, clip_by_global_norm, clip_by_norm,
                                   count_nonzero, global_norm, norm)
from jitgraph.ops.manip_ops import eye, lin_space, linspace, sequence_mask
from jitgraph.ops.sort_ops import argsort, sort
from jitgraph.ops.nn_ops import div_no_nan
from jitgraph.ops.script_ops import Print, check_numerics, py_func
from jitgraph.ops.random_ops import get_seed
from jitgraph.ops.random_ops import (random_normal, random_shuffle, random_uniform,
                                     truncated_normal)
from jitgraph.ops.state_ops import assign, assign_add, assign_sub
from jitgraph.ops.reduction_ops import (reduce_all, reduce_any, reduce_logsumexp, reduce_max,
                                        reduce_mean, reduce_min, reduce_prod, reduce_sum)
from jitgraph.ops.manip_ops import (argmax, argmin, boolean_mask, broadcast_to, clip_by_value,
                                    concat, cumsum, gather, invert_permutation, one_hot, pad,
                                    reverse, split, tile, transpose)
from jitgraph.ops.manip_ops import range_ as range  # noqa: A001
from jitgraph.ops.manip_ops import reverse as reverse_v2
from jitgraph.ops.slicing import slice_ as slice  # noqa: A001
from jitgraph.ops.slicing import strided_slice
from jitgraph.ops.linalg_ops import tensordot
from jitgraph.lookup import tables_initializer
from jitgraph.ops.special_math_ops import *  # noqa: F401,F403 - erf, lgamma, atan2, ...
from jitgraph.ops.segment_ops import *  # noqa: F401,F403 - segment_sum, ...
from jitgraph.ops.scatter_ops import *  # noqa: F401,F403 - gather_nd, scatter_update, ...
from jitgraph.ops.partition_ops import *  # noqa: F401,F403 - dynamic_partition, cumprod
from jitgraph.ops.einsum_ops import einsum
from jitgraph.ops.sparse_ops import *  # noqa: F401,F403 - SparseTensor, sparse_placeholder, ...
from jitgraph.ops.string_ops import as_string, string_to_hash_bucket_fast

mod = floormod
neg = negative
realdiv = real_div
sub = subtract
mul = multiply
truncatediv = floordiv
where_v2 = where


@contextlib.contextmanager
def name_scope(name, default_name=None, values=None):
    """`tf.name_scope(name, default_name=None, values=None)`: yields the scope string."""
    n = name if name is not None else default_name
    g = graph_of(values)
    with g.as_default(), g.name_scope(n) as scope:
        yield scope


@contextlib.contextmanager
def device(device_name_or_function):
    """Placement is accepted and ignored: jitgraph runs every op on the CPU."""
    yield


def container(container_name):
    return device(container_name)


def identity_n(input, name=None):  # noqa: A002
    return [identity(x) for x in input]


def control_dependencies(control_inputs):
    return get_default_graph().control_dependencies(control_inputs)


def add_to_collection(name, value):
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names, value):
    get_default_graph().add_to_collections(names, value)


def get_collection(key, scope=None):
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key):
    return get_default_graph().get_collection_ref(key)


def set_random_seed(seed):
    """Sets the graph-level seed: random ops without their own seed become deterministic."""
    get_default_graph().seed = seed


__all__ = [n for n in dir() if not n.startswith("_") and n not in ("annotations", "contextlib")]
__all__ += ["GraphKeys"]


def disable_v2_behavior():
    """Accepted so `tf.compat.v1` programs run unchanged: jitgraph is always TF 1.x graph mode."""


def disable_eager_execution():
    """Accepted for compatibility: jitgraph always builds graphs."""


def executing_eagerly():
    return False


__all__ += ["disable_v2_behavior", "disable_eager_execution", "executing_eagerly"]
