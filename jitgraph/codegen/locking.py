"""Inter-process file locks for the compiled-code cache (`fcntl.flock`, POSIX only).

A lock is an exclusive `flock` on a small file that lives apart from the data it
guards, so removing an entry never removes a lock someone waits on. A lock file
may itself be deleted by its holder (`clear`, `prune`): after locking, a waiter
checks that the path still names the file it locked and retries if not. Where
`fcntl` is missing (Windows) locks are no-ops and concurrent compiles of one
entry rely on atomic renames alone.
"""
from __future__ import annotations

import contextlib
import os

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


def _acquire(path: str, blocking: bool) -> int | None:
    """Returns an open fd holding an exclusive lock on `path`, or None if busy."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            flags = fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB)
            try:
                fcntl.flock(fd, flags)
            except BlockingIOError:
                os.close(fd)
                return None
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:
                same = False
            if same:
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # the holder deleted it while we waited: lock the new one


@contextlib.contextmanager
def locked(path, blocking: bool = True, unlink: bool = False):
    """Holds an exclusive lock on the file `path` (created if missing).

    Yields True while held, or False when `blocking=False` and another process
    holds it. With `unlink=True` the lock file is deleted before release (for
    callers that delete what it guards).
    """
    if fcntl is None:  # pragma: no cover - Windows
        yield True
        return
    path = os.fspath(path)
    fd = _acquire(path, blocking)
    if fd is None:
        yield False
        return
    try:
        yield True
        if unlink:
            with contextlib.suppress(OSError):
                os.unlink(path)
    finally:
        os.close(fd)  # closing the last fd releases the flock
