"""Running workloads on engines, interleaved, and collecting the samples.

For every workload each engine is set up and calibrated first; then each
repeat round asks every engine for one sample, rotating the order from round to
round, so that drift on a noisy machine (another job, thermal limits) falls on
all engines alike instead of on whichever ran last.
"""
from __future__ import annotations

import datetime
import itertools
import tempfile
import time

from jitgraph.bench import busy, machine
from jitgraph.bench.client import WorkerClient, WorkerDied, WorkerError
from jitgraph.bench.engines import Engine, engine_env, missing_reason
from jitgraph.bench.load import BackgroundLoad
from jitgraph.bench.proc import ProcessFailed, time_process
from jitgraph.bench.progress import Progress, SilentProgress

SETTLE_S = 0.1  # pause before each timed sample (idle threads of the previous engine go to sleep)
from jitgraph.bench.results import BenchResult, Cell, EngineStatus, Settings, finish_cells
from jitgraph.bench.workloads import Workload


ENGINE_SKIPPED = "engine skipped"


class WorkerPool:
    """One worker per engine, started on first use and again after a crash."""

    def __init__(self, settings: Settings, statuses: dict[str, EngineStatus], progress):
        self.settings = settings
        self.statuses = statuses
        self.progress = progress
        self.clients: dict[str, WorkerClient] = {}
        # Workers compile into a cache of their own, empty at the start: "first
        # call" then always includes compiling, and the user's cache is untouched.
        self._cache = tempfile.TemporaryDirectory(prefix="jitgraph-bench-cache-")

    def get(self, engine: Engine) -> WorkerClient | None:
        """The engine's worker, or None (and the engine marked skipped) if it will not start."""
        status = self.statuses[engine.name]
        if status.status != "ok":
            return None
        client = self.clients.get(engine.name)
        if client is not None and client.alive:
            return client
        try:
            # Step workloads time compiled code: the first call waits for the compile (and
            # reports it); whole-program workloads run with the default, background mode.
            env = {"JITGRAPH_CACHE_DIR": f"{self._cache.name}/{engine.name}",
                   "JITGRAPH_COMPILE": "sync"}
            client = WorkerClient.start(engine, timeout=self.settings.timeout, extra_env=env)
        except (WorkerError, WorkerDied) as exc:
            status.status, status.note = "skipped", f"failed to start: {exc}"
            self.progress.note(f"skipping {engine.name}: {status.note}")
            return None
        status.version = client.version
        self.clients[engine.name] = client
        return client

    def drop(self, engine: Engine) -> None:
        client = self.clients.pop(engine.name, None)
        if client is not None:
            client.close()

    def close(self) -> None:
        for name in list(self.clients):
            self.clients.pop(name).close()
        self._cache.cleanup()


def _rotated(items: list, k: int) -> list:
    k %= max(len(items), 1)
    return items[k:] + items[:k]


def _call(pool: WorkerPool, engine: Engine, cell: Cell, op: str, **fields) -> dict | None:
    """One request for ``cell``; a failure marks the cell and returns None."""
    client = pool.get(engine)
    if client is None:
        cell.status, cell.error = "n/a", ENGINE_SKIPPED
        return None
    try:
        return client.request(op, **fields)
    except WorkerError as exc:
        if exc.not_applicable:
            cell.status, cell.error = "n/a", exc.error
        else:
            cell.fail(exc.error, exc.traceback)
    except WorkerDied as exc:
        cell.fail(f"worker died: {exc}")
        pool.drop(engine)
    return None


def _run_steps(workload: Workload, engines: list[Engine], cells: dict[str, Cell],
               pool: WorkerPool, settings: Settings, progress) -> None:
    name = workload.name
    for engine in engines:
        cell = cells[engine.name]
        progress.advance(f"{name} · {engine.name} · setup")
        reply = _call(pool, engine, cell, "setup", name=name, path=str(workload.path),
                      quick=settings.quick)
        if reply is not None:
            cell.setup_s, cell.first_call_s = reply["setup_s"], reply["first_call_s"]
            cell.metrics = reply.get("metrics", {})
            reply = _call(pool, engine, cell, "calibrate", name=name,
                          min_time=settings.min_time, warmup=settings.warmup)
        if reply is not None:
            cell.number = reply["number"]
    for round_ in range(settings.repeat):
        for engine in _rotated(engines, round_):
            cell = cells[engine.name]
            progress.advance(f"{name} · {engine.name} · {round_ + 1}/{settings.repeat}")
            if cell.running:
                # The last engine's idle BLAS/Eigen threads spin for a while before they
                # sleep; on a 2-core machine they would steal this engine's second core.
                time.sleep(SETTLE_S)
                reply = _call(pool, engine, cell, "sample", name=name, number=cell.number)
                if reply is not None:
                    cell.samples.append(reply["seconds"])
    for engine in engines:
        client = pool.clients.get(engine.name)
        if client is not None and client.alive:
            try:
                client.request("teardown", name=name)
            except WorkerError:
                pass  # the samples stand; a failed close only leaks this worker's memory
            except WorkerDied:
                pool.drop(engine)


def _run_processes(workload: Workload, engines: list[Engine], cells: dict[str, Cell],
                   settings: Settings, progress) -> None:
    module = workload.module
    warm = getattr(module, "CACHE", "empty") == "warm"
    with tempfile.TemporaryDirectory(prefix="jitgraph-bench-") as root:
        counter = itertools.count()

        def cache_dir(engine: Engine) -> str:
            # A warm cache is one directory per engine, reused; an empty one is new each time.
            if warm:
                return f"{root}/{engine.name}-warm"
            return f"{root}/{engine.name}-{next(counter)}"

        def run_once(engine: Engine) -> float | None:
            cell = cells[engine.name]
            argv = module.command(engine)
            if argv is None:
                cell.status, cell.error = "n/a", f"no {engine.name} variant"
                return None
            env = engine_env(engine, {"JITGRAPH_CACHE_DIR": cache_dir(engine)})
            try:
                return time_process(list(argv), env, settings.timeout)
            except ProcessFailed as exc:
                cell.fail(str(exc))
                return None

        # A warm cache needs one untimed run to fill it, whatever --warmup says.
        untimed = settings.warmup + (1 if warm else 0)
        for engine in engines:
            for i in range(untimed):
                progress.advance(f"{workload.name} · {engine.name} · warm-up {i + 1}/{untimed}")
                if cells[engine.name].running:
                    run_once(engine)
        for round_ in range(settings.process_samples):
            for engine in _rotated(engines, round_):
                progress.advance(f"{workload.name} · {engine.name} · "
                                 f"{round_ + 1}/{settings.process_samples}")
                if cells[engine.name].running:
                    seconds = run_once(engine)
                    if seconds is not None:
                        cells[engine.name].samples.append(seconds)
                        cells[engine.name].number = 1


def _total_steps(workloads: list[Workload], n_engines: int, settings: Settings) -> int:
    total = 0
    for w in workloads:
        if w.kind == "process":
            warm = getattr(w.module, "CACHE", "empty") == "warm"
            total += n_engines * (settings.process_samples + settings.warmup + (1 if warm else 0))
        else:
            total += n_engines * (settings.repeat + 1)
    return total


def run(workloads: list[Workload], engines: list[Engine], settings: Settings,
        progress: Progress | None = None, background_load: int = 0) -> BenchResult:
    """Time every workload on every engine that is installed.

    An engine that is missing or does not start is skipped with a note; a
    workload that raises on one engine fails that cell only. With
    ``background_load`` N, N CPU-bound processes run throughout (setup included),
    as on a user's busy machine; the JSON's machine record says so.
    """
    with BackgroundLoad(background_load) as load:
        result = _run(workloads, engines, settings, progress)
        result.machine["background_load"] = {"processes": background_load, "pids": load.pids}
    return result


def _run(workloads: list[Workload], engines: list[Engine], settings: Settings,
         progress: Progress | None) -> BenchResult:
    progress = progress or SilentProgress()
    statuses = {e.name: EngineStatus(e.name, e.label) for e in engines}
    for engine in engines:
        reason = missing_reason(engine)
        if reason:
            statuses[engine.name].status, statuses[engine.name].note = "skipped", reason
            progress.note(f"skipping {engine.name}: {reason}")
    result = BenchResult(settings=settings, machine=machine.machine_info(),
                         engines=list(statuses.values()), workloads=list(workloads),
                         started=datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
                         load_before=machine.load_average())
    result.busy = _busy_before(result, progress)
    start = time.perf_counter()
    pool = WorkerPool(settings, statuses, progress)
    live = [e for e in engines if statuses[e.name].status == "ok"]
    progress.start(_total_steps(workloads, len(live), settings))
    done = 0
    try:
        for i, workload in enumerate(workloads):
            # Engines that failed to start on an earlier workload are not retried.
            live = [e for e in live if statuses[e.name].status == "ok"]
            progress.set_total(done + _total_steps(workloads[i:], len(live), settings))
            done += _total_steps([workload], len(live), settings)
            cells = {e.name: Cell(workload.name, e.name, workload.unit) for e in live}
            result.cells.extend(cells.values())
            if workload.kind == "process":
                _run_processes(workload, live, cells, settings, progress)
            else:
                _run_steps(workload, live, cells, pool, settings, progress)
            for cell in cells.values():
                if cell.status == "failed":
                    progress.note(f"{workload.name} failed on {cell.engine}: {cell.error}")
    finally:
        pool.close()
        progress.finish()
    result.seconds = time.perf_counter() - start
    # An engine that would not start has its one-line note; no rows of "n/a".
    result.cells = [c for c in result.cells if c.error != ENGINE_SKIPPED]
    result.load_after = machine.load_average()
    _busy_after(result, progress)
    finish_cells(result)
    return result


def _busy_before(result: BenchResult, progress) -> dict:
    m = result.machine
    record = busy.check(result.load_before, m.get("usable_cores"), m.get("fingerprint", ""))
    for reason in record["reasons"]:
        progress.warn(f"warning: the machine is busy: {reason}; times will be slower")
    return record


def _busy_after(result: BenchResult, progress) -> None:
    """The loop again at the end: a job that started mid-run shows here, not in the load."""
    # Our own workers raise the load average, so only the loop counts after the run.
    after = busy.check(None, None, result.machine.get("fingerprint", ""))
    result.busy["after"] = {k: after[k] for k in ("calibration_s", "reasons")}
    for reason in after["reasons"]:
        result.busy["reasons"].append(f"after the run, {reason}")
        progress.warn(f"warning: the machine was busy at the end: {reason}")
    result.busy["busy"] = bool(result.busy["reasons"])
