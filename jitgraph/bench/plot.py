"""A PNG bar chart of the results: one group per workload, one bar per engine, log scale.

matplotlib is an optional extra (``pip install jitgraph[bench]``); without it
``plot`` says so in one line and the rest of the run is unaffected.
"""
from __future__ import annotations

from jitgraph.bench.results import BenchResult
from jitgraph.bench.stats import format_seconds


class PlotUnavailable(Exception):
    """matplotlib is not installed."""


def plot(result: BenchResult, path: str) -> None:
    """Median time per call as bars, min–max as error bars; failed cells leave a gap.

    Raises:
      PlotUnavailable: matplotlib is not installed.
    """
    try:
        import matplotlib
    except ImportError:
        raise PlotUnavailable(
            "matplotlib is not installed (pip install 'jitgraph[bench]')") from None
    matplotlib.use("Agg")  # files only: no display needed, none opened
    import matplotlib.pyplot as plt

    workloads = [w for w in result.workloads
                 if any(c.workload == w.name and c.summary for c in result.cells)]
    engines = [e.name for e in result.engines if e.status == "ok"]
    width = 0.8 / max(len(engines), 1)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(workloads) + 2), 4.5))
    for j, engine in enumerate(engines):
        xs, heights, low, high = [], [], [], []
        for i, w in enumerate(workloads):
            cell = result.cell(w.name, engine)
            if cell is None or cell.summary is None:
                continue
            s = cell.summary
            xs.append(i + (j - (len(engines) - 1) / 2) * width)
            heights.append(s.median)
            low.append(s.median - s.min)
            high.append(s.max - s.median)
        bars = ax.bar(xs, heights, width, yerr=[low, high], capsize=2, label=engine)
        ax.bar_label(bars, labels=[format_seconds(h) for h in heights], fontsize=6,
                     rotation=90, padding=3)
    ax.set_yscale("log")
    ax.set_xticks(range(len(workloads)))
    ax.set_xticklabels([f"{w.name}\n(per {w.unit})" for w in workloads], fontsize=8)
    ax.set_ylabel("seconds per call (log scale)")
    m = result.machine
    ax.set_title(f"jitgraph bench: {m.get('cpu')}, {m.get('logical_cores')} threads "
                 f"[{m.get('fingerprint')}]" + (" (quick)" if result.settings.quick else ""),
                 fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
