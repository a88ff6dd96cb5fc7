"""Threads: TF's ConfigProto knobs, the BLAS thread budget per run, the bench's load."""
from __future__ import annotations

import os

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import jitgraph as tf
from jitgraph.bench.load import BackgroundLoad
from jitgraph.cli.bench import build_parser
from jitgraph.runtime import threads


def _openblas_threads():
    return {i["filepath"]: i["num_threads"] for i in threadpool_info()
            if i["internal_api"] == "openblas"}


def test_config_proto_sub_messages_take_attribute_writes():
    config = tf.ConfigProto(allow_soft_placement=True, device_count={"GPU": 0})
    config.gpu_options.allow_growth = True
    config.gpu_options.per_process_gpu_memory_fraction = 0.4
    config.graph_options.optimizer_options.global_jit_level = 1
    config.log_device_placement = True
    assert config.gpu_options.allow_growth and config.device_count == {"GPU": 0}
    assert tf.ConfigProto().gpu_options.allow_growth is False  # a fresh sub-message each
    with pytest.raises(AttributeError, match="no field \"gpu_option\""):
        config.gpu_option = tf.GPUOptions()
    with pytest.raises(AttributeError):
        tf.ConfigProto(intra_op_threads=1)
    assert tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE).trace_level == 3


@pytest.mark.parametrize("engine", ["jit", "interp"])
def test_session_with_full_config_runs_both_engines(engine):
    config = tf.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1,
                            gpu_options=tf.GPUOptions(allow_growth=True))
    x = tf.placeholder(tf.float32, [None, 3])
    wv = np.arange(6, dtype=np.float32).reshape(3, 2)
    sess = tf.Session(config=config)
    sess.jit = engine == "jit"
    xv = np.ones((4, 3), np.float32)
    np.testing.assert_allclose(sess.run(tf.matmul(x, tf.constant(wv)), {x: xv}), xv @ wv)
    assert sess.run(tf.constant(1.0), options=tf.RunOptions(), run_metadata=tf.RunMetadata()) == 1


def test_budget_follows_intra_op_then_user_env_then_cpus(monkeypatch):
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    cpus = len(os.sched_getaffinity(0))
    assert threads.session_budget(None) == cpus
    assert threads.session_budget(tf.ConfigProto()) == cpus  # 0: the CPUs we may use
    assert threads.session_budget(tf.ConfigProto(intra_op_parallelism_threads=1)) == 1
    assert threads.session_budget(tf.ConfigProto(intra_op_parallelism_threads=64)) == cpus
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert threads.session_budget(tf.ConfigProto(intra_op_parallelism_threads=2)) == 1


@pytest.mark.parametrize("engine", ["jit", "interp"])
def test_small_product_runs_on_one_blas_thread(engine):
    # Before: OpenBLAS kept its default (every core) for a 100x784x10 product.
    threads.BLAS.set(len(os.sched_getaffinity(0)))
    x = tf.placeholder(tf.float32, [None, 784])
    w = tf.Variable(tf.ones([784, 10]))
    sess = tf.Session()
    sess.jit = engine == "jit"
    sess.run(tf.global_variables_initializer())
    out = sess.run(tf.matmul(x, w), {x: np.ones((100, 784), np.float32)})
    assert out[0, 0] == 784.0
    assert set(_openblas_threads().values()) == {1}


def test_large_product_splits_only_onto_free_cores(monkeypatch):
    monkeypatch.setattr(threads, "_CPUS", [2])
    monkeypatch.setattr(threads._LOAD, "read", lambda: 1)  # only us: a core is free
    threads.use(2, threads.SPLIT_FLOPS)
    assert set(_openblas_threads().values()) == {2}
    monkeypatch.setattr(threads._LOAD, "read", lambda: 2)  # another process runs
    threads.use(2, threads.SPLIT_FLOPS)
    assert set(_openblas_threads().values()) == {1}
    threads.use(1, 1e12)  # a Session limited to one thread never splits
    assert set(_openblas_threads().values()) == {1}


def test_plan_product_flops_from_static_and_fed_shapes():
    x = tf.placeholder(tf.float32, [None, 784])
    w = tf.Variable(tf.ones([784, 256]))
    img = tf.placeholder(tf.float32, [8, 28, 28, 3])
    conv = tf.nn.conv2d(img, tf.ones([5, 5, 3, 16]), [1, 1, 1, 1], "SAME")
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    xv = np.ones((128, 784), np.float32)
    plan = sess._plan_for(tf.matmul(x, w), {x: xv})
    assert threads.plan_product_flops(plan, [xv]) == 2.0 * 128 * 784 * 256
    plan = sess._plan_for(conv, {img: np.ones((8, 28, 28, 3), np.float32)})
    # A convolution's kernel issues tile-sized products: never worth splitting.
    assert threads.plan_product_flops(plan, []) == 0.0


def test_background_load_runs_and_ends_its_processes():
    with BackgroundLoad(2) as load:
        pids = load.pids
        assert len(pids) == 2 and all(p.poll() is None for p in load.procs)
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert build_parser().parse_args(["--background-load", "1"]).background_load == 1
    assert build_parser().parse_args([]).background_load == 0
