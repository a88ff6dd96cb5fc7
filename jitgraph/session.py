"""`tf.Session`: fetch/feed handling, the signature-keyed plan cache, and `run`.

The first `run` with a new signature builds a Plan (prune, fuse, compile);
later runs only convert feeds, call the compiled code and pack the results.
"""
from __future__ import annotations

import threading

import numpy as np

from jitgraph import config
from jitgraph.codegen.plan import build_plan
from jitgraph.codegen.signature import Signature
from jitgraph.framework import errors, nest
from jitgraph.framework.graph import (Operation, Tensor, _session_stack, get_default_graph)
from jitgraph.runtime import interpreter
from jitgraph.runtime.state import RunState


class ConfigProto:
    """Accepted for compatibility (`tf.ConfigProto(...)`); jitgraph has no devices to set."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


class GPUOptions(ConfigProto):
    pass


class RunOptions(ConfigProto):
    FULL_TRACE = 3
    NO_TRACE = 0


class RunMetadata(ConfigProto):
    pass


class _Runner:
    """A Plan bound to a Session: converts feeds, runs stages, packs flat results."""

    __slots__ = ("plan", "state", "jit", "feed_np", "fetch_conv", "single")

    def __init__(self, plan, state, jit):
        self.plan, self.state, self.jit = plan, state, jit
        self.feed_np = [t.dtype.as_numpy_dtype for t in plan.feeds]
        self.fetch_conv = [None if f is None else f.dtype.as_numpy_dtype for f in plan.fetches]

    def run(self, feed_values):
        plan, state = self.plan, self.state
        state.check_initialized(plan.read_vars)
        env = dict(zip(plan.feeds, feed_values))
        for v in plan.written_vars:
            if v not in state.vars and v.outputs[0].shape.is_fully_defined():
                t = v.outputs[0]
                state.buffer_for_write(v, t.shape.as_list(), t.dtype.as_numpy_dtype)
        for st in plan.stages:
            if st.kind == "host" or not self.jit:
                interpreter.run_ops(st.ops, env, plan, state)
            else:
                self._call(st, env)
        for v in plan.written_vars:
            state.initialized.add(v)
        out = []
        for f in plan.fetches:
            if f is None:
                out.append(None)
                continue
            v = env[f] if f in env else interpreter.value_of(f, env, plan, state)
            out.append(v)
        for i in plan.alias_fetches:
            out[i] = np.array(out[i], copy=True)
        for i, f in enumerate(plan.fetches):
            v = out[i]
            if f is not None and f.dtype.name != "string":
                if not isinstance(v, np.ndarray):
                    out[i] = self.fetch_conv[i](v)
                elif v.ndim == 0:
                    out[i] = v[()]
            elif f is not None and isinstance(v, np.ndarray) and v.ndim == 0:
                out[i] = v[()]
        return out

    def _call(self, st, env):
        state = self.state
        args = []
        for t in st.inputs:
            v = env[t]
            if v.ndim == 0:
                args.append(v[()] if isinstance(v, np.ndarray) else v)
            else:
                args.append(v if v.flags.c_contiguous else np.ascontiguousarray(v))
        for v in st.variables:
            args.append(state.vars[v])
        for c in st.consts:
            if self.plan.shapes[c] != () or c.dtype.name == "string":
                args.append(self.plan.consts[c])
        if st.rng_ops:
            args.append(np.stack([state.rng_slot(op) for op in st.rng_ops]))
        try:
            res = st.compiled(*args)
        except (ValueError, ZeroDivisionError, IndexError) as e:
            raise errors.InvalidArgumentError(None, None, f"{e} (in a compiled stage of "
                                              f"{self.plan.signature!r})") from e
        if st.rng_ops:
            for op in st.rng_ops:
                state.rng_slot(op)[1] += 1
        for t, v in zip(st.outputs, res):
            env[t] = v if isinstance(v, np.ndarray) else np.asarray(v, t.dtype.as_numpy_dtype)


class BaseSession:
    """A TensorFlow runtime for one Graph: owns variable values and compiled plans."""

    def __init__(self, target="", graph=None, config_=None):
        self._graph = graph if graph is not None else get_default_graph()
        self._closed = False
        self._state = RunState(self._graph)
        self._runners: dict = {}
        self._lock = threading.RLock()
        self._default_ctx = []
        self.jit = config.jit_enabled()

    # -- properties ------------------------------------------------------------------
    @property
    def graph(self):
        return self._graph

    @property
    def graph_def(self):
        from jitgraph.framework.graph_def import graph_to_graph_def
        return graph_to_graph_def(self._graph)

    @property
    def sess_str(self):
        return ""

    def list_devices(self):
        return []

    # -- lifetime --------------------------------------------------------------------
    def close(self):
        """Frees this session's state. Later `run` calls raise RuntimeError."""
        self._closed = True
        self._runners.clear()
        self._state = None

    def __del__(self):
        pass

    def as_default(self):
        return _DefaultSession(self)

    def __enter__(self):
        ctx = _DefaultSession(self)
        self._default_ctx.append(ctx)
        ctx.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb):
        self._default_ctx.pop().__exit__(exc_type, exc, tb)
        self.close()

    # -- run -------------------------------------------------------------------------
    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Runs the ops and evaluates the tensors in `fetches`.

        Args:
          fetches: a Tensor, Operation, tensor/op name, or any nesting of lists,
            tuples, namedtuples and dicts of them.
          feed_dict: maps Tensors (or names) to values that override them.
          options, run_metadata: accepted for compatibility; ignored.

        Returns:
          The values in the structure of `fetches`: numpy arrays (numpy scalars for
          rank-0 tensors), None for Operations.

        Raises:
          RuntimeError: the session is closed or its graph is empty.
          TypeError, ValueError: a fetch or feed of the wrong kind or shape.
          errors.OpError: e.g. InvalidArgumentError for an unfed placeholder,
            FailedPreconditionError for an uninitialized variable.
        """
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        if fetches is None:
            raise TypeError("Fetch argument None has invalid type <class 'NoneType'>")
        flat = nest.flatten(fetches)
        elems = [self._fetch_element(f) for f in flat]
        feeds, values = self._convert_feeds(feed_dict)
        key = (tuple(e._id for e in elems),
               tuple((t._id, v.ndim) for t, v in zip(feeds, values)))
        runner = self._runners.get(key)
        if runner is None:
            runner = self._make_runner(key, elems, feeds, values)
        results = runner.run(values)
        if not nest.is_nested(fetches):
            return results[0]
        return nest.pack_sequence_as(fetches, results)

    def _fetch_element(self, f):
        try:
            if isinstance(f, (Tensor, Operation)):
                el = f
                if el.graph is not self._graph:
                    raise ValueError(f"Tensor {f} is not an element of this graph.")
            else:
                el = self._graph.as_graph_element(f, allow_tensor=True, allow_operation=True)
        except (TypeError, ValueError, KeyError) as e:
            kind = "a Tensor or Operation"
            if isinstance(e, TypeError):
                raise TypeError(f"Fetch argument {f!r} has invalid type {type(f)}, must be a "
                                f"string or Tensor. (Can not convert a {type(f).__name__} "
                                f"into {kind}.)") from None
            if isinstance(e, KeyError):
                raise ValueError(f"Fetch argument {f!r} cannot be interpreted as a Tensor. "
                                 f"({e.args[0]})") from None
            raise ValueError(f"Fetch argument {f!r} cannot be interpreted as a Tensor. "
                             f"({e})") from None
        return el

    def _convert_feeds(self, feed_dict):
        if not feed_dict:
            return (), ()
        items = []
        for k, v in feed_dict.items():
            t = self._feed_tensor(k)
            items.append((t, _convert_feed(t, v)))
        items.sort(key=lambda kv: kv[0]._id)
        return tuple(t for t, _ in items), tuple(v for _, v in items)

    def _feed_tensor(self, k):
        if isinstance(k, Tensor):
            if k.graph is not self._graph:
                raise ValueError(f"Tensor {k} is not an element of this graph.")
            return k
        try:
            t = self._graph.as_graph_element(k, allow_tensor=True, allow_operation=False)
        except (KeyError, ValueError) as e:
            raise TypeError(f"Cannot interpret feed_dict key as Tensor: {e.args[0]}") from None
        except TypeError:
            raise TypeError(f"Cannot interpret feed_dict key as Tensor: Can not convert a "
                            f"{type(k).__name__} into a Tensor.") from None
        return t

    def _make_runner(self, key, elems, feeds, values):
        with self._lock:
            runner = self._runners.get(key)
            if runner is not None:
                return runner
            fetches = [e if isinstance(e, Tensor) else None for e in elems]
            targets = [e for e in elems if isinstance(e, Operation)]
            fetch_names = tuple(e.name for e in elems)
            sig = Signature(fetch_names, tuple(sorted(
                (t.name, t.dtype.name, v.ndim) for t, v in zip(feeds, values))))
            plan = build_plan(self._graph, sig, list(feeds), [v.ndim for v in values],
                              fetches, targets)
            if self.jit:
                from jitgraph.codegen.compiler import compile_plan
                compile_plan(plan)
            runner = _Runner(plan, self._state, self.jit)
            self._runners[key] = runner
            return runner

    # -- inspection ------------------------------------------------------------------
    def _plan_for(self, fetches, feed_dict=None):
        flat = nest.flatten(fetches)
        elems = [self._fetch_element(f) for f in flat]
        feeds, values = self._convert_feeds(feed_dict)
        key = (tuple(e._id for e in elems),
               tuple((t._id, v.ndim) for t, v in zip(feeds, values)))
        return self._make_runner(key, elems, feeds, values).plan


def _convert_feed(t: Tensor, v):
    dt = t.dtype
    if dt.name == "string":
        from jitgraph.ops.constant import to_numpy
        arr = to_numpy(v, dt)
    else:
        if isinstance(v, np.ndarray) and v.dtype == dt.as_numpy_dtype:
            arr = v
        else:
            try:
                arr = np.asarray(v, dtype=dt.as_numpy_dtype)
            except (TypeError, ValueError) as e:
                raise TypeError(f"Cannot feed value {v!r} to Tensor {t.name!r} of dtype "
                                f"{dt.name}: {e}") from None
            if isinstance(v, Tensor) or hasattr(v, "_as_graph_element"):
                raise TypeError("The value of a feed cannot be a tf.Tensor object. Acceptable "
                                "feed values include Python scalars, strings, lists, numpy "
                                "ndarrays, or TensorHandles.")
    shape = t.shape
    if shape.ndims is not None:
        dims = shape.as_tuple()
        if len(dims) != arr.ndim or any(d is not None and d != s
                                         for d, s in zip(dims, arr.shape)):
            raise ValueError(f"Cannot feed value of shape {arr.shape!r} for Tensor "
                             f"{t.name!r}, which has shape {_shape_str(dims)!r}")
    return arr


def _shape_str(dims):
    inner = ", ".join("?" if d is None else str(d) for d in dims)
    return f"({inner},)" if len(dims) == 1 else f"({inner})"


class _DefaultSession:
    def __init__(self, sess):
        self.sess = sess
        self._graph_ctx = None

    def __enter__(self):
        _session_stack().append(self.sess)
        self._graph_ctx = self.sess.graph.as_default()
        self._graph_ctx.__enter__()
        return self.sess

    def __exit__(self, exc_type, exc, tb):
        self._graph_ctx.__exit__(exc_type, exc, tb)
        stack = _session_stack()
        if stack and stack[-1] is self.sess:
            stack.pop()


class Session(BaseSession):
    """`tf.Session(target='', graph=None, config=None)`."""

    def __init__(self, target="", graph=None, config=None):
        super().__init__(target, graph, config)

    @staticmethod
    def reset(target, containers=None, config=None):
        pass


class InteractiveSession(BaseSession):
    """A Session that installs itself as the default session on construction."""

    def __init__(self, target="", graph=None, config=None):
        super().__init__(target, graph, config)
        self._ctx = _DefaultSession(self)
        self._ctx.__enter__()

    def close(self):
        if getattr(self, "_ctx", None) is not None:
            self._ctx.__exit__(None, None, None)
            self._ctx = None
        super().close()
