"""What the numbers were measured on, so two machines' results are never mixed up.

Versions are read from package metadata, not by importing: importing TensorFlow
in the parent would cost seconds and the workers report what they loaded anyway.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import sys

# Distribution names to report; the first one installed of each group wins.
_PACKAGES = {
    "numpy": ["numpy"],
    "scipy": ["scipy"],
    "numba": ["numba"],
    "llvmlite": ["llvmlite"],
    "jitgraph": ["jitgraph"],
    "tensorflow": ["tensorflow", "tensorflow-cpu"],
    "tf_keras": ["tf_keras", "tf-keras"],
    "jax": ["jax"],
    "jaxlib": ["jaxlib"],
}

_THREAD_VARS = ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"]


def _cpuinfo() -> tuple[str | None, int | None]:
    """CPU model and physical core count from /proc/cpuinfo (Linux), else (None, None)."""
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
    except OSError:
        return None, None
    model, cores, physical = None, set(), None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "model name" and model is None:
            model = value
        elif key == "physical id":
            physical = value
        elif key == "core id":
            cores.add((physical, value))
    return model, (len(cores) or None)


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _version(dists: list[str]) -> str | None:
    for dist in dists:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def _jitgraph_version() -> str | None:
    # A checkout run without installing has no metadata; the version file still knows.
    try:
        from jitgraph.version import __version__
    except ImportError:
        return None
    return __version__


def _build_blas(module_name: str) -> str | None:
    """The BLAS a package was built against, from its show_config (numpy, scipy >= 1.25)."""
    try:
        module = __import__(module_name)
        config = module.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 - older versions print instead of returning
        return None


def _blas() -> dict:
    # numba's np.dot calls SciPy's BLAS, numpy's own ops call numpy's; report both.
    info = {"numpy": _build_blas("numpy"), "scipy": _build_blas("scipy")}
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return info
    info["threadpools"] = [
        f"{p.get('internal_api')} {p.get('version')} ({p.get('num_threads')} threads)"
        for p in threadpool_info()
    ]
    return info


def machine_info() -> dict:
    """A JSON-ready description of this machine and its software."""
    model, physical = _cpuinfo()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    info = {
        "cpu": model or platform.processor() or platform.machine(),
        "physical_cores": physical,
        "logical_cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gib": _memory_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": sys.implementation.name,
        "blas": _blas(),
        "versions": {name: _version(dists) for name, dists in _PACKAGES.items()},
        "thread_env": {k: os.environ[k] for k in _THREAD_VARS if k in os.environ},
    }
    info["versions"]["jitgraph"] = info["versions"]["jitgraph"] or _jitgraph_version()
    # A short id of the hardware and software, to spot at a glance two tables
    # from different machines.
    identity = {k: info[k] for k in ("cpu", "physical_cores", "logical_cores", "usable_cores",
                                     "memory_gib", "os", "python", "blas", "versions")}
    info["fingerprint"] = hashlib.sha256(
        json.dumps(identity, sort_keys=True).encode()).hexdigest()[:8]
    return info


def load_average() -> float | None:
    """The 1-minute load average: how busy the machine was besides us."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None
