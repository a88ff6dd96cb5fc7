import os
import shutil
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
# Compiled code from the tests goes to a cache beside the repo, never the user's own.
# Tests compare engines run by run: compile before the first run (programs default to
# compiling in the background; tests/test_compile_latency.py tests that mode).
os.environ.setdefault("JITGRAPH_COMPILE", "sync")
# Plans fold ops of constants at plan time; comparing the engines on constant inputs
# must still run each op's kernels, so the suite plans without folding (tests of the
# folding itself and the golden sources turn it on with the `folding` fixture).
os.environ.setdefault("JITGRAPH_FOLD_CONSTANTS", "0")
os.environ.setdefault("JITGRAPH_CACHE_DIR", os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".jitgraph-test-cache"))


@pytest.fixture(params=["jit", "interp"])
def engine(request):
    """The engine a test runs on: "jit" (Numba) or "interp" (the numpy interpreter).

    One parameter per engine, so a failure's test id names the engine that failed;
    pass it to helpers.session / check_gradients."""
    return request.param


@pytest.fixture(params=[pytest.param("jit", marks=pytest.mark.slow), "interp"])
def heavy_engine(request):
    """`engine` for a test whose JIT run compiles for long (convolution kernels in two
    dtypes, a whole CNN): the JIT run goes to the slow step, which CI runs as well."""
    return request.param


@pytest.fixture
def folding():
    """Plans in this test fold constants, as users' plans do."""
    from jitgraph import config
    config.set_fold_constants(True)
    yield
    config.set_fold_constants(None)


@pytest.fixture(autouse=True)
def _fresh_default_graph():
    """Each test builds in a fresh default graph, as a new TF 1.x program would."""
    import jitgraph as tf
    tf.reset_default_graph()
    yield


# -- the registry sweep: every registered op type runs on both engines ---------------
# Each process (xdist workers too) records the op types its runs ran, by engine
# (jitgraph/runtime/coverage.py); after a whole-suite run the controller fails the run
# if a registered type with a compiled form ran on one engine only (a declared host op:
# on either), unless op_coverage_exempt.txt says why.
_EXEMPT = os.path.join(os.path.dirname(__file__), "op_coverage_exempt.txt")


def pytest_configure(config):
    import tempfile

    from jitgraph.runtime import coverage
    if "JITGRAPH_OP_COVERAGE_DIR" not in os.environ:  # the controller: workers inherit it
        os.environ["JITGRAPH_OP_COVERAGE_DIR"] = tempfile.mkdtemp(prefix="jitgraph-opcov-")
    coverage.start()


def pytest_sessionfinish(session, exitstatus):
    from jitgraph.runtime import coverage
    d = os.environ["JITGRAPH_OP_COVERAGE_DIR"]
    coverage.dump(os.path.join(d, f"{os.getpid()}.json"))
    if hasattr(session.config, "workerinput"):
        return
    if not _whole_suite(session.config):
        shutil.rmtree(d, ignore_errors=True)
        return
    ran = coverage.load(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".json"))
    shutil.rmtree(d, ignore_errors=True)
    problems = _sweep(ran)
    if problems:
        session.config.pluginmanager.get_plugin("terminalreporter").write_line(
            "registry sweep failed:\n  " + "\n  ".join(problems), red=True)
        if session.exitstatus == 0:
            session.exitstatus = 1


def _whole_suite(config) -> bool:
    """A run of the whole default suite (README's command): no paths, -k or -m of its own."""
    args = config.invocation_params.args
    named = [a for a in args if not a.startswith("-") and os.path.exists(a.split("::")[0])]
    last_failed = getattr(config.option, "lf", False)  # absent without the cache plugin
    return (not named and not config.option.keyword
            and config.option.markexpr in ("", "not slow") and not last_failed)


def _sweep(ran) -> list[str]:
    from jitgraph.ops import registry
    exempt = {}
    with open(_EXEMPT) as f:
        for line in f:
            op_type, _, why = line.partition("#")
            if op_type.strip():
                exempt[op_type.strip()] = why.strip()
    problems = []
    for op_type, d in sorted(registry.registered().items()):
        if d.role or op_type == "Placeholder":
            continue
        missing = [e for e in ("jit", "interp") if op_type not in ran[e]]
        if d.host and len(missing) < 2:
            missing = []  # a declared host op runs the same numpy face on either engine
        if missing and op_type not in exempt:
            problems.append(f"{op_type}: never ran on {' or '.join(missing)} "
                            f"(test it with the `engine` fixture, or list it in "
                            f"{os.path.basename(_EXEMPT)} with the reason)")
        elif not missing and op_type in exempt:
            problems.append(f"{op_type} runs on both engines now: remove it from "
                            f"{os.path.basename(_EXEMPT)}")
    return problems
