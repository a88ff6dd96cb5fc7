"""The `jitgraph` console script: a thin dispatcher to one module per sub-command.

Each sub-command module exposes ``main(argv: list[str]) -> int`` and is imported
only when used, so `jitgraph --version` stays instant.
"""
from __future__ import annotations

import importlib
import sys

SUBCOMMANDS = {
    "bench": ("jitgraph.cli.bench", "run benchmark workloads on several engines"),
    "cache": ("jitgraph.cli.cache", "inspect and manage the compiled-code cache"),
}


def _usage() -> str:
    lines = ["usage: jitgraph [--version] <command> [args]", "", "commands:"]
    lines += [f"  {name:<8} {help_}" for name, (_, help_) in SUBCOMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0
    if argv[0] == "--version":
        from jitgraph.version import __version__

        print(f"jitgraph {__version__}")
        return 0
    if argv[0] not in SUBCOMMANDS:
        print(f"jitgraph: unknown command {argv[0]!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(SUBCOMMANDS[argv[0]][0])
    return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
