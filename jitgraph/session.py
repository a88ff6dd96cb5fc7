"""`tf.Session`: fetch/feed handling, the signature-keyed plan cache, and `run`.

The first `run` with a new signature builds a Plan (prune, fuse, compile);
later runs only convert feeds, call the compiled code and pack the results.
"""
from __future__ import annotations

import collections
import functools
import os
import reprlib
import threading
import warnings
import weakref

import numpy as np

from jitgraph import config
from jitgraph.config_proto import (ConfigProto, GPUOptions, RunMetadata,  # noqa: F401
                                    RunOptions)
from jitgraph.codegen.diskcache import release_plans
from jitgraph.codegen.guards import StageGuard
from jitgraph.codegen.runner import STAGE_ERRORS as _STAGE_ERRORS, fast_runner_source
from jitgraph.codegen.signature import Signature
from jitgraph.framework import errors, nest
from jitgraph.framework.graph import (Operation, Tensor, _session_stack, get_default_graph)
from jitgraph.ops import registry
from jitgraph.planning.plan import build_plan
from jitgraph.runtime import coverage, interpreter, threads
from jitgraph.runtime.state import RunState, holding


GROWING_GRAPH_WARN_AFTER = 8


class _Runner:
    """A Plan bound to a Session: converts feeds, runs stages, packs flat results.

    A plan with one compiled stage (the common training step), maybe after host
    stages (an iterator's get_next), gets a small generated Python function that
    runs the host ops and calls the kernel directly: per-run work is then a
    handful of attribute reads, not a walk over the plan.
    """

    def __init__(self, plan, state, jit, pending=None):
        self.plan, self.state, self.jit = plan, state, False
        self.fetch_conv = [None if f is None else f.dtype.as_numpy_dtype for f in plan.fetches]
        self._fast = None
        self._fast_version = -1
        self._guards = {}
        # A background compile: runs go to the interpreter until it is done.
        self._pending = pending
        if jit and pending is None:
            self._use_compiled()
        locks = state.store_locks(plan.ops)
        if locks:  # use_locking=True stores: the whole run holds their variables' locks
            self.run = holding(locks, self.run)
            self.run_traced = holding(locks, self.run_traced)

    def _use_compiled(self):
        """From now on run the plan's compiled stages (bound in `plan.kernel_stages`)."""
        self.jit = True
        stages = self.plan.stages
        kernels = [st for st in stages if st.kind == "kernel"]
        self._guards = {id(st): StageGuard(self.plan, st) for st in kernels}
        if len(kernels) == 1 and stages[-1] is kernels[0]:
            self._kernel = kernels[0]
            self._fast_src, self._fast_env = fast_runner_source(self.plan, kernels[0])

    def run(self, feed_values):
        state = self.state
        if self._fast is not None and self._fast_version == state.version:
            return self._fast(feed_values)
        if self._pending is not None and self._pending.done():
            self._finish_background_compile()
        out = self._run_general(feed_values)
        if self.jit and hasattr(self, "_fast_src"):
            self._bind_fast()
        return out

    def _finish_background_compile(self):
        """At a run boundary: loads what the compile process built (a disk-cache hit), or
        compiles here, with one warning, when the compile process failed."""
        from jitgraph.codegen.compiler import compile_plan
        fut = self._pending
        if fut is None:  # another thread switched first
            return
        self._pending = None
        try:
            fut.result()
        except Exception as e:  # noqa: BLE001 - any failure there means: compile here
            warnings.warn(f"jitgraph: background compile of {self.plan.signature!r} failed "
                          f"({e}); compiling in this process", RuntimeWarning, stacklevel=4)
        compile_plan(self.plan, source=getattr(fut, "source", None))
        self._use_compiled()

    def _bind_fast(self):
        """(Re)binds the fast path to the current variable buffers."""
        env = dict(self._fast_env)
        st = self._kernel
        env["vb"] = [self.state.vars[v] for v in st.variables]
        env["fn"] = st.compiled
        env["np"] = np
        env["rng_rows"] = self.state.rng_reserver(st.rng_ops)
        env["run_ops"], env["plan"], env["state"] = interpreter.run_ops, self.plan, self.state
        env["host_ops"] = [st.ops for st in self.plan.stages if st.kind == "host"]
        env["kernel_arg"] = _kernel_arg
        env["read_value"] = functools.partial(_read_value, self.plan, self.state)
        env["stage_error"] = functools.partial(_fast_stage_error, self.plan, st, self.state)
        ns = {}
        exec(self._fast_src, env, ns)  # noqa: S102 - our own generated runner, see above
        self._fast = ns["fast_run"]
        self._fast_version = self.state.version

    def run_traced(self, feed_values, tracer):
        """`run` with each stage timed into `tracer` (a client.tracing.StepTracer)."""
        if self._pending is not None and self._pending.done():
            self._finish_background_compile()
        return self._run_general(feed_values, tracer)

    def _run_general(self, feed_values, tracer=None):
        plan, state = self.plan, self.state
        state.check_initialized(plan.read_vars)
        for st in plan.stages:  # refuse before any stage writes (re-checked at each call)
            if self.jit and st.kind == "kernel":
                self._guards[id(st)].check_vars(state.vars)
        env = dict(zip(plan.feeds, feed_values))
        for v in plan.written_vars:
            if v not in state.vars and v.outputs[0].shape.is_fully_defined():
                t = v.outputs[0]
                state.buffer_for_write(v, t.shape.as_list(), t.dtype.as_numpy_dtype)
        if coverage.RAN is not None:
            coverage.ran(plan.stages, self.jit)
        for i, st in enumerate(plan.stages):
            if tracer is not None:
                tracer.run_stage(self, st, env, i)
            elif st.kind == "host" or not self.jit:
                interpreter.run_ops(st.ops, env, plan, state)
            else:
                self._call(st, env)
        state.mark_initialized(plan.written_vars)
        out = []
        for f in plan.fetches:
            if f is None:
                out.append(None)
                continue
            out.append(env[f] if f in env else interpreter.value_of(f, env, plan, state))
        for i in plan.alias_fetches:
            out[i] = np.array(out[i], copy=True)
        for i, f in enumerate(plan.fetches):
            v = out[i]
            if f is None:
                continue
            if not isinstance(v, np.ndarray):
                out[i] = self.fetch_conv[i](v) if f.dtype.name != "string" else v
            elif v.ndim == 0:
                out[i] = v[()]
        return out

    def _call(self, st, env):
        state = self.state
        guard = self._guards[id(st)]
        guard.check_env(env)
        bufs = [state.vars[v] for v in st.variables]
        guard.check_vars(state.vars)
        args = [_kernel_arg(env[t]) for t in st.inputs] + bufs
        args += [self.plan.consts[c] for c in st.const_args]
        if st.rng_ops:  # reserved before the kernel runs: concurrent runs draw apart
            args.append(state.rng_reserver(st.rng_ops)())
        res = _call_compiled(st.compiled, args, self.plan, st, state, env)
        for t, v in zip(st.outputs, res):
            env[t] = v if isinstance(v, np.ndarray) else np.asarray(v, t.dtype.as_numpy_dtype)




def _call_compiled(fn, args, plan, st, state, env):
    try:
        return fn(*args)
    except _STAGE_ERRORS as e:
        raise _stage_error(e, plan, st, state, env) from e


def _stage_error(e, plan, st, state, env):
    """The error for compiled stage `st` failing with `e` on inputs `env`: the stage's ops
    are re-run on the interpreter to find the op that fails, and its error is raised, so
    both engines raise the same class naming the same op and the line that created it."""
    found = interpreter.rerun_for_error(st.ops, env, plan, state, st.variables)
    if found is not None:
        return found
    where = f"in a compiled stage of {plan.signature!r}"
    if isinstance(e, MemoryError):
        return errors.ResourceExhaustedError(None, None, f"OOM when allocating a tensor {where}")
    return errors.InvalidArgumentError(None, None, f"{e} ({where})")


def _fast_stage_error(plan, st, state, e, fv, host_env):
    """_stage_error for the fast path, which keeps only the feeds (and host outputs)."""
    env = host_env if host_env is not None else dict(zip(plan.feeds, fv))
    return _stage_error(e, plan, st, state, env)


def _sparse_keys(feed_dict):
    return [k for k in (feed_dict or ()) if hasattr(k, "dense_shape") and hasattr(k, "indices")]


def _sparse_feeds(feed_dict):
    """`feed_dict` with each SparseTensor key fed as its three tensors, as TF feeds one
    (a SparseTensorValue, or an (indices, values, dense_shape) tuple)."""
    out = {}
    for k, v in feed_dict.items():
        if not (hasattr(k, "dense_shape") and hasattr(k, "indices")):
            out[k] = v
            continue
        try:
            indices, values, dense_shape = v
        except (TypeError, ValueError):
            raise TypeError(f"A SparseTensor is fed a SparseTensorValue or an (indices, "
                            f"values, dense_shape) tuple, got {type(v).__name__}") from None
        dense_shape = np.asarray(dense_shape, np.int64)
        indices = np.asarray(indices, np.int64)
        out[k.indices] = indices if indices.ndim == 2 else indices.reshape(-1, dense_shape.size)
        out[k.values] = values
        out[k.dense_shape] = dense_shape
    return out


def _read_value(plan, state, t):
    return interpreter.value_of(t, {}, plan, state)


def _kernel_arg(v):
    """A value as a kernel argument: a scalar, or a writable C array (Numba types
    read-only and strided arrays apart, so every other kind would need its own compile)."""
    if v.ndim == 0:
        return v[()] if isinstance(v, np.ndarray) else v
    return v if v.flags.c_contiguous and v.flags.writeable else np.array(v, order="C")


class BaseSession:
    """A TensorFlow runtime for one Graph: owns variable values and compiled plans."""

    def __init__(self, target="", graph=None, config_=None):
        self._graph = graph if graph is not None else get_default_graph()
        self._closed = False
        self._state = RunState(self._graph)
        self._runners: dict = {}      # run key (fast or canonical) -> _Runner
        # Runners, least recently used first, each with every key that maps to it.
        self._plans = collections.OrderedDict()
        self._last_runner = None
        self.max_plans = max_plans()
        self._feed_convs: dict = {}
        self._graph_version_at_compile = -1
        self._growing_compiles = 0
        self._lock = threading.RLock()
        self._default_ctx = []
        self.jit = config.jit_enabled()
        self._threads = threads.session_budget(config_)
        self._partial_runs: dict = {}
        self._cancelled = False
        _LIVE_SESSIONS.add(self)

    # -- properties ------------------------------------------------------------------
    @property
    def graph(self):
        return self._graph

    @property
    def graph_def(self):
        return self._graph.as_graph_def()

    @property
    def sess_str(self):
        return ""

    def list_devices(self):
        return []

    # -- lifetime --------------------------------------------------------------------
    def close(self):
        """Frees this session's state. Later `run` calls raise RuntimeError."""
        self._closed = True
        release_plans(r.plan for r in self._plans)
        self._runners.clear()
        self._plans.clear()
        self._last_runner = None
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
          options: a RunOptions; with a `trace_level` other than NO_TRACE and a
            `run_metadata`, the run is traced (see below). Other fields are ignored.
          run_metadata: a RunMetadata whose `step_stats` a traced run fills with the
            times of each compiled stage and of each op run on the interpreter.

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
        if run_metadata is not None and getattr(options, "trace_level", 0):
            return self._run_traced(fetches, feed_dict, run_metadata)
        kind = type(fetches)
        flat = False  # a plain list/tuple of tensors and ops: no nest work on the way back
        if kind is Tensor or kind is Operation:
            elems, nested = (fetches,), False
        elif (kind is tuple or kind is list) and all(
                type(f) is Tensor or type(f) is Operation for f in fetches):
            elems, nested, flat = fetches, True, True
        else:
            if fetches is None:
                raise TypeError("Fetch argument None has invalid type <class 'NoneType'>")
            nested = nest.is_nested(fetches)
            elems = nest.flatten(fetches)
        try:
            values, key = self._run_key(elems, feed_dict)
        except TypeError:
            if not _sparse_keys(feed_dict):
                raise
            feed_dict = _sparse_feeds(feed_dict)  # off the common path: it raised first
            values, key = self._run_key(elems, feed_dict)
        runner = self._runners.get(key)
        if runner is None:
            runner = self._make_runner(key, fetches, elems, feed_dict, values)
        elif runner is not self._last_runner:
            self._touch(runner)
        threads.use(self._threads, runner.product_flops)
        results = runner.run(values)
        if not nested:
            return results[0]
        if flat:
            return results if kind is list else tuple(results)
        return nest.pack_sequence_as(fetches, results)

    def _run_traced(self, fetches, feed_dict, run_metadata):
        from jitgraph.client.tracing import StepTracer
        if fetches is None:
            raise TypeError("Fetch argument None has invalid type <class 'NoneType'>")
        elems = nest.flatten(fetches)
        values, key = self._run_key(elems, feed_dict)
        runner = self._runners.get(key) or self._make_runner(key, fetches, elems, feed_dict,
                                                              values)
        tracer = StepTracer()
        threads.use(self._threads, runner.product_flops)
        results = runner.run_traced(values, tracer)
        run_metadata.step_stats = tracer.step_stats()
        return nest.pack_sequence_as(fetches, results) if nest.is_nested(fetches) else results[0]

    # -- callables and partial runs -------------------------------------------------
    def make_callable(self, fetches, feed_list=None, accept_options=False):
        """Returns a Python function that runs `fetches` with values for `feed_list`.

        The fastest way to run one step many times: the fetch structure, the feed
        converters and (for feeds of known rank) the compiled plan are looked up once,
        here and at the first call, instead of on every `run`.

        Args:
          fetches: as for `run`.
          feed_list: Tensors (or names) to feed, in the order the function takes
            their values.
          accept_options: the function also takes `options` and `run_metadata`
            keyword arguments, as `run` does.

        Returns:
          A function `f(*feed_values)` returning what `run(fetches, feed_dict)` would.

        Raises:
          TypeError, ValueError: a fetch or feed_list entry that is not of this graph.
        """
        if fetches is None:
            raise TypeError("Fetch argument None has invalid type <class 'NoneType'>")
        for e in nest.flatten(fetches):  # a bad fetch fails here, as in TF
            self._fetch_element(e)
        return _callable(self, fetches, list(feed_list or ()), accept_options)

    def partial_run_setup(self, fetches, feeds=None):
        """Sets up a partial run of `fetches` with `feeds` to be fed along the way.

        Returns:
          A handle for `partial_run`.
        """
        from jitgraph.client.partial_run import PartialRun
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        handle = PartialRun(self, fetches, feeds or [])
        self._partial_runs[handle.name] = handle
        return handle.name

    def partial_run(self, handle, fetches, feed_dict=None):
        """Continues the partial run `handle`: feeds `feed_dict`, returns `fetches`.

        Each op runs at most once across the partial run's calls: values computed by an
        earlier call that a later fetch still needs are kept, not computed again.

        Raises:
          errors.InvalidArgumentError: a fetch or feed not named in `partial_run_setup`,
            or one already fetched or fed.
        """
        run = self._partial_runs.get(handle)
        if run is None:
            raise errors.InvalidArgumentError(
                None, None, "Must run 'setup' before performing partial runs!")
        out = run.run(fetches, feed_dict or {})
        if run.finished:  # its handle is spent, as in TF
            del self._partial_runs[handle]
        return out

    def _run_key(self, elems, feed_dict):
        """(converted feed values, run key): the one key builder of the runner cache.

        The key must never alias two different runs. A Tensor or Operation of this
        graph lives as long as the graph, so its id() is stable; any other fetch (a
        name) is keyed by its value, never by the id() of an object the caller may
        free (a name built at run time gets the id of the string freed before it).
        Feeds are keyed by their converter, cached per tensor or name for the
        Session's life, and the fed rank.
        """
        fkey = tuple([id(e) if type(e) is Tensor or type(e) is Operation else
                      e if type(e) is str else id(self._fetch_element(e)) for e in elems])
        if not feed_dict:
            return (), (fkey, ())
        values, kk = [], []
        convs = self._feed_convs
        for k, v in feed_dict.items():
            conv = convs.get(k) if type(k) is Tensor or type(k) is str else None
            if conv is None:
                conv = self._feed_converter(k)
            a = conv(v)
            values.append(a)
            kk.append(id(conv))
            kk.append(a.ndim)
        return values, (fkey, tuple(kk))

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

    def _feed_converter(self, k):
        """A function converting fed values for key `k`, cached per tensor."""
        t = self._feed_tensor(k)
        conv = self._feed_convs.get(t)
        if conv is None:
            conv = _make_feed_converter(t)
            self._feed_convs[t] = conv
        if type(k) is str:
            self._feed_convs[k] = conv  # a name always means the same tensor in this graph
        return conv

    def _make_runner(self, key, fetches, elems, feed_dict, values):
        if self._cancelled:  # by Session.reset: no runner is left to find
            raise errors.CancelledError(None, None, "Session has been closed.")
        with self._lock:
            runner = self._runners.get(key)
            if runner is not None:
                return runner
            elems = [e if type(e) in (Tensor, Operation) else self._fetch_element(e)
                     for e in elems]
            for e in elems:
                if e.graph is not self._graph:
                    raise ValueError(f"Fetch argument {e!r} cannot be interpreted as a Tensor. "
                                     f"(Tensor {e} is not an element of this graph.)")
            feeds = [self._feed_converter(k).tensor for k in (feed_dict or {})]
            if len(set(feeds)) != len(feeds):
                raise ValueError("The same tensor was fed twice (by object and by name).")
            fetch_list = [e if isinstance(e, Tensor) else None for e in elems]
            targets = [e for e in elems if isinstance(e, Operation)]
            sig = Signature(tuple(e.name for e in elems), tuple(sorted(
                (t.name, t.dtype.name, v.ndim) for t, v in zip(feeds, values))))
            # Fetching by name or by tensor is one signature, so one runner; feeds in
            # another order are another runner (values arrive in feed_dict order).
            canon = (sig, tuple(t.name for t in feeds))
            runner = self._runners.get(canon)
            if runner is None:
                # Control-flow ops run their sub-plans on the engine of the run they are in.
                self._state.jit = self.jit
                plan = build_plan(self._graph, sig, feeds, [v.ndim for v in values],
                                  fetch_list, targets)
                jit = self.jit and not _initializer_only(plan)
                pending = None
                if jit:
                    pending = _start_compile(plan)
                    self._note_compile()
                runner = _Runner(plan, self._state, jit, pending)
                runner.product_flops = threads.plan_product_flops(plan, values)
                self._runners[canon] = runner
                self._plans[runner] = [canon]
                self._evict_over(self.max_plans)
            self._runners[key] = runner
            self._plans[runner].append(key)
            self._touch(runner)
            return runner

    # -- the plan cache ------------------------------------------------------------------
    def _touch(self, runner):
        """Marks `runner` most recently used (the common run repeats the last runner and
        skips this)."""
        self._last_runner = runner
        try:
            self._plans.move_to_end(runner)
        except KeyError:  # evicted by another thread meanwhile: it still runs this once
            pass

    def _evict_over(self, limit):
        """Drops least recently used runners beyond `limit`, with every key that maps to
        them, and releases their compiled modules (a later run of one builds it again)."""
        with self._lock:
            while len(self._plans) > max(limit, 1):
                runner, keys = self._plans.popitem(last=False)
                for k in keys:
                    if self._runners.get(k) is runner:
                        del self._runners[k]
                if runner is self._last_runner:
                    self._last_runner = None
                release_plans([runner.plan])
                if config.logging_compiles():
                    config.log(f"[jitgraph] evicted {runner.plan.signature!r} from the plan "
                               f"cache ({limit} plans kept; JITGRAPH_MAX_PLANS)")

    def _note_compile(self):
        """Warns once when the graph keeps growing between compiles (ops built in a loop)."""
        grown = self._graph.version != self._graph_version_at_compile
        self._graph_version_at_compile = self._graph.version
        self._growing_compiles = self._growing_compiles + 1 if grown else 0
        if self._growing_compiles == GROWING_GRAPH_WARN_AFTER:
            warnings.warn(
                f"jitgraph: {GROWING_GRAPH_WARN_AFTER} compiles in a row each followed new ops "
                "added to the graph. Ops created inside a training loop make every step a new "
                "program to compile; build the graph once before the loop (graph.finalize() "
                "catches this).", RuntimeWarning, stacklevel=4)

    # -- inspection ------------------------------------------------------------------
    def _plan_for(self, fetches, feed_dict=None):
        elems = nest.flatten(fetches)
        values, key = self._run_key(elems, feed_dict)
        runner = self._runners.get(key) or self._make_runner(key, fetches, elems, feed_dict,
                                                              values)
        return runner.plan


# Open Sessions, for Session.reset (held weakly: a Session dropped by its user goes).
_LIVE_SESSIONS = weakref.WeakSet()


def _callable(sess, fetches, feed_list, accept_options):
    """The function `Session.make_callable` returns (see there).

    It keeps what `run` works out on every call: the flat fetches and how to pack
    them, the feed converters, the run key and, when every fed tensor has a static rank
    (so the key cannot change), the runner itself while the Session still holds it.
    """
    elems = nest.flatten(fetches)
    convs = [sess._feed_converter(k) for k in feed_list]
    fast_convs = [_callable_converter(c) for c in convs]
    n = len(convs)
    fkey = tuple([id(e) if type(e) is Tensor or type(e) is Operation else
                  e if type(e) is str else id(sess._fetch_element(e)) for e in elems])
    static = all(c.tensor.shape.rank is not None for c in convs)
    kind = type(fetches)
    if kind is Tensor or kind is Operation or not nest.is_nested(fetches):
        pack = _first
    elif kind is list and not any(nest.is_nested(f) for f in fetches):
        pack = _same
    elif kind is tuple and not any(nest.is_nested(f) for f in fetches):
        pack = tuple
    else:
        pack = functools.partial(nest.pack_sequence_as, fetches)
    held = [None]
    runners, plans = sess._runners, sess._plans

    def find(values, args):
        key = (fkey, tuple(x for c, a in zip(convs, values) for x in (id(c), np.ndim(a))))
        runner = runners.get(key)
        if runner is None:
            runner = sess._make_runner(key, fetches, elems, dict(zip(feed_list, args)),
                                       values)
        elif runner is not sess._last_runner:
            sess._touch(runner)
        if static:
            held[0] = runner
        return runner

    def call(*args):
        if sess._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        if len(args) != n:  # TF zips them: the feeds left out are unfed
            return sess.run(fetches, dict(zip(feed_list, args)))
        values = [c(a) for c, a in zip(fast_convs, args)]
        runner = held[0]
        if runner is None or (runner is not sess._last_runner and runner not in plans):
            runner = find(values, args)
        elif runner is not sess._last_runner:
            sess._touch(runner)
        threads.use(sess._threads, runner.product_flops)
        return pack(runner.run(values))

    if not accept_options:
        return call

    def call_with_options(*args, options=None, run_metadata=None):
        if run_metadata is not None and getattr(options, "trace_level", 0):
            return sess.run(fetches, dict(zip(feed_list, args)), options, run_metadata)
        return call(*args)
    return call_with_options


def _callable_converter(conv):
    """`conv` (a feed converter) with a shortcut for the value a step function is called
    with again and again: a C-contiguous array of the tensor's dtype and rank whose known
    dims match passes as it is, checked dim by dim (anything else goes to `conv`)."""
    t = conv.tensor
    dims = t.shape.as_tuple()
    if dims is None or not dims or t.dtype.name == "string":
        return conv
    dtype = np.dtype(t.dtype.as_numpy_dtype)
    rank = len(dims)
    known = tuple((i, d) for i, d in enumerate(dims) if d is not None)

    def fast(v):
        if type(v) is np.ndarray and v.dtype is dtype and v.ndim == rank and \
                v.flags.c_contiguous:
            shape = v.shape
            for i, d in known:
                if shape[i] != d:
                    return conv(v)  # raises TF's shape error
            return v
        return conv(v)
    fast.tensor = t
    return fast


def _clear_state(state):
    """What Session.reset does to one Session: as if no initializer had run."""
    state.vars.clear()
    state.initialized.clear()
    state.resources.clear()
    state.version += 1  # compiled fast paths re-check (and find nothing initialized)


def _first(results):
    return results[0]


def _same(results):
    return results


MAX_PLANS = 256  # plans a Session keeps unless JITGRAPH_MAX_PLANS or `max_plans` says


def max_plans() -> int:
    """The plan-cache size new Sessions get: JITGRAPH_MAX_PLANS, else MAX_PLANS."""
    raw = os.environ.get("JITGRAPH_MAX_PLANS")
    if raw is None or not raw.strip():
        return MAX_PLANS
    try:
        n = int(raw)
    except ValueError:
        raise ValueError(f"JITGRAPH_MAX_PLANS={raw!r}: expected a positive integer") from None
    if n < 1:
        raise ValueError(f"JITGRAPH_MAX_PLANS={raw!r}: expected a positive integer")
    return n


def _start_compile(plan):
    """Compiles `plan` now (sync) or queues it for the compile process (background: the
    future it returns), as `config.compile_mode()` says."""
    from jitgraph.codegen import compiler
    mode = config.compile_mode()
    if mode == "background" and plan.kernel_stages and compiler.can_compile_elsewhere():
        return compiler.compile_in_background(plan)
    compiler.compile_plan(plan, announce=True)
    return None


def _initializer_only(plan) -> bool:
    """Whether `plan` only sets variables from constants and random draws (an initializer).

    Such a plan runs once per Session: compiling it would cost far more (≈0.5 s) than
    running it on the numpy interpreter (µs to ms), which draws the same numbers.
    """
    if plan.feeds or plan.read_vars or not plan.written_vars:
        return False
    return all(op.type == "Assign" for op in plan.ops if registry.get(op.type).store)


def _make_feed_converter(t: Tensor):
    npt = t.dtype.as_numpy_dtype
    dims = t.shape.as_tuple()
    is_string = t.dtype.name == "string"

    def conv(v):
        tv = type(v)
        if (tv is float or tv is int or tv is bool) and not is_string:
            a = npt(v)
            if dims is not None and dims != ():
                _check_feed_shape(t, a, dims)
            return a
        if tv is np.ndarray and v.dtype == npt and v.flags.c_contiguous:
            a = v
        else:
            a = _convert_feed(t, v)
        if dims is not None:
            _check_feed_shape(t, a, dims)
        if a.ndim == 0 and not is_string:
            return a[()]  # kernels take rank-0 values as scalars
        return a
    conv.tensor = t
    return conv


def _check_feed_shape(t, a, dims):
    shape = np.shape(a)
    if len(dims) != len(shape) or any(d is not None and d != s for d, s in zip(dims, shape)):
        raise ValueError(f"Cannot feed value of shape {shape!r} for Tensor {t.name!r}, "
                         f"which has shape {_shape_str(dims)!r}")


def _convert_feed(t: Tensor, v):
    dt = t.dtype
    if isinstance(v, Tensor) or hasattr(v, "_as_graph_element"):
        raise TypeError("The value of a feed cannot be a tf.Tensor object. Acceptable feed "
                        "values include Python scalars, strings, lists, numpy ndarrays, or "
                        "TensorHandles.")
    if dt.name == "string":
        from jitgraph.ops.constant import to_numpy
        return to_numpy(v, dt)
    try:
        arr = np.asarray(v, dtype=dt.as_numpy_dtype)
    except (TypeError, ValueError) as e:
        # numpy's class, as TF's feed conversion raises it, and the tensor it was meant for
        raise type(e)(f"Cannot feed value {reprlib.repr(v)} to Tensor {t.name!r} of dtype "
                      f"{dt.name}: {e}") from None
    if arr.ndim == 0:
        return arr[()]
    return arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)


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
        """Frees the state of every open Session of this process on `target` ("" is the
        in-process one) and closes them, as TF's in-process sessions do: their variables,
        iterators and tables are gone and a later `run` raises CancelledError.

        Args:
          target: the execution engine; jitgraph has only the in-process one.
          containers: resource containers to clear; None (or a list holding "") is the
            default container, where jitgraph keeps everything.
          config: accepted for compatibility.
        """
        if target not in ("", b"", None):
            raise errors.NotFoundError(None, None, "No session factory registered for the "
                                                   f"given session options: {{target: "
                                                   f"\"{target}\"}}")
        if containers is not None and "" not in containers:
            return
        for sess in list(_LIVE_SESSIONS):
            if not sess._closed and not sess._cancelled:
                sess._cancelled = True
                with sess._lock:
                    release_plans(r.plan for r in sess._plans)
                    sess._runners.clear()
                    sess._plans.clear()
                    sess._last_runner = None
                    _clear_state(sess._state)


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
