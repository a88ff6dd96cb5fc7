"""Saying what a long command does while the user waits: one line as it starts, then elapsed time.

On a terminal the line is rewritten every second with the seconds so far, so a
compile that takes ten seconds never looks like a hang; elsewhere (logs, pipes)
it is one line at the start and one at the end. Everything goes to stderr, so
stdout keeps only the command's result.
"""
from __future__ import annotations

import sys
import threading
import time


class Announce:
    """``with Announce("compiling 3 functions"):`` prints, ticks each second, then says done."""

    TICK_S = 1.0

    def __init__(self, message: str, stream=None):
        self.message = message
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = 0.0

    def _write(self, text: str, end: str = "") -> None:
        prefix = "\r\x1b[2K" if self.tty else ""
        self.stream.write(prefix + text + end)
        self.stream.flush()

    def _tick(self) -> None:
        while not self._stop.wait(self.TICK_S):
            self._write(f"{self.message}… {time.perf_counter() - self._t0:.0f} s")

    def __enter__(self) -> Announce:
        self._t0 = time.perf_counter()
        self._write(f"{self.message}…", end="" if self.tty else "\n")
        if self.tty:
            self._thread = threading.Thread(target=self._tick, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        outcome = "failed" if exc_type else "done"
        self._write(f"{self.message}: {outcome} in {time.perf_counter() - self._t0:.1f} s",
                    end="\n")
