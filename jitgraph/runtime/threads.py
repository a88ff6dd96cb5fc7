"""How many threads jitgraph's BLAS products use: one process-wide setting, chosen per run.

Measured on a 2-core machine (OpenBLAS 0.3.30, float32): with another CPU-bound process
running, splitting a product over 2 threads made it 3-35x slower (the second thread waits
a scheduler slice, ~24 ms, behind the other process); idle, splitting paid only from about
3e7 FLOPs (0.7-0.8x the time). So a product runs on one thread unless it is at least
`SPLIT_FLOPS` and, sampled at that run, no other process is runnable on the spare cores.

A compiled kernel cannot pick threads per BLAS call (the thread count is a library global,
set from Python), so each plan records its largest product once (`plan_product_flops`) and
`use` switches the global only when the wanted count changes: a few hundred ns, once.
Both OpenBLAS copies are set: numpy's (the interpreter) and SciPy's (Numba's np.dot).
SciPy's is found only once compiled code has loaded it: importing `scipy.linalg` to find
it costs a quarter of a second, more than a short program on the interpreter runs.
"""
from __future__ import annotations

import os
import sys
import time

# 3e7 FLOPs is ~0.4 ms on one core: the /proc/loadavg read that guards splitting (~5 us,
# at most every 5 ms) costs ~1%.
SPLIT_FLOPS = 3e7
# OpenBLAS's idle workers busy-wait this many (2**N) cycles before they sleep; the default,
# 2**28 (~0.1 s), takes a core from the user's other processes after every split product.
# Read when the library loads: it reaches SciPy's copy, which Numba loads lazily.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

_USER_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
_MATMULS = ("MatMul", "BatchMatMul", "BatchMatMulV2")


def cpu_count() -> int:
    """The CPUs this process may run on (its affinity mask, as TF's 0 means)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def user_limit() -> int | None:
    """A thread count the user set in the environment (OpenBLAS's own variable first)."""
    for var in _USER_VARS:
        try:
            n = int(os.environ.get(var, ""))
        except ValueError:
            continue
        if n > 0:
            return n
    return None


def session_budget(config=None) -> int:
    """Threads one Session's runs may use: `intra_op_parallelism_threads` (0 = all the
    CPUs this process may use), never more than the user's OPENBLAS/OMP limit or the CPUs."""
    cap = min(cpu_count(), user_limit() or cpu_count())
    intra = int(getattr(config, "intra_op_parallelism_threads", 0) or 0)
    return max(1, min(intra, cap) if intra > 0 else cap)


class _Blas:
    """Setters of every loaded OpenBLAS, found with threadpoolctl (milliseconds): at the
    first run, and again once compiled code has brought SciPy's copy in (`jit_loaded`)."""

    def __init__(self):
        self.current = None
        self._setters = None
        self._controller = None
        self._with_scipy = False

    def jit_loaded(self) -> None:
        """Compiled code is loaded: SciPy's BLAS (Numba's np.dot) must follow the count too."""
        if self._with_scipy:
            return
        import scipy.linalg.cython_blas  # noqa: F401 - Numba's np.dot calls this copy
        self._setters = None
        self.current = None  # the next run sets every copy, SciPy's included

    def _find(self):
        from threadpoolctl import ThreadpoolController
        self._with_scipy = "scipy.linalg.cython_blas" in sys.modules
        ctl = ThreadpoolController()
        blas = [c for c in ctl.lib_controllers if c.user_api == "blas"]
        openblas = [c for c in blas if c.internal_api == "openblas"]
        self._setters = [c._get_symbol("openblas_set_num_threads") for c in openblas]
        self._setters = [s for s in self._setters if s is not None]
        # MKL, BLIS: threadpoolctl's slower path, taken only when the count changes.
        others = [c for c in blas if c.internal_api != "openblas"]
        self._controller = others

    def set(self, n: int) -> None:
        if self._setters is None:
            self._find()
        for s in self._setters:
            s(n)
        for c in self._controller:
            c.set_num_threads(n)
        self.current = n


BLAS = _Blas()


def use(budget: int, flops: float) -> None:
    """Sets the BLAS threads for a run whose largest product is `flops`, under `budget`."""
    if flops < SPLIT_FLOPS or budget == 1:
        if BLAS.current != 1:
            BLAS.set(1)
        return
    n = _free_cores(budget)
    if n != BLAS.current:
        BLAS.set(n)


class _Load:
    """Runnable threads on the machine now (/proc/loadavg), re-read at most every 5 ms."""

    def __init__(self):
        self.fd, self.at, self.running = None, -1.0, 1

    def read(self) -> int:
        now = time.monotonic()
        if now - self.at < 0.005:
            return self.running
        self.at = now
        try:
            if self.fd is None:
                self.fd = os.open("/proc/loadavg", os.O_RDONLY)
            self.running = int(os.pread(self.fd, 128, 0).split()[3].split(b"/")[0])
        except (OSError, ValueError, IndexError):
            self.running = 1
        return self.running


_LOAD = _Load()
_CPUS = []


def _free_cores(budget: int) -> int:
    """At most `budget`, minus the CPUs that other runnable threads hold right now."""
    if not _CPUS:
        _CPUS.append(cpu_count())
    others = max(_LOAD.read() - 1, 0)  # this thread is one of them
    return max(1, min(budget, _CPUS[0] - others))


def plan_product_flops(plan, feed_values) -> float:
    """FLOPs of the plan's largest matmul product, from its static shapes; a symbolic
    dimension takes its size in the fed values, any other unknown one the largest fed batch."""
    sizes = _fed_sizes(plan, feed_values)
    guess = max((v.shape[0] for v in feed_values if getattr(v, "ndim", 0)), default=1)
    best = 0.0
    for op in plan.ops:
        # Convolutions are not counted: their kernels issue one product per cache-sized
        # tile of patches (1-30 MFLOP, Winograd ~2), and splitting those over two threads
        # made the VGG step 2.1x slower (447 vs 211 ms, codegen/conv_kernels.py).
        if op.type in _MATMULS:
            try:
                best = max(best, _op_flops(op, lambda t: _dims(t, plan.shapes, sizes, guess)))
            except (TypeError, ValueError, KeyError, IndexError):
                continue  # unknown rank: counted as small
    return best


def _fed_sizes(plan, feed_values) -> dict:
    """Symbolic dimension -> its size in this run's feeds."""
    sizes = {}
    for t, v in zip(plan.feeds, feed_values):
        for d, n in zip(plan.shapes.get(t) or (), getattr(v, "shape", ())):
            if isinstance(d, str):
                sizes[d] = n
    return sizes


def _dims(t, shapes, sizes, guess):
    shape = shapes.get(t) if t in shapes else t.shape.as_tuple()
    return [d if isinstance(d, int) else sizes.get(d, guess) for d in shape]


def _prod(dims) -> float:
    p = 1.0
    for d in dims:
        p *= d
    return p


def _op_flops(op, dims) -> float:
    a = dims(op.inputs[0])
    adj = op.get_attr("transpose_a" if op.type == "MatMul" else "adj_x")
    k = a[-2] if adj else a[-1]
    return 2.0 * _prod(dims(op.outputs[0])) * k
