"""Data-parallel training over MPI with Horovod's TensorFlow API:
``import jitgraph.distribute as hvd``.

    hvd.init()
    opt = hvd.DistributedOptimizer(tf.train.AdamOptimizer(1e-3 * hvd.size()))
    train = opt.minimize(loss)
    hooks = [hvd.BroadcastGlobalVariablesHook(0)]
    ckpt = "/tmp/ckpt" if hvd.rank() == 0 else None   # one writer

and run with ``mpiexec -n 4 python train.py``. MPI comes from mpi4py
(``pip install 'jitgraph[mpi]'``); without it every program runs as one rank.

Map: ``world`` (init, rank, size; the failure guards), ``collectives`` (fused
buffers, MPI calls), ``ops`` (the graph ops), ``optimizer``, ``hooks``
(broadcasting variables), ``compression``.
"""
from jitgraph.distribute.collectives import Adasum, Average, Max, Min, Product, Sum
from jitgraph.distribute.compression import Compression, Compressor
from jitgraph.distribute.hooks import (BroadcastGlobalVariablesHook, broadcast_global_variables,
                                       broadcast_variables)
from jitgraph.distribute.ops import allgather, allreduce, broadcast, grouped_allreduce
from jitgraph.distribute.optimizer import DistributedOptimizer
from jitgraph.distribute.world import (cross_rank, cross_size, init, is_initialized, local_rank,
                                       local_size, mpi_built, mpi_enabled, mpi_threads_supported,
                                       rank, shutdown, size)
