"""Is the machine busy? Numbers measured on a busy machine must say so.

Two signs, either one enough: the 1-minute load average per usable core above
``LOAD_PER_CORE`` (other processes want the cores), or a fixed pure-Python
calibration loop slower than ``SLOW_FACTOR`` times the fastest this machine
(by fingerprint) has run it (a core shared, throttled or descheduled; the load
average lags by a minute and misses short bursts). The fastest time is kept in
a small JSON file under the user's cache folder, so the first run can only use
the load average.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

LOAD_PER_CORE = 0.5
SLOW_FACTOR = 1.3
_LOOP_N = 200_000


def state_file() -> Path:
    """Where the fastest calibration per machine fingerprint is kept."""
    if os.environ.get("JITGRAPH_BENCH_STATE"):
        return Path(os.environ["JITGRAPH_BENCH_STATE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "jitgraph-bench" / "calibration.json"


def calibrate(rounds: int = 5) -> float:
    """Seconds of the best of ``rounds`` runs of a fixed loop (about 5 ms each)."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        acc = 0
        for i in range(_LOOP_N):
            acc += i & 7
        best = min(best, time.perf_counter() - t0)
    return best


def _read_best(path: Path, fingerprint: str) -> float | None:
    try:
        value = json.loads(path.read_text()).get(fingerprint)
    except (OSError, ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


def _record_best(path: Path, fingerprint: str, seconds: float) -> None:
    try:
        data = json.loads(path.read_text()) if path.exists() else {}
        if not isinstance(data, dict):
            data = {}
        data[fingerprint] = seconds
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, path)
    except (OSError, ValueError):
        pass  # a read-only home only costs the next run its comparison


def check(load: float | None, cores: int | None, fingerprint: str,
          calibration_s: float | None = None, state: Path | None = None) -> dict:
    """The JSON record: ``busy``, the ``reasons`` (one line each) and the numbers behind them."""
    state = state or state_file()
    calibration_s = calibrate() if calibration_s is None else calibration_s
    best = _read_best(state, fingerprint)
    if best is None or calibration_s < best:
        _record_best(state, fingerprint, calibration_s)
    reasons = []
    per_core = None if load is None or not cores else round(load / cores, 2)
    if per_core is not None and per_core > LOAD_PER_CORE:
        reasons.append(f"load average {load} on {cores} cores "
                       f"({per_core} per core, above {LOAD_PER_CORE})")
    if best is not None and calibration_s > SLOW_FACTOR * best:
        reasons.append(f"a calibration loop ran {calibration_s / best:.1f}x slower than "
                       f"this machine's best ({calibration_s * 1e3:.1f} ms vs "
                       f"{best * 1e3:.1f} ms)")
    return {"busy": bool(reasons), "reasons": reasons, "load_average": load,
            "load_per_core": per_core, "calibration_s": calibration_s,
            "calibration_best_s": best}
