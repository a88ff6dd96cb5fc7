"""This process's place among the ranks: Horovod's `init`, `rank`, `size` and friends.

MPI comes from `mpi4py` (the `jitgraph[mpi]` extra). Without it, or outside
`mpiexec`, the world is one rank and every collective is the identity, so the same
program runs on one process. `init()` duplicates the communicator, so our
collectives never match messages of the user's own MPI calls.

A rank that dies must not leave the others waiting forever. Two guards:

- an uncaught exception on any rank of a multi-rank world aborts the whole job
  (`MPI_Abort`, as `python -m mpi4py` does), after printing its traceback, instead
  of finalizing MPI while the others wait in a collective;
- every collective runs under a `Watchdog`: a rank that waits longer than
  `JITGRAPH_MPI_TIMEOUT` seconds (default 300) in one collective prints which one
  and aborts the job (a peer that hangs, exited cleanly too early, or was killed
  without the launcher noticing).
"""
from __future__ import annotations

import os
import sys
import threading
import time

DEFAULT_TIMEOUT = 300.0  # seconds one collective may wait for the other ranks
_STALL_WARNING = 60.0    # Horovod's stall check period: say so before giving up

_NOT_INITIALIZED = "Horovod has not been initialized; use hvd.init()."


class World:
    """The communicator and this process's coordinates in it (`comm` None: one rank)."""

    def __init__(self, mpi, comm, timeout):
        self.mpi, self.comm = mpi, comm
        if comm is None:
            self.rank, self.size, self.local_rank, self.local_size = 0, 1, 0, 1
        else:
            self.rank, self.size = comm.Get_rank(), comm.Get_size()
            local = comm.Split_type(mpi.COMM_TYPE_SHARED, key=self.rank)
            self.local_rank, self.local_size = local.Get_rank(), local.Get_size()
            local.Free()
        self.watchdog = Watchdog(timeout, self) if self.size > 1 else None

    def abort(self, code=1):
        """Ends every rank of the job now (stdout flushed first: it is lost otherwise)."""
        sys.stdout.flush()
        sys.stderr.flush()
        self.comm.Abort(code)


class Watchdog:
    """Bounds how long one collective may wait: the calling thread marks the collective
    it is in (two attribute writes, no thread hand-off on the hot path), and a daemon
    thread, which runs while the caller is blocked in MPI (mpi4py releases the GIL),
    warns once after the stall period and aborts the job after `timeout`."""

    def __init__(self, timeout, world):
        self.timeout, self._world = float(timeout), world
        self._what, self._since, self._seq, self._warned = None, 0.0, 0, False
        self._thread = None

    def enter(self, what):
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="jitgraph-mpi-watchdog",
                                            daemon=True)
            self._thread.start()
        self._since, self._warned = time.monotonic(), False
        self._seq += 1
        self._what = what

    def leave(self):
        self._what = None

    def _watch(self):
        period = min(1.0, self.timeout / 4)
        while _world is self._world:  # ends with its world (shutdown)
            time.sleep(period)
            seq, what, since = self._seq, self._what, self._since
            if what is None:
                continue
            waited = time.monotonic() - since
            w = self._world
            if waited >= self.timeout and self._seq == seq and self._what is not None:
                sys.stderr.write(
                    f"jitgraph.distribute: rank {w.rank} of {w.size} waited {waited:.0f} s in "
                    f"{what} for the other ranks: one of them has died, hangs, or did not "
                    f"run the same collectives in the same order. Aborting all ranks "
                    f"(JITGRAPH_MPI_TIMEOUT={self.timeout:g} s sets this limit).\n")
                w.abort(1)
            if waited >= min(_STALL_WARNING, self.timeout / 2) and not self._warned:
                self._warned = True
                sys.stderr.write(
                    f"jitgraph.distribute: rank {w.rank} of {w.size} has waited "
                    f"{waited:.0f} s in {what} for the other ranks; it aborts the job at "
                    f"{self.timeout:g} s (JITGRAPH_MPI_TIMEOUT).\n")


_world: World | None = None
_lock = threading.Lock()
_hook_installed = False


def _timeout_from_env():
    raw = os.environ.get("JITGRAPH_MPI_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"JITGRAPH_MPI_TIMEOUT={raw!r}: expected a number of seconds") from None
    if value <= 0:
        raise ValueError(f"JITGRAPH_MPI_TIMEOUT={raw!r}: expected a positive number of seconds")
    return value


# Set by the launchers (MPICH/Hydra and Intel MPI; Open MPI) in every rank they start.
_LAUNCHER_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")


def _launched_size():
    for var in _LAUNCHER_SIZE_VARS:
        raw = os.environ.get(var, "")
        if raw.isdigit():
            return int(raw)
    return 1


def _import_mpi():
    """mpi4py's MPI module, or None when mpi4py is not installed and no launcher
    started this process as one of several ranks (N copies each training alone, each
    writing checkpoints, would look like success)."""
    try:
        import mpi4py
    except ImportError:
        if _launched_size() > 1:
            raise ImportError(
                f"this process is one of {_launched_size()} ranks started by mpiexec, but "
                "mpi4py is not installed: pip install 'jitgraph[mpi]'") from None
        return None
    if "mpi4py.MPI" not in sys.modules:
        # The watchdog thread calls MPI_Abort while the main thread is inside MPI.
        mpi4py.rc.thread_level = "multiple"
    try:
        from mpi4py import MPI
    except (ImportError, RuntimeError, OSError) as e:
        raise ImportError(f"mpi4py is installed but cannot load an MPI library ({e}): "
                          "install one (pip install mpich, or your system's MPI)") from e
    return MPI


def init(comm=None):
    """Starts jitgraph.distribute (Horovod's `hvd.init`).

    Args:
      comm: the mpi4py communicator to run on (default: all ranks, `MPI.COMM_WORLD`),
        or a list of ranks of `MPI.COMM_WORLD` (every rank must call `init` with it).

    Without mpi4py installed (and not asked for a communicator) the world is one rank.
    Calling `init` again while initialized does nothing, as in Horovod.
    """
    global _world
    with _lock:
        if _world is not None:
            return
        timeout = _timeout_from_env()
        mpi = _import_mpi()
        if mpi is None:
            if comm is not None:
                raise ValueError("hvd.init(comm=...) needs mpi4py: pip install 'jitgraph[mpi]'")
            _world = World(None, None, timeout)
            return
        world_comm = mpi.COMM_WORLD
        if comm is None:
            comm = world_comm.Dup()
        elif isinstance(comm, (list, tuple)):
            ranks = [int(r) for r in comm]
            comm = world_comm.Create_group(world_comm.Get_group().Incl(ranks))
            if comm == mpi.COMM_NULL:
                raise ValueError(f"hvd.init(comm={ranks}): rank {world_comm.Get_rank()} is "
                                 "not in the list, so it has no place in this world")
        else:
            comm = comm.Dup()
        _world = World(mpi, comm, timeout)
        if _world.size > 1:
            _install_abort_on_uncaught_exception()


def _install_abort_on_uncaught_exception():
    global _hook_installed
    if _hook_installed:
        return
    _hook_installed = True
    previous = sys.excepthook

    def abort_job(exc_type, exc, tb):
        previous(exc_type, exc, tb)
        w = _world
        if w is not None and w.comm is not None and w.size > 1:
            sys.stderr.write(f"jitgraph.distribute: rank {w.rank} of {w.size} failed; aborting "
                             "all ranks so that none waits for it.\n")
            w.abort(1)

    sys.excepthook = abort_job


def shutdown():
    """Stops jitgraph.distribute; `init` may be called again. MPI itself stays up (mpi4py
    finalizes it at exit), as Horovod leaves it when it did not start it."""
    global _world
    with _lock:
        w, _world = _world, None
    if w is not None and w.comm is not None:
        w.comm.Free()


def is_initialized() -> bool:
    return _world is not None


def world() -> World:
    """The initialized world; ValueError (Horovod's) before `init()`."""
    w = _world
    if w is None:
        raise ValueError(_NOT_INITIALIZED)
    return w


def rank() -> int:
    """This process's rank, 0 .. size()-1."""
    return world().rank


def size() -> int:
    """How many ranks take part (1 without MPI)."""
    return world().size


def local_rank() -> int:
    """This process's rank among the ranks on its machine."""
    return world().local_rank


def local_size() -> int:
    """How many ranks run on this process's machine."""
    return world().local_size


def cross_rank() -> int:
    """The index of this process's machine among the machines (Horovod's cross_rank);
    valid when every machine runs the same number of ranks, as Horovod requires."""
    w = world()
    return w.rank // w.local_size


def cross_size() -> int:
    """How many machines take part."""
    w = world()
    return w.size // w.local_size


def mpi_built() -> bool:
    """True when mpi4py can be imported (Horovod's mpi_built)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def mpi_enabled() -> bool:
    """True when the initialized world runs on MPI."""
    return world().comm is not None


def mpi_threads_supported() -> bool:
    """True when MPI allows calls from several threads (MPI_THREAD_MULTIPLE)."""
    w = world()
    return w.mpi is not None and w.mpi.Query_thread() == w.mpi.THREAD_MULTIPLE
