"""Background compiles: a compile process fills the disk cache while Sessions run.

With `JITGRAPH_COMPILE=background` (the default for programs) a new signature runs
at once on the numpy interpreter while this module's compile process builds its
kernels into the disk cache. The process is separate so that Numba's compile, which
is Python code, does not hold the user's GIL. The Session loads the compiled entry
at a run boundary (`_Runner` in session.py) and from then on calls the compiled code;
the switch changes speed only: the same variable buffers, the same random streams.

One process serves every Session and thread of this process, one compile at a time,
in the order submitted. This process kills it at exit; should this process die first,
the compile process sees end-of-file on its stdin and exits at once, so none is left
behind.
"""
from __future__ import annotations

import atexit
import json
import os
import queue
import subprocess
import sys
import threading
from concurrent.futures import Future


class CompileProcessDied(RuntimeError):
    """The compile process ended before it answered (killed, or out of memory)."""


class CompileFailed(RuntimeError):
    """The compile process answered with an error for this plan."""


class _Service:
    def __init__(self):
        self.proc = None
        self.lock = threading.Lock()
        self.pending: dict = {}
        self.next_id = 0
        self.outbox: queue.SimpleQueue = queue.SimpleQueue()
        self.writer = None

    def submit(self, source: str, meta: dict) -> Future:
        fut = Future()
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                self._start()
            i = self.next_id
            self.next_id += 1
            self.pending[i] = (self.proc, fut)
            # A writer thread sends it: the pipe holds 64 kB, and a new compile process
            # reads nothing while it imports Numba (a second): the run must not wait.
            self.outbox.put((self.proc, i, {"id": i, "source": source, "meta": meta}))
        return fut

    def _write(self, outbox):
        while True:
            proc, i, request = outbox.get()
            if proc is None:
                return
            try:
                proc.stdin.write(json.dumps(request) + "\n")
                proc.stdin.flush()
            except (OSError, ValueError) as e:
                with self.lock:
                    _, fut = self.pending.pop(i, (None, None))
                if fut is not None:
                    fut.set_exception(CompileProcessDied(f"cannot reach the compile process: {e}"))

    def _start(self):
        env = dict(os.environ, JITGRAPH_COMPILE="sync")
        # The very jitgraph this process runs, whatever the compile process's cwd holds.
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        boot = (f"import sys; sys.path.insert(0, {root!r}); "
                "from jitgraph.codegen.compile_worker import main; main()")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", boot],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
            start_new_session=True)  # a Ctrl-C meant for the program does not kill it
        threading.Thread(target=self._read, args=(self.proc,), daemon=True,
                         name="jitgraph-compile-results").start()
        if self.writer is None:
            self.writer = threading.Thread(target=self._write, args=(self.outbox,), daemon=True,
                                           name="jitgraph-compile-requests")
            self.writer.start()

    def _read(self, proc):
        for line in proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                _, fut = self.pending.pop(msg.get("id"), (None, None))
            if fut is None:
                continue
            if msg.get("ok"):
                fut.set_result(msg)
            else:
                fut.set_exception(CompileFailed(msg.get("error", "unknown error")))
        code = proc.wait()
        with self.lock:
            if self.proc is proc:
                self.proc = None
            # Only this process's requests: a new one may already serve later ones.
            lost = [i for i, (p, _) in self.pending.items() if p is proc]
            lost = [self.pending.pop(i)[1] for i in lost]
        for fut in lost:
            fut.set_exception(CompileProcessDied(
                f"the compile process (pid {proc.pid}) ended with exit code {code}"))

    @property
    def pid(self) -> int | None:
        proc = self.proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def shutdown(self):
        """Ends the compile process now: nobody will load what it is building.

        Killed, not asked: a polite end-of-file would wait for the compile in progress,
        and closing the pipe waits for the writer thread, which may be blocked on it."""
        with self.lock:
            proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.kill()
        proc.wait()


_service = _Service()
atexit.register(_service.shutdown)


def submit(source: str, meta: dict) -> Future:
    """Queues a compile of `source` into the disk cache; the future gives the key."""
    return _service.submit(source, meta)


def worker_pid() -> int | None:
    """The compile process's pid, None when none runs (for tests and tools)."""
    return _service.pid


def shutdown():
    _service.shutdown()
