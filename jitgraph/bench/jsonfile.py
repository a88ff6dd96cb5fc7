"""The results as JSON for machines: one object, versioned by ``schema``."""
from __future__ import annotations

import dataclasses
import json
import math
import os
import tempfile

from jitgraph.bench.results import BenchResult, Cell

SCHEMA = "jitgraph-bench/1"


def _cell(cell: Cell) -> dict:
    s = cell.summary
    return {
        "workload": cell.workload,
        "engine": cell.engine,
        "unit": cell.unit,
        "status": cell.status,
        "error": cell.error,
        "traceback": cell.traceback,
        "number": cell.number,
        "samples": cell.samples,
        "median": s.median if s else None,
        "min": s.min if s else None,
        "max": s.max if s else None,
        "ratio_to_jit": cell.ratio_to_jit,
        "setup_s": cell.setup_s,
        "first_call_s": cell.first_call_s,
        "metrics": {k: _finite(v) for k, v in cell.metrics.items()},
    }


def _finite(value: float) -> float | str:
    # JSON has no NaN or infinity; a broken result must still be written, as text.
    return value if math.isfinite(value) else repr(value)


def to_dict(result: BenchResult) -> dict:
    """Times are seconds per call (per ``unit``); ratios are median / jit's median."""
    return {
        "schema": SCHEMA,
        "started": result.started,
        "seconds": result.seconds,
        "machine": result.machine,
        "load_average": {"before": result.load_before, "after": result.load_after},
        "busy": result.busy,
        "settings": dataclasses.asdict(result.settings),
        "engines": [dataclasses.asdict(e) for e in result.engines],
        "workloads": [{"name": w.name, "description": w.description, "unit": w.unit,
                       "kind": w.kind} for w in result.workloads],
        "results": [_cell(c) for c in result.cells],
    }


def write_json(result: BenchResult, path: str) -> None:
    """Written to a temporary name and moved into place: a reader never sees half a file."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".bench-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(to_dict(result), f, indent=2, allow_nan=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
