"""Finding workloads: one module per workload in a folder (``benchmarks/`` by default).

The workload interface is documented in ``benchmarks/__init__.py``. Here we only
read what the parent needs (name, description, unit, kind) and, for process
workloads, the module itself; steps are set up inside the engine workers.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

ENV_DIR = "JITGRAPH_BENCH_WORKLOADS"


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    unit: str  # what one timed call is: "step", "run", "epoch", "process"
    kind: str  # "step": timed in a worker; "process": a whole process timed by the parent
    path: Path
    module: ModuleType
    long: bool = False  # LONG = True: left out of --quick runs unless named


def default_dir() -> Path:
    """``$JITGRAPH_BENCH_WORKLOADS``, else ``benchmarks/`` beside the package, else ./benchmarks."""
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR])
    beside = Path(__file__).resolve().parents[2] / "benchmarks"
    return beside if beside.is_dir() else Path.cwd() / "benchmarks"


def _load(path: Path) -> ModuleType:
    # Same loading as the worker's, so a workload sees the same sys.path in both.
    folder = str(path.parent.resolve())
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(f"_jitgraph_bench_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _order(folder: Path) -> list[str]:
    """Module names in display order: ``WORKLOADS`` in the folder's __init__.py, else sorted."""
    init = folder / "__init__.py"
    if init.exists():
        order = getattr(_load(init), "WORKLOADS", None)
        if order:
            return list(order)
    return sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))


def discover(folder: Path | None = None) -> list[Workload]:
    """All workloads in ``folder``, in display order.

    Raises:
      FileNotFoundError: the folder or a listed module does not exist.
      ValueError: a module lacks what the interface requires.
    """
    folder = Path(folder) if folder is not None else default_dir()
    if not folder.is_dir():
        raise FileNotFoundError(f"no workload folder at {folder}")
    workloads = []
    for stem in _order(folder):
        path = folder / f"{stem}.py"
        module = _load(path)
        kind = getattr(module, "KIND", "step")
        needed = ["command"] if kind == "process" else ["setup"]
        missing = [attr for attr in needed if not hasattr(module, attr)]
        if kind not in ("step", "process") or missing:
            raise ValueError(f"workload {path}: KIND={kind!r}, missing {missing}")
        workloads.append(Workload(
            name=getattr(module, "NAME", stem),
            description=getattr(module, "DESCRIPTION", (module.__doc__ or "").strip()),
            unit=getattr(module, "UNIT", "process" if kind == "process" else "call"),
            kind=kind,
            path=path.resolve(),
            module=module,
            long=bool(getattr(module, "LONG", False)),
        ))
    return workloads


def select(workloads: list[Workload], names: list[str]) -> list[Workload]:
    """The named workloads in the order given; all of them when ``names`` is empty.

    Raises:
      KeyError: a name that is not a workload.
    """
    if not names:
        return list(workloads)
    by_name = {w.name: w for w in workloads}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise KeyError(f"unknown workload(s): {', '.join(unknown)}")
    return [by_name[n] for n in dict.fromkeys(names)]
