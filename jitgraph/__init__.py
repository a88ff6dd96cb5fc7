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

_overloads.install()
newaxis = None

import sys as _sys
import types as _types

# `tf.compat.v1.placeholder(...)` spells the same API: the v1 namespace is this module.
compat = _types.SimpleNamespace(v1=_sys.modules[__name__])
