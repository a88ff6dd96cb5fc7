"""A busy machine on demand: N neutral CPU-bound processes, started and ended by PID.

Users run jitgraph beside a data loader or a second experiment; ``--background-load N``
measures every engine while N cores are taken by such a process (a pure Python loop: no
memory traffic, no threads, the scheduler's default priority).
"""
from __future__ import annotations

import subprocess
import sys

_SPIN = "while True:\n    pass\n"


class BackgroundLoad:
    """A context manager holding ``n`` spinning processes for its duration."""

    def __init__(self, n: int):
        self.n = n
        self.procs: list[subprocess.Popen] = []

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def __enter__(self) -> BackgroundLoad:
        try:
            for _ in range(self.n):
                self.procs.append(subprocess.Popen(
                    [sys.executable, "-c", _SPIN], stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        """Ends our own processes, each by its PID (never by name)."""
        for p in self.procs:
            if p.poll() is None:
                p.kill()
        for p in self.procs:
            p.wait()
        self.procs = []
