"""jitgraph: TensorFlow 1.x programs, compiled with Numba.

    import jitgraph as tf

This module is the tf-shaped facade: it only re-exports names.
"""
from jitgraph import _printing  # noqa: F401  (numpy scalar reprs as TF 1.x programs print them)
from jitgraph.version import __version__
from jitgraph.framework import dtypes as _dtypes
from jitgraph.framework import errors
from jitgraph.framework.dtypes import (DType, as_dtype, bool, double, float16, float32,  # noqa: A004
                                       float64, half, int8, int16, int32, int64, string, uint8,
                                       uint16)
from jitgraph.framework.graph import (Graph, GraphKeys, Operation, Tensor, get_default_graph,
                                      get_default_session, reset_default_graph)
from jitgraph.framework.tensor_shape import Dimension, TensorShape
from jitgraph.framework import nest
from jitgraph.ops import overloads as _overloads
from jitgraph.ops.api import *  # noqa: F401,F403
from jitgraph.session import (ConfigProto, GPUOptions, InteractiveSession, RunMetadata,
                              RunOptions, Session)
from jitgraph.ops.registry import NotDifferentiable, RegisterGradient
from jitgraph.codegen.inspect_api import inspect
from jitgraph.gradients import gradients
from jitgraph.variables import (Variable, all_variables, assert_variables_initialized,
                                global_variables, global_variables_initializer,
                                initialize_all_variables, initialize_local_variables,
                                initialize_variables, is_variable_initialized, local_variables,
                                local_variables_initializer, model_variables,
                                moving_average_variables, report_uninitialized_variables,
                                trainable_variables, variables_initializer)
from jitgraph.variable_scope import (AUTO_REUSE, VariableScope, get_variable,
                                     get_variable_scope, no_regularizer, variable_op_scope,
                                     variable_scope)
from jitgraph import initializers, layers, metrics, train
from jitgraph.platform import flags, gfile, logging
from jitgraph.platform import app as _app
from jitgraph.initializers import (constant_initializer, glorot_normal_initializer,
                                   glorot_uniform_initializer, ones_initializer,
                                   orthogonal_initializer, random_normal_initializer,
                                   random_uniform_initializer, truncated_normal_initializer,
                                   variance_scaling_initializer, zeros_initializer)
from jitgraph import feature_column, lookup
from jitgraph import summary
from jitgraph import data
from jitgraph import test_util as test
from jitgraph import losses, nn
from jitgraph.graph_io.importer import import_graph_def
from jitgraph import graph_util
from jitgraph.control_flow import (TensorArray, case, cond, foldl, foldr, map_fn,  # noqa: E402
                                   scan, while_loop)
from jitgraph.ops.sequence_ops import reverse_sequence  # noqa: E402

_overloads.install()
newaxis = None

import sys as _sys
import types as _types

# `tf.compat.v1.placeholder(...)` spells the same API: the v1 namespace is this module.
compat = _types.SimpleNamespace(v1=_sys.modules[__name__])
from jitgraph.layers import regularizers as _regularizers  # noqa: E402

strings = _types.SimpleNamespace(to_hash_bucket_fast=string_to_hash_bucket_fast,
                                 as_string=as_string)
random = _types.SimpleNamespace(uniform=random_uniform, normal=random_normal,
                                truncated_normal=truncated_normal, shuffle=random_shuffle,
                                set_random_seed=set_random_seed)
# `tf.math.*` (TF 1.13+ spelling) names the same functions as the top level.
_MATH_NAMES = """abs add add_n argmax argmin ceil cos count_nonzero cumsum divide divide_no_nan
equal exp expm1 floor floordiv floormod greater greater_equal is_finite is_inf is_nan less
less_equal log log1p logical_and logical_not logical_or logical_xor maximum minimum mod
multiply negative not_equal pow reciprocal reduce_all reduce_any reduce_logsumexp reduce_max
reduce_mean reduce_min reduce_prod reduce_sum round rsqrt sigmoid sign sin sqrt square
squared_difference subtract tan tanh truediv
acos acosh asin asinh atan atan2 atanh cosh cumprod digamma erf erfc lgamma log_sigmoid sinh
segment_max segment_mean segment_min segment_prod segment_sum unsorted_segment_max
unsorted_segment_mean unsorted_segment_min unsorted_segment_prod unsorted_segment_sqrt_n
unsorted_segment_sum""".split()
divide_no_nan = div_no_nan
math = _types.SimpleNamespace(**{n: globals()[n] for n in _MATH_NAMES if n in globals()},
                              softplus=nn.softplus, l2_normalize=nn.l2_normalize,
                              log_softmax=nn.log_softmax, top_k=nn.top_k,
                              in_top_k=nn.in_top_k)
app = _types.SimpleNamespace(run=_app.run, flags=flags)
# `tf.sparse.*` (TF 1.13+ spelling) names the sparse functions of the top level.
sparse = _types.SimpleNamespace(SparseTensor=SparseTensor, placeholder=sparse_placeholder,
                                to_dense=sparse_tensor_to_dense, add=sparse_add,
                                matmul=sparse_tensor_dense_matmul,
                                sparse_dense_matmul=sparse_tensor_dense_matmul)
arg_max, arg_min = argmax, argmin
contrib = _types.SimpleNamespace(lookup=lookup, layers=_types.SimpleNamespace(
    l1_regularizer=_regularizers.l1_regularizer, l2_regularizer=_regularizers.l2_regularizer,
    l1_l2_regularizer=_regularizers.l1_l2_regularizer,
    apply_regularization=_regularizers.apply_regularization))
import importlib as _importlib  # noqa: E402

# The packages replace the namespaces above: `import jitgraph.compat.v1 as tf` works, and an
# unsupported `tf.contrib.<x>` says jitgraph lacks it instead of guessing a near name.
compat = _importlib.import_module("jitgraph.compat")
contrib = _importlib.import_module("jitgraph.contrib")
# `tf.io` / `tf.python_io`: TFRecords, Example parsing, CSV, gfile, write_graph.
io = _importlib.import_module("jitgraph.io")
python_io = io.python_io
image = _importlib.import_module("jitgraph.image")
from jitgraph.client.session_ops import (delete_session_tensor,  # noqa: E402
                                         get_session_handle, get_session_tensor)
from jitgraph.io import (FixedLenFeature, FixedLenSequenceFeature,  # noqa: E402
                         SparseFeature, VarLenFeature, decode_base64, decode_compressed,
                         decode_csv, decode_json_example, decode_raw, encode_base64,
                         matching_files, parse_example, parse_single_example,
                         parse_single_sequence_example, parse_tensor, read_file,
                         serialize_tensor, write_file)
from jitgraph.compat._behavior import *  # noqa: E402,F401,F403
from jitgraph import keras  # noqa: E402
from jitgraph import estimator  # noqa: E402
from jitgraph.train.queues import FIFOQueue, PaddingFIFOQueue, RandomShuffleQueue  # noqa: E402
from jitgraph.train.readers import ReaderBase, TextLineReader, WholeFileReader  # noqa: E402


# TF 1.x's top-level proto classes (tf.Summary, tf.Event, ...) come from the
# tensorboard extra: resolved on first use, so `import jitgraph` never loads it.
_SUMMARY_PROTOS = ("Summary", "SummaryMetadata", "Event", "SessionLog", "HistogramProto")
_GRAPH_PROTOS = {"GraphDef": "graph_pb2", "NodeDef": "node_def_pb2",
                 "MetaGraphDef": "meta_graph_pb2", "AttrValue": "attr_value_pb2"}


def __getattr__(name):
    if name in _SUMMARY_PROTOS:
        return getattr(summary, name)
    if name in _GRAPH_PROTOS:
        from jitgraph.summary._proto import pb as _pb
        return getattr(_pb(_GRAPH_PROTOS[name]), name)
    raise AttributeError(f"module 'jitgraph' has no attribute {name!r}")


# Last, after every namespace exists: a name jitgraph lacks says so (jitgraph.missing).
from jitgraph import missing as _missing  # noqa: E402

_missing.install(_sys.modules[__name__])
