"""`jitgraph cache ...`: list, show, graph, stats, clear, path and prune the compiled-code cache.

Entries are named by a unique prefix of their key (as `git` names commits).
Reading commands never import an entry or Numba, except `show --llvm/--asm`,
and that only after the entry is authenticated (`diskcache.verify`): the cache
directory is a trust boundary, and an entry that fails is refused, never run.
They then load a private copy of the entry and print what Numba stored: per
function the optimized LLVM module it keeps for linking (for `--asm`, LLVM's
code generator turns that module into assembly: no Numba compile). Where Numba's
files hold nothing usable the source is compiled afresh, which takes seconds:
the command says so as it starts and shows the time elapsed.

Exit status: 0 done, 1 an entry or a tool is missing or refused (one line on
stderr says which, and what to install), 2 a usage error, including `clear`
without `--yes` when there is no terminal to ask on.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import re
import shutil
import subprocess
import sys

from jitgraph.cli.announce import Announce
from jitgraph.codegen import diskcache

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)(b?)\s*$", re.I)


def parse_size(text: str) -> int:
    """'500MB' -> 500_000_000; '2GiB' -> 2 * 1024**3; '1234' -> 1234 bytes.

    K/M/G/T (with or without B) are decimal, KiB/MiB/GiB/TiB binary, as in ccache.
    """
    m = _SIZE_RE.match(text)
    if not m or (m.group(3) and not m.group(2)):
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 500MB, 2GiB or 1000000)")
    number, unit, binary = float(m.group(1)), m.group(2).lower(), bool(m.group(3))
    power = " kmgt".index(unit) if unit else 0
    return int(number * (1024 if binary else 1000) ** power)


def format_size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover


def _entries(n: int) -> str:
    return f"{n} entry" if n == 1 else f"{n} entries"


def _when(t: float) -> str:
    return _dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _feeds_text(feeds) -> str:
    parts = []
    for f in feeds:
        if isinstance(f, (list, tuple)) and len(f) >= 3:
            parts.append(f"{f[0]}:{f[1]}/{f[2]}d")
        else:
            parts.append(str(f))
    return ", ".join(parts) or "-"


def _table(headers: list, rows: list, right: set = frozenset()) -> str:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells):
        out = [c.rjust(w) if i in right else c.ljust(w)
               for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(out).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def _print_json(obj):
    print(json.dumps(obj, indent=2, sort_keys=True, default=str))


def _find(prefix: str):
    try:
        return diskcache.find(prefix)
    except KeyError as e:
        print(f"jitgraph cache: {e.args[0]}", file=sys.stderr)
        return None


# ----------------------------------------------------------------------------- commands

def cmd_list(args) -> int:
    es = diskcache.entries()
    if args.json:
        _print_json([{k: v for k, v in e.to_json().items() if k != "meta"}
                     | {"signature": e.signature, "op_count": e.op_count,
                        "fetches": e.fetches, "feeds": e.feeds} for e in es])
        return 0
    if not es:
        where = diskcache._existing_root()
        print(f"no entries in {where}" if where else _off_note())
        return 0
    headers = ["KEY", "CREATED", "LAST USED", "HITS", "COMPILE", "OPS", "SIZE",
               "FETCHES", "FEEDS"]
    rows = [[e.key[:12], _when(e.created), _when(e.last_used), str(e.hits),
             f"{e.compile_seconds:.2f} s", str(e.op_count), format_size(e.size),
             _clip(", ".join(e.fetches) or "-", 40), _clip(_feeds_text(e.feeds), 40)]
            for e in es]
    print(_table(headers, rows, right={3, 4, 5, 6}))
    total = sum(e.size for e in es)
    print(f"\n{_entries(len(es))}, {format_size(total)} in {diskcache._existing_root()}")
    return 0


def _off_note() -> str:
    if diskcache._env_off():
        return "the disk cache is off (JITGRAPH_CACHE=0)"
    return f"no cache at {diskcache.default_dir()}"


def _highlight(source: str, color: str) -> str | None:
    """The source with ANSI colors, if asked for (or a terminal) and rich/pygments exists."""
    if color == "never" or (color == "auto" and not sys.stdout.isatty()):
        return None
    try:
        from rich.console import Console
        from rich.syntax import Syntax
        console = Console(force_terminal=True, highlight=False)
        with console.capture() as cap:
            console.print(Syntax(source, "python", line_numbers=False))
        return cap.get()
    except ImportError:
        pass
    try:
        from pygments import highlight
        from pygments.formatters import TerminalFormatter
        from pygments.lexers import PythonLexer
        return highlight(source, PythonLexer(), TerminalFormatter())
    except ImportError:
        return None


def _ops_table(ops: list) -> str:
    headers = ["#", "OP", "TYPE", "SHAPE", "DTYPE", "GROUP", "INPUTS"]
    rows = [[str(i), str(op.get("name", "")), str(op.get("type", "")),
             str(op.get("shape", "")), str(op.get("dtype", "")),
             "-" if op.get("group") is None else str(op.get("group")),
             ", ".join(op.get("inputs", ())) or "-"] for i, op in enumerate(ops)]
    return _table(headers, rows, right={0})


def _machine_code(source: str, what: str) -> str:
    """LLVM IR or assembly of every njit function of an entry's (verified) source.

    Numba keeps no IR or assembly for functions it loads from its cache, so the
    source is compiled afresh here (nothing is read from or written to the cache).
    """
    module = diskcache.compile_uncached(source)
    return _inspect(module, what)


def _stored_machine_code(entry, source: str, what: str) -> str | None:
    """What Numba's cache stored for the (verified) entry, or None when it holds nothing usable.

    Numba keeps no IR for functions it loads from its cache, but each library keeps
    the optimized module it links against (the same IR, linkage aside). The entry is
    loaded from a private copy, checked again there: showing it neither counts as a
    use nor, should Numba recompile, writes into the entry (its signed manifest would
    no longer match).
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix="jitgraph-show-") as tmp:
        copy = os.path.join(tmp, "entries", entry.key)
        with Announce(f"loading entry {entry.key[:12]} from the cache"):
            shutil.copytree(entry.path, copy)  # copy2: Numba's index checks the .py's mtime
            module = _load_copy(entry, source, copy)
        if module is None:
            return None
        if not diskcache._nothing_compiled(module):  # Numba recompiled: the IR is in memory
            return _inspect(module, what)
        return _from_libraries(module, what)


def _load_copy(entry, source: str, copy: str):
    import hashlib
    import pathlib

    copy = pathlib.Path(copy)
    if diskcache._verify(copy, entry.key, hashlib.sha256(source.encode()).hexdigest()):
        return None  # changed between the check and the copy: compile afresh instead
    diskcache._install_locator()
    return diskcache._exec_module(entry.module_name, copy / entry.source_path.name, source)


def _from_libraries(module, what: str) -> str | None:
    mark = ";" if what == "llvm" else "#"
    chunks = []
    for d in sorted(diskcache._dispatchers(module), key=lambda d: d.py_func.__name__):
        for sig, result in d.overloads.items():
            library = result.library
            try:
                ir = library._get_module_for_linking()
                text = (str(ir) if what == "llvm"
                        else library._codegen._tm.emit_assembly(ir))
            except (AttributeError, ValueError, RuntimeError):
                return None  # Numba's internals moved: compile afresh instead
            sig_text = ", ".join(str(t) for t in sig)
            chunks.append(f"{mark} ===== {d.py_func.__name__}({sig_text}) =====\n{text}")
    return "\n".join(chunks) if chunks else None


def _inspect(module, what: str) -> str:
    mark = ";" if what == "llvm" else "#"
    chunks = []
    for d in sorted(diskcache._dispatchers(module), key=lambda d: d.py_func.__name__):
        texts = d.inspect_llvm() if what == "llvm" else d.inspect_asm()
        for sig, text in texts.items():
            sig_text = ", ".join(str(t) for t in sig)
            chunks.append(f"{mark} ===== {d.py_func.__name__}({sig_text}) =====\n{text}")
    return "\n".join(chunks)


def cmd_show(args) -> int:
    entry = _find(args.key)
    if entry is None:
        return 1
    if args.json:
        d = entry.to_json()
        d["source"] = entry.source()
        _print_json(d)
        return 0
    if args.ops:
        print(f"# {entry.key}  {entry.signature}")
        print(_ops_table(entry.ops))
        return 0
    if args.runner:
        runner = entry.runner_source
        print(f"# The session-side runner of {entry.signature}, the plan that built this entry")
        print(runner if runner else "# (none: its runs take the general path over stages)")
        return 0
    try:
        source = entry.source()  # read once: what is verified is what is compiled or shown
    except (OSError, UnicodeDecodeError) as e:
        print(f"jitgraph cache: entry {entry.key[:12]} has no readable source ({e})",
              file=sys.stderr)
        return 1
    problem = diskcache.verify(entry, source)
    if args.llvm or args.asm:
        if problem:
            print(f"jitgraph cache: refusing to compile entry {entry.key[:12]}: {problem}. "
                  "Remove it with `jitgraph cache clear`; the next run rebuilds it.",
                  file=sys.stderr)
            return 1
        what = "llvm" if args.llvm else "asm"
        text = _stored_machine_code(entry, source, what)
        if text is not None:
            print(text)
            return 0
        n = len(re.findall(r"^@(?:numba|nb)\.njit", source, re.M))
        label = "LLVM IR" if what == "llvm" else "assembly"
        # Numba keeps no IR for cached code, so this compile is the seconds the user waits.
        with Announce(f"compiling {n} function{'s' * (n != 1)} of entry {entry.key[:12]} "
                      f"afresh for {label} (Numba's cache holds nothing usable for it)"):
            text = _machine_code(source, what)
        print(text)
        return 0
    if problem:  # showing text runs nothing, but the reader should not trust it either
        print(f"jitgraph cache: warning: entry {entry.key[:12]} is not authenticated "
              f"({problem})", file=sys.stderr)
    text = _highlight(source, args.color)
    sys.stdout.write(text if text is not None else source)
    return 0


def _dot_id(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def graph_dot(entry) -> str:
    """Graphviz DOT of the entry's ops; each fusion group is a cluster."""
    ops = entry.ops
    names = {op.get("name") for op in ops}
    lines = [f"digraph {_dot_id('jitgraph ' + entry.key[:12])} {{",
             f"  label={_dot_id(entry.signature)};",
             "  labelloc=t; rankdir=TB;",
             '  node [shape=box, fontname="Helvetica", fontsize=10];']
    groups: dict = {}
    for op in ops:
        label = f"{op.get('name')}\\n{op.get('type')}"
        if op.get("shape") or op.get("dtype"):
            label += f"\\n{op.get('shape', '')} {op.get('dtype', '')}".rstrip()
        node = f"{_dot_id(op.get('name'))} [label=\"{label.replace(chr(34), chr(39))}\"];"
        if op.get("group") is None:
            lines.append("  " + node)
        else:
            groups.setdefault(op["group"], []).append(node)
    for gid in sorted(groups, key=str):
        cid = re.sub(r"\W", "_", str(gid))
        lines.append(f"  subgraph cluster_{cid} {{")
        lines.append(f"    label={_dot_id(f'fusion group {gid}')}; style=dashed; color=gray50;")
        lines += ["    " + n for n in groups[gid]]
        lines.append("  }")
    external = set()
    for op in ops:
        for t in op.get("inputs", ()):
            control = t.startswith("^")
            src = t.lstrip("^").rsplit(":", 1)[0]
            if src not in names and src not in external:
                external.add(src)
                lines.append(f"  {_dot_id(src)} [shape=ellipse, style=dashed];")
            style = ' [style=dotted]' if control else ""
            lines.append(f"  {_dot_id(src)} -> {_dot_id(op.get('name'))}{style};")
    for f in entry.fetches:
        src = str(f).rsplit(":", 1)[0]
        if src in names:
            lines.append(f"  {_dot_id(src)} [penwidth=2];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def cmd_graph(args) -> int:
    entry = _find(args.key)
    if entry is None:
        return 1
    dot = graph_dot(entry)
    if not args.output:
        sys.stdout.write(dot)
        return 0
    out = args.output
    fmt = os.path.splitext(out)[1].lstrip(".").lower()
    if fmt in ("", "dot", "gv"):
        with open(out, "w") as f:
            f.write(dot)
        return 0
    exe = shutil.which("dot")
    if exe is None:
        alt = os.path.splitext(out)[0] + ".dot"
        with open(alt, "w") as f:
            f.write(dot)
        print(f"jitgraph cache: cannot write {out}: Graphviz's 'dot' is not installed "
              f"(install graphviz, e.g. apt install graphviz); wrote DOT to {alt}",
              file=sys.stderr)
        return 1
    proc = subprocess.run([exe, f"-T{fmt}", "-o", out], input=dot, text=True,
                          capture_output=True)
    if proc.returncode != 0:
        print(f"jitgraph cache: dot failed: {proc.stderr.strip()}", file=sys.stderr)
        return 1
    return 0


def cmd_stats(args) -> int:
    s = diskcache.stats()
    if args.json:
        s.pop("process", None)
        _print_json(s)
        return 0
    if not s["enabled"]:
        print(_off_note())
        return 0
    rows = [("cache dir", s["dir"]),
            ("entries", str(s["entries"])),
            ("size on disk", format_size(s["size_bytes"])),
            ("hits", f"{s['hits']} (loads from disk by a process)"),
            ("misses", f"{s['misses']} (entries created)"),
            ("compile time", f"{s['compile_seconds']:.2f} s (compiles that made the entries)"),
            ("time saved", f"{s['seconds_saved']:.2f} s (hits x compile seconds)")]
    for k, v in rows:
        print(f"{k:<13} {v}")
    return 0


def _confirm(question: str) -> bool | None:
    """The user's yes/no on a terminal; None when there is no terminal to ask on."""
    if not sys.stdin.isatty():
        return None
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def cmd_clear(args) -> int:
    root = diskcache._existing_root()
    before = diskcache.stats()["size_bytes"] if root else 0
    count = len(diskcache.entries()) if root else 0
    if root is not None and count and not args.yes:
        ok = _confirm(f"remove {_entries(count)} ({format_size(before)}) from {root}?")
        if ok is None:
            print(f"jitgraph cache: clear would remove {_entries(count)} "
                  f"({format_size(before)}) from {root}; pass --yes to do it "
                  "(no terminal to ask on)", file=sys.stderr)
            return 2
        if not ok:
            print("nothing removed", file=sys.stderr)
            return 1
    n = diskcache.clear()
    if args.json:
        _print_json({"removed": n, "freed_bytes": before - diskcache.stats()["size_bytes"]})
    elif root is None:
        print(_off_note())
    else:
        print(f"removed {_entries(n)} ({format_size(before - diskcache.stats()['size_bytes'])})"
              f" from {root}")
    return 0


def cmd_path(args) -> int:
    print(diskcache.default_dir())
    if diskcache._env_off():
        print("note: the disk cache is off (JITGRAPH_CACHE=0)", file=sys.stderr)
    return 0


def cmd_prune(args) -> int:
    before = diskcache.stats()["size_bytes"]
    removed = diskcache.prune(args.max_size)
    s = diskcache.stats()
    freed = max(before - s["size_bytes"], 0)
    if args.json:
        _print_json({"removed": removed, "freed_bytes": freed, "size_bytes": s["size_bytes"],
                     "max_bytes": args.max_size})
        return 0
    # A summary, not a key per line: a prune of a big cache removes hundreds.
    print(f"removed {_entries(len(removed))}, freed {format_size(freed)}; "
          f"{_entries(s['entries'])}, {format_size(s['size_bytes'])} left "
          f"(limit {format_size(args.max_size)})")
    if args.verbose:
        for k in removed:
            print(f"  {k[:12]}")
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jitgraph cache",
                                description="Inspect and manage jitgraph's compiled-code cache.")
    sub = p.add_subparsers(dest="command", metavar="<command>")
    sub.required = True
    c = sub.add_parser("list", help="list entries, most recently used first")
    c.add_argument("--json", action="store_true", help="machine-readable output")
    c.set_defaults(fn=cmd_list)
    c = sub.add_parser("show", help="generated source (or --ops, --runner, --llvm, --asm) "
                                    "of an entry")
    c.add_argument("key", help="a unique prefix of the entry's key")
    g = c.add_mutually_exclusive_group()
    g.add_argument("--ops", action="store_true", help="the ops table: shapes, dtypes, groups")
    g.add_argument("--runner", action="store_true",
                   help="the generated session-side function that calls the stage each run")
    g.add_argument("--llvm", action="store_true", help="LLVM IR of its compiled functions")
    g.add_argument("--asm", action="store_true", help="assembly of its compiled functions")
    g.add_argument("--json", action="store_true", help="entry, meta and source as JSON")
    c.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="syntax highlighting (needs rich or pygments; default: on a terminal)")
    c.set_defaults(fn=cmd_show)
    c = sub.add_parser("graph", help="Graphviz DOT of an entry's ops, fusion groups as clusters")
    c.add_argument("key", help="a unique prefix of the entry's key")
    c.add_argument("-o", "--output", help="write to FILE (.dot, or .svg/.png/.pdf via `dot`)")
    c.set_defaults(fn=cmd_graph)
    c = sub.add_parser("stats", help="entries, size, hits, misses and compile time saved")
    c.add_argument("--json", action="store_true")
    c.set_defaults(fn=cmd_stats)
    c = sub.add_parser("clear", help="remove every entry (asks first; --yes off a terminal)")
    c.add_argument("-y", "--yes", action="store_true", help="do not ask")
    c.add_argument("--json", action="store_true")
    c.set_defaults(fn=cmd_clear)
    c = sub.add_parser("path", help="print the cache directory")
    c.set_defaults(fn=cmd_path)
    c = sub.add_parser("prune", help="remove least-recently-used entries down to a size")
    c.add_argument("--max-size", type=parse_size, required=True,
                   help="e.g. 500MB, 2GiB or a number of bytes")
    c.add_argument("-v", "--verbose", action="store_true", help="list the removed keys")
    c.add_argument("--json", action="store_true")
    c.set_defaults(fn=cmd_prune)
    return p


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.fn(args) or 0)
    except BrokenPipeError:  # `jitgraph cache show KEY | head`
        sys.stderr.close()
        return 0
