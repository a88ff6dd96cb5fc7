"""`jitgraph bench`: run benchmark workloads on jitgraph and the engines users compare it with.

Exit status: 0 when every cell ran, 1 when any (workload, engine) failed, 2 for
a usage error (an unknown workload or engine), 3 when something asked for could
not be done because it is not installed (an engine named in --engines, matplotlib
for --plot): one line says what to install. The table and the JSON are written
all the same.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jitgraph.bench import engines as engines_mod
from jitgraph.bench import workloads as workloads_mod

_EPILOG = """\
examples:
  jitgraph bench --quick                       short workloads, few samples (~1 min)
  jitgraph bench linreg_step --engines jit,tensorflow --repeat 11
  jitgraph bench --json out.json --plot out.png
  jitgraph bench mlp_adam_step --background-load 1   with one core kept busy
Times are per call of the workload's step; "vs jit" is the median divided by
jitgraph's median measured in the same run.
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="jitgraph bench", epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Time TF 1.x workloads on jitgraph (JIT and interpreter), "
                    "TensorFlow and JAX, interleaved, on this machine.")
    p.add_argument("workloads", nargs="*", metavar="WORKLOAD",
                   help="workloads to run (default: all; see --list)")
    p.add_argument("--list", action="store_true", help="list the workloads and exit")
    p.add_argument("--engines", type=_comma_list, default=None,
                   help=f"comma-separated, from {','.join(engines_mod.ENGINES)} "
                        "(default: jit,interp,tensorflow, and jax if installed)")
    p.add_argument("--repeat", type=_positive_int, default=None,
                   help="samples per cell (default 7; with --quick 3, and 1 of a whole "
                        "process)")
    p.add_argument("--warmup", type=_non_negative_int, default=None,
                   help="untimed samples before measuring (default 1; 0 with --quick)")
    p.add_argument("--min-time", type=float, default=None, metavar="SECONDS",
                   help="shortest sample; calls per sample are chosen to reach it "
                        "(default 0.05; 0.005 with --quick)")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="longest any one setup, sample or process may take (default 600)")
    p.add_argument("--quick", action="store_true",
                   help="smaller problem sizes and fewer samples, and the long workloads "
                        "(whole programs, big compiles) left out unless named: a smoke test "
                        "of about a minute")
    p.add_argument("--background-load", type=_non_negative_int, default=0, metavar="N",
                   help="keep N cores busy with CPU-bound processes while measuring "
                        "(a user's busy machine; default 0)")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--plot", metavar="FILE.png", help="also draw a bar chart (needs matplotlib)")
    p.add_argument("--workloads-dir", type=Path, default=None, metavar="DIR",
                   help=f"where workload modules live (default: ${workloads_mod.ENV_DIR} "
                        "or the repository's benchmarks/)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def _comma_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def list_workloads(workloads: list[workloads_mod.Workload]) -> str:
    width = max((len(w.name) for w in workloads), default=0)
    return "\n".join(f"{w.name:<{width}}  per {w.unit:<8} {w.description}" for w in workloads)


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        available = workloads_mod.discover(args.workloads_dir)
    except (FileNotFoundError, ValueError) as exc:
        print(f"jitgraph bench: {exc}", file=sys.stderr)
        return 2
    if args.list:
        print(list_workloads(available))
        return 0
    try:
        chosen = workloads_mod.select(available, args.workloads)
    except KeyError as exc:
        print(f"jitgraph bench: {exc.args[0]} (see jitgraph bench --list)", file=sys.stderr)
        return 2
    names = args.engines or engines_mod.default_engine_names()
    chosen = _quick_selection(chosen, args)
    unknown = [n for n in names if n not in engines_mod.ENGINES]
    if unknown:
        print(f"jitgraph bench: unknown engine(s) {', '.join(unknown)}; "
              f"choose from {', '.join(engines_mod.ENGINES)}", file=sys.stderr)
        return 2

    # Imported here so that --list and usage errors stay instant.
    from jitgraph.bench import runner
    from jitgraph.bench.progress import make_progress
    from jitgraph.bench.results import Settings
    from jitgraph.bench.table import render_table

    settings = Settings.resolve(quick=args.quick, repeat=args.repeat, warmup=args.warmup,
                                min_time=args.min_time, timeout=args.timeout)
    engines = [engines_mod.ENGINES[n] for n in dict.fromkeys(names)]
    try:
        result = runner.run(chosen, engines, settings, make_progress(not args.no_progress),
                            background_load=args.background_load)
    except KeyboardInterrupt:
        print("jitgraph bench: interrupted", file=sys.stderr)
        return 130
    print(render_table(result))
    unmet = [] if not args.engines else [
        f"engine {e.name} is {e.note}" for e in result.engines
        if e.status != "ok" and e.note and e.note.startswith("not installed")]
    if args.json:
        from jitgraph.bench.jsonfile import write_json

        write_json(result, args.json)
        print(f"wrote {args.json}", file=sys.stderr)
    if args.plot:
        from jitgraph.bench.plot import PlotUnavailable, plot

        try:
            plot(result, args.plot)
            print(f"wrote {args.plot}", file=sys.stderr)
        except PlotUnavailable as exc:
            unmet.append(f"no plot: {exc}")
    for line in unmet:
        print(f"jitgraph bench: {line}", file=sys.stderr)
    for reason in result.busy.get("reasons", ()):
        print(f"jitgraph bench: warning: busy machine ({reason}); "
              "re-run on an idle machine for numbers to compare", file=sys.stderr)
    if result.failed:
        return 1
    return 3 if unmet else 0


def _quick_selection(chosen: list, args) -> list:
    """--quick without named workloads leaves out the long ones (whole programs, big compiles)."""
    if not args.quick or args.workloads:
        return chosen
    short = [w for w in chosen if not w.long]
    if len(short) < len(chosen):
        skipped = ", ".join(w.name for w in chosen if w.long)
        print(f"jitgraph bench: --quick leaves out {skipped} (name them to run them)",
              file=sys.stderr)
    return short


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
