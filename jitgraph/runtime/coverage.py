"""Which op types ran on which engine, for the test suite's registry sweep.

"Every op runs on both engines" is checked, not assumed: with recording on, each run
notes the types of the ops it ran, by engine ("jit": a Session compiling its kernel
stages, host stages included; "interp": the numpy interpreter alone), and the suite
fails when a registered op type ran on only one (tests/conftest.py). Off (the default),
a run pays one global read.
"""
from __future__ import annotations

import json
import os

RAN: dict | None = None  # {"jit": set of op types, "interp": set} while recording


def start() -> None:
    global RAN
    if RAN is None:
        RAN = {"jit": set(), "interp": set()}


def ran(stages, jit: bool) -> None:
    """Notes the op types of `stages` as run on the jit or the interpreter engine."""
    seen = RAN["jit" if jit else "interp"]
    for st in stages:
        seen.update(op.type for op in st.ops)


def dump(path: str) -> None:
    """Writes what this process recorded (each process to a path of its own)."""
    if RAN is None:
        return
    data = {k: sorted(v) for k, v in RAN.items()}
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, path)


def load(paths) -> dict:
    """The union of recorded files."""
    out = {"jit": set(), "interp": set()}
    for p in paths:
        with open(p) as f:
            d = json.load(f)
        for k in out:
            out[k].update(d.get(k, ()))
    return out
