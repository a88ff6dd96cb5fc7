"""The compiled-code disk cache: hits across processes, damage repair, locking, fallbacks."""
from __future__ import annotations

import dataclasses
import errno
import json
import os
import pathlib
import re
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

from jitgraph.codegen import diskcache, locking

REPO = pathlib.Path(__file__).resolve().parents[1]

# Generated-style source: explicit signatures (eager compile), cache=NUMBA_CACHE.
SOURCE = '''\
# Generated-style test module: {tag}
import numpy as np
import numba

NUMBA_CACHE = True


@numba.njit((numba.float32[::1],), cache=NUMBA_CACHE)
def stage0(x):
    s = np.float32(0)
    for i in range(x.shape[0]):
        s += x[i] * np.float32({factor})
    return s


@numba.njit((numba.float32[::1], numba.float32), cache=NUMBA_CACHE)
def stage1(x, a):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = x[i] + a
    return out
'''

META = {
    "signature": "Signature(fetches=('y:0',), feeds=(('x:0', 'float32', 1),))",
    "fetches": ["y:0"],
    "feeds": [["x:0", "float32", 1]],
    "op_count": 2,
    "ops": [
        {"name": "mul", "type": "Mul", "inputs": ["x:0", "c:0"], "shape": "(?,)",
         "dtype": "float32", "group": 0},
        {"name": "y", "type": "Sum", "inputs": ["mul:0"], "shape": "()",
         "dtype": "float32", "group": 0},
    ],
}

X = np.arange(5, dtype=np.float32)  # stage0(X) == 10 * factor

SCRIPT = '''\
import dataclasses, json, sys, warnings
import numpy as np
warnings.simplefilter("always")
from jitgraph.codegen import diskcache
source = open(sys.argv[1]).read()
with warnings.catch_warnings(record=True) as w:
    loaded = diskcache.load(source, json.loads(sys.argv[2]))
x = np.arange(5, dtype=np.float32)
print(json.dumps({"from_disk": loaded.from_disk, "key": loaded.key,
                  "result": float(loaded.module.stage0(x)),
                  "warnings": [str(m.message) for m in w
                               if issubclass(m.category, diskcache.CacheWarning)],
                  "counters": dataclasses.asdict(diskcache.counters)}))
'''


def make_source(tag="t", factor=2):
    return SOURCE.format(tag=tag, factor=factor)


@pytest.fixture
def cache(monkeypatch, tmp_path):
    """A private cache dir for one test, and a process that has loaded nothing yet."""
    root = tmp_path / "cache"
    monkeypatch.setenv("JITGRAPH_CACHE_DIR", str(root))
    monkeypatch.setenv("JITGRAPH_CACHE_KEY_FILE", str(tmp_path / "config" / "cache.key"))
    monkeypatch.delenv("JITGRAPH_CACHE", raising=False)
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    diskcache._reset_process_state()
    yield root
    diskcache._reset_process_state()


def reload(source, meta=META):
    """Loads as a new process would: forgets what this process already imported."""
    diskcache._reset_process_state()
    return diskcache.load(source, meta)


def run_process(root, source_file, meta=META):
    env = dict(os.environ, JITGRAPH_CACHE_DIR=str(root),
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    env.pop("JITGRAPH_CACHE", None)
    return subprocess.Popen([sys.executable, "-c", SCRIPT, str(source_file), json.dumps(meta)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc):
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def entry_dirs(root):
    return sorted((root / "entries").iterdir())


# ----------------------------------------------------------------------------- hits and misses

def test_miss_then_hit_in_fresh_process(cache, tmp_path):
    src = tmp_path / "gen.py"
    src.write_text(make_source("fresh", 3))
    first = finish(run_process(cache, src))
    assert first["from_disk"] is False
    assert first["counters"]["compiles"] == 1 and first["counters"]["disk_hits"] == 0
    second = finish(run_process(cache, src))
    assert second["from_disk"] is True
    assert second["counters"]["compiles"] == 0 and second["counters"]["disk_hits"] == 1
    assert first["result"] == second["result"] == 30.0
    assert first["key"] == second["key"]
    assert first["warnings"] == second["warnings"] == []
    (entry,) = diskcache.entries()
    assert entry.key == first["key"] and entry.hits == 1


def test_numba_files_live_inside_the_entry(cache, monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba-elsewhere"))
    from numba.core import config
    monkeypatch.setattr(config, "CACHE_DIR", str(tmp_path / "numba-elsewhere"))
    loaded = diskcache.load(make_source("layout"), META)
    entry = cache / "entries" / loaded.key
    assert loaded.path == entry / f"jitgraph_gen_{loaded.key[:32]}.py"
    names = sorted(p.name for p in (entry / "__pycache__").iterdir())
    stem = re.escape(f"jitgraph_gen_{loaded.key[:32]}")
    index = [n for n in names if n.endswith(".nbi")]
    assert len(index) == 2 and all(re.fullmatch(stem + r"\.stage[01]-\d+\.py\d+\.nbi", n)
                                   for n in index)
    assert any(n.endswith(".nbc") for n in names)
    assert not (tmp_path / "numba-elsewhere").exists()
    assert stat_mode(cache) == 0o700


def stat_mode(path):
    return os.stat(path).st_mode & 0o777


def test_same_source_twice_in_a_process_is_a_memory_hit(cache):
    a = diskcache.load(make_source("mem"), META)
    b = diskcache.load(make_source("mem"), META)
    assert b.module is a.module and b.from_memory and b.seconds == 0.0
    assert diskcache.counters.compiles == 1 and diskcache.counters.memory_hits == 1


def test_meta_round_trip(cache):
    t0 = time.time()
    loaded = diskcache.load(make_source("meta"), META)
    (entry,) = diskcache.entries()
    assert entry.key == loaded.key and len(entry.key) == 64
    assert entry.meta == META
    assert (entry.signature, entry.op_count, entry.fetches, entry.feeds) == (
        META["signature"], 2, ["y:0"], [["x:0", "float32", 1]])
    assert entry.hits == 0 and t0 <= entry.created <= entry.last_used <= time.time()
    assert entry.compile_seconds == pytest.approx(loaded.seconds)
    assert entry.size > len(make_source("meta"))
    assert entry.source() == make_source("meta")
    assert loaded.module.stage0(X) == 20.0
    reload(make_source("meta"))
    assert diskcache.find(loaded.key[:8]).hits == 1


def test_key_covers_source_versions_and_kernels(cache, monkeypatch):
    k = diskcache.compute_key(make_source("k"))
    assert k == diskcache.compute_key(make_source("k"))
    assert k != diskcache.compute_key(make_source("k", factor=4))
    env = diskcache._environment()
    monkeypatch.setattr(diskcache, "_env_cache", dict(env, numba="0.0.1"))
    assert k != diskcache.compute_key(make_source("k"))
    monkeypatch.setattr(diskcache, "_env_cache", env)
    assert k == diskcache.compute_key(make_source("k"))
    # Numba does not track callees: the helpers' source is part of the key.
    with_k = make_source("k").replace("import numba\n",
                                      "import numba\nfrom jitgraph.codegen import kernels as K\n")
    assert "jitgraph.codegen.kernels" in diskcache._dependencies(with_k)
    before = diskcache.compute_key(with_k)
    digest, deps = diskcache._direct_deps("jitgraph.codegen.kernels")
    monkeypatch.setitem(diskcache._dep_digests, "jitgraph.codegen.kernels", ("0" * 64, deps))
    assert diskcache.compute_key(with_k) != before


def test_source_without_cache_line_is_rejected(cache):
    with pytest.raises(ValueError, match="NUMBA_CACHE = True"):
        diskcache.load(make_source().replace("NUMBA_CACHE = True", "NUMBA_CACHE = 1"), META)


def test_compile_error_leaves_no_entry(cache):
    bad = make_source("bad").replace("s += x[i]", "s += x[i] + undefined_name")
    with pytest.raises(Exception, match="undefined_name"):
        diskcache.load(bad, META)
    assert entry_dirs(cache) == []


# ----------------------------------------------------------------------------- damage

def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _flip_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _resign_manifest(entry):
    """An attacker's edit: files changed and the sha256 manifest updated to match."""
    meta = json.loads((entry / "meta.json").read_text())
    meta["numba_files"] = {p.name: [p.stat().st_size, diskcache._file_sha(p)]
                           for p in sorted((entry / "__pycache__").iterdir())}
    (entry / "meta.json").write_text(json.dumps(meta))


def _swap_index(entry):
    a, b = sorted((entry / "__pycache__").glob("*.nbc"))[:2]
    data = a.read_bytes()
    a.write_bytes(b.read_bytes())
    b.write_bytes(data)
    _resign_manifest(entry)


def _extra_index(entry):
    index = next((entry / "__pycache__").glob("*stage0*.nbi"))
    (index.parent / index.name.replace("stage0", "stage9")).write_bytes(index.read_bytes())


def _edit_meta(entry):
    meta = json.loads((entry / "meta.json").read_text())
    meta["compile_seconds"] += 1
    (entry / "meta.json").write_text(json.dumps(meta))


DAMAGE = {
    "source": lambda e: (next(e.glob("*.py"))).write_text("# tampered\n"),
    "numba_swapped_and_resigned": _swap_index,
    "numba_extra_file": _extra_index,
    "meta_edited": _edit_meta,
    "meta": lambda e: (e / "meta.json").write_text('{"key": "trunc'),
    "missing_meta": lambda e: (e / "meta.json").unlink(),
    "numba_index": lambda e: _truncate(next((e / "__pycache__").glob("*stage0*.nbi"))),
    "numba_data": lambda e: _truncate(next((e / "__pycache__").glob("*stage1*.nbc"))),
    "numba_data_flip": lambda e: _flip_byte(next((e / "__pycache__").glob("*stage0*.nbc"))),
    "numba_missing": lambda e: next((e / "__pycache__").glob("*stage1*.nbc")).unlink(),
}


@pytest.mark.parametrize("what", sorted(DAMAGE))
def test_damaged_entry_is_rebuilt_with_a_warning(cache, what):
    source = make_source("damage-" + what, 5)
    first = diskcache.load(source, META)
    entry = cache / "entries" / first.key
    DAMAGE[what](entry)
    with pytest.warns(diskcache.CacheWarning, match="damaged"):
        again = reload(source)
    assert not again.from_disk and diskcache.counters.rebuilds == 1
    assert again.module.stage0(X) == 50.0
    assert list(again.module.stage1(X, np.float32(1))) == [1, 2, 3, 4, 5]
    third = reload(source)  # the rebuilt entry is whole
    assert third.from_disk and third.module.stage0(X) == 50.0
    assert [p.name for p in entry_dirs(cache)] == [first.key]


def test_numba_load_failure_is_a_rebuild_not_a_crash(cache, monkeypatch):
    # Damage our own check does not see (numba issue 10434: EOFError on load).
    source = make_source("eof", 7)
    first = diskcache.load(source, META)
    _truncate(next((cache / "entries" / first.key / "__pycache__").glob("*stage0*.nbi")))
    check = diskcache._check_entry
    monkeypatch.setattr(diskcache, "_check_entry", lambda *a: None)
    with pytest.warns(diskcache.CacheWarning, match="could not be loaded"):
        again = reload(source)
    assert not again.from_disk and again.module.stage0(X) == 70.0
    monkeypatch.setattr(diskcache, "_check_entry", check)
    assert reload(source).from_disk


def test_unreadable_usage_file_is_not_fatal(cache):
    source = make_source("usage")
    first = diskcache.load(source, META)
    (cache / "entries" / first.key / "usage.json").write_text("garbage")
    with warnings.catch_warnings():
        warnings.simplefilter("error", diskcache.CacheWarning)
        assert reload(source).from_disk
    assert diskcache.find(first.key).hits == 1


# ----------------------------------------------------------------------------- concurrency

def test_two_processes_loading_one_new_entry(cache, tmp_path):
    src = tmp_path / "gen.py"
    src.write_text(make_source("race", 6))
    procs = [run_process(cache, src) for _ in range(2)]
    results = [finish(p) for p in procs]
    assert [r["result"] for r in results] == [60.0, 60.0]
    # The entry lock makes one compile and the other load what it wrote.
    assert sorted(r["from_disk"] for r in results) == [False, True]
    assert sum(r["counters"]["compiles"] for r in results) == 1
    assert all(r["warnings"] == [] for r in results)
    assert len(entry_dirs(cache)) == 1 and len(diskcache.entries()) == 1


def test_lock_is_exclusive_and_survives_unlink(tmp_path):
    path = tmp_path / "x.lock"
    with locking.locked(path, unlink=True) as got:
        assert got
        with locking.locked(path, blocking=False) as again:
            assert again is False
    assert not path.exists()
    with locking.locked(path, blocking=False) as got:
        assert got


# ----------------------------------------------------------------------------- unusable dirs

def _cache_warnings(record):
    return [w for w in record if issubclass(w.category, diskcache.CacheWarning)]


def test_read_only_dir_falls_back_with_one_warning(cache, monkeypatch):
    monkeypatch.setattr(diskcache, "_probe_writable", lambda path: False)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        a = diskcache.load(make_source("ro1", 2), META)
        b = diskcache.load(make_source("ro2", 3), META)
    (w,) = _cache_warnings(record)
    assert "not writable" in str(w.message)
    assert (a.module.stage0(X), b.module.stage0(X)) == (20.0, 30.0)
    assert not a.from_disk and "NUMBA_CACHE = False" in a.path.read_text()
    assert diskcache.cache_dir() is None and diskcache.counters.fallbacks == 2
    assert entry_dirs(cache) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root ignores directory permissions")
def test_read_only_dir_for_real(cache):
    diskcache.cache_dir()
    diskcache._reset_process_state()
    os.chmod(cache / "entries", 0o500)
    try:
        with pytest.warns(diskcache.CacheWarning, match="not writable"):
            loaded = diskcache.load(make_source("chmod"), META)
        assert loaded.module.stage0(X) == 20.0
    finally:
        os.chmod(cache / "entries", 0o700)


def test_full_disk_falls_back_with_one_warning(cache, monkeypatch):
    assert diskcache.cache_dir() == cache

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(diskcache, "_atomic_write", full)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        a = diskcache.load(make_source("full1", 2), META)
        b = diskcache.load(make_source("full2", 3), META)
    (w,) = _cache_warnings(record)
    assert "No space left" in str(w.message)
    assert (a.module.stage0(X), b.module.stage0(X)) == (20.0, 30.0)
    assert entry_dirs(cache) == []


def test_numba_failing_to_write_falls_back(cache, monkeypatch):
    from numba.core import caching

    def full(self, name, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(caching.IndexDataCacheFile, "_save_data", full)
    with pytest.warns(diskcache.CacheWarning, match="No space left"):
        loaded = diskcache.load(make_source("nbfull", 4), META)
    assert loaded.module.stage0(X) == 40.0 and entry_dirs(cache) == []


def test_entry_vanishing_mid_build_falls_back_to_memory(cache, monkeypatch):
    """Another process clearing the cache while we build: Numba then has no place for
    its files ("no locator available"); we warn and compile in memory."""
    real = diskcache._exec_module

    def vanish(name, path, text):
        if path is not None and cache in path.parents:  # the entry, not the memory fallback
            diskcache._rmtree(path.parent)
        return real(name, path, text)

    monkeypatch.setattr(diskcache, "_exec_module", vanish)
    with pytest.warns(diskcache.CacheWarning, match="vanished"):
        loaded = diskcache.load(make_source("vanish", 4), META)
    assert loaded.module.stage0(X) == 40.0


def test_dir_writable_by_others_is_refused(cache):
    cache.mkdir()
    os.chmod(cache, 0o777)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert diskcache.cache_dir() is None
        loaded = diskcache.load(make_source("ww"), META)
    (w,) = _cache_warnings(record)
    assert "writable by other users" in str(w.message)
    assert loaded.module.stage0(X) == 20.0 and not loaded.from_disk
    assert not (cache / "entries").exists()
    assert diskcache.entries() == []


def test_cache_off(cache, monkeypatch):
    monkeypatch.setenv("JITGRAPH_CACHE", "0")
    with warnings.catch_warnings():
        warnings.simplefilter("error", diskcache.CacheWarning)
        loaded = diskcache.load(make_source("off"), META)
    assert diskcache.cache_dir() is None and not cache.exists()
    assert loaded.module.stage0(X) == 20.0 and not loaded.from_disk
    assert "NUMBA_CACHE = False" in loaded.path.read_text()
    assert diskcache.entries() == [] and diskcache.clear() == 0 and diskcache.prune(0) == []


# ----------------------------------------------------------------------------- management

def fake_entry(root, key, last_used, size=1000, meta=None):
    """An entry's files without compiling (for lookup and pruning)."""
    e = root / "entries" / key
    e.mkdir(parents=True)
    name = "jitgraph_gen_" + key[:32]
    (e / (name + ".py")).write_text("x" * size)
    (e / "meta.json").write_text(json.dumps({
        "key": key, "module": name, "created": last_used - 1, "compile_seconds": 2.0,
        "numba_files": {}, "meta": meta or {"op_count": 0}}))
    (e / "usage.json").write_text(json.dumps({"hits": 3, "last_used": last_used}))
    return key


def test_find_by_unique_prefix(cache):
    diskcache.cache_dir()
    a = fake_entry(cache, "ab12" + "0" * 60, 10)
    b = fake_entry(cache, "ab34" + "0" * 60, 20)
    assert diskcache.find("ab1").key == a and diskcache.find("AB34").key == b
    assert diskcache.find(a).key == a
    with pytest.raises(KeyError, match="ambiguous.*ab120000.*ab340000"):
        diskcache.find("ab")
    with pytest.raises(KeyError, match="no cache entry matches 'ff'"):
        diskcache.find("ff")
    with pytest.raises(KeyError, match="empty"):
        diskcache.find("")
    assert [e.key for e in diskcache.entries()] == [b, a]  # most recently used first


def test_prune_removes_least_recently_used(cache):
    diskcache.cache_dir()
    keys = [fake_entry(cache, f"{i:x}" * 64, last_used=100 + t)
            for i, t in [(1, 30), (2, 10), (3, 20), (4, 40)]]
    (cache / "entries" / ("5" * 64)).mkdir()  # unfinished build: goes first
    sizes = {e.key: e.size for e in diskcache.entries()}
    total = diskcache.stats()["size_bytes"]
    removed = diskcache.prune(total - sizes[keys[1]] - 1)
    assert removed == ["5" * 64, keys[1], keys[2]]
    assert sorted(e.key for e in diskcache.entries()) == [keys[0], keys[3]]
    assert diskcache.stats()["size_bytes"] <= total - sizes[keys[1]] - 1
    assert diskcache.prune(10**9) == []
    # An entry another process holds is skipped.
    with locking.locked(cache / "locks" / (keys[0] + ".lock")):
        assert diskcache.prune(0) == [keys[3]]
    assert diskcache.clear() == 1 and diskcache.entries() == []


def test_stats(cache):
    diskcache.cache_dir()
    fake_entry(cache, "a" * 64, 10)
    fake_entry(cache, "b" * 64, 20)
    s = diskcache.stats()
    assert (s["entries"], s["hits"], s["misses"], s["compile_seconds"], s["seconds_saved"]) == (
        2, 6, 2, 4.0, 12.0)
    assert s["dir"] == str(cache) and s["size_bytes"] >= 2000


def test_clear_then_compile_again(cache):
    source = make_source("clear")
    diskcache.load(source, META)
    assert diskcache.clear() == 1 and entry_dirs(cache) == []
    again = reload(source)
    assert not again.from_disk and len(diskcache.entries()) == 1


def test_compile_uncached_gives_machine_code(cache):
    module = diskcache.compile_uncached(make_source("asm"))
    assert "define" in module.stage0.inspect_llvm(module.stage0.signatures[0])
    assert entry_dirs(cache) == [] if (cache / "entries").exists() else True
    assert dataclasses.asdict(diskcache.counters)["compiles"] == 0


def test_unwritable_locks_dir_falls_back(cache, monkeypatch):
    assert diskcache.cache_dir() == cache

    def denied(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(locking, "_acquire", denied)
    with pytest.warns(diskcache.CacheWarning, match="Permission denied"):
        loaded = diskcache.load(make_source("nolock", 8), META)
    assert loaded.module.stage0(X) == 80.0 and not loaded.from_disk


# ----------------------------------------------------------------------------- authentication

def test_key_file_is_private_and_outside_the_cache(cache, tmp_path):
    loaded = diskcache.load(make_source("key"), META)
    key_file = tmp_path / "config" / "cache.key"
    assert diskcache.key_file() == key_file
    assert stat_mode(key_file) == 0o600 and stat_mode(key_file.parent) == 0o700
    assert len(key_file.read_bytes()) == 32
    assert not any(cache.rglob("*.key"))
    info = json.loads((cache / "entries" / loaded.key / "meta.json").read_text())
    assert info["hmac"] == diskcache._sign(key_file.read_bytes(), info)


def test_entry_signed_with_another_key_is_rebuilt(cache, tmp_path):
    source = make_source("otherkey", 3)
    first = diskcache.load(source, META)
    (tmp_path / "config" / "cache.key").write_bytes(os.urandom(32))  # another user's key
    with pytest.warns(diskcache.CacheWarning, match="damaged.*signature does not verify"):
        again = reload(source)
    assert not again.from_disk and again.module.stage0(X) == 30.0
    assert reload(source).from_disk and [p.name for p in entry_dirs(cache)] == [first.key]


@pytest.mark.parametrize("how", ["readable_by_others", "inside_cache_dir", "a_symlink"])
def test_unsafe_key_file_refuses_the_disk_cache(cache, tmp_path, monkeypatch, how):
    key_file = tmp_path / "config" / "cache.key"
    if how == "readable_by_others":
        diskcache.cache_dir()
        os.chmod(key_file, 0o644)
        expected = "readable or writable by other users"
    elif how == "inside_cache_dir":
        monkeypatch.setenv("JITGRAPH_CACHE_KEY_FILE", str(cache / "cache.key"))
        expected = "is inside it"
    else:
        real = tmp_path / "elsewhere.key"
        real.write_bytes(os.urandom(32))
        os.chmod(real, 0o600)
        key_file.parent.mkdir(mode=0o700)
        key_file.symlink_to(real)
        expected = "not usable"
    diskcache._reset_process_state()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        loaded = diskcache.load(make_source("unsafekey"), META)
    (w,) = _cache_warnings(record)
    assert expected in str(w.message) and "compiling in memory" in str(w.message)
    assert loaded.module.stage0(X) == 20.0 and not loaded.from_disk
    assert diskcache.counters.fallbacks == 1


def test_symlinked_entry_is_not_loaded(cache, tmp_path):
    source = make_source("symlink", 2)
    first = diskcache.load(source, META)
    entry = cache / "entries" / first.key
    moved = tmp_path / "moved"
    entry.rename(moved)
    entry.symlink_to(moved)  # files could be swapped there after they were checked
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        again = reload(source)
    messages = " ".join(str(w.message) for w in _cache_warnings(record))
    assert "damaged" in messages and "not a directory" in messages
    assert again.module.stage0(X) == 20.0 and not again.from_disk


# ----------------------------------------------------------------------------- release

class Holder:
    pass


def test_module_stays_while_a_holder_holds_it(cache):
    source = make_source("hold", 2)
    a, b = Holder(), Holder()
    first = diskcache.load(source, META, holder=a)
    assert diskcache.load(source, META, holder=b).module is first.module
    name = first.module.__name__
    diskcache.release_plans([a, a])  # twice: still one release
    assert first.key in diskcache._memory and name in sys.modules
    del b  # collected holders let go at the next load or release
    diskcache.release_plans([])
    assert first.key not in diskcache._memory and name not in sys.modules
    with pytest.raises(TypeError):  # released code refuses to run instead of crashing
        first.module.stage0(X)
    again = diskcache.load(source, META, holder=a)
    assert again.from_disk and again.module.stage0(X) == 20.0
