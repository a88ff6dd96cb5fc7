"""Issue 15 probes 7 and 11 (memory): the compile cache as a trust boundary, and
compiled modules released when the Sessions using them close.

Only the JIT reads the compile cache; where a probe runs a program, the
interpreter's answer is the reference it must still match.
"""
from __future__ import annotations

import gc
import hashlib
import json
import os
import pickle
import sys
import warnings
import weakref

import numpy as np
import pytest
from helpers import session

import jitgraph as tf
from jitgraph.cli.main import main as jitgraph_main
from jitgraph.codegen import diskcache


@pytest.fixture
def cache(monkeypatch, tmp_path):
    root = tmp_path / "cache"
    monkeypatch.setenv("JITGRAPH_CACHE_DIR", str(root))
    monkeypatch.setenv("JITGRAPH_CACHE_KEY_FILE", str(tmp_path / "config" / "cache.key"))
    monkeypatch.delenv("JITGRAPH_CACHE", raising=False)
    diskcache._reset_process_state()
    yield root
    diskcache._reset_process_state()


class Payload:
    """What an attacker pickles: unpickling it creates `marker`."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def _graph(factor):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None], name="x")
        tf.reduce_sum(x * factor, name="y")
    return g


X = np.arange(4, dtype=np.float32)


def _run(g, jit):
    sess = session(g, jit)
    try:
        return float(sess.run("y:0", {"x:0": X}))
    finally:
        sess.close()


def _only_entry(root):
    (entry,) = diskcache.entries()
    return entry


def _update_manifest(entry_dir, **changes):
    """What an attacker with write access does: make the sha256 manifest match."""
    meta = json.loads((entry_dir / "meta.json").read_text())
    meta.update(changes)
    cache = entry_dir / "__pycache__"
    meta["numba_files"] = {p.name: [p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest()]
                           for p in sorted(cache.iterdir()) if p.suffix in (".nbi", ".nbc")}
    (entry_dir / "meta.json").write_text(json.dumps(meta))


def _plant_pickle(index_path, marker):
    with open(index_path, "rb") as f:
        pickle.load(f)  # Numba's version stamp, kept so that Numba reads on
        head = f.tell()
    data = index_path.read_bytes()[:head] + pickle.dumps(Payload(marker))
    index_path.write_bytes(data)


def test_planted_pickle_in_numba_index_never_runs(cache, tmp_path):
    g = _graph(3.0)
    expected = _run(g, jit=False)
    assert _run(g, jit=True) == expected == 18.0
    entry = _only_entry(cache)
    marker = tmp_path / "pwned"
    (index,) = (entry.path / "__pycache__").glob("*.nbi")
    _plant_pickle(index, marker)
    _update_manifest(entry.path)
    diskcache._reset_process_state()  # a new process: nothing loaded yet
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert _run(g, jit=True) == expected
    assert not marker.exists(), "Numba unpickled the planted index"
    (w,) = [w for w in record if issubclass(w.category, diskcache.CacheWarning)]
    assert "damaged (its signature does not verify" in str(w.message)
    assert diskcache.verify(_only_entry(cache)) is None  # rebuilt and signed again
    diskcache._reset_process_state()
    with warnings.catch_warnings():
        warnings.simplefilter("error", diskcache.CacheWarning)
        assert _run(g, jit=True) == expected
    assert diskcache.counters.disk_hits == 1


def test_cache_show_llvm_never_runs_a_tampered_source(cache, tmp_path, capsys):
    g = _graph(2.0)
    assert _run(g, jit=True) == _run(g, jit=False)
    entry = _only_entry(cache)
    marker = tmp_path / "pwned"
    tampered = f"import os\nos.mkdir({str(marker)!r})\n" + entry.source()
    entry.source_path.write_text(tampered)
    _update_manifest(entry.path, source_sha256=hashlib.sha256(tampered.encode()).hexdigest())
    diskcache._reset_process_state()
    for flag in ("--llvm", "--asm"):
        rc = jitgraph_main(["cache", "show", entry.key[:10], flag])
        out, err = capsys.readouterr()
        assert not marker.exists(), f"show {flag} ran the tampered source"
        assert rc == 1 and out == ""
        assert f"refusing to compile entry {entry.key[:12]}" in err
        assert "signature does not verify" in err
    assert not marker.exists()
    # Showing the text runs nothing; it says the entry is not authenticated.
    assert jitgraph_main(["cache", "show", entry.key[:10], "--color", "never"]) == 0
    out, err = capsys.readouterr()
    assert out == tampered and "not authenticated" in err and not marker.exists()


def _gen_modules():
    return {k for k in sys.modules if k.startswith(diskcache.MODULE_PREFIX)}


def test_closing_sessions_releases_their_compiled_modules(cache):
    g = _graph(5.0)
    before = _gen_modules()
    a, b = session(g, True), session(g, True)
    assert a.run("y:0", {"x:0": X}) == b.run("y:0", {"x:0": X}) == 30.0
    (key,) = diskcache._memory
    (name,) = _gen_modules() - before
    stage = weakref.ref(sys.modules[name].stage0)
    a.close()  # b still uses the module
    assert key in diskcache._memory and b.run("y:0", {"x:0": X}) == 30.0
    b.close()
    assert key not in diskcache._memory and name not in sys.modules
    gc.collect()
    assert stage() is None  # nothing (Numba included) keeps its compiled code alive
    # The next Session loads it again (from disk) and computes the same.
    assert _run(g, jit=True) == _run(g, jit=False) == 30.0
    assert diskcache.counters.disk_hits == 1


def test_sessions_dropped_without_close_release_at_the_next_load(cache):
    for factor in (1.0, 2.0):
        sess = session(_graph(factor), True)
        assert sess.run("y:0", {"x:0": X}) == 6.0 * factor
        del sess
        gc.collect()
    assert _run(_graph(7.0), jit=True) == 42.0
    assert len(diskcache._memory) == 0  # the two dropped ones, then this closed one


@pytest.mark.parametrize("mode", [0o770, 0o707])
@pytest.mark.parametrize("jit", [True, False])
def test_cache_dir_writable_by_group_or_world_is_refused(cache, mode, jit):
    cache.mkdir()
    os.chmod(cache, mode)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert _run(_graph(4.0), jit) == 24.0
    messages = [str(w.message) for w in record if issubclass(w.category, diskcache.CacheWarning)]
    if jit:
        assert len(messages) == 1 and "writable by other users" in messages[0]
        assert diskcache.counters.fallbacks == 1
    else:  # the interpreter compiles nothing
        assert messages == []
    assert not (cache / "entries").exists()
