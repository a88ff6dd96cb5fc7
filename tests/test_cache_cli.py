"""`jitgraph cache ...`: every command's output, on one real entry and a few fake ones."""
from __future__ import annotations

import json
import os
import stat

import pytest

from jitgraph.cli import cache as cli
from jitgraph.cli.main import main as jitgraph_main
from jitgraph.codegen import diskcache

SOURCE = '''\
# Generated-style CLI test module
import numpy as np
import numba

NUMBA_CACHE = True


@numba.njit((numba.float32[::1],), cache=NUMBA_CACHE)
def stage0(x):
    s = np.float32(0)
    for i in range(x.shape[0]):
        s += x[i] * np.float32(2)
    return s
'''

META = {
    "signature": "Signature(fetches=('loss:0',), feeds=(('x:0', 'float32', 1),))",
    "fetches": ["loss:0"],
    "feeds": [["x:0", "float32", 1]],
    "op_count": 3,
    "ops": [
        {"name": "x", "type": "Placeholder", "inputs": [], "shape": "(?,)",
         "dtype": "float32", "group": None},
        {"name": "mul", "type": "Mul", "inputs": ["x:0", "two:0"], "shape": "(?,)",
         "dtype": "float32", "group": 0},
        {"name": "loss", "type": "Sum", "inputs": ["mul:0", "^init"], "shape": "()",
         "dtype": "float32", "group": 0},
    ],
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """One compiled entry shared by the tests that only read it."""
    root = tmp_path_factory.mktemp("clicache") / "cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JITGRAPH_CACHE_DIR", str(root))
        mp.setenv("JITGRAPH_CACHE_KEY_FILE", str(root.parent / "cache.key"))
        mp.delenv("JITGRAPH_CACHE", raising=False)
        diskcache._reset_process_state()
        loaded = diskcache.load(SOURCE, META)
    diskcache._reset_process_state()
    return root, loaded.key


@pytest.fixture
def env(compiled, monkeypatch):
    root, key = compiled
    monkeypatch.setenv("JITGRAPH_CACHE_DIR", str(root))
    monkeypatch.setenv("JITGRAPH_CACHE_KEY_FILE", str(root.parent / "cache.key"))
    monkeypatch.delenv("JITGRAPH_CACHE", raising=False)
    diskcache._reset_process_state()
    return root, key


@pytest.fixture
def empty(monkeypatch, tmp_path):
    root = tmp_path / "cache"
    monkeypatch.setenv("JITGRAPH_CACHE_DIR", str(root))
    monkeypatch.setenv("JITGRAPH_CACHE_KEY_FILE", str(tmp_path / "cache.key"))
    monkeypatch.delenv("JITGRAPH_CACHE", raising=False)
    diskcache._reset_process_state()
    yield root
    diskcache._reset_process_state()


def run(capsys, *argv):
    rc = jitgraph_main(["cache", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def fake_entry(root, key, last_used, size=1000):
    e = root / "entries" / key
    e.mkdir(parents=True)
    name = "jitgraph_gen_" + key[:32]
    (e / (name + ".py")).write_text("x" * size)
    (e / "meta.json").write_text(json.dumps({
        "key": key, "module": name, "created": last_used, "compile_seconds": 1.5,
        "numba_files": {}, "meta": {"op_count": 1, "fetches": ["a:0"], "feeds": []}}))
    (e / "usage.json").write_text(json.dumps({"hits": 2, "last_used": last_used}))


def test_list(env, capsys):
    root, key = env
    rc, out, _ = run(capsys, "list")
    lines = out.splitlines()
    assert rc == 0
    assert lines[0].split() == ["KEY", "CREATED", "LAST", "USED", "HITS", "COMPILE", "OPS",
                                "SIZE", "FETCHES", "FEEDS"]
    row = lines[2]
    assert row.startswith(key[:12]) and " s " in row
    assert "loss:0" in row and "x:0:float32/1d" in row
    assert "1 entry," in out and str(root) in out


def test_list_json(env, capsys):
    root, key = env
    rc, out, _ = run(capsys, "list", "--json")
    (item,) = json.loads(out)
    assert rc == 0 and item["key"] == key
    assert item["fetches"] == ["loss:0"] and item["feeds"] == [["x:0", "float32", 1]]
    assert item["op_count"] == 3 and item["signature"] == META["signature"]
    assert item["size"] > 0 and item["compile_seconds"] > 0 and item["hits"] == 0
    assert {"created", "last_used", "path", "source_path"} <= set(item)


def test_show_source(env, capsys):
    _, key = env
    rc, out, _ = run(capsys, "show", key[:6])
    assert rc == 0 and out == SOURCE  # plain when not a terminal


def test_show_highlighted_when_asked(env, capsys):
    pytest.importorskip("pygments")
    _, key = env
    rc, out, _ = run(capsys, "show", key[:6], "--color", "always")
    assert rc == 0 and "\x1b[" in out and "stage0" in out


def test_show_ops(env, capsys):
    _, key = env
    rc, out, _ = run(capsys, "show", key[:6], "--ops")
    lines = out.splitlines()
    assert rc == 0 and lines[0] == f"# {key}  {META['signature']}"
    assert lines[1].split() == ["#", "OP", "TYPE", "SHAPE", "DTYPE", "GROUP", "INPUTS"]
    assert lines[3].split() == ["0", "x", "Placeholder", "(?,)", "float32", "-", "-"]
    assert lines[4].split() == ["1", "mul", "Mul", "(?,)", "float32", "0", "x:0,", "two:0"]


def test_show_llvm_and_asm(env, capsys):
    root, key = env
    rc, out, _ = run(capsys, "show", key[:6], "--llvm")
    assert rc == 0 and out.startswith("; ===== stage0(array(float32, 1d, C)) =====")
    assert "define " in out
    rc, out, _ = run(capsys, "show", key[:6], "--asm")
    assert rc == 0 and out.startswith("# ===== stage0(array(float32, 1d, C)) =====")
    assert "ret" in out
    # Inspection does not count as a use and leaves the entry as it was.
    assert diskcache.find(key).hits == 0
    assert diskcache._check_entry(root / "entries" / key, key, SOURCE) is None


def test_show_json(env, capsys):
    _, key = env
    rc, out, _ = run(capsys, "show", key[:6], "--json")
    d = json.loads(out)
    assert rc == 0 and d["source"] == SOURCE and d["meta"] == META


def test_show_machine_code_of_an_unsigned_entry_is_refused(empty, capsys):
    diskcache.cache_dir()
    fake_entry(empty, "cd" + "0" * 62, 10)
    for flag in ("--llvm", "--asm"):
        rc, out, err = run(capsys, "show", "cd", flag)
        assert rc == 1 and out == ""
        assert ("refusing to compile entry cd0000000000: "
                "its meta.json is unreadable or unsigned") in err
    rc, out, err = run(capsys, "show", "cd", "--color", "never")
    assert rc == 0 and out == "x" * 1000 and "not authenticated" in err


def test_unknown_and_ambiguous_keys(empty, capsys):
    diskcache.cache_dir()
    fake_entry(empty, "ab1" + "0" * 61, 10)
    fake_entry(empty, "ab2" + "0" * 61, 20)
    rc, out, err = run(capsys, "show", "zz")
    assert rc == 1 and out == "" and "no cache entry matches 'zz'" in err
    rc, _, err = run(capsys, "graph", "ab")
    assert rc == 1 and "ambiguous" in err and "ab1000000000" in err


def test_graph_dot(env, capsys):
    _, key = env
    rc, out, _ = run(capsys, "graph", key[:6])
    assert rc == 0 and out.startswith(f'digraph "jitgraph {key[:12]}" {{')
    assert out.rstrip().endswith("}")
    assert '"x" [label="x\\nPlaceholder\\n(?,) float32"];' in out
    cluster = out[out.index("subgraph cluster_0 {"):]
    cluster = cluster[:cluster.index("  }")]
    assert '"mul" [label=' in cluster and '"loss" [label=' in cluster and '"x"' not in cluster
    assert '"x" -> "mul";' in out and '"mul" -> "loss";' in out
    assert '"two" [shape=ellipse, style=dashed];' in out  # produced outside the entry
    assert '"init" -> "loss" [style=dotted];' in out      # control input
    assert '"loss" [penwidth=2];' in out                   # a fetch


def test_graph_render_without_dot(env, capsys, monkeypatch, tmp_path):
    _, key = env
    monkeypatch.setattr(cli.shutil, "which", lambda name: None)
    rc, out, err = run(capsys, "graph", key[:6], "-o", str(tmp_path / "g.svg"))
    assert rc == 1 and "install graphviz" in err and len(err.strip().splitlines()) == 1
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    rc, _, _ = run(capsys, "graph", key[:6], "-o", str(tmp_path / "h.dot"))
    assert rc == 0 and (tmp_path / "h.dot").read_text().startswith("digraph")


def test_graph_render_with_dot(env, capsys, monkeypatch, tmp_path):
    _, key = env
    fake = tmp_path / "dot"
    fake.write_text('#!/bin/sh\n# fake graphviz: $1=-Tfmt $2=-o $3=file\n'
                    'echo "$1" > "$3"; cat >> "$3"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(cli.shutil, "which", lambda name: str(fake))
    rc, _, err = run(capsys, "graph", key[:6], "-o", str(tmp_path / "g.png"))
    text = (tmp_path / "g.png").read_text()
    assert rc == 0 and err == "" and text.startswith("-Tpng\ndigraph")


def test_stats(empty, capsys):
    diskcache.cache_dir()
    fake_entry(empty, "a" * 64, 10)
    fake_entry(empty, "b" * 64, 20)
    rc, out, _ = run(capsys, "stats")
    assert rc == 0
    assert "entries       2" in out and "hits          4" in out
    assert "misses        2 (entries created)" in out and "time saved    6.00 s" in out
    rc, out, _ = run(capsys, "stats", "--json")
    s = json.loads(out)
    assert (s["entries"], s["hits"], s["misses"], s["seconds_saved"]) == (2, 4, 2, 6.0)
    assert s["compile_seconds"] == 3.0 and s["size_bytes"] >= 2000 and s["dir"] == str(empty)


def test_path(empty, capsys, monkeypatch):
    rc, out, err = run(capsys, "path")
    assert rc == 0 and out == f"{empty}\n" and err == ""
    monkeypatch.setenv("JITGRAPH_CACHE", "0")
    rc, out, err = run(capsys, "path")
    assert out == f"{empty}\n" and "off" in err
    monkeypatch.delenv("JITGRAPH_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")
    rc, out, _ = run(capsys, "path")
    assert out == "/xdg/jitgraph\n"


def test_prune(empty, capsys):
    diskcache.cache_dir()
    for i, t in [(1, 30), (2, 10), (3, 20)]:
        fake_entry(empty, f"{i}" * 64, t, size=100_000)
    rc, out, _ = run(capsys, "prune", "--max-size", "250KB")
    assert rc == 0 and out.splitlines()[0].startswith("removed 1 entry, freed ")
    assert len(out.splitlines()) == 1  # keys only with -v
    rc, out, _ = run(capsys, "prune", "--max-size", "0.1MB", "--json")
    d = json.loads(out)
    assert d["removed"] == ["3" * 64, "1" * 64] and d["max_bytes"] == 100_000
    assert diskcache.entries() == []


def test_prune_rejects_bad_sizes(empty, capsys):
    with pytest.raises(SystemExit):
        jitgraph_main(["cache", "prune", "--max-size", "lots"])
    assert "not a size" in capsys.readouterr().err


@pytest.mark.parametrize("text,n", [("1234", 1234), ("500MB", 500_000_000), ("500 mb", 500_000_000),
                                    ("2K", 2000), ("1.5GB", 1_500_000_000), ("2KiB", 2048),
                                    ("1GiB", 1024 ** 3), ("3M", 3_000_000)])
def test_parse_size(text, n):
    assert cli.parse_size(text) == n


def test_clear(empty, capsys):
    diskcache.cache_dir()
    fake_entry(empty, "a" * 64, 10)
    fake_entry(empty, "b" * 64, 20)
    rc, out, _ = run(capsys, "clear", "--yes")
    assert rc == 0 and out.startswith("removed 2 entries (") and str(empty) in out
    assert diskcache.entries() == [] and list((empty / "entries").iterdir()) == []
    rc, out, _ = run(capsys, "clear", "--json")
    assert json.loads(out)["removed"] == 0


def test_commands_on_a_missing_or_off_cache(empty, capsys, monkeypatch):
    rc, out, _ = run(capsys, "list")
    assert rc == 0 and "no cache at" in out and not empty.exists()  # reading creates nothing
    assert json.loads(run(capsys, "list", "--json")[1]) == []
    monkeypatch.setenv("JITGRAPH_CACHE", "0")
    rc, out, _ = run(capsys, "stats")
    assert rc == 0 and "off" in out
    assert not os.path.exists(empty)
