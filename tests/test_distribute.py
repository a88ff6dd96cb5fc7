"""jitgraph.distribute: Horovod's API on MPI (mpi4py).

Multi-rank tests launch this file under `mpiexec -n 2` (`python test_distribute.py
SCENARIO OUTDIR`), the ranks on the interpreter engine to keep them cheap; each rank
writes what it saw to OUTDIR and the test compares it with one process training on
the full batch. Without mpi4py or mpiexec they are skipped, saying which is missing.
The one-rank tests run in this process on a world without MPI (mpi4py hidden), which
is what a program gets where MPI is not installed.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

import jitgraph as tf
import jitgraph.distribute as hvd
from jitgraph.distribute import collectives
from jitgraph.distribute import world as hvd_world

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from helpers import check_gradients, run_both, session  # noqa: E402

HERE = os.path.abspath(__file__)
ROOT = os.path.dirname(os.path.dirname(HERE))
STEPS = 4
BATCH = 16  # the full batch; each of 2 ranks takes half


# -- the model both sides train ---------------------------------------------------------------
def _data():
    rs = np.random.RandomState(7)
    return rs.randn(BATCH, 6).astype(np.float32), rs.randint(0, 3, BATCH).astype(np.int32)


def _model(x, y, seed):
    """A 6-8-3 MLP whose initial values depend on `seed` (each rank passes its own)."""
    rs = np.random.RandomState(seed)
    w1 = tf.Variable(rs.randn(6, 8).astype(np.float32) * 0.5, name="w1")
    b1 = tf.Variable(rs.randn(8).astype(np.float32) * 0.1, name="b1")
    w2 = tf.Variable(rs.randn(8, 3).astype(np.float32) * 0.5, name="w2")
    b2 = tf.Variable(rs.randn(3).astype(np.float32) * 0.1, name="b2")
    logits = tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2) + b2
    return tf.losses.sparse_softmax_cross_entropy(y, logits), [w1, b1, w2, b2]


def _optimizer(name):
    return (tf.train.GradientDescentOptimizer(0.5) if name == "gd"
            else tf.train.AdamOptimizer(0.05))


def _reference(name, engine="interp"):
    """Initial and final weights of one process training on the full batch."""
    images, labels = _data()
    with tf.Graph().as_default() as g:
        x, y = tf.placeholder(tf.float32, [None, 6]), tf.placeholder(tf.int32, [None])
        loss, params = _model(x, y, seed=100)
        train = _optimizer(name).minimize(loss)
        sess = session(g, engine)
        sess.run(tf.global_variables_initializer())
        first = sess.run(params)
        for _ in range(STEPS):
            sess.run(train, {x: images, y: labels})
        return first, sess.run(params)


# -- what each rank runs under mpiexec ----------------------------------------------------------
def _rank_train_gd(out):
    """Plain Session: broadcast by op, then feed this rank's half of the batch."""
    r, n = hvd.rank(), hvd.size()
    images, labels = _data()
    with tf.Graph().as_default():
        x, y = tf.placeholder(tf.float32, [None, 6]), tf.placeholder(tf.int32, [None])
        loss, params = _model(x, y, seed=100 + r)
        # The predivide factor changes where the averaging happens, not the result.
        train = hvd.DistributedOptimizer(_optimizer("gd"),
                                         gradient_predivide_factor=2.0).minimize(loss)
        bcast = hvd.broadcast_global_variables(0)
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        out["gd_own_init"] = sess.run(params[0])
        sess.run(bcast)
        for i, v in enumerate(sess.run(params)):
            out[f"gd_init_{i}"] = v
        calls = collectives.calls
        for _ in range(STEPS):
            sess.run(train, {x: images[r::n], y: labels[r::n]})
        out["gd_calls_per_step"] = (collectives.calls - calls) / STEPS
        for i, v in enumerate(sess.run(params)):
            out[f"gd_final_{i}"] = v


def _rank_train_adam(out, ckpt_dir):
    """MonitoredTrainingSession, Horovod style: the hook broadcasts, Dataset.shard splits
    the data, rank 0 alone writes checkpoints."""
    r, n = hvd.rank(), hvd.size()
    images, labels = _data()
    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_tensor_slices((images, labels)).shard(n, r)
        x, y = ds.batch(BATCH // n).repeat().make_one_shot_iterator().get_next()
        loss, params = _model(x, y, seed=100 + r)
        step = tf.train.get_or_create_global_step()
        train = hvd.DistributedOptimizer(_optimizer("adam")).minimize(loss, global_step=step)
        final = tf.train.FinalOpsHook(params)
        hooks = [hvd.BroadcastGlobalVariablesHook(0), tf.train.StopAtStepHook(last_step=STEPS),
                 final]
        with tf.train.MonitoredTrainingSession(
                checkpoint_dir=ckpt_dir if r == 0 else None, hooks=hooks,
                save_summaries_steps=None, log_step_count_steps=None) as sess:
            while not sess.should_stop():
                sess.run(train)
        for i, v in enumerate(final.final_ops_values):
            out[f"adam_final_{i}"] = v


def _rank_collectives(out):
    r = hvd.rank()
    with tf.Graph().as_default():
        v = tf.constant([1.0, -2.0, 3.0]) * float(r + 1)
        rows = tf.fill([r + 1, 2], float(r))  # ranks hold different numbers of rows
        x = tf.placeholder(tf.float32, [None, 2])
        gathered = hvd.allgather(x)
        weights = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        (g_gather,) = tf.gradients(tf.reduce_sum(gathered * weights), [x])
        z = tf.placeholder(tf.float32, [2, 2])  # a broadcast tensor has one shape on all ranks
        b = hvd.broadcast(z, root_rank=1)
        (g_bcast,) = tf.gradients(tf.reduce_sum(b * float(r + 1)), [z])
        fetch = {"avg": hvd.allreduce(v), "sum": hvd.allreduce(v, op=hvd.Sum),
                 "sum_avg_false": hvd.allreduce(v, average=False),
                 "max": hvd.allreduce(v, op=hvd.Max), "min": hvd.allreduce(v, op=hvd.Min),
                 "int_avg": hvd.allreduce(tf.constant([3, 4]) * (r + 1)),
                 "fp16": hvd.allreduce(v, compression=hvd.Compression.fp16),
                 "grouped": hvd.grouped_allreduce([v, tf.constant([[float(r)]])])[1],
                 "gather": hvd.allgather(rows), "g_gather": g_gather, "bcast": b,
                 "g_bcast": g_bcast}
        sess = tf.Session()
        mine = np.full((r + 1, 2), float(r), np.float32)
        for k, val in sess.run(fetch, {x: mine, z: np.full((2, 2), float(r))}).items():
            out[k] = val


def _rank_fail(how):
    """Rank 1 fails (or stalls) after one good step while rank 0 goes on."""
    r = hvd.rank()
    with tf.Graph().as_default():
        total = hvd.allreduce(tf.constant([1.0]), op=hvd.Sum)
        sess = tf.Session()
        sess.run(total)
        if r == 1:
            if how == "raise":
                raise RuntimeError("rank 1 fails on purpose")
            time.sleep(120)
        for _ in range(100):
            sess.run(total)


def _worker(scenario, outdir):
    hvd.init()
    if scenario in ("raise", "stall"):
        _rank_fail(scenario)
        return
    out = {"size": hvd.size(), "local_size": hvd.local_size(), "local_rank": hvd.local_rank()}
    if scenario == "train":
        _rank_train_gd(out)
        _rank_collectives(out)
    _rank_train_adam(out, os.path.join(outdir, "ckpt"))
    np.savez(os.path.join(outdir, f"rank{hvd.rank()}.npz"), **out)


# -- launching ----------------------------------------------------------------------------------
def _mpiexec():
    if importlib.util.find_spec("mpi4py") is None:
        pytest.skip("mpi4py is not installed (pip install 'jitgraph[mpi]' mpich)")
    exe = shutil.which("mpiexec")
    if exe is None:
        pytest.skip("no mpiexec on PATH (pip install mpich, or install an MPI)")
    return exe


def _launch(scenario, outdir, timeout=120, **env):
    env = {**os.environ, "PYTHONPATH": ROOT, "JITGRAPH_DISABLE_JIT": "1", **env}
    t0 = time.monotonic()
    proc = subprocess.run([_mpiexec(), "-n", "2", sys.executable, HERE, scenario, str(outdir)],
                          capture_output=True, text=True, timeout=timeout, env=env)
    return proc, time.monotonic() - t0


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("hvd")
    proc, _ = _launch("train", outdir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ranks = [dict(np.load(outdir / f"rank{r}.npz")) for r in range(2)]
    return ranks, outdir


@pytest.mark.parametrize("name", ["gd", "adam"])
def test_two_ranks_half_batch_match_one_rank_full_batch(two_ranks, name):
    ranks, _ = two_ranks
    first, final = _reference(name)
    for r, got in enumerate(ranks):
        for i, want in enumerate(final):
            np.testing.assert_allclose(got[f"{name}_final_{i}"], want, rtol=1e-5, atol=1e-6,
                                       err_msg=f"rank {r}, {name}, variable {i}")
    # The run moved the weights: equality is not just both sides standing still.
    assert not np.allclose(final[0], first[0], atol=1e-3)


def test_broadcast_makes_differently_initialized_ranks_equal(two_ranks):
    ranks, _ = two_ranks
    first, _ = _reference("gd")
    assert not np.allclose(ranks[0]["gd_own_init"], ranks[1]["gd_own_init"])
    for got in ranks:
        for i, want in enumerate(first):
            np.testing.assert_array_equal(got[f"gd_init_{i}"], want)


def test_optimizer_makes_one_mpi_call_per_step(two_ranks):
    ranks, _ = two_ranks
    assert [int(got["size"]) for got in ranks] == [2, 2]
    assert sorted(int(got["local_rank"]) for got in ranks) == [0, 1]
    assert [got["gd_calls_per_step"] for got in ranks] == [1.0, 1.0]


def test_collectives_values_and_gradients(two_ranks):
    ranks, _ = two_ranks
    v = np.array([1.0, -2.0, 3.0], np.float32)
    for r, got in enumerate(ranks):
        np.testing.assert_allclose(got["avg"], 1.5 * v)
        np.testing.assert_allclose(got["sum"], 3 * v)
        np.testing.assert_allclose(got["sum_avg_false"], 3 * v)
        np.testing.assert_allclose(got["max"], [2.0, -2.0, 6.0])
        np.testing.assert_allclose(got["min"], [1.0, -4.0, 3.0])
        np.testing.assert_array_equal(got["int_avg"], [4, 6])  # floor of 4.5, 6
        assert got["fp16"].dtype == np.float32
        np.testing.assert_allclose(got["fp16"], 1.5 * v)
        np.testing.assert_allclose(got["grouped"], [[0.5]])
        np.testing.assert_array_equal(got["gather"], [[0, 0], [1, 1], [1, 1]])
        # d/dx of the sum over ranks of sum(allgather(x) * W): this rank's rows of 2 W.
        weights = np.array([[1, 2], [3, 4], [5, 6]], np.float32)
        np.testing.assert_allclose(got["g_gather"], 2 * weights[[0] if r == 0 else [1, 2]])
        np.testing.assert_array_equal(got["bcast"], [[1, 1], [1, 1]])
        # d/dx of the sum over ranks of (r+1) * sum(broadcast(x, 1)): 1 + 2 on the root.
        np.testing.assert_allclose(got["g_bcast"], np.full((2, 2), 3.0 if r == 1 else 0.0))


def test_rank_zero_alone_writes_the_checkpoint(two_ranks):
    ranks, outdir = two_ranks
    ckpt = tf.train.latest_checkpoint(str(outdir / "ckpt"))
    assert ckpt is not None and ckpt.endswith(f"model.ckpt-{STEPS}")
    reader = tf.train.load_checkpoint(ckpt)
    np.testing.assert_array_equal(reader.get_tensor("w1"), ranks[0]["adam_final_0"])
    assert not [f for f in os.listdir(outdir / "ckpt") if ".tmp-" in f]
    assert sorted(os.listdir(outdir)) == ["ckpt", "rank0.npz", "rank1.npz"]


def test_a_rank_that_raises_aborts_the_others(tmp_path):
    proc, took = _launch("raise", tmp_path, JITGRAPH_MPI_TIMEOUT="100")
    assert proc.returncode != 0
    assert "rank 1 fails on purpose" in proc.stderr
    assert "rank 1 of 2 failed; aborting all ranks" in proc.stderr
    assert took < 60


def test_a_rank_that_stalls_times_out_the_others(tmp_path):
    proc, took = _launch("stall", tmp_path, JITGRAPH_MPI_TIMEOUT="2")
    assert proc.returncode != 0
    assert re.search(r"rank 0 of 2 waited \d+ s in HorovodAllreduce 'HorovodAllreduce' for "
                     r"the other ranks: one of them has died", proc.stderr), proc.stderr
    assert took < 60  # rank 1 sleeps 120 s: the abort ended it


@pytest.mark.slow
def test_two_ranks_on_the_jit(tmp_path):
    proc, _ = _launch("train-adam", tmp_path, timeout=300, JITGRAPH_DISABLE_JIT="0",
                      JITGRAPH_COMPILE="sync")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _, final = _reference("adam", engine="jit")
    for r in range(2):
        got = np.load(tmp_path / f"rank{r}.npz")
        for i, want in enumerate(final):
            np.testing.assert_allclose(got[f"adam_final_{i}"], want, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_example_trains_on_two_ranks(tmp_path):
    env = {**os.environ, "PYTHONPATH": ROOT, "JITGRAPH_DISABLE_JIT": "1"}
    proc = subprocess.run([_mpiexec(), "-n", "2", sys.executable,
                           os.path.join(ROOT, "examples", "distributed_mnist.py"), "--steps", "120",
                           "--checkpoint-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    (line,) = [ln for ln in proc.stdout.splitlines() if ln.startswith("ranks 2")]
    assert f"checkpoint {tmp_path}/model.ckpt-60" in line  # 120 steps of all ranks: 60 each
    assert float(re.search(r"test accuracy (\S+)", line).group(1)) > 0.2  # chance: 0.1


# -- one rank, no MPI -------------------------------------------------------------------------
@pytest.fixture
def local_world(monkeypatch):
    """hvd.init() where mpi4py cannot be imported: one rank, no MPI."""
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    hvd.shutdown()
    hvd.init()
    yield
    hvd.shutdown()


def test_without_mpi_the_world_is_one_rank(local_world):
    assert hvd.is_initialized() and not hvd.mpi_enabled() and not hvd.mpi_built()
    assert (hvd.rank(), hvd.size(), hvd.local_rank(), hvd.local_size()) == (0, 1, 0, 1)
    assert (hvd.cross_rank(), hvd.cross_size()) == (0, 1)
    hvd.shutdown()
    assert not hvd.is_initialized()
    with pytest.raises(ValueError, match="Horovod has not been initialized; use hvd.init()"):
        hvd.rank()


def _through_collectives(x):
    gathered = hvd.allgather(hvd.allreduce(x * x))
    return hvd.broadcast(gathered, 0) * x  # x**3 on one rank


def test_without_mpi4py_a_rank_of_many_refuses_to_run_alone(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    monkeypatch.setenv("PMI_SIZE", "2")
    hvd.shutdown()
    with pytest.raises(ImportError, match="one of 2 ranks started by mpiexec, but mpi4py is "
                                          "not installed"):
        hvd.init()
    assert not hvd.is_initialized()


def test_one_rank_collectives_run_between_compiled_stages(local_world):
    x = tf.placeholder(tf.float32, [None, 3])
    a = hvd.allreduce(x * 2.0) + 1.0
    s = hvd.allreduce(x, op=hvd.Sum, postscale_factor=3.0)
    g = hvd.allgather(tf.exp(x))
    b = hvd.broadcast(x - 1.0, root_rank=0)
    val = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = run_both([a, s, g, b], {x: val})
    np.testing.assert_allclose(out[0], val * 2 + 1)
    np.testing.assert_allclose(out[1], val * 3)
    np.testing.assert_allclose(out[2], np.exp(val), rtol=1e-6)
    np.testing.assert_allclose(out[3], val - 1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="root_rank 1 is not a rank"):
        tf.Session().run(hvd.broadcast(x, root_rank=1), {x: val})


def test_one_rank_gradients_through_collectives(local_world):
    # On the interpreter: the JIT compiles a stage per gap between host ops (seconds);
    # the slow two-rank JIT test trains through the allreduce's gradient path.
    check_gradients(_through_collectives, {"x": np.array([[0.5, -1.5], [2.0, 0.7]])},
                    engine="interp")


def test_one_rank_optimizer_adds_no_collective(local_world):
    x = tf.placeholder(tf.float32, [None, 6])
    y = tf.placeholder(tf.int32, [None])
    loss, _ = _model(x, y, seed=100)
    opt = hvd.DistributedOptimizer(tf.train.AdamOptimizer(0.05))
    assert opt.get_name() == "DistributedAdamOptimizer"
    opt.minimize(loss)
    types = {op.type for op in tf.get_default_graph().get_operations()}
    assert not {t for t in types if t.startswith("Horovod")}
    assert opt.get_slot_names() == ["m", "v"]


def test_horovod_argument_rules(local_world):
    t = tf.constant([1.0])
    with pytest.raises(ValueError, match="The op parameter supersedes average"):
        hvd.allreduce(t, average=True, op=hvd.Sum)
    with pytest.raises(NotImplementedError, match="Adasum"):
        hvd.allreduce(t, op=hvd.Adasum)
    with pytest.raises(NotImplementedError, match="backward_passes_per_step"):
        hvd.DistributedOptimizer(tf.train.AdamOptimizer(), backward_passes_per_step=2)
    with pytest.raises(ValueError, match="gradient_predivide_factor"):
        hvd.DistributedOptimizer(tf.train.AdamOptimizer(), op=hvd.Sum,
                                 gradient_predivide_factor=2.0)
    with pytest.raises(ValueError, match="prescale_factor"):
        hvd.allreduce(tf.constant([1, 2]), prescale_factor=0.5)


def test_collective_before_init_fails_at_run_time():
    hvd.shutdown()
    with pytest.raises(tf.errors.FailedPreconditionError, match="hvd.init()"):
        tf.Session().run(hvd.allreduce(tf.constant([1.0])))


def test_timeout_setting_is_checked(monkeypatch):
    monkeypatch.setenv("JITGRAPH_MPI_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="JITGRAPH_MPI_TIMEOUT='soon'"):
        hvd_world._timeout_from_env()
    monkeypatch.setenv("JITGRAPH_MPI_TIMEOUT", "7.5")
    assert hvd_world._timeout_from_env() == 7.5


if __name__ == "__main__":
    _worker(sys.argv[1], sys.argv[2])
