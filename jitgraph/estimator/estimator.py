"""`tf.estimator.Estimator`: train/evaluate/predict a model_fn, each in a new graph,
with checkpoints and summaries in `model_dir` as TF writes them.

- train: a MonitoredTrainingSession restores the latest checkpoint (or initializes,
  warm-starting if asked), runs `train_op` until `steps`/`max_steps` or the input ends,
  saves checkpoints (RunConfig's schedule and at the end) and the `loss` summary.
- evaluate: restores a checkpoint, runs every metric's update op over the input (or
  `steps` batches), returns the metric values with `loss` (the mean of the batch
  losses) and `global_step`, and writes them as summaries to `model_dir/eval[_name]`.
- predict: restores a checkpoint and yields the predictions one example at a time.
"""
from __future__ import annotations

import inspect
import os
import re
import tempfile

import numpy as np

from jitgraph.estimator.model_fn import EstimatorSpec, ModeKeys
from jitgraph.estimator.run_config import RunConfig
from jitgraph.framework.graph import Graph, GraphKeys, get_default_graph
from jitgraph.platform import logging
from jitgraph.train.session_run_hook import SessionRunHook

LOSS_METRIC_KEY = "loss"


class WarmStartSettings:
    """Initializes the variables matching `vars_to_warm_start` (a regex over the trainable
    variables, or a list of names/variables) from `ckpt_to_initialize_from`."""

    def __init__(self, ckpt_to_initialize_from, vars_to_warm_start=".*",
                 var_name_to_vocab_info=None, var_name_to_prev_var_name=None):
        self.ckpt_to_initialize_from = ckpt_to_initialize_from
        self.vars_to_warm_start = vars_to_warm_start
        self.var_name_to_prev_var_name = dict(var_name_to_prev_var_name or {})


class Estimator:
    """Trains, evaluates and predicts with `model_fn(features, labels, mode, params,
    config) -> EstimatorSpec`."""

    def __init__(self, model_fn, model_dir=None, config=None, params=None,
                 warm_start_from=None):
        if config is None:
            config = RunConfig()
        elif not isinstance(config, RunConfig):
            raise ValueError(f"config must be an instance of `RunConfig`, but provided "
                             f"{config}.")
        if model_dir is not None and config.model_dir is not None \
                and os.path.abspath(model_dir) != os.path.abspath(config.model_dir):
            raise ValueError(f"`model_dir` are set both in constructor and `RunConfig`, but "
                             f"with different values. In constructor: '{model_dir}', in "
                             f"`RunConfig`: '{config.model_dir}' ")
        model_dir = model_dir or config.model_dir
        if model_dir is None:
            model_dir = tempfile.mkdtemp()
            logging.warning("Using temporary folder as model directory: %s", model_dir)
        self._config = config.replace(model_dir=model_dir)
        self._model_dir = model_dir
        _check_model_fn_args(model_fn, params)
        self._model_fn = model_fn
        self._params = dict(params or {})
        if isinstance(warm_start_from, str):
            warm_start_from = WarmStartSettings(warm_start_from)
        self._warm_start = warm_start_from
        logging.info("Using config: %s", {k[1:]: v for k, v in vars(self._config).items()})

    model_dir = property(lambda self: self._model_dir)
    config = property(lambda self: self._config)
    params = property(lambda self: dict(self._params))
    model_fn = property(lambda self: self._model_fn)

    # -- checkpoints -------------------------------------------------------------------
    def latest_checkpoint(self):
        from jitgraph.saver import latest_checkpoint
        return latest_checkpoint(self._model_dir)

    def get_variable_names(self):
        from jitgraph.checkpoint.reader import list_variables
        return [name for name, _ in list_variables(self._checkpoint_or_raise())]

    def get_variable_value(self, name):
        from jitgraph.checkpoint.reader import load_checkpoint
        return load_checkpoint(self._checkpoint_or_raise()).get_tensor(name)

    def _checkpoint_or_raise(self):
        path = self.latest_checkpoint()
        if path is None:
            raise ValueError(f"Could not find trained model in model_dir: {self._model_dir}.")
        return path

    # -- building ----------------------------------------------------------------------
    def _input(self, input_fn, mode):
        from jitgraph.data.dataset import Dataset
        kw = {}
        names = _arg_names(input_fn)
        if "params" in names:
            kw["params"] = self.params
        if "config" in names:
            kw["config"] = self._config
        if "mode" in names:
            kw["mode"] = mode
        result = input_fn(**kw)
        if isinstance(result, Dataset):
            result = result.make_one_shot_iterator().get_next()
        if isinstance(result, (tuple, list)):
            if len(result) != 2:
                raise ValueError("input_fn should return (features, labels) as a len 2 tuple.")
            return result[0], result[1]
        return result, None

    def _call_model_fn(self, features, labels, mode):
        names = _arg_names(self._model_fn)
        kw = {}
        if "labels" in names:
            kw["labels"] = labels
        elif labels is not None:
            raise ValueError("model_fn does not take labels, but input_fn returns labels.")
        if "mode" in names:
            kw["mode"] = mode
        if "params" in names:
            kw["params"] = self.params
        if "config" in names:
            kw["config"] = self._config
        spec = self._model_fn(features=features, **kw)
        if not isinstance(spec, EstimatorSpec):
            raise ValueError(f"model_fn should return an EstimatorSpec. Given: {spec}")
        return spec

    def _new_graph(self):
        from jitgraph.ops.api import set_random_seed
        from jitgraph.train.training_util import get_or_create_global_step
        g = Graph()
        with g.as_default():
            if self._config.tf_random_seed is not None:
                set_random_seed(self._config.tf_random_seed)
            gs = get_or_create_global_step()
        return g, gs

    def _scaffold(self, spec):
        from jitgraph.saver import Saver
        from jitgraph.train.monitored_session import Scaffold
        sc = spec.scaffold or Scaffold()
        if sc.saver is None and not get_default_graph().get_collection(GraphKeys.SAVERS):
            saver = Saver(sharded=True, max_to_keep=self._config.keep_checkpoint_max,
                          keep_checkpoint_every_n_hours=(
                              self._config.keep_checkpoint_every_n_hours))
            get_default_graph().add_to_collection(GraphKeys.SAVERS, saver)
            sc = Scaffold(copy_from_scaffold=sc, saver=saver)
        return sc

    # -- train -------------------------------------------------------------------------
    def train(self, input_fn, hooks=None, steps=None, max_steps=None, saving_listeners=None):
        """Trains until `steps` more steps, `max_steps` in all, or the end of the input.

        Raises:
          ValueError: both `steps` and `max_steps`, or a non-positive one.
        """
        from jitgraph.summary.summary_ops import scalar
        from jitgraph.train import hooks as hooks_lib
        from jitgraph.train.monitored_session import MonitoredTrainingSession
        if steps is not None and max_steps is not None:
            raise ValueError("Can not provide both steps and max_steps.")
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        if max_steps is not None and max_steps <= 0:
            raise ValueError(f"Must specify max_steps > 0, given: {max_steps}")
        if max_steps is not None and self._global_step_on_disk() >= max_steps:
            logging.info("Skipping training since max_steps has already saved.")
            return self
        g, gs = self._new_graph()
        with g.as_default():
            features, labels = self._input(input_fn, ModeKeys.TRAIN)
            spec = self._call_model_fn(features, labels, ModeKeys.TRAIN)
            if not any(t.op.name == "loss" for t in g.get_collection(GraphKeys.SUMMARIES)):
                scalar("loss", spec.loss)
            if self._warm_start is not None and self.latest_checkpoint() is None:
                _warm_start(self._warm_start)
            cfg = self._config
            all_hooks = [hooks_lib.NanTensorHook(spec.loss)]
            if steps is not None or max_steps is not None:
                all_hooks.insert(0, hooks_lib.StopAtStepHook(num_steps=steps,
                                                             last_step=max_steps))
            if cfg.log_step_count_steps:
                all_hooks.append(hooks_lib.LoggingTensorHook(
                    {"loss": spec.loss, "step": gs}, every_n_iter=cfg.log_step_count_steps))
            all_hooks = all_hooks + list(hooks or []) + list(spec.training_hooks)
            scaffold = self._scaffold(spec)
            chief = list(spec.training_chief_hooks)
            if cfg.save_checkpoints_steps or cfg.save_checkpoints_secs:
                chief.append(hooks_lib.CheckpointSaverHook(
                    self._model_dir, save_secs=cfg.save_checkpoints_secs,
                    save_steps=cfg.save_checkpoints_steps, scaffold=scaffold,
                    listeners=saving_listeners))
            loss = None
            with MonitoredTrainingSession(
                    checkpoint_dir=self._model_dir, scaffold=scaffold, hooks=all_hooks,
                    chief_only_hooks=chief, save_checkpoint_secs=0,
                    save_summaries_steps=cfg.save_summary_steps,
                    config=cfg.session_config,
                    log_step_count_steps=cfg.log_step_count_steps) as mon:
                while not mon.should_stop():
                    _, loss = mon.run([spec.train_op, spec.loss])
            logging.info("Loss for final step: %s.", loss)
        return self

    def _global_step_on_disk(self):
        path = self.latest_checkpoint()
        if path is None:
            return 0
        from jitgraph.checkpoint.reader import load_checkpoint
        try:
            return int(load_checkpoint(path).get_tensor(GraphKeys.GLOBAL_STEP))
        except Exception:  # noqa: BLE001 - a checkpoint without a step starts at 0
            return 0

    # -- evaluate ----------------------------------------------------------------------
    def evaluate(self, input_fn, steps=None, hooks=None, checkpoint_path=None, name=None):
        """The metrics of the model over `input_fn` (until it ends, or `steps` batches):
        a dict of the eval_metric_ops' values, `loss` and `global_step`."""
        from jitgraph import metrics
        from jitgraph.ops.array_ops import group
        from jitgraph.train import hooks as hooks_lib
        from jitgraph.train.monitored_session import ChiefSessionCreator, MonitoredSession
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        path = checkpoint_path or self.latest_checkpoint()
        if path is None:
            logging.info("Could not find trained model in model_dir: %s, running "
                         "initialization to evaluate.", self._model_dir)
        g, gs = self._new_graph()
        with g.as_default():
            features, labels = self._input(input_fn, ModeKeys.EVAL)
            spec = self._call_model_fn(features, labels, ModeKeys.EVAL)
            if LOSS_METRIC_KEY in spec.eval_metric_ops:
                raise ValueError("Metric with name \"loss\" is not allowed, because Estimator "
                                 "already defines a default metric with the same name.")
            ops = dict(spec.eval_metric_ops)
            ops[LOSS_METRIC_KEY] = metrics.mean(spec.loss)
            update = group(*[u for _, u in ops.values()])
            values = {k: v for k, (v, _) in ops.items()}
            final = hooks_lib.FinalOpsHook(values)
            # The step in a run of its own: a compiled metric stage fetched with a variable
            # it does not read fails in Session's fast path (KeyError, session.py).
            final_step = hooks_lib.FinalOpsHook(gs)
            all_hooks = (list(hooks or []) + list(spec.evaluation_hooks)
                                            + [final, final_step])
            if steps is not None:
                all_hooks.append(_StopAfterNEvals(steps))
            creator = ChiefSessionCreator(scaffold=self._scaffold(spec),
                                          checkpoint_filename_with_path=path,
                                          config=self._config.session_config)
            with MonitoredSession(session_creator=creator, hooks=all_hooks) as mon:
                while not mon.should_stop():
                    mon.run(update)
        result = {k: _py(v) for k, v in final.final_ops_values.items()}
        result[GraphKeys.GLOBAL_STEP] = final_step.final_ops_values
        logging.info("Saving dict for global step %d: %s", result[GraphKeys.GLOBAL_STEP],
                     ", ".join(f"{k} = {v}" for k, v in sorted(result.items())))
        self._write_eval_summaries(result, name)
        return result

    def _write_eval_summaries(self, result, name):
        from jitgraph.summary.writer import FileWriterCache
        try:
            from jitgraph import summary
            proto = summary.Summary
        except (ImportError, AttributeError):
            return  # no tensorboard extra: TF would write them, we cannot
        eval_dir = os.path.join(self._model_dir, "eval" if not name else "eval_" + name)
        s = proto()
        for k, v in sorted(result.items()):
            if k != GraphKeys.GLOBAL_STEP and np.ndim(v) == 0:
                s.value.add(tag=k, simple_value=float(v))
        writer = FileWriterCache.get(eval_dir)
        writer.add_summary(s, int(result[GraphKeys.GLOBAL_STEP]))
        writer.flush()

    # -- predict -----------------------------------------------------------------------
    def predict(self, input_fn, predict_keys=None, hooks=None, checkpoint_path=None,
                yield_single_examples=True):
        """Yields the predictions for each example of `input_fn` (each batch's, with
        `yield_single_examples=False`): a dict, or the one tensor's value."""
        from jitgraph.train.monitored_session import ChiefSessionCreator, MonitoredSession
        path = checkpoint_path or self.latest_checkpoint()
        if path is None:
            logging.info("Could not find trained model in model_dir: %s, running "
                         "initialization to predict.", self._model_dir)
        g, _ = self._new_graph()
        with g.as_default():
            features, _ = self._input(input_fn, ModeKeys.PREDICT)
            spec = self._call_model_fn(features, None, ModeKeys.PREDICT)
            preds = spec.predictions
            if predict_keys is not None:
                if not isinstance(preds, dict):
                    raise ValueError("predict_keys argument is not valid in case of "
                                     "non-dict predictions.")
                missing = set(predict_keys) - set(preds)
                if missing:
                    raise ValueError(f"Expected to run at least one output from {sorted(preds)},"
                                     f" provided {sorted(predict_keys)}.")
                preds = {k: preds[k] for k in predict_keys}
            creator = ChiefSessionCreator(scaffold=self._scaffold(spec),
                                          checkpoint_filename_with_path=path,
                                          config=self._config.session_config)
            all_hooks = (list(hooks or []) + list(spec.prediction_hooks))
            with MonitoredSession(session_creator=creator, hooks=all_hooks) as mon:
                while not mon.should_stop():
                    batch = mon.run(preds)
                    if not yield_single_examples:
                        yield batch
                        continue
                    n = _batch_length(batch)
                    for i in range(n):
                        yield ({k: v[i] for k, v in batch.items()} if isinstance(batch, dict)
                               else batch[i])


class _StopAfterNEvals(SessionRunHook):
    """Requests a stop after `n` evaluation runs."""

    def __init__(self, n):
        self._n, self._done = n, 0

    def after_run(self, run_context, run_values):
        self._done += 1
        if self._done >= self._n:
            run_context.request_stop()



def _batch_length(batch):
    values = list(batch.values()) if isinstance(batch, dict) else [batch]
    lengths = {np.shape(v)[0] for v in values}
    if len(lengths) != 1:
        raise ValueError(f"Batch length of predictions should be same. {sorted(lengths)}")
    return lengths.pop()


def _py(v):
    return v.item() if isinstance(v, np.ndarray) and v.ndim == 0 else v


def _arg_names(fn):
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return []


def _check_model_fn_args(model_fn, params):
    names = _arg_names(model_fn)
    if "features" not in names:
        raise ValueError(f"model_fn ({model_fn}) must include features argument.")
    if params is not None and "params" not in names:
        raise ValueError(f"model_fn ({model_fn}) does not include params argument, but "
                         f"params ({params}) is passed to Estimator.")


def _warm_start(settings):
    from jitgraph.train.checkpoint_utils import init_from_checkpoint
    from jitgraph.variables import trainable_variables
    want = settings.vars_to_warm_start
    if isinstance(want, str):
        pattern = re.compile(want)
        chosen = [v for v in trainable_variables() if pattern.match(v.op.name)]
    else:
        names = {w if isinstance(w, str) else w.op.name for w in want}
        chosen = [v for v in get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES)
                  if v.op.name in names or any(re.match(n, v.op.name) for n in names)]
    prev = settings.var_name_to_prev_var_name
    init_from_checkpoint(settings.ckpt_to_initialize_from,
                         {prev.get(v.op.name, v.op.name): v for v in chosen})
