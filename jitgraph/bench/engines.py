"""The engines a workload can run on, and the environment each one's process gets.

An engine is a few lines of Python that bind ``tf`` (or ``jax`` and ``jnp``)
plus environment variables set before the process starts. That is all the
worker and the process workloads need, so adding an engine is one entry here.
"""
from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# The folder that holds the ``jitgraph`` package, so that workers find it even
# when it is run from a checkout rather than installed.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


@dataclass(frozen=True)
class Engine:
    """How to get one engine's ``tf`` module in a fresh process.

    Attributes:
      name: the name used on the command line and in reports.
      label: a longer human name for table headers.
      loader: Python source run first in the engine's process; binds ``tf``
        (api "tf") or ``jax`` and ``jnp`` (api "jax"); may bind ``VERSION``.
      env: variables set (or, when None, removed) before the process starts.
      api: "tf" runs a workload's ``setup(tf, quick)``; "jax" its ``setup_jax``.
      requires: a top-level module that must be importable, checked in the
        parent so that a missing engine is skipped without starting a process.
      install: what to install when ``requires`` is missing (one line for the user).
    """

    name: str
    label: str
    loader: str
    env: Mapping[str, str | None] = field(default_factory=dict)
    api: str = "tf"
    requires: str | None = None
    install: str | None = None


ENGINES: dict[str, Engine] = {
    e.name: e
    for e in [
        Engine("jit", "jitgraph (JIT)", "import jitgraph as tf",
               {"JITGRAPH_DISABLE_JIT": None}, requires="jitgraph"),
        Engine("interp", "jitgraph (numpy interpreter)", "import jitgraph as tf",
               {"JITGRAPH_DISABLE_JIT": "1"}, requires="jitgraph"),
        Engine("tensorflow", "TensorFlow 1.x graph mode",
               "import tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()",
               # tf.layers needs Keras 2; the log level keeps start-up noise out.
               {"TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}, requires="tensorflow",
               install="pip install tensorflow tf_keras"),
        Engine("jax", "JAX (jit, CPU)",
               "import jax\nimport jax.numpy as jnp\nVERSION = jax.__version__",
               {"JAX_PLATFORMS": "cpu"}, api="jax", requires="jax", install="pip install jax"),
    ]
}


def default_engine_names() -> list[str]:
    """jit, interp and TensorFlow always (a missing one is noted); JAX only if installed."""
    names = ["jit", "interp", "tensorflow"]
    if importlib.util.find_spec("jax") is not None:
        names.append("jax")
    return names


def missing_reason(engine: Engine) -> str | None:
    """Why the engine cannot run here (one line), or None when it looks installed."""
    if engine.requires and importlib.util.find_spec(engine.requires) is None:
        hint = f"; {engine.install}" if engine.install else ""
        return f"not installed (no module named {engine.requires!r}{hint})"
    return None


def engine_env(engine: Engine, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for one engine's process: ours, plus the engine's, plus ``extra``."""
    env = dict(os.environ)
    # An installed package has its bytecode (pip writes it); without this a source
    # checkout recompiles every module in every cold-start process, ~0.4 s for jitgraph.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for key, value in engine.env.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    env.update(extra or {})
    paths = [_PACKAGE_ROOT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env
