"""`tf.train.load_checkpoint`, `NewCheckpointReader`, `list_variables`."""
from __future__ import annotations

import os

from jitgraph.framework import errors
from jitgraph import saver as _saver


class CheckpointReader:
    """Reads one checkpoint's names, dtypes, shapes and values (TF's CheckpointReader).

    The index is read once; values are read, and all checked, on the first `get_tensor`.
    """

    def __init__(self, prefix):
        self._prefix = os.fspath(prefix)
        if not _saver.checkpoint_exists(self._prefix):
            raise errors.NotFoundError(
                None, None, "Unsuccessful TensorSliceReader constructor: Failed to find any "
                            f"matching files for {self._prefix}")
        self._meta = _saver.checkpoint_metadata(self._prefix)
        self._values = None

    def has_tensor(self, name):
        return name in self._meta

    def get_variable_to_shape_map(self):
        return {n: list(shape) for n, (_, shape) in self._meta.items()}

    def get_variable_to_dtype_map(self):
        return {n: dtype for n, (dtype, _) in self._meta.items()}

    def get_tensor(self, name):
        if name not in self._meta:
            raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint")
        if self._values is None:
            self._values = _saver.read_checkpoint(self._prefix)
        return self._values[name].copy()

    def debug_string(self):
        return "".join(f"{n} ({d.name}) {list(s)}\n" for n, (d, s) in sorted(self._meta.items()))


def NewCheckpointReader(filepattern):  # noqa: N802 - TensorFlow's public name
    return CheckpointReader(filepattern)


def _prefix_of(ckpt_dir_or_file):
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        latest = _saver.latest_checkpoint(path)
        if latest is None:
            raise ValueError(f"Couldn't find 'checkpoint' file or checkpoints in given "
                             f"directory {path}")
        return latest
    return path


def load_checkpoint(ckpt_dir_or_file):
    """A CheckpointReader of a checkpoint prefix, or of a directory's latest checkpoint."""
    return CheckpointReader(_prefix_of(ckpt_dir_or_file))


def list_variables(ckpt_dir_or_file):
    """[(name, shape)] of every tensor in the checkpoint, sorted by name."""
    shapes = load_checkpoint(ckpt_dir_or_file).get_variable_to_shape_map()
    return [(n, shapes[n]) for n in sorted(shapes)]
