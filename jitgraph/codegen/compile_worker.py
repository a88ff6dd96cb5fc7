"""The compile process of `background.py`: one JSON request a line on stdin
({id, source, meta}), one JSON answer a line on stdout ({id, ok, key | error}).

It compiles through the disk cache exactly as a Session in sync mode would, so the
Session that asked finds a verified entry on disk. It exits at end-of-file on stdin,
at once, even in the middle of a compile: that is when its program died.
"""
from __future__ import annotations

import json
import os
import queue
import sys
import threading
import time


def _read_requests(requests):
    """Reads requests as they come, so the program never blocks writing to a full pipe
    while a compile runs; end-of-file (the program ended or died) ends this process now."""
    for line in sys.stdin:
        requests.put(line)
    os._exit(0)


class _Holder:
    """Stands for the plan whose module this process compiled, so it can be released."""


def main():
    # Our answers own stdout; anything else that prints (Numba, a compile log) goes
    # to stderr, which the user sees.
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    from jitgraph.codegen import diskcache
    requests = queue.SimpleQueue()
    threading.Thread(target=_read_requests, args=(requests,), daemon=True).start()
    while True:
        req = json.loads(requests.get())
        t0 = time.perf_counter()
        try:
            holder = _Holder()
            loaded = diskcache.load(req["source"], req["meta"], holder=holder)
            out = {"id": req["id"], "ok": loaded.path is not None, "key": loaded.key,
                   "seconds": time.perf_counter() - t0}
            if loaded.path is None:
                out["error"] = "the disk cache is not usable: nothing to hand over"
            diskcache.release_plans([holder])  # the Session loads it: free it here
        except Exception as e:  # noqa: BLE001 - every failure goes back to the Session
            out = {"id": req["id"], "ok": False, "error": f"{type(e).__name__}: {e}"}
        answers.write(json.dumps(out) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
