"""Data-parallel training on MPI (jitgraph.distribute): the allreduce's share of a step
and weak scaling, for the MLP 784-256-256-10 with Adam at a batch of 128 per rank.

Not a `jitgraph bench` workload: that runner times one process per engine, this needs
N processes under one `mpiexec`. Run

    python benchmarks/distributed_mlp.py [--ranks 1 2] [--steps 100] [--rounds 5]

It launches itself under `mpiexec -n N` for each N and prints, per N: the step time
(median over rounds, JIT engine, compiled before timing), the time per step inside
the allreduce (waiting for the slower rank included) and its share of the step, the
same allreduce timed alone on synchronized ranks (pack + MPI + unpack), and the
weak-scaling efficiency t(1 rank) / t(N ranks) at the same batch per rank.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.abspath(__file__)
sys.path.insert(0, os.path.dirname(HERE))


def _worker(args):
    import numpy as np

    import jitgraph as tf
    import jitgraph.distribute as hvd
    from _mlp import synthetic_mnist
    from jitgraph.distribute import collectives
    from jitgraph.distribute import world as hvd_world

    hvd.init()
    rank, size = hvd.rank(), hvd.size()
    images = tf.placeholder(tf.float32, [None, 784])
    labels = tf.placeholder(tf.int32, [None])
    h = tf.layers.dense(images, 256, activation=tf.nn.relu)
    h = tf.layers.dense(h, 256, activation=tf.nn.relu)
    logits = tf.layers.dense(h, 10)
    loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    train = hvd.DistributedOptimizer(tf.train.AdamOptimizer(1e-3)).minimize(loss)
    params = sum(int(np.prod(v.shape.as_list())) for v in tf.trainable_variables())

    x, y = synthetic_mnist(args.batch * 8, seed=rank)
    batches = [(x[i:i + args.batch], y[i:i + args.batch]) for i in range(0, len(x), args.batch)]
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    sess.run(hvd.broadcast_global_variables(0))
    comm = hvd_world.world().comm

    def steps(n):
        for i in range(n):
            bx, by = batches[i % len(batches)]
            sess.run(train, {images: bx, labels: by})

    steps(20)  # compiles (sync) and warms up
    step_s, mpi_s = [], []
    for _ in range(args.rounds):
        if comm is not None:
            comm.Barrier()
        m0, t0 = collectives.seconds, time.perf_counter()
        steps(args.steps)
        step_s.append((time.perf_counter() - t0) / args.steps)
        mpi_s.append((collectives.seconds - m0) / args.steps)

    # The same fused allreduce alone, ranks synchronized: the communication's own cost.
    grads = [np.ones(v.shape.as_list(), np.float32) for v in tf.trainable_variables()]
    alone = []
    for _ in range(args.rounds):
        if comm is not None:
            comm.Barrier()
        t0 = time.perf_counter()
        for _ in range(args.steps):
            collectives.allreduce(grads)
        alone.append((time.perf_counter() - t0) / args.steps)

    result = {"ranks": size, "rank": rank, "params": params, "batch_per_rank": args.batch,
              "step_ms": statistics.median(step_s) * 1e3, "step_ms_best": min(step_s) * 1e3,
              "allreduce_in_step_ms": statistics.median(mpi_s) * 1e3,
              "allreduce_alone_ms": statistics.median(alone) * 1e3,
              "allreduce_alone_ms_best": min(alone) * 1e3,
              "step_ms_rounds": [s * 1e3 for s in step_s]}
    results = comm.gather(result, root=0) if comm is not None else [result]
    if rank == 0:
        with open(args.worker, "w") as f:
            json.dump(results, f)


def _launch(n, args, out):
    cmd = [sys.executable, HERE, "--worker", out, "--steps", str(args.steps),
           "--rounds", str(args.rounds), "--batch", str(args.batch)]
    mpiexec = shutil.which("mpiexec")
    if mpiexec is None:
        sys.exit("distributed_mlp: no mpiexec on PATH (pip install mpi4py mpich)")
    env = {**os.environ, "JITGRAPH_COMPILE": "sync"}
    subprocess.run([mpiexec, "-n", str(n), *cmd], check=True, env=env)
    with open(out) as f:
        return json.load(f)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", type=int, default=100, help="steps per timed round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=128, help="examples per rank per step")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args)
        return

    load = os.getloadavg()[0]
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.ranks:
            rows[n] = _launch(n, args, os.path.join(tmp, f"{n}.json"))
    base = rows[min(rows)][0]["step_ms"] if 1 in rows else None
    print(f"MLP 784-256-256-10, Adam, batch {args.batch} per rank, "
          f"{rows[min(rows)][0]['params']} parameters; {os.cpu_count()} CPUs, "
          f"load average {load:.2f} at start")
    print("(median of rounds; best round in parentheses: contention only adds time)")
    print(f"{'ranks':>5} {'step ms':>16} {'allreduce ms':>13} {'share':>7} "
          f"{'alone ms':>16} {'weak eff':>9}")
    for n, rs in rows.items():
        r0 = rs[0]
        step = max(r["step_ms"] for r in rs)
        best = max(r["step_ms_best"] for r in rs)
        mpi = statistics.mean(r["allreduce_in_step_ms"] for r in rs)
        eff = f"{base / step:9.2f}" if base else f"{'-':>9}"
        print(f"{n:5d} {step:8.2f} ({best:5.2f}) {mpi:13.3f} {mpi / step:7.1%} "
              f"{r0['allreduce_alone_ms']:8.3f} ({r0['allreduce_alone_ms_best']:5.3f}) {eff}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"load_average": load, "results": rows}, f, indent=1)


if __name__ == "__main__":
    main()
