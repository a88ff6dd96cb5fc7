"""The data a bench run produces: settings, one cell per (workload, engine), the machine."""
from __future__ import annotations

from dataclasses import dataclass, field

from jitgraph.bench.stats import Summary, ratio, summarize
from jitgraph.bench.workloads import Workload

BASELINE = "jit"


@dataclass(frozen=True)
class Settings:
    repeat: int = 7
    warmup: int = 1
    min_time: float = 0.05  # seconds one sample should last at least
    quick: bool = False
    timeout: float = 600.0  # seconds any one request (setup, sample, process) may take
    # Samples of a whole-process workload: each is seconds (a TensorFlow start alone is
    # several), so --quick takes one; --repeat sets both; None: as many as ``repeat``.
    process_repeat: int | None = None

    @property
    def process_samples(self) -> int:
        return self.repeat if self.process_repeat is None else self.process_repeat

    @classmethod
    def resolve(cls, quick: bool = False, repeat: int | None = None, warmup: int | None = None,
                min_time: float | None = None, timeout: float | None = None) -> Settings:
        """Defaults for a real run, or for --quick; any value given explicitly wins."""
        base = (cls(repeat=3, warmup=0, min_time=0.005, quick=True, process_repeat=1)
                if quick else cls())
        return cls(
            repeat=base.repeat if repeat is None else repeat,
            process_repeat=base.process_repeat if repeat is None else None,
            warmup=base.warmup if warmup is None else warmup,
            min_time=base.min_time if min_time is None else min_time,
            quick=quick,
            timeout=base.timeout if timeout is None else timeout,
        )


@dataclass
class EngineStatus:
    name: str
    label: str
    status: str = "ok"  # "ok" | "skipped"
    version: str | None = None
    note: str | None = None


@dataclass
class Cell:
    """One workload on one engine. ``samples`` are seconds per call."""

    workload: str
    engine: str
    unit: str
    status: str = "running"  # "running" -> "ok" | "failed" | "n/a"
    error: str | None = None
    traceback: str | None = None
    number: int | None = None  # calls per sample
    samples: list[float] = field(default_factory=list)
    setup_s: float | None = None
    first_call_s: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    summary: Summary | None = None
    ratio_to_jit: float | None = None

    @property
    def running(self) -> bool:
        return self.status == "running"

    def fail(self, error: str, traceback: str | None = None) -> None:
        self.status, self.error, self.traceback = "failed", error, traceback or None


@dataclass
class BenchResult:
    settings: Settings
    machine: dict
    engines: list[EngineStatus]
    workloads: list[Workload]
    cells: list[Cell] = field(default_factory=list)
    started: str = ""
    seconds: float = 0.0
    load_before: float | None = None
    load_after: float | None = None
    busy: dict = field(default_factory=dict)  # jitgraph.bench.busy.check's record

    def cell(self, workload: str, engine: str) -> Cell | None:
        for c in self.cells:
            if c.workload == workload and c.engine == engine:
                return c
        return None

    @property
    def failed(self) -> list[Cell]:
        return [c for c in self.cells if c.status == "failed"]


def finish_cells(result: BenchResult) -> None:
    """Close running cells as ok, then summarize and compare each to jit in the same run."""
    for c in result.cells:
        if c.running:
            c.status = "ok"
        c.summary = summarize(c.samples) if c.status == "ok" else None
    for c in result.cells:
        base = result.cell(c.workload, BASELINE)
        c.ratio_to_jit = ratio(c.summary, base.summary if base else None)
