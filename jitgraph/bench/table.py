"""The results as a plain-text table, headed by the machine they were measured on."""
from __future__ import annotations

from jitgraph.bench.results import BenchResult, Cell
from jitgraph.bench.stats import format_ratio, format_seconds

_ERROR_WIDTH = 72


def machine_header(result: BenchResult) -> list[str]:
    m = result.machine
    cores = f"{m.get('physical_cores') or '?'} cores / {m.get('logical_cores')} threads"
    if m.get("usable_cores") not in (None, m.get("logical_cores")):
        cores += f" ({m['usable_cores']} usable)"
    blas = m.get("blas", {})
    blas_text = ", ".join(f"{k} {v}" for k, v in blas.items() if v and k != "threadpools")
    versions = [f"python {m.get('python')}"]
    versions += [f"{k} {v}" for k, v in m.get("versions", {}).items() if v]
    s = result.settings
    mode = "quick (a smoke test: smaller sizes, fewer samples)" if s.quick else "full"
    lines = [
        f"jitgraph bench  {result.started}  machine {m.get('fingerprint')}",
        f"cpu:      {m.get('cpu')}, {cores}, {m.get('memory_gib')} GiB, {m.get('os')}",
        f"blas:     {blas_text or 'unknown'}",
        f"versions: {', '.join(versions)}",
        f"settings: {mode}; {s.repeat} samples of >= {format_seconds(s.min_time)} "
        f"after {s.warmup} warm-up ({s.process_samples} of whole processes), engines interleaved",
        f"load:     {result.load_before} before, {result.load_after} after "
        f"({result.seconds:.0f} s run)",
    ]
    for reason in result.busy.get("reasons", ()):
        lines.append(f"WARNING:  busy machine, times are slower than usual: {reason}")
    if m.get("thread_env"):
        lines.append("threads:  " + ", ".join(f"{k}={v}" for k, v in m["thread_env"].items()))
    for e in result.engines:
        if e.status != "ok":
            lines.append(f"skipped:  {e.name}: {e.note}")
    return lines


def _row(cell: Cell) -> list[str]:
    if cell.status == "ok":
        s = cell.summary
        spread = f"[{format_seconds(s.min)} – {format_seconds(s.max)}]"
        return [format_seconds(s.median), spread, format_ratio(cell.ratio_to_jit),
                format_seconds(cell.first_call_s)]
    text = f"{cell.status}: {cell.error or ''}".rstrip(": ")
    if len(text) > _ERROR_WIDTH:
        text = text[:_ERROR_WIDTH - 1] + "…"
    return [text]


def render_table(result: BenchResult) -> str:
    """Workload groups, one row per engine: median, [min – max], time / jit, first call."""
    head = ["workload", "engine", "median", "[min – max]", "vs jit", "first call"]
    rows: list[list[str]] = []
    notes: list[str] = []
    for w in result.workloads:
        cells = [c for c in result.cells if c.workload == w.name]
        for i, cell in enumerate(cells):
            label = f"{w.name} (per {w.unit})" if i == 0 else ""
            rows.append([label, cell.engine] + _row(cell))
            if cell.error and rows[-1][-1].endswith("…"):
                notes.append(f"{w.name} on {cell.engine}: {cell.error}")
            for key, value in cell.metrics.items():
                notes.append(f"{w.name} on {cell.engine}: {key} = {value:.3g}")
    widths = [len(h) for h in head]
    for row in rows:
        if len(row) == len(head):  # error rows span the numeric columns
            widths = [max(w, len(c)) for w, c in zip(widths, row)]
        else:
            widths[:2] = [max(w, len(c)) for w, c in zip(widths[:2], row[:2])]

    def fmt(row: list[str]) -> str:
        # Text columns flush left, numbers flush right.
        out = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        if len(row) == len(head):
            out += [c.rjust(wd) if j != 1 else c.ljust(wd)
                    for j, (c, wd) in enumerate(zip(row[2:], widths[2:]))]
        else:
            out += row[2:]
        return "  ".join(out).rstrip()

    lines = machine_header(result) + ["", fmt(head), "  ".join("-" * w for w in widths)]
    previous = None
    for row in rows:
        if row[0] and previous is not None:
            lines.append("")
        lines.append(fmt(row))
        previous = row
    if not rows:
        lines.append("(no results)")
    lines += [""] + notes if notes else []
    lines.append("vs jit: median time / jitgraph's median in this run (above 1 = slower than jit);"
                 "\nfirst call: the step's first call, compiling into an empty cache.")
    return "\n".join(lines)
