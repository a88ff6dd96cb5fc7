"""The command-line tools as a user meets them (issue 20): what long actions say as they
start, summaries instead of floods, confirmations, exit codes for what cannot be done,
and a warning when the machine is busy.

Bench runs here use numpy under engine names and tiny workload files, so they need
neither TensorFlow nor JAX and assert nothing about timings.
"""
from __future__ import annotations

import io
import json
import sys
import textwrap

import pytest

from jitgraph.bench import busy, engines
from jitgraph.cli import bench as bench_cli
from jitgraph.cli import cache as cache_cli
from jitgraph.cli.announce import Announce
from jitgraph.cli.main import main as jitgraph_main
from jitgraph.codegen import diskcache

SOURCE = '''\
import numpy as np
import numba

NUMBA_CACHE = True


@numba.njit((numba.float64[::1],), cache=NUMBA_CACHE)
def stage0(x):
    return x.sum() * 2.0
'''

TINY = '''
DESCRIPTION = "tanh of a few ones"
def setup(tf, quick):
    x = tf.ones(10)
    return lambda: tf.tanh(x).sum()
'''

LONG = '''
DESCRIPTION = "a long one"
LONG = True
def setup(tf, quick):
    return lambda: 0
'''

FAKE = {
    "jit": engines.Engine("jit", "fake jit", "import numpy as tf"),
    "absent": engines.Engine("absent", "not installed", "", requires="no_such_mod_x",
                             install="pip install no-such-mod-x"),
}


@pytest.fixture
def cache(monkeypatch, tmp_path):
    root = tmp_path / "cache"
    monkeypatch.setenv("JITGRAPH_CACHE_DIR", str(root))
    monkeypatch.setenv("JITGRAPH_CACHE_KEY_FILE", str(tmp_path / "cache.key"))
    monkeypatch.delenv("JITGRAPH_CACHE", raising=False)
    diskcache._reset_process_state()
    yield root
    diskcache._reset_process_state()


@pytest.fixture
def bench_env(monkeypatch, tmp_path):
    monkeypatch.setattr(engines, "ENGINES", dict(FAKE))
    monkeypatch.setenv("JITGRAPH_BENCH_STATE", str(tmp_path / "calibration.json"))
    folder = tmp_path / "wl"
    folder.mkdir()
    for name, text in {"tiny": TINY, "long_one": LONG}.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(text))
    return folder


def cache_run(capsys, *argv):
    rc = jitgraph_main(["cache", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def fake_entry(root, key, last_used, size):
    e = root / "entries" / key
    e.mkdir(parents=True)
    name = "jitgraph_gen_" + key[:32]
    (e / (name + ".py")).write_text("x" * size)
    (e / "meta.json").write_text(json.dumps({
        "key": key, "module": name, "created": last_used, "compile_seconds": 1.0,
        "numba_files": {}, "meta": {"op_count": 1, "fetches": ["a:0"], "feeds": []}}))
    (e / "usage.json").write_text(json.dumps({"hits": 0, "last_used": last_used}))


class _Tty(io.StringIO):
    def isatty(self):
        return True


# --------------------------------------------------------------------------- cache

def test_prune_prints_a_summary_and_lists_keys_only_with_verbose(cache, capsys):
    diskcache.cache_dir()
    for i in range(5):
        fake_entry(cache, f"{i}" * 64, 10 + i, size=100_000)
    rc, out, _ = cache_run(capsys, "prune", "--max-size", "250KB")
    lines = out.splitlines()
    assert rc == 0 and len(lines) == 1
    assert lines[0].startswith("removed 3 entries, freed 300.") and "2 entries" in lines[0]
    rc, out, _ = cache_run(capsys, "prune", "--max-size", "0", "-v")
    assert out.splitlines()[1:] == ["  " + "3" * 12, "  " + "4" * 12]
    assert json.loads(cache_run(capsys, "prune", "--max-size", "0", "--json")[1])[
        "freed_bytes"] == 0


def test_clear_needs_yes_off_a_terminal(cache, capsys, monkeypatch):
    diskcache.cache_dir()
    fake_entry(cache, "a" * 64, 10, size=1000)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    rc, out, err = cache_run(capsys, "clear")
    assert rc == 2 and "--yes" in err and len(err.strip().splitlines()) == 1
    assert len(diskcache.entries()) == 1
    rc, out, _ = cache_run(capsys, "clear", "--yes")
    assert rc == 0 and out.startswith("removed 1 entry") and diskcache.entries() == []


@pytest.mark.parametrize("answer,rc,left", [("n\n", 1, 1), ("\n", 1, 1), ("yes\n", 0, 0)])
def test_clear_asks_on_a_terminal(cache, capsys, monkeypatch, answer, rc, left):
    diskcache.cache_dir()
    fake_entry(cache, "a" * 64, 10, size=1000)
    monkeypatch.setattr(sys, "stdin", _Tty(answer))
    got, out, _ = cache_run(capsys, "clear")
    assert got == rc and "remove 1 entry" in out and len(diskcache.entries()) == left


def test_graph_image_without_graphviz_fails_in_one_line_and_keeps_the_dot(
        cache, capsys, monkeypatch, tmp_path):
    diskcache.cache_dir()
    fake_entry(cache, "c" * 64, 10, size=10)
    monkeypatch.setattr(cache_cli.shutil, "which", lambda name: None)
    rc, _, err = cache_run(capsys, "graph", "ccc", "-o", str(tmp_path / "g.png"))
    assert rc == 1 and len(err.strip().splitlines()) == 1
    assert "install graphviz" in err and str(tmp_path / "g.dot") in err
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


def test_show_llvm_and_asm_reuse_what_numba_stored(cache, capsys, monkeypatch):
    loaded = diskcache.load(SOURCE, {"fetches": [], "feeds": [], "ops": []})
    diskcache._reset_process_state()
    key = loaded.key
    rc, out, err = cache_run(capsys, "show", key[:8], "--llvm")
    assert rc == 0 and out.startswith("; ===== stage0(array(float64, 1d, C)) =====")
    assert "define " in out and "compiling" not in err  # no Numba compile
    assert err.splitlines()[0].startswith(f"loading entry {key[:12]} from the cache")
    rc, out, err = cache_run(capsys, "show", key[:8], "--asm")
    assert rc == 0 and "ret" in out and "compiling" not in err
    assert diskcache.find(key).hits == 0  # showing is not a use
    # Nothing usable stored: compiled afresh, and said so before the wait.
    monkeypatch.setattr(cache_cli, "_from_libraries", lambda module, what: None)
    rc, out, err = cache_run(capsys, "show", key[:8], "--llvm")
    assert rc == 0 and "define " in out
    compile_line = [x for x in err.splitlines() if x.startswith("compiling")][0]
    assert compile_line.startswith(f"compiling 1 function of entry {key[:12]} afresh for LLVM IR")
    assert "done in" in err.splitlines()[-1]


def test_announce_ticks_on_a_terminal_and_says_one_line_elsewhere(monkeypatch):
    import time
    tty = _Tty()
    monkeypatch.setattr(Announce, "TICK_S", 0.01)
    with Announce("working", stream=tty):
        time.sleep(0.1)
    assert tty.getvalue().count("\r\x1b[2K") >= 3 and " s\r" in tty.getvalue()
    plain = io.StringIO()
    with pytest.raises(RuntimeError), Announce("working", stream=plain):
        raise RuntimeError
    lines = plain.getvalue().splitlines()
    assert lines[0] == "working…" and lines[1].startswith("working: failed in ")


# --------------------------------------------------------------------------- bench

def test_plot_without_matplotlib_exits_nonzero_and_still_writes(bench_env, tmp_path, capsys,
                                                                monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    out_json = tmp_path / "r.json"
    rc = bench_cli.main(["tiny", "--quick", "--no-progress", "--engines", "jit",
                         "--workloads-dir", str(bench_env), "--json", str(out_json),
                         "--plot", str(tmp_path / "p.png")])
    out, err = capsys.readouterr()
    assert rc == 3 and "tiny (per call)" in out
    assert json.loads(out_json.read_text())["results"][0]["status"] == "ok"
    [line] = [x for x in err.splitlines() if x.startswith("jitgraph bench: no plot")]
    assert "pip install 'jitgraph[bench]'" in line and not (tmp_path / "p.png").exists()


def test_named_engine_not_installed_exits_nonzero_with_what_to_install(bench_env, tmp_path,
                                                                      capsys):
    out_json = tmp_path / "r.json"
    rc = bench_cli.main(["tiny", "--quick", "--no-progress", "--engines", "jit,absent",
                         "--workloads-dir", str(bench_env), "--json", str(out_json)])
    _, err = capsys.readouterr()
    assert rc == 3
    [line] = [x for x in err.splitlines() if x.startswith("jitgraph bench: engine absent")]
    assert "pip install no-such-mod-x" in line
    cells = json.loads(out_json.read_text())["results"]
    assert [(c["engine"], c["status"]) for c in cells] == [("jit", "ok")]


def test_unknown_workload_exits_nonzero(bench_env, capsys):
    assert bench_cli.main(["nope", "--workloads-dir", str(bench_env)]) == 2
    assert "unknown workload(s): nope" in capsys.readouterr().err


def test_quick_leaves_out_long_workloads_unless_named(bench_env, tmp_path, capsys):
    out_json = tmp_path / "r.json"
    args = ["--quick", "--no-progress", "--engines", "jit", "--workloads-dir", str(bench_env),
            "--json", str(out_json)]
    assert bench_cli.main(args) == 0
    assert "leaves out long_one" in capsys.readouterr().err
    assert {c["workload"] for c in json.loads(out_json.read_text())["results"]} == {"tiny"}
    assert bench_cli.main(["long_one", *args]) == 0
    assert {c["workload"] for c in json.loads(out_json.read_text())["results"]} == {"long_one"}


def test_quick_takes_one_sample_of_a_whole_process(bench_env, tmp_path, capsys):
    (bench_env / "proc.py").write_text(textwrap.dedent('''
        import sys
        KIND = "process"
        def command(engine):
            return [sys.executable, "-c", "pass"]
        '''))
    out_json = tmp_path / "r.json"
    args = ["proc", "tiny", "--no-progress", "--engines", "jit", "--workloads-dir",
            str(bench_env), "--json", str(out_json), "--quick"]
    assert bench_cli.main(args) == 0
    samples = {c["workload"]: len(c["samples"]) for c in
               json.loads(out_json.read_text())["results"]}
    assert samples == {"proc": 1, "tiny": 3}
    assert bench_cli.main([*args, "--repeat", "2"]) == 0
    assert {len(c["samples"]) for c in json.loads(out_json.read_text())["results"]} == {2}


def test_busy_check_load_and_calibration(tmp_path):
    state = tmp_path / "cal.json"
    idle = busy.check(0.2, 2, "m1", calibration_s=0.010, state=state)
    assert idle["busy"] is False and idle["calibration_best_s"] is None
    loaded = busy.check(3.0, 2, "m1", calibration_s=0.010, state=state)
    assert loaded["busy"] and "load average 3.0 on 2 cores" in loaded["reasons"][0]
    slow = busy.check(None, None, "m1", calibration_s=0.020, state=state)
    assert slow["busy"] and "2.0x slower" in slow["reasons"][0]
    assert busy.check(None, None, "m2", calibration_s=0.020, state=state)["busy"] is False
    assert json.loads(state.read_text()) == {"m1": 0.010, "m2": 0.020}


def test_busy_machine_is_warned_and_recorded(bench_env, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(busy, "LOAD_PER_CORE", -1.0)  # any load counts as busy
    monkeypatch.setattr("jitgraph.bench.machine.load_average", lambda: 0.0)
    out_json = tmp_path / "r.json"
    rc = bench_cli.main(["tiny", "--quick", "--no-progress", "--engines", "jit",
                         "--workloads-dir", str(bench_env), "--json", str(out_json)])
    out, err = capsys.readouterr()
    assert rc == 0  # a warning, not a failure
    record = json.loads(out_json.read_text())["busy"]
    assert record["busy"] is True and "load average 0.0" in record["reasons"][0]
    assert "calibration_s" in record and "after" in record
    assert "WARNING:  busy machine" in out and "warning: busy machine" in err
