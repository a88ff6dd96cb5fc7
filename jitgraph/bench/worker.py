"""One engine's benchmark worker: a long-lived process that times workload steps.

The parent (``jitgraph.bench.client``) starts one worker per engine as
``python worker.py --engine NAME --loader CODE`` with the engine's environment
already set, because engines cannot share a process (``JITGRAPH_DISABLE_JIT`` is
read at import, TensorFlow owns its process). This file is run by path and
imports only the standard library until the loader runs, so a TensorFlow worker
measures TensorFlow alone, not TensorFlow plus Numba.

Protocol: one JSON object per line. The worker first answers a hello
(``{"ok": true, "version": ...}`` or ``{"ok": false, "error": ...}``), then one
reply per request:

  {"op": "setup", "name": N, "path": P, "quick": B}   -> setup_s, first_call_s, metrics
  {"op": "calibrate", "name": N, "min_time": S, "warmup": K} -> number
  {"op": "sample", "name": N, "number": K}            -> seconds (per call)
  {"op": "teardown", "name": N}
  {"op": "quit"}

Any exception becomes ``{"ok": false, "error": "Type: message", "traceback": ...}``
and the worker carries on with the next request.
"""
from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import math
import os
import sys
import time
import traceback

# Running a file puts its folder first on sys.path; drop it so that our sibling
# modules can never shadow a library the engine imports.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]

# Calls per sample never exceed this, so that a step that does nothing cannot
# make calibration loop for ever.
MAX_NUMBER = 10_000_000


class NotApplicable(Exception):
    """The workload has no variant for this engine's API (e.g. no ``setup_jax``)."""


def _error(exc: BaseException) -> dict:
    message = str(exc).strip().splitlines()
    first = message[0] if message else ""
    if isinstance(exc, NotApplicable) or not first:
        error = first or type(exc).__name__
    else:
        error = f"{type(exc).__name__}: {first}"
    return {
        "ok": False,
        "error": error,
        "not_applicable": isinstance(exc, NotApplicable),
        "traceback": traceback.format_exc(),
    }


def _load_module(name: str, path: str):
    # The workload's folder goes on sys.path so workloads can share helpers
    # (``_models.py``) by a plain import.
    folder = os.path.dirname(os.path.abspath(path))
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(f"_jitgraph_bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _time_calls(step, number: int) -> float:
    """Seconds per call over ``number`` calls, with the cyclic GC held off (as timeit)."""
    gc.collect()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(number):
            step()
        elapsed = time.perf_counter() - start
    finally:
        if gc_was_enabled:
            gc.enable()
    return elapsed / number


class Worker:
    def __init__(self, namespace: dict, api: str):
        self.namespace = namespace
        self.api = api
        self.steps: dict = {}
        self.modules: dict = {}

    def setup(self, name: str, path: str, quick: bool) -> dict:
        module = _load_module(name, path)
        start = time.perf_counter()
        if self.api == "jax":
            if not hasattr(module, "setup_jax"):
                raise NotApplicable("no JAX variant")
            step = module.setup_jax(self.namespace["jnp"], self.namespace["jax"], quick)
        else:
            step = module.setup(self.namespace["tf"], quick)
        setup_s = time.perf_counter() - start
        self.steps[name], self.modules[name] = step, module
        # The first call is timed on its own: for a compiling engine it holds
        # the compile, which users feel but which the samples should not.
        start = time.perf_counter()
        output = step()
        first_call_s = time.perf_counter() - start
        metrics = {}
        if hasattr(module, "metrics"):
            metrics = {k: float(v) for k, v in module.metrics(output, quick).items()}
        return {"setup_s": setup_s, "first_call_s": first_call_s, "metrics": metrics}

    def calibrate(self, name: str, min_time: float, warmup: int) -> dict:
        step = self.steps[name]
        per_call = _time_calls(step, 1)
        number = 1
        # Grow until one sample lasts min_time; re-measure because the first
        # calls after compile are often slower than the steady state.
        while per_call * number < min_time and number < MAX_NUMBER:
            wanted = math.ceil(1.2 * min_time / max(per_call, 1e-9))
            number = min(MAX_NUMBER, max(number * 2, wanted))
            per_call = _time_calls(step, number)
        for _ in range(warmup):
            _time_calls(step, number)
        return {"number": number}

    def sample(self, name: str, number: int) -> dict:
        return {"seconds": _time_calls(self.steps[name], number)}

    def teardown(self, name: str) -> dict:
        step = self.steps.pop(name, None)
        module = self.modules.pop(name, None)
        if module is not None and hasattr(module, "teardown"):
            module.teardown(step)
        elif hasattr(step, "close"):
            step.close()
        gc.collect()
        return {}

    def handle(self, request: dict) -> dict:
        op = request["op"]
        if op == "setup":
            return self.setup(request["name"], request["path"], bool(request.get("quick")))
        if op == "calibrate":
            return self.calibrate(request["name"], float(request["min_time"]),
                                  int(request["warmup"]))
        if op == "sample":
            return self.sample(request["name"], int(request["number"]))
        if op == "teardown":
            return self.teardown(request["name"])
        raise ValueError(f"unknown op {op!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", required=True)
    parser.add_argument("--loader", required=True, help="Python source that binds tf (or jax, jnp)")
    parser.add_argument("--api", default="tf", choices=["tf", "jax"])
    args = parser.parse_args(argv)

    # Keep the protocol on a private copy of stdout; anything a workload or an
    # engine prints goes to stderr, which the parent keeps as a log.
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)

    def reply(obj: dict) -> None:
        protocol.write(json.dumps(obj) + "\n")
        protocol.flush()

    namespace: dict = {}
    try:
        exec(compile(args.loader, f"<engine {args.engine}>", "exec"), namespace)
    except BaseException as exc:  # noqa: BLE001 - an engine that cannot load is reported, not raised
        reply(_error(exc))
        return 1
    version = namespace.get("VERSION") or getattr(namespace.get("tf"), "__version__", None)
    reply({"ok": True, "engine": args.engine, "version": version, "pid": os.getpid()})

    worker = Worker(namespace, args.api)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        if request.get("op") == "quit":
            break
        try:
            reply({"ok": True, **worker.handle(request)})
        except Exception as exc:  # noqa: BLE001 - a failing workload must not end the worker
            reply(_error(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
