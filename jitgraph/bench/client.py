"""The parent's side of a worker: start it, send a request, wait for the reply.

Replies are read by a thread into a queue so that every request can time out:
a workload that hangs costs its own cell, not the whole run.
"""
from __future__ import annotations

import json
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from jitgraph.bench.engines import Engine, engine_env

WORKER_SCRIPT = Path(__file__).with_name("worker.py")


class WorkerError(Exception):
    """A request failed inside the worker; the worker is still usable."""

    def __init__(self, error: str, traceback: str = "", not_applicable: bool = False):
        super().__init__(error)
        self.error = error
        self.traceback = traceback
        self.not_applicable = not_applicable


class WorkerDied(Exception):
    """The worker exited or stopped answering; it has been killed."""


class WorkerClient:
    """A running worker for one engine. Use ``start`` to create one."""

    def __init__(self, engine: Engine, process: subprocess.Popen, log, timeout: float):
        self.engine = engine
        self.process = process
        self.log = log
        self.timeout = timeout
        self.version: str | None = None
        self._replies: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    @classmethod
    def start(cls, engine: Engine, timeout: float = 600.0,
              extra_env: dict[str, str] | None = None) -> WorkerClient:
        """Start a worker and wait for its hello.

        Raises:
          WorkerError: the engine could not be imported (e.g. not installed).
          WorkerDied: the worker crashed or hung while starting.
        """
        # stderr goes to a file, not a pipe: engines log a lot and a full pipe
        # would block them.
        log = tempfile.TemporaryFile(mode="w+", prefix=f"jitgraph-bench-{engine.name}-")
        argv = [sys.executable, "-u", str(WORKER_SCRIPT), "--engine", engine.name,
                "--loader", engine.loader, "--api", engine.api]
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=log, text=True,
                                   env=engine_env(engine, extra_env))
        client = cls(engine, process, log, timeout)
        hello = client._receive()
        if not hello.get("ok"):
            client.close()
            raise WorkerError(hello.get("error", "failed to start"), hello.get("traceback", ""))
        client.version = hello.get("version")
        return client

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def request(self, op: str, **fields) -> dict:
        """Send one request and return the reply's fields.

        Raises:
          WorkerError: the request raised inside the worker.
          WorkerDied: the worker exited or did not answer within the timeout.
        """
        try:
            self.process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            self.kill()
            raise WorkerDied(f"worker exited: {self.log_tail()}") from exc
        reply = self._receive()
        if not reply.get("ok"):
            raise WorkerError(reply.get("error", "unknown error"), reply.get("traceback", ""),
                              bool(reply.get("not_applicable")))
        return reply

    def close(self) -> None:
        """Ask the worker to quit; kill it if it does not."""
        if self.alive:
            try:
                self.process.stdin.write('{"op": "quit"}\n')
                self.process.stdin.flush()
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()
        self.log.close()

    def kill(self) -> None:
        if self.alive:
            self.process.kill()
            self.process.wait()
        try:
            self.process.stdin.close()
        except OSError:
            pass
        # stdout is closed by the reader thread when it sees the end.

    def log_tail(self, lines: int = 3) -> str:
        """The last lines the worker wrote to stderr: the reason it died, usually."""
        try:
            self.log.seek(0)
            text = self.log.read()
        except (OSError, ValueError):
            return ""
        return " | ".join(text.strip().splitlines()[-lines:])

    def _read(self) -> None:
        with self.process.stdout:
            for line in self.process.stdout:
                self._replies.put(line)
        self._replies.put(None)  # end of stream: the worker exited

    def _receive(self) -> dict:
        try:
            line = self._replies.get(timeout=self.timeout)
        except queue.Empty:
            self.kill()
            raise WorkerDied(f"no answer within {self.timeout:g} s") from None
        if line is None:
            self.process.wait()
            rc = self.process.returncode
            raise WorkerDied(f"worker exited with code {rc}: {self.log_tail()}".rstrip(": "))
        return json.loads(line)
