"""Run-time switches: JIT on/off, compile logging, and the compile log itself."""
from __future__ import annotations

import os
import sys
import threading

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


def env_flag(name: str, default: bool = False) -> bool:
    """A JITGRAPH_* boolean: 1/true/yes/on or 0/false/no/off (any case); else ValueError."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    v = raw.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(f"{name}={raw!r}: expected one of 1/true/yes/on or 0/false/no/off")


_lock = threading.Lock()
_log_compiles = env_flag("JITGRAPH_LOG_COMPILES")
_last_signature_for_fetches: dict = {}
compile_count = 0  # compiles in this process (tests count recompiles with it)

COMPILE_MODES = ("background", "sync", "off")
_compile_mode = None  # set in code; else JITGRAPH_COMPILE; else background


def jit_enabled() -> bool:
    """False when JITGRAPH_DISABLE_JIT=1 or the compile mode is `off`: sessions then run
    plans on the numpy interpreter."""
    return not env_flag("JITGRAPH_DISABLE_JIT") and compile_mode() != "off"


def logging_compiles() -> bool:
    return _log_compiles


def log(msg: str):
    print(msg, file=sys.stderr, flush=True)


def compile_mode() -> str:
    """How a new signature meets the compiler: `background` (run it on the interpreter
    while a compile process builds its kernels; switch when they are ready), `sync` (wait
    for the compile), `off` (interpreter only). Set by JITGRAPH_COMPILE or `set_compile_mode`."""
    if _compile_mode is not None:
        return _compile_mode
    mode = os.environ.get("JITGRAPH_COMPILE", "background").strip().lower() or "background"
    if mode not in COMPILE_MODES:
        raise ValueError(f"JITGRAPH_COMPILE={mode!r}: expected one of {', '.join(COMPILE_MODES)}")
    return mode


def set_compile_mode(mode: str | None):
    """Sets the compile mode for new signatures in this process (None: back to the env)."""
    global _compile_mode
    if mode is not None and mode not in COMPILE_MODES:
        raise ValueError(f"compile mode {mode!r}: expected one of {', '.join(COMPILE_MODES)}")
    _compile_mode = mode


_fold_constants = None  # set in code; else JITGRAPH_FOLD_CONSTANTS; else on


def fold_constants() -> bool:
    """Whether new plans compute ops of constants once, at plan time (the default).
    JITGRAPH_FOLD_CONSTANTS=0 or `set_fold_constants(False)` turns it off: the test suite
    does, so that comparing the engines on constant inputs still runs each op's kernels."""
    if _fold_constants is not None:
        return _fold_constants
    return env_flag("JITGRAPH_FOLD_CONSTANTS", True)


def set_fold_constants(enabled: bool | None):
    """Turns constant folding on or off for new plans in this process (None: the env's)."""
    global _fold_constants
    _fold_constants = None if enabled is None else bool(enabled)


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
    log(msg)
