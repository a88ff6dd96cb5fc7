"""`tf.train.MonitoredSession` and friends: a Session that initializes or restores the
model, runs SessionRunHooks around each `run`, and knows when training should stop."""
from __future__ import annotations

from jitgraph.framework import errors
from jitgraph.framework.graph import GraphKeys, get_default_graph
from jitgraph.train.coordinator import Coordinator
from jitgraph.train.queue_runner import start_queue_runners
from jitgraph.train.session_run_hook import SessionRunArgs, SessionRunContext, SessionRunValues

USE_DEFAULT = object()


class Scaffold:
    """The ops that make a model ready (init, ready, local init), its saver and summary op;
    `finalize` fills the ones not given from the graph's collections, then freezes it."""

    def __init__(self, init_op=None, init_feed_dict=None, init_fn=None, ready_op=None,
                 ready_for_local_init_op=None, local_init_op=None, summary_op=None,
                 saver=None, copy_from_scaffold=None):
        if copy_from_scaffold is not None:
            if not isinstance(copy_from_scaffold, Scaffold):
                raise TypeError("copy_from_scaffold is not a Scaffold instance.")
            c = copy_from_scaffold
            init_op = init_op or c.init_op
            init_feed_dict = init_feed_dict or c.init_feed_dict
            init_fn = init_fn or c._user_init_fn
            ready_op = ready_op or c.ready_op
            ready_for_local_init_op = ready_for_local_init_op or c.ready_for_local_init_op
            local_init_op = local_init_op or c.local_init_op
            summary_op = summary_op or c.summary_op
            saver = saver or c.saver
        self._init_op, self._init_feed_dict = init_op, init_feed_dict
        self._user_init_fn = init_fn
        self._init_fn = (lambda sess: init_fn(self, sess)) if init_fn else None
        self._ready_op, self._ready_for_local_init_op = ready_op, ready_for_local_init_op
        self._local_init_op, self._summary_op, self._saver = local_init_op, summary_op, saver

    init_op = property(lambda self: self._init_op)
    init_feed_dict = property(lambda self: self._init_feed_dict)
    init_fn = property(lambda self: self._init_fn)
    ready_op = property(lambda self: self._ready_op)
    ready_for_local_init_op = property(lambda self: self._ready_for_local_init_op)
    local_init_op = property(lambda self: self._local_init_op)
    summary_op = property(lambda self: self._summary_op)
    saver = property(lambda self: self._saver)

    @staticmethod
    def get_or_default(arg_name, collection_key, default_constructor):
        g = get_default_graph()
        found = g.get_collection(collection_key)
        if len(found) > 1:
            raise RuntimeError(f"More than one item in the collection \"{collection_key}\". "
                               f"Please indicate which one to use by passing it to the tf.Scaffold "
                               f"constructor as:  tf.Scaffold({arg_name}=item to use)")
        if found:
            return found[0]
        op = default_constructor()
        if op is not None:
            g.add_to_collection(collection_key, op)
        return op

    @staticmethod
    def default_local_init_op():
        from jitgraph.initializers import tables_initializer
        from jitgraph.ops.array_ops import group
        from jitgraph.variables import local_variables_initializer
        return group(local_variables_initializer(), tables_initializer())

    def finalize(self):
        from jitgraph import summary
        from jitgraph.variables import (global_variables_initializer,
                                        report_uninitialized_variables)
        g = get_default_graph()
        if g.finalized:
            return self
        if self._init_op is None:
            self._init_op = Scaffold.get_or_default("init_op", GraphKeys.INIT_OP,
                                                    global_variables_initializer)
        if self._ready_op is None:
            self._ready_op = Scaffold.get_or_default("ready_op", GraphKeys.READY_OP,
                                                     report_uninitialized_variables)
        if self._local_init_op is None:
            self._local_init_op = Scaffold.get_or_default(
                "local_init_op", GraphKeys.LOCAL_INIT_OP, Scaffold.default_local_init_op)
        if self._summary_op is None:
            self._summary_op = Scaffold.get_or_default("summary_op", GraphKeys.SUMMARY_OP,
                                                       summary.merge_all)
        if self._saver is None:
            self._saver = _default_saver()
        g.finalize()
        return self


def _default_saver():
    from jitgraph.saver import Saver
    g = get_default_graph()
    savers = g.get_collection(GraphKeys.SAVERS)
    if len(savers) > 1:
        raise RuntimeError("More than one item in collection savers. Please indicate which "
                           "one to use by passing it to the constructor.")
    if savers:
        return savers[0]
    saver = Saver(allow_empty=True)
    g.add_to_collection(GraphKeys.SAVERS, saver)
    return saver


class ChiefSessionCreator:
    """Makes a Session and restores the latest checkpoint of `checkpoint_dir` into it, or
    runs the scaffold's init op (and init_fn) when there is none."""

    def __init__(self, scaffold=None, master="", config=None, checkpoint_dir=None,
                 checkpoint_filename_with_path=None):
        self._scaffold = scaffold or Scaffold()
        self._master, self._config = master, config
        self._checkpoint_dir = checkpoint_dir
        self._checkpoint_filename_with_path = checkpoint_filename_with_path

    def _checkpoint(self):
        from jitgraph.saver import latest_checkpoint
        if self._checkpoint_filename_with_path:
            return self._checkpoint_filename_with_path
        if self._checkpoint_dir:
            return latest_checkpoint(self._checkpoint_dir)
        return None

    def create_session(self):
        from jitgraph.session import Session
        sc = self._scaffold.finalize()
        sess = Session(self._master, graph=get_default_graph(), config=self._config)
        path = self._checkpoint()
        if path:
            sc.saver.restore(sess, path)
        else:
            if sc.init_op is not None:
                sess.run(sc.init_op, feed_dict=sc.init_feed_dict)
            if sc.init_fn is not None:
                sc.init_fn(sess)
        if sc.local_init_op is not None:
            sess.run(sc.local_init_op)
        _check_ready(sess, sc.ready_op)
        return sess


WorkerSessionCreator = ChiefSessionCreator


def _check_ready(sess, ready_op):
    if ready_op is None:
        return
    missing = sess.run(ready_op)
    if getattr(missing, "size", 0):
        names = ", ".join(m.decode() if isinstance(m, bytes) else str(m)
                          for m in missing.ravel())
        raise RuntimeError(f"Init operations did not make model ready.  Init op: init, "
                           f"init fn: None, error: Variables not initialized: {names}")


def _merge_run_options(options, asked, run_metadata):
    """(RunOptions with the highest trace level and timeout asked, a RunMetadata for the
    trace): what a hooked run passes when hooks ask for options."""
    from jitgraph.config_proto import RunMetadata, RunOptions
    merged = RunOptions()
    if options is not None:
        merged.CopyFrom(options)
    for o in asked:
        merged.trace_level = max(merged.trace_level, o.trace_level)
        merged.timeout_in_ms = max(merged.timeout_in_ms, o.timeout_in_ms)
    return merged, run_metadata if run_metadata is not None else RunMetadata()


def _merge_feeds(user_feeds, hook_feeds):
    if not hook_feeds:
        return user_feeds
    if not user_feeds:
        return hook_feeds
    if set(user_feeds) & set(hook_feeds):
        raise RuntimeError("Same tensor is fed by a SessionRunHook and user."
                           f"Conflict(s): {list(set(user_feeds) & set(hook_feeds))}")
    return {**user_feeds, **hook_feeds}


class StepContext:
    """What `run_step_fn`'s function gets: the raw session and a run that calls hooks."""

    def __init__(self, session, run_with_hooks_fn):
        self._session, self._run_with_hooks_fn = session, run_with_hooks_fn
        self._stop = False

    session = property(lambda self: self._session)

    def run_with_hooks(self, *args, **kwargs):
        return self._run_with_hooks_fn(*args, **kwargs)

    def request_stop(self):
        self._stop = True
        raise _StopRequested()


class _StopRequested(Exception):
    pass


class _MonitoredSession:
    def __init__(self, session_creator, hooks, should_recover=False,
                 stop_grace_period_secs=120):
        self._graph_was_finalized = get_default_graph().finalized
        self._hooks = list(hooks or [])
        for h in self._hooks:
            h.begin()
        # As TF's: the coordinator suppresses nothing, the graph's queue runners start
        # with the session (before the hooks see it) and stop before it closes.
        self._coord = Coordinator(clean_stop_exception_types=[])
        self._stop_grace_period_secs = stop_grace_period_secs
        self._should_stop = False
        self._sess = (session_creator or ChiefSessionCreator()).create_session()
        self._threads = []
        if get_default_graph().get_collection(GraphKeys.QUEUE_RUNNERS):
            self._threads = start_queue_runners(self._sess, coord=self._coord, daemon=True)
        for h in self._hooks:
            h.after_create_session(self._sess, self._coord)

    @property
    def graph(self):
        return self._sess.graph

    def _tf_sess(self):
        return self._sess

    def should_stop(self):
        return self._sess is None or self._should_stop or self._coord.should_stop()

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        if self._sess is None:
            raise RuntimeError("Session is already closed.")
        if self.should_stop():
            raise RuntimeError("Run called even after should_stop requested.")
        context = SessionRunContext(SessionRunArgs(fetches, feed_dict), self._sess)
        requests = [(h, h.before_run(context)) for h in self._hooks]
        hook_feeds = {}
        for _, req in requests:
            if req is not None and req.feed_dict:
                if set(hook_feeds) & set(req.feed_dict):
                    raise RuntimeError("Same tensor is fed by two hooks.")
                hook_feeds.update(req.feed_dict)
        fetching = [(h, req.fetches) for h, req in requests
                    if req is not None and req.fetches is not None]
        asked = [req.options for _, req in requests if req is not None and req.options]
        if asked:  # a hook's RunOptions (a trace): merged as TF merges them
            options, run_metadata = _merge_run_options(options, asked, run_metadata)
        results = self._sess.run([fetches] + [f for _, f in fetching],
                                 feed_dict=_merge_feeds(feed_dict, hook_feeds),
                                 options=options, run_metadata=run_metadata)
        by_hook = {id(h): r for (h, _), r in zip(fetching, results[1:])}
        for h in self._hooks:
            h.after_run(context, SessionRunValues(by_hook.get(id(h)), options, run_metadata))
        self._should_stop = self._should_stop or context.stop_requested
        return results[0]

    def run_step_fn(self, step_fn):
        ctx = StepContext(self._sess, self.run)
        try:
            return step_fn(ctx)
        except _StopRequested:
            self._should_stop = True
            return None

    def close(self):
        self._close_internal()

    def _close_internal(self, exception_type=None):
        try:
            if not exception_type and self._sess is not None:
                for h in self._hooks:
                    h.end(self._sess)
        finally:
            try:
                if self._sess is None:
                    raise RuntimeError("Session is already closed.")
                self._coord.request_stop()
                try:
                    self._coord.join(self._threads, self._stop_grace_period_secs,
                                     ignore_live_threads=True)
                except Exception:  # noqa: BLE001 - TF logs a queue thread's error at close
                    pass
                self._sess.close()
            finally:
                self._sess = None
                if not self._graph_was_finalized:
                    get_default_graph()._unsafe_unfinalize()

    def __enter__(self):
        return self

    def __exit__(self, exception_type, exception_value, traceback):
        if exception_type in (errors.OutOfRangeError, StopIteration):
            exception_type = None
        self._close_internal(exception_type)
        return exception_type is None


class MonitoredSession(_MonitoredSession):
    """A Session with hooks, made by `session_creator` (a ChiefSessionCreator by default)."""

    def __init__(self, session_creator=None, hooks=None, stop_grace_period_secs=120):
        super().__init__(session_creator, hooks, True, stop_grace_period_secs)


class SingularMonitoredSession(_MonitoredSession):
    """A MonitoredSession for one process, whose raw Session is reachable."""

    def __init__(self, hooks=None, scaffold=None, master="", config=None, checkpoint_dir=None,
                 stop_grace_period_secs=120, checkpoint_filename_with_path=None):
        creator = ChiefSessionCreator(scaffold=scaffold, master=master, config=config,
                                      checkpoint_dir=checkpoint_dir,
                                      checkpoint_filename_with_path=checkpoint_filename_with_path)
        super().__init__(creator, hooks, False, stop_grace_period_secs)

    def raw_session(self):
        return self._tf_sess()


def _resolve(steps, secs, default_steps, default_secs):
    if steps is USE_DEFAULT and secs is USE_DEFAULT:
        return default_steps, default_secs
    return (None if steps is USE_DEFAULT else steps), (None if secs is USE_DEFAULT else secs)


def MonitoredTrainingSession(master="", is_chief=True, checkpoint_dir=None, scaffold=None,  # noqa: N802
                             hooks=None, chief_only_hooks=None,
                             save_checkpoint_secs=USE_DEFAULT,
                             save_summaries_steps=USE_DEFAULT,
                             save_summaries_secs=USE_DEFAULT, config=None,
                             stop_grace_period_secs=120, log_step_count_steps=100,
                             max_wait_secs=7200, save_checkpoint_steps=USE_DEFAULT,
                             summary_dir=None):
    """TF 1.x's training session: restores from `checkpoint_dir`, then saves checkpoints
    (every 600 s by default), summaries (every 100 steps) and steps/sec there."""
    from jitgraph.train import hooks as hooks_lib
    sum_steps, sum_secs = _resolve(save_summaries_steps, save_summaries_secs, 100, None)
    ckpt_steps, ckpt_secs = _resolve(save_checkpoint_steps, save_checkpoint_secs, None, 600)
    scaffold = scaffold or Scaffold()
    all_hooks = list(chief_only_hooks or []) if is_chief else []
    creator = ChiefSessionCreator(scaffold=scaffold, checkpoint_dir=checkpoint_dir,
                                  master=master, config=config)
    summary_dir = summary_dir or checkpoint_dir
    if is_chief and summary_dir:
        if log_step_count_steps and log_step_count_steps > 0:
            all_hooks.append(hooks_lib.StepCounterHook(output_dir=summary_dir,
                                                       every_n_steps=log_step_count_steps))
        if (sum_steps and sum_steps > 0) or (sum_secs and sum_secs > 0):
            all_hooks.append(hooks_lib.SummarySaverHook(
                scaffold=scaffold, save_steps=sum_steps, save_secs=sum_secs,
                output_dir=summary_dir))
    if is_chief and checkpoint_dir:
        if (ckpt_secs and ckpt_secs > 0) or (ckpt_steps and ckpt_steps > 0):
            all_hooks.append(hooks_lib.CheckpointSaverHook(
                checkpoint_dir, save_steps=ckpt_steps, save_secs=ckpt_secs, scaffold=scaffold))
    all_hooks.extend(hooks or [])
    return MonitoredSession(session_creator=creator, hooks=all_hooks,
                            stop_grace_period_secs=stop_grace_period_secs)
