"""Summaries of timing samples and the units they are shown in."""
from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    """Median with min and max: the median resists the noise of a shared machine,
    and min/max show how much noise there was."""

    median: float
    min: float
    max: float
    n: int


def summarize(samples: list[float]) -> Summary | None:
    """``None`` for no samples (a failed or skipped cell)."""
    if not samples:
        return None
    return Summary(statistics.median(samples), min(samples), max(samples), len(samples))


def ratio(value: Summary | None, baseline: Summary | None) -> float | None:
    """How many times longer than the baseline (> 1 is slower); None if either is missing."""
    if value is None or baseline is None or baseline.median <= 0:
        return None
    return value.median / baseline.median


_UNITS = [(1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")]


def format_seconds(seconds: float | None) -> str:
    """Three significant digits in the largest unit that keeps the number >= 1."""
    if seconds is None:
        return "-"
    for scale, unit in _UNITS:
        if abs(seconds) >= scale or scale == 1e-9:
            value = seconds / scale
            digits = 0 if value >= 100 else 1 if value >= 10 else 2
            return f"{value:.{digits}f} {unit}"
    raise AssertionError("unreachable")


def format_ratio(value: float | None) -> str:
    if value is None:
        return "-"
    digits = 0 if value >= 100 else 1 if value >= 10 else 2
    return f"{value:.{digits}f}x"
