"""Progress while the bench runs: a rich bar when rich is installed, a plain line otherwise.

Everything goes to stderr so that stdout holds only the results table.
"""
from __future__ import annotations

import sys


class SilentProgress:
    """Reports nothing; notes are kept for whoever asks (tests, the JSON)."""

    def __init__(self):
        self.notes: list[str] = []
        self.warnings: list[str] = []  # about the machine, not about an engine or a cell

    def start(self, total: int) -> None:
        pass

    def set_total(self, total: int) -> None:
        """Engines that drop out shrink the work left; the bar should still end full."""

    def advance(self, label: str) -> None:
        pass

    def note(self, message: str) -> None:
        self.notes.append(message)
        self._show(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        self._show(message)

    def _show(self, message: str) -> None:
        pass

    def finish(self) -> None:
        pass


class PlainProgress(SilentProgress):
    """``[#####.....]  12/40  linreg_step · jit · 3/7`` rewritten in place on a terminal,
    one line per step elsewhere (CI logs)."""

    WIDTH = 24

    def __init__(self, stream=None):
        super().__init__()
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.total, self.done = 0, 0

    def start(self, total: int) -> None:
        self.total = max(total, 1)

    def set_total(self, total: int) -> None:
        self.total = max(total, self.done, 1)

    def advance(self, label: str) -> None:
        self.done = min(self.done + 1, self.total)
        filled = self.WIDTH * self.done // self.total
        bar = "#" * filled + "." * (self.WIDTH - filled)
        line = f"[{bar}] {self.done:>3}/{self.total}  {label}"
        if self.tty:
            self.stream.write("\r\x1b[2K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def _show(self, message: str) -> None:
        self.stream.write(("\r\x1b[2K" if self.tty else "") + message + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


class RichProgress(SilentProgress):
    def __init__(self):
        super().__init__()
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
        from rich.progress import TimeElapsedColumn

        self.console = Console(stderr=True)
        self.bar = Progress(TextColumn("bench"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), TextColumn("{task.description}"),
                            console=self.console, transient=True)
        self.task = None

    def start(self, total: int) -> None:
        self.bar.start()
        self.task = self.bar.add_task("", total=max(total, 1))

    def set_total(self, total: int) -> None:
        self.bar.update(self.task, total=max(total, 1))

    def advance(self, label: str) -> None:
        self.bar.update(self.task, advance=1, description=label)

    def _show(self, message: str) -> None:
        self.console.print(message, markup=False, highlight=False)

    def finish(self) -> None:
        self.bar.stop()


Progress = SilentProgress  # the interface every reporter implements


def make_progress(enabled: bool = True) -> SilentProgress:
    """The best reporter available: rich on a terminal if installed, else plain text."""
    if not enabled:
        return PlainNotesOnly()
    if sys.stderr.isatty():
        try:
            return RichProgress()
        except ImportError:
            pass
    return PlainProgress()


class PlainNotesOnly(PlainProgress):
    """--no-progress: no bar, but skipped engines and failures still get their line."""

    def advance(self, label: str) -> None:
        pass

    def finish(self) -> None:
        pass
