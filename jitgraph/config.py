"""Run-time switches: JIT on/off, compile logging, and the compile log itself."""
from __future__ import annotations

import os
import sys
import threading

_lock = threading.Lock()
_log_compiles = os.environ.get("JITGRAPH_LOG_COMPILES", "0") not in ("", "0", "false")
_last_signature_for_fetches: dict = {}
compile_count = 0  # compiles in this process (tests count recompiles with it)


def jit_enabled() -> bool:
    """False when JITGRAPH_DISABLE_JIT=1: sessions then run plans on the numpy interpreter."""
    return os.environ.get("JITGRAPH_DISABLE_JIT", "0") in ("", "0", "false")


def log_compiles(enabled: bool = True):
    """Turns compile logging on or off (as JITGRAPH_LOG_COMPILES=1 does)."""
    global _log_compiles
    _log_compiles = bool(enabled)


def record_compile(plan, info):
    global compile_count
    with _lock:
        compile_count += 1
        fetches = plan.signature.fetches
        previous = _last_signature_for_fetches.get(fetches)
        _last_signature_for_fetches[fetches] = plan.signature
    if not _log_compiles:
        return
    how = ("reused from this process" if getattr(info, "from_memory", False)
           else "loaded from disk cache" if info.from_disk else "compiled")
    msg = (f"[jitgraph] {how} {plan.signature!r}: {len(plan.ops)} ops, "
           f"{info.seconds:.3f} s, key {info.key[:12]}")
    if previous is not None and previous != plan.signature:
        msg += "; changed since last compile of these fetches: " + "; ".join(
            plan.signature.diff(previous))
    print(msg, file=sys.stderr)
