"""`jitgraph bench`: parsing, statistics, output formats, and a real run on fake engines.

The engines here are numpy under other names, and the workloads are tiny files
written per test, so these tests need neither jitgraph's core, TensorFlow nor
JAX, and assert nothing about timings.
"""
from __future__ import annotations

import json
import textwrap

import pytest

from jitgraph.bench import engines, runner, workloads
from jitgraph.bench.jsonfile import SCHEMA, to_dict, write_json
from jitgraph.bench.progress import SilentProgress
from jitgraph.bench.results import BenchResult, Cell, EngineStatus, Settings, finish_cells
from jitgraph.bench.stats import format_ratio, format_seconds, ratio, summarize
from jitgraph.bench.table import render_table
from jitgraph.cli import bench as cli

TINY = '''
NAME = "tiny"
DESCRIPTION = "tanh of 1000 ones"
UNIT = "call"

def setup(tf, quick):
    x = tf.ones(10 if quick else 1000)
    return lambda: tf.tanh(x).sum()

def metrics(output, quick):
    return {"value": float(output)}
'''

BROKEN = '''
DESCRIPTION = "raises in setup"

def setup(tf, quick):
    raise ValueError("this workload is broken")
'''

CRASH = '''
import os
DESCRIPTION = "the process dies in the middle of a step"

def setup(tf, quick):
    calls = []
    def step():
        calls.append(1)
        if len(calls) > 1:
            os._exit(3)
    return step
'''

# A process workload that logs which cache directory each run was given.
PROC = '''
import sys
DESCRIPTION = "a whole process"
KIND = "process"
CACHE = "{cache}"
LOG = {log!r}

def command(engine):
    code = ("import os\\n"
            f"with open({{LOG!r}}, 'a') as f: f.write({{engine.name!r}} + ' '"
            " + os.environ['JITGRAPH_CACHE_DIR'] + '\\\\n')")
    return [sys.executable, "-c", engine.loader + "\\n" + code]
'''

FAKE_ENGINES = {
    # numpy has tf.ones and tf.tanh, enough for TINY.
    "jit": engines.Engine("jit", "fake jit", "import numpy as tf"),
    "other": engines.Engine("other", "fake other", "import numpy as tf", {"FAKE_FLAG": "1"}),
    "broken_engine": engines.Engine("broken_engine", "fails at import",
                                    "import no_such_mod_x as tf"),
    "absent": engines.Engine("absent", "not installed", "", requires="no_such_mod_x"),
    "jaxlike": engines.Engine("jaxlike", "jax api", "import numpy as jnp\njax = None", api="jax"),
}


def write_workloads(folder, **sources):
    folder.mkdir(exist_ok=True)
    for name, source in sources.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(source))
    return folder


@pytest.fixture
def fake_engines(monkeypatch):
    monkeypatch.setattr(engines, "ENGINES", dict(FAKE_ENGINES))
    return FAKE_ENGINES


# --------------------------------------------------------------------------- parsing


def test_parser_defaults_and_options():
    args = cli.build_parser().parse_args([])
    assert args.workloads == [] and args.engines is None and not args.quick
    args = cli.build_parser().parse_args(
        ["linreg_step", "mlp_adam_step", "--engines", "jit, tensorflow", "--repeat", "5",
         "--warmup", "0", "--json", "out.json", "--plot", "out.png", "--quick"])
    assert args.workloads == ["linreg_step", "mlp_adam_step"]
    assert args.engines == ["jit", "tensorflow"]
    assert (args.repeat, args.warmup, args.json, args.plot, args.quick) == (
        5, 0, "out.json", "out.png", True)


@pytest.mark.parametrize("bad", [["--repeat", "0"], ["--warmup", "-1"], ["--repeat", "x"]])
def test_parser_rejects_bad_counts(bad):
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(bad)


def test_settings_quick_defaults_and_explicit_values_win():
    assert Settings.resolve() == Settings()
    quick = Settings.resolve(quick=True)
    assert quick.quick and quick.repeat < Settings().repeat and quick.warmup == 0
    assert Settings.resolve(quick=True, repeat=9, warmup=2).repeat == 9
    assert Settings.resolve(quick=True, repeat=9, warmup=2).warmup == 2


# --------------------------------------------------------------------------- statistics


def test_summary_median_min_max():
    s = summarize([3.0, 1.0, 2.0, 10.0])
    assert (s.median, s.min, s.max, s.n) == (2.5, 1.0, 10.0, 4)
    assert summarize([5.0]).median == 5.0
    assert summarize([]) is None


def test_ratio_to_baseline():
    assert ratio(summarize([2.0, 4.0, 6.0]), summarize([1.0, 2.0, 3.0])) == 2.0
    assert ratio(None, summarize([1.0])) is None
    assert ratio(summarize([1.0]), None) is None


def test_formatting():
    assert format_seconds(1.5) == "1.50 s"
    assert format_seconds(0.0123) == "12.3 ms"
    assert format_seconds(132e-6) == "132 µs"
    assert format_seconds(6.2e-7) == "620 ns"
    assert format_seconds(None) == "-"
    assert format_ratio(36.66) == "36.7x" and format_ratio(None) == "-"


# --------------------------------------------------------------------------- workloads


def test_discover_orders_and_validates(tmp_path):
    folder = write_workloads(tmp_path / "wl", tiny=TINY, broken=BROKEN, _helper="X = 1\n")
    found = workloads.discover(folder)
    assert [w.name for w in found] == ["broken", "tiny"]  # helpers (_*.py) are not workloads
    assert found[1].description == "tanh of 1000 ones" and found[1].kind == "step"
    (folder / "__init__.py").write_text("WORKLOADS = ['tiny', 'broken']\n")
    assert [w.name for w in workloads.discover(folder)] == ["tiny", "broken"]
    with pytest.raises(KeyError):
        workloads.select(found, ["nope"])
    write_workloads(folder, bad="KIND = 'process'\n")
    (folder / "__init__.py").unlink()
    with pytest.raises(ValueError):
        workloads.discover(folder)


def test_repository_workloads_load_without_any_engine():
    # Workload modules import no engine at module level, so --list always works.
    found = {w.name: w for w in workloads.discover()}
    for name in ["linreg_step", "mlp_adam_step", "elementwise_4m", "dataset_epoch",
                 "run_overhead_feed", "run_overhead_const", "cold_start_empty",
                 "cold_start_warm"]:
        assert found[name].description
    assert found["cold_start_warm"].kind == "process"


def test_list(tmp_path, capsys):
    folder = write_workloads(tmp_path / "wl", tiny=TINY, broken=BROKEN)
    assert cli.main(["--list", "--workloads-dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "tiny" in out and "tanh of 1000 ones" in out and "raises in setup" in out


def test_usage_errors(tmp_path, capsys, fake_engines):
    folder = write_workloads(tmp_path / "wl", tiny=TINY)
    assert cli.main(["nope", "--workloads-dir", str(folder)]) == 2
    assert cli.main(["--engines", "jit,warp", "--workloads-dir", str(folder)]) == 2
    assert cli.main(["--workloads-dir", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and "warp" in err


# --------------------------------------------------------------------------- runs


def test_quick_run_through_real_workers(tmp_path, capsys, fake_engines):
    log = tmp_path / "runs.log"
    folder = write_workloads(tmp_path / "wl", tiny=TINY, broken=BROKEN,
                             proc=PROC.format(cache="warm", log=str(log)))
    out_json = tmp_path / "out.json"
    # --repeat 3: a quick run's whole processes take one sample; three show the rotation.
    rc = cli.main(["tiny", "broken", "proc", "--quick", "--repeat", "3", "--no-progress",
                   "--workloads-dir", str(folder), "--json", str(out_json),
                   "--engines", "jit,other,broken_engine,absent"])
    captured = capsys.readouterr()
    assert rc == 1  # "broken" failed; everything else still ran

    data = json.loads(out_json.read_text())
    assert data["schema"] == SCHEMA
    assert {"cpu", "logical_cores", "blas", "versions", "fingerprint"} <= set(data["machine"])
    assert data["settings"]["quick"] is True and data["settings"]["repeat"] == 3
    status = {e["name"]: e["status"] for e in data["engines"]}
    assert status == {"jit": "ok", "other": "ok", "broken_engine": "skipped", "absent": "skipped"}
    cells = {(r["workload"], r["engine"]): r for r in data["results"]}
    assert set(cells) == {(w, e) for w in ["tiny", "broken", "proc"] for e in ["jit", "other"]}
    for engine in ["jit", "other"]:
        tiny = cells["tiny", engine]
        assert tiny["status"] == "ok" and len(tiny["samples"]) == 3 and tiny["number"] >= 1
        assert tiny["min"] <= tiny["median"] <= tiny["max"]
        assert tiny["metrics"] == {"value": pytest.approx(7.6159, rel=1e-3)}
        assert tiny["first_call_s"] is not None and tiny["ratio_to_jit"] is not None
        assert cells["proc", engine]["status"] == "ok"
        assert len(cells["proc", engine]["samples"]) == 3
        broken = cells["broken", engine]
        assert broken["status"] == "failed" and broken["median"] is None
        assert broken["error"] == "ValueError: this workload is broken"
    assert cells["tiny", "jit"]["ratio_to_jit"] == 1.0
    # A warm cache is one directory per engine: filled by an untimed run, then reused.
    runs = [line.split() for line in log.read_text().splitlines()]
    assert sorted(name for name, _ in runs) == ["jit"] * 4 + ["other"] * 4
    assert len({d for _, d in runs}) == 2

    out = captured.out
    assert "machine " in out and "cpu:" in out and "blas:" in out and "versions:" in out
    assert "failed: ValueError: this workload is broken" in out
    assert "tiny on jit: value = 7.62" in out
    assert "absent: not installed" in out  # one line per skipped engine, in the header...
    assert "skipping broken_engine" in captured.err  # ...and as it happens


def test_empty_cache_is_new_for_every_process(tmp_path, fake_engines):
    log = tmp_path / "runs.log"
    folder = write_workloads(tmp_path / "wl", proc=PROC.format(cache="empty", log=str(log)))
    result = runner.run(workloads.discover(folder), [fake_engines["jit"]],
                        Settings.resolve(quick=True, repeat=3, warmup=1))
    assert result.cell("proc", "jit").status == "ok"
    dirs = [line.split()[1] for line in log.read_text().splitlines()]
    assert len(dirs) == 4 and len(set(dirs)) == 4


def test_crashed_worker_fails_its_cell_and_is_restarted(tmp_path, fake_engines):
    folder = write_workloads(tmp_path / "wl", crash=CRASH, tiny=TINY)
    found = workloads.discover(folder)
    result = runner.run(found, [fake_engines["jit"]], Settings.resolve(quick=True))
    crash, tiny = result.cell("crash", "jit"), result.cell("tiny", "jit")
    assert crash.status == "failed" and "worker died" in crash.error
    assert "code 3" in crash.error
    assert tiny.status == "ok" and len(tiny.samples) == 3


def test_hanging_workload_times_out(tmp_path, fake_engines):
    hang = "import time\ndef setup(tf, quick):\n    time.sleep(30)\n"
    folder = write_workloads(tmp_path / "wl", hang=hang)
    settings = Settings.resolve(quick=True, timeout=1.0)
    result = runner.run(workloads.discover(folder), [fake_engines["jit"]], settings)
    assert result.cell("hang", "jit").status == "failed"
    assert "no answer within 1 s" in result.cell("hang", "jit").error


def test_engine_without_a_variant_is_not_applicable(tmp_path, fake_engines):
    folder = write_workloads(tmp_path / "wl", tiny=TINY)
    progress = SilentProgress()
    result = runner.run(workloads.discover(folder), [fake_engines["jit"], fake_engines["jaxlike"]],
                        Settings.resolve(quick=True), progress)
    assert result.cell("tiny", "jaxlike").status == "n/a"
    assert result.cell("tiny", "jaxlike").error == "no JAX variant"
    assert result.cell("tiny", "jit").status == "ok"
    assert not result.failed and not progress.notes


def test_worker_gets_the_engine_environment(tmp_path, fake_engines):
    env = engines.engine_env(fake_engines["other"], {"EXTRA": "2"})
    assert env["FAKE_FLAG"] == "1" and env["EXTRA"] == "2"
    unset = engines.Engine("x", "x", "", {"JITGRAPH_DISABLE_JIT": None})
    assert "JITGRAPH_DISABLE_JIT" not in engines.engine_env(unset)
    assert engines.ENGINES is not None


# --------------------------------------------------------------------------- output formats


def _synthetic_result(tmp_path) -> BenchResult:
    folder = write_workloads(tmp_path / "wl", tiny=TINY, broken=BROKEN)
    found = workloads.discover(folder)
    result = BenchResult(
        settings=Settings(), machine={"cpu": "Test CPU", "logical_cores": 2, "fingerprint": "f00d"},
        engines=[EngineStatus("jit", "JIT"), EngineStatus("interp", "interp"),
                 EngineStatus("tensorflow", "TF", status="skipped", note="not installed")],
        workloads=found, started="2026-01-01T00:00:00")
    result.cells = [
        Cell("broken", "jit", "call", status="failed", error="ValueError: x" * 20),
        Cell("broken", "interp", "call", samples=[1.0, 2.0, 3.0]),
        Cell("tiny", "jit", "call", samples=[1e-6, 2e-6, 4e-6], metrics={"max_abs_error": 1e-7}),
        Cell("tiny", "interp", "call", samples=[1e-4, 3e-4, 2e-4], first_call_s=0.5),
    ]
    finish_cells(result)
    return result


def test_table_rendering(tmp_path):
    text = render_table(_synthetic_result(tmp_path))
    lines = text.splitlines()
    assert "Test CPU" in text and "f00d" in text
    assert "skipped:  tensorflow: not installed" in text
    tiny_jit = next(line for line in lines if line.startswith("tiny (per call)"))
    assert "2.00 µs" in tiny_jit and "[1.00 µs – 4.00 µs]" in tiny_jit and "1.00x" in tiny_jit
    tiny_interp = lines[lines.index(tiny_jit) + 1]
    assert "200 µs" in tiny_interp and "100x" in tiny_interp and "500 ms" in tiny_interp
    broken = next(line for line in lines if line.startswith("broken"))
    assert "failed: ValueError" in broken and broken.endswith("…")
    assert "tiny on jit: max_abs_error = 1e-07" in text


def test_json_schema(tmp_path):
    path = tmp_path / "r.json"
    write_json(_synthetic_result(tmp_path), str(path))
    data = json.loads(path.read_text())
    assert data == json.loads(json.dumps(to_dict(_synthetic_result(tmp_path))))
    assert set(data) >= {"schema", "machine", "settings", "engines", "workloads", "results"}
    row = next(r for r in data["results"] if (r["workload"], r["engine"]) == ("tiny", "interp"))
    assert set(row) >= {"samples", "median", "min", "max", "ratio_to_jit", "status", "error"}
    assert row["median"] == 2e-4 and row["ratio_to_jit"] == pytest.approx(100.0)
    broken = next(r for r in data["results"] if r["status"] == "failed")
    assert broken["median"] is None and broken["ratio_to_jit"] is None


def test_plot_or_a_one_line_note(tmp_path, capsys, monkeypatch):
    from jitgraph.bench import plot

    result = _synthetic_result(tmp_path)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        with pytest.raises(plot.PlotUnavailable, match="matplotlib"):
            plot.plot(result, str(tmp_path / "p.png"))
        return
    plot.plot(result, str(tmp_path / "p.png"))
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


def test_plain_progress_writes_lines_off_a_terminal():
    import io

    from jitgraph.bench.progress import PlainProgress

    stream = io.StringIO()
    progress = PlainProgress(stream)
    progress.start(2)
    progress.advance("tiny · jit · setup")
    progress.note("skipping tensorflow: not installed")
    progress.set_total(1)  # an engine dropped out: the bar still ends full
    progress.finish()
    lines = stream.getvalue().splitlines()
    assert lines == ["[############............]   1/2  tiny · jit · setup",
                     "skipping tensorflow: not installed"]
    assert progress.total == 1 and progress.notes == ["skipping tensorflow: not installed"]
