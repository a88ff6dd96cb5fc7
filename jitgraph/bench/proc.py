"""Timing a whole process, for the cold-start workloads."""
from __future__ import annotations

import subprocess
import time


class ProcessFailed(Exception):
    """The timed process exited non-zero or ran past its timeout."""


def time_process(argv: list[str], env: dict[str, str], timeout: float) -> float:
    """Wall-clock seconds from spawn to exit of ``argv``.

    Raises:
      ProcessFailed: with the last line of its stderr, so the report says why.
    """
    start = time.perf_counter()
    try:
        done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ProcessFailed(f"timed out after {timeout:g} s") from None
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        last = lines[-1] if lines else ""
        raise ProcessFailed(f"exit code {done.returncode}: {last}".rstrip(": "))
    return elapsed
