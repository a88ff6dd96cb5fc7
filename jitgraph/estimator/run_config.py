"""`tf.estimator.RunConfig`: where and how often an Estimator checkpoints and logs."""
from __future__ import annotations

import copy

_UNSET = object()


class RunConfig:
    """Checkpoints every 600 s unless `save_checkpoints_steps` is given (not both);
    summaries every 100 steps; the loss logged every 100 steps."""

    def __init__(self, model_dir=None, tf_random_seed=None, save_summary_steps=100,
                 save_checkpoints_steps=_UNSET, save_checkpoints_secs=_UNSET,
                 session_config=None, keep_checkpoint_max=5,
                 keep_checkpoint_every_n_hours=10000, log_step_count_steps=100,
                 train_distribute=None, device_fn=None, protocol=None, eval_distribute=None,
                 experimental_distribute=None, experimental_max_worker_delay_secs=None,
                 session_creation_timeout_secs=7200):
        steps = None if save_checkpoints_steps is _UNSET else save_checkpoints_steps
        secs = None if save_checkpoints_secs is _UNSET else save_checkpoints_secs
        if steps is not None and secs is not None:
            raise ValueError("Can not provide both save_checkpoints_steps and "
                             "save_checkpoints_secs.")
        if steps is None and save_checkpoints_secs is _UNSET:
            secs = 600
        self._model_dir = model_dir
        self._tf_random_seed = tf_random_seed
        self._save_summary_steps = save_summary_steps
        self._save_checkpoints_steps, self._save_checkpoints_secs = steps, secs
        self._session_config = session_config
        self._keep_checkpoint_max = keep_checkpoint_max
        self._keep_checkpoint_every_n_hours = keep_checkpoint_every_n_hours
        self._log_step_count_steps = log_step_count_steps

    model_dir = property(lambda self: self._model_dir)
    tf_random_seed = property(lambda self: self._tf_random_seed)
    save_summary_steps = property(lambda self: self._save_summary_steps)
    save_checkpoints_steps = property(lambda self: self._save_checkpoints_steps)
    save_checkpoints_secs = property(lambda self: self._save_checkpoints_secs)
    session_config = property(lambda self: self._session_config)
    keep_checkpoint_max = property(lambda self: self._keep_checkpoint_max)
    keep_checkpoint_every_n_hours = property(lambda self: self._keep_checkpoint_every_n_hours)
    log_step_count_steps = property(lambda self: self._log_step_count_steps)
    is_chief = property(lambda self: True)
    num_worker_replicas = property(lambda self: 1)
    num_ps_replicas = property(lambda self: 0)
    task_type = property(lambda self: "worker")
    task_id = property(lambda self: 0)
    master = property(lambda self: "")
    cluster_spec = property(lambda self: None)
    train_distribute = property(lambda self: None)

    def replace(self, **kwargs):
        """A copy with the given properties changed."""
        new = copy.copy(self)
        if "save_checkpoints_steps" in kwargs and "save_checkpoints_secs" not in kwargs:
            kwargs["save_checkpoints_secs"] = None if kwargs["save_checkpoints_steps"] else 600
        if "save_checkpoints_secs" in kwargs and "save_checkpoints_steps" not in kwargs:
            kwargs["save_checkpoints_steps"] = None
        for k, v in kwargs.items():
            if not hasattr(new, "_" + k):
                raise ValueError(f"Replacing {k} is not supported. Allowed properties are "
                                 f"{sorted(a[1:] for a in vars(self) if a.startswith('_'))}.")
            setattr(new, "_" + k, v)
        return new
