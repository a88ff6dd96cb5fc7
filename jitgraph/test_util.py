"""`tf.test`: TestCase, main and the gradient checker, so users' TF 1.x unit tests run.

`TestCase` is TF 1.x's `tf.test.TestCase` on plain `unittest`: each test starts in a
fresh default graph with TF's default seeds; `session()` / `cached_session()` /
`test_session()` yield a Session installed as the default; the assertions compare
values (Tensors are evaluated first) and fail with TF's messages.
"""
from __future__ import annotations

import contextlib
import functools
import math
import os
import random
import re
import tempfile
import unittest
from unittest import mock  # noqa: F401 - `tf.test.mock`

import numpy as np

from jitgraph.framework import errors
from jitgraph.framework.graph import (Tensor, get_default_graph, get_default_session,
                                      reset_default_graph)

DEFAULT_GRAPH_SEED = 87654321  # TF's random_seed.DEFAULT_GRAPH_SEED

_TEMP_DIR = None


def get_temp_dir():
    """A temporary directory for this test process (TEST_TMPDIR if set), made once."""
    global _TEMP_DIR
    if _TEMP_DIR is None:
        base = os.environ.get("TEST_TMPDIR")
        if base:
            os.makedirs(base, exist_ok=True)
        _TEMP_DIR = tempfile.mkdtemp(prefix="jitgraph_test_", dir=base or None)
    return _TEMP_DIR


def main(argv=None):
    """Runs the tests of the `__main__` module (TF's `tf.test.main`); exits with their
    status."""
    return unittest.main(module="__main__", argv=argv)


def is_gpu_available(cuda_only=False, min_cuda_compute_capability=None):
    """False: jitgraph runs on the CPU."""
    return False


def is_built_with_cuda():
    return False


def is_built_with_rocm():
    return False


def is_built_with_gpu_support():
    return False


def gpu_device_name():
    """'' : there is no GPU device."""
    return ""


def is_built_with_xla():
    return False


def benchmark_config():
    """The ConfigProto TF's benchmarks run under (here: the default one)."""
    from jitgraph.config_proto import ConfigProto
    return ConfigProto()


def disable_with_predicate(pred, skip_message):
    """Decorates a test method to skip itself (with `skip_message`) when `pred()` holds."""
    def decorator(func):
        @functools.wraps(func)
        def wrapper(self, *args, **kwargs):
            if pred():
                self.skipTest(skip_message)
            return func(self, *args, **kwargs)
        return wrapper
    return decorator


def with_eager_op_as_function(cls=None, only_as_function=False):
    """TF adds eager variants of a test class; graph-mode tests have none to add, so the
    class (or, without one, the decorator) is returned as it is."""
    if cls is None:
        return lambda c: c
    return cls


class StubOutForTesting:
    """Replaces attributes for the length of a test and puts them back (TF's googletest
    stubout): `Set`/`SmartSet` replace, `UnsetAll`/`SmartUnsetAll`/`CleanUp` restore."""

    def __init__(self):
        self.cache = []
        self.stubs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.CleanUp()

    def CleanUp(self):  # noqa: N802 - TF's name
        self.SmartUnsetAll()
        self.UnsetAll()

    def SmartSet(self, obj, attr_name, new_attr):  # noqa: N802 - TF's name
        """Replaces `obj.attr_name`, restoring what `obj` itself held (or deleting the
        attribute it only inherited) on SmartUnsetAll."""
        own = attr_name in getattr(obj, "__dict__", {})
        old = obj.__dict__[attr_name] if own else None
        self.stubs.append((obj, attr_name, own, old))
        setattr(obj, attr_name, new_attr)

    def SmartUnsetAll(self):  # noqa: N802 - TF's name
        for obj, attr_name, own, old in reversed(self.stubs):
            if own:
                setattr(obj, attr_name, old)
            else:
                delattr(obj, attr_name)
        self.stubs = []

    def Set(self, parent, child_name, new_child):  # noqa: N802 - TF's name
        """Replaces `parent.child_name` with `new_child` until UnsetAll."""
        old = getattr(parent, child_name)
        if isinstance(parent, type) and isinstance(parent.__dict__.get(child_name),
                                                   (staticmethod, classmethod)):
            old = parent.__dict__[child_name]
            new_child = type(old)(new_child)
        self.cache.append((parent, old, child_name))
        setattr(parent, child_name, new_child)

    def UnsetAll(self):  # noqa: N802 - TF's name
        for parent, old, child_name in reversed(self.cache):
            setattr(parent, child_name, old)
        self.cache = []


class Benchmark:
    """`tf.test.Benchmark`: times ops in a Session and reports the numbers (logged at
    INFO, as TF logs them when no TEST_REPORT_FILE_PREFIX is set)."""

    def report_benchmark(self, iters=None, cpu_time=None, wall_time=None, throughput=None,
                         extras=None, name=None, metrics=None):
        from jitgraph.platform import logging
        name = name or f"{type(self).__name__}.{_caller_name()}"
        logging.info("Benchmark [%s] iters: %d, wall_time: %g, cpu_time: %g,throughput: %g, "
                     "extras: %s", name, iters or -1, wall_time or -1, cpu_time or -1,
                     throughput or -1, extras)

    def evaluate(self, tensors):
        sess = get_default_session()
        if sess is None:
            with _session()() as sess:
                return sess.run(tensors)
        return sess.run(tensors)

    def run_op_benchmark(self, sess, op_or_tensor, feed_dict=None, burn_iters=2,
                         min_iters=10, store_trace=False, store_memory_usage=True, name=None,
                         extras=None, mbs=0):
        """Runs `op_or_tensor` `burn_iters` times, then times `min_iters` runs; reports and
        returns {"iters", "wall_time" (the median, seconds), "extras", "name",
        "throughput" (MB/s of `mbs` per run)}."""
        import time
        for _ in range(burn_iters):
            sess.run(op_or_tensor, feed_dict=feed_dict)
        deltas = []
        for _ in range(min_iters):
            start = time.time()
            sess.run(op_or_tensor, feed_dict=feed_dict)
            deltas.append(time.time() - start)
        wall = float(np.median(deltas))
        throughput = mbs / wall if mbs and wall else None
        self.report_benchmark(iters=min_iters, wall_time=wall, extras=extras, name=name,
                              throughput=throughput)
        out = {"iters": min_iters, "wall_time": wall, "extras": extras or {}, "name": name}
        if throughput is not None:
            out["throughput"] = throughput
        return out


def _caller_name():
    import inspect
    frame = inspect.stack()[2]
    return frame.function


def _session():
    from jitgraph.session import Session  # the API layer, imported when a test runs
    return Session


class TestCase(unittest.TestCase):
    """Base class for tests that need to run graphs (`tf.test.TestCase`)."""

    def __init__(self, methodName="runTest"):  # noqa: N803 - unittest's name
        super().__init__(methodName)
        self._cached_session = None
        self._tempdir = None

    def setUp(self):
        self._clear_cached_session()
        random.seed(DEFAULT_GRAPH_SEED)
        np.random.seed(DEFAULT_GRAPH_SEED)
        reset_default_graph()
        get_default_graph().seed = DEFAULT_GRAPH_SEED

    def tearDown(self):
        self._clear_cached_session()

    def _clear_cached_session(self):
        if self._cached_session is not None:
            self._cached_session.close()
            self._cached_session = None

    def get_temp_dir(self):
        """A temporary directory of this test (removed with the process's, not before)."""
        if not self._tempdir:
            self._tempdir = tempfile.mkdtemp(dir=get_temp_dir())
        return self._tempdir

    # -- sessions ------------------------------------------------------------------
    @contextlib.contextmanager
    def session(self, graph=None, config=None, use_gpu=False, force_gpu=False):
        """A new Session on `graph` (default: the default graph), installed as the
        default session and its graph as the default graph; closed on exit."""
        if force_gpu:
            self.skipTest("jitgraph has no GPU to force")
        sess = _session()(graph=graph if graph is not None else get_default_graph(),
                          config=config)
        with sess.graph.as_default(), sess.as_default():
            try:
                yield sess
            finally:
                sess.close()

    @contextlib.contextmanager
    def cached_session(self, graph=None, config=None, use_gpu=False, force_gpu=False):
        """The same Session for every call in this test (made on the first), installed
        as the default; closed when the test ends.

        Raises:
          ValueError: a later call names another graph than the first.
        """
        if force_gpu:
            self.skipTest("jitgraph has no GPU to force")
        g = graph if graph is not None else get_default_graph()
        sess = self._cached_session
        if sess is None:
            sess = self._cached_session = _session()(graph=g, config=config)
        elif graph is not None and sess.graph is not graph:
            raise ValueError("The graph used to get the cached session is different than "
                             "the one that was used to create the session. Maybe create a "
                             "new session with self.session()")
        with sess.graph.as_default(), sess.as_default():
            yield sess

    def test_session(self, graph=None, config=None, use_gpu=False, force_gpu=False):
        """Deprecated in TF: `cached_session()` when `graph` is None, else `session()`."""
        if self.id().endswith(".test_session"):  # unittest collects it by its name
            self.skipTest("Not a test.")
        if graph is None:
            return self.cached_session(config=config, use_gpu=use_gpu, force_gpu=force_gpu)
        return self.session(graph, config, use_gpu, force_gpu)

    def evaluate(self, tensors):
        """The values of `tensors` (any nest) in the default session, or in the cached
        session when there is none."""
        sess = get_default_session()
        if sess is not None:
            return sess.run(tensors)
        with self.cached_session() as sess:
            return sess.run(tensors)

    # -- assertions ------------------------------------------------------------------
    def _GetNdArray(self, a):  # noqa: N802 - TF's name
        if isinstance(a, Tensor):
            a = self.evaluate(a)
        return a if isinstance(a, np.ndarray) else np.array(a)

    def _assertArrayLikeAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):  # noqa: N802
        a, b = self._GetNdArray(a), self._GetNdArray(b)
        if a.shape != b.shape and (b.ndim <= 3 or b.size < 500):
            shape_msg = (f"Shape mismatch: expected {a.shape}, got {b.shape} with contents "
                         f"{b}.")
        else:
            shape_msg = f"Shape mismatch: expected {a.shape}, got {b.shape}."
        self.assertEqual(a.shape, b.shape, shape_msg)
        msgs = [msg]
        if not np.allclose(a, b, rtol=rtol, atol=atol):
            # Which elements fail, with their tolerances, as TF reports them.
            cond = np.logical_or(np.abs(a - b) > atol + rtol * np.abs(b),
                                 np.isnan(a) != np.isnan(b))
            if a.ndim:
                x, y = a[np.where(cond)], b[np.where(cond)]
                msgs.append(f"not close where = {np.where(cond)}")
            else:
                x, y = a, b
            msgs.append(f"not close lhs = {x}")
            msgs.append(f"not close rhs = {y}")
            msgs.append(f"not close dif = {np.abs(x - y)}")
            msgs.append(f"not close tol = {atol + rtol * np.abs(y)}")
            msgs.append(f"dtype = {a.dtype}, shape = {a.shape}")
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol,
                                       err_msg="\n".join(str(m) for m in msgs),
                                       equal_nan=True)

    def _assertAllCloseRecursive(self, a, b, rtol, atol, path, msg):  # noqa: N802
        path_str = ("[" + "][".join(str(p) for p in path) + "]") if path else ""
        msg = msg if msg else ""
        if isinstance(a, Tensor) or isinstance(b, Tensor):
            a, b = (self.evaluate(x) if isinstance(x, Tensor) else x for x in (a, b))
        if isinstance(a, dict) or isinstance(b, dict):
            self.assertIsInstance(a, dict, f"mismatched types at {path_str}")
            self.assertIsInstance(b, dict, f"mismatched types at {path_str}")
            self.assertEqual(len(a), len(b),
                             f"Length of dictionary {a} does not match that of {b} at "
                             f"{path_str}. {msg}")
            for k in a:
                self.assertIn(k, b, f"key {k} does not exist in dictionary {b} at "
                                    f"{path_str}. {msg}")
                self._assertAllCloseRecursive(a[k], b[k], rtol, atol, path + [k], msg)
            return
        if isinstance(a, (list, tuple)) and _has_structure(a) or \
                isinstance(b, (list, tuple)) and _has_structure(b):
            self.assertEqual(len(a), len(b), f"Length of sequence {a} does not match that "
                                             f"of {b} at {path_str}. {msg}")
            for i, (x, y) in enumerate(zip(a, b)):
                self._assertAllCloseRecursive(x, y, rtol, atol, path + [i], msg)
            return
        try:
            a_arr, b_arr = self._GetNdArray(a), self._GetNdArray(b)
        except (TypeError, ValueError) as e:
            raise ValueError(f"Can't convert {a!r}/{b!r} at {path_str} to numpy array") from e
        if path:
            msg += f"\nMismatched value: a{path_str} is different from b{path_str}."
        self._assertArrayLikeAllClose(a_arr, b_arr, rtol=rtol, atol=atol, msg=msg)

    def assertAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):  # noqa: N802
        """Asserts that two structures of numpy arrays or Tensors have near values.

        `a` and `b` may be arrays, Tensors (evaluated first), lists, tuples,
        namedtuples and dicts of them; elements must satisfy
        |a - b| <= atol + rtol * |b| (NaNs in the same places are equal).
        """
        self._assertAllCloseRecursive(a, b, rtol=rtol, atol=atol, path=[], msg=msg)

    def assertAllCloseAccordingToType(self, a, b, rtol=1e-6, atol=1e-6,  # noqa: N802
                                      float_rtol=1e-6, float_atol=1e-6, half_rtol=1e-3,
                                      half_atol=1e-3, bfloat16_rtol=1e-2,
                                      bfloat16_atol=1e-2, msg=None):
        """assertAllClose with wider tolerances for float32 and float16 values."""
        a, b = self._GetNdArray(a), self._GetNdArray(b)
        if a.dtype == np.float32 or b.dtype == np.float32 or a.dtype == np.complex64:
            rtol, atol = max(rtol, float_rtol), max(atol, float_atol)
        if a.dtype == np.float16 or b.dtype == np.float16:
            rtol, atol = max(rtol, half_rtol), max(atol, half_atol)
        self.assertAllClose(a, b, rtol=rtol, atol=atol, msg=msg)

    def assertNotAllClose(self, a, b, **kwargs):  # noqa: N802
        try:
            self.assertAllClose(a, b, **kwargs)
        except AssertionError:
            return
        raise AssertionError("The two values are close at all elements")

    def assertAllEqual(self, a, b, msg=None):  # noqa: N802
        """Asserts that two numpy arrays or Tensors have the same shape and elements
        (NaNs in the same places of float arrays are equal)."""
        msg = msg if msg else ""
        a, b = self._GetNdArray(a), self._GetNdArray(b)
        if b.ndim <= 3 or b.size < 500:
            self.assertEqual(a.shape, b.shape, f"Shape mismatch: expected {a.shape}, got "
                                               f"{b.shape}. Contents: {b}. \n{msg}.")
        else:
            self.assertEqual(a.shape, b.shape, f"Shape mismatch: expected {a.shape}, got "
                                               f"{b.shape}. {msg}")
        same = a == b
        if a.dtype in (np.float16, np.float32, np.float64):
            same = np.logical_or(same, np.logical_and(np.isnan(a), np.isnan(b)))
        if not np.all(same):
            msgs = [msg]
            diff = np.logical_not(same)
            if a.ndim:
                x, y = a[np.where(diff)], b[np.where(diff)]
                msgs.append(f"not equal where = {np.where(diff)}")
            else:
                x, y = a, b
            msgs.append(f"not equal lhs = {x}")
            msgs.append(f"not equal rhs = {y}")
            np.testing.assert_array_equal(a, b, err_msg="\n".join(msgs))

    def assertNotAllEqual(self, a, b, msg=None):  # noqa: N802
        try:
            self.assertAllEqual(a, b, msg)
        except AssertionError:
            return
        raise AssertionError(f"The two values are equal at all elements. {msg or ''}")

    def assertNear(self, f1, f2, err, msg=None):  # noqa: N802
        """Asserts that two floats are near each other: |f1 - f2| <= err."""
        self.assertTrue(f1 == f2 or math.fabs(f1 - f2) <= err,
                        "%f != %f +/- %f%s" % (f1, f2, err,  # noqa: UP031 - TF's message
                                               f" ({msg})" if msg is not None else ""))

    def assertArrayNear(self, farray1, farray2, err, msg=None):  # noqa: N802
        self.assertEqual(len(farray1), len(farray2), msg=msg)
        for f1, f2 in zip(farray1, farray2):
            self.assertNear(float(f1), float(f2), err, msg=msg)

    def assertNDArrayNear(self, ndarray1, ndarray2, err, msg=None):  # noqa: N802
        self.assertTrue(np.linalg.norm(np.asarray(ndarray1) - np.asarray(ndarray2)) <= err,
                        msg=msg)

    def _compare(self, a, target, op, what):
        a = self._GetNdArray(a)
        self.assertTrue(np.all(op(a, target)),
                        msg=f"{a} is not {what} {target}")

    def assertAllGreater(self, a, comparison_target):  # noqa: N802
        self._compare(a, comparison_target, np.greater, "greater than")

    def assertAllLess(self, a, comparison_target):  # noqa: N802
        self._compare(a, comparison_target, np.less, "less than")

    def assertAllGreaterEqual(self, a, comparison_target):  # noqa: N802
        self._compare(a, comparison_target, np.greater_equal, "greater than or equal to")

    def assertAllLessEqual(self, a, comparison_target):  # noqa: N802
        self._compare(a, comparison_target, np.less_equal, "less than or equal to")

    def assertAllInRange(self, target, lower_bound, upper_bound, open_lower_bound=False,  # noqa: N802
                         open_upper_bound=False):
        """Asserts every element of `target` is in the (half-)open or closed interval."""
        target = self._GetNdArray(target)
        if not np.issubdtype(target.dtype, np.floating) and \
                not np.issubdtype(target.dtype, np.integer):
            raise AssertionError(f"The value of {target} does not have an ordered numeric "
                                 "type, instead it has type: {target.dtype}")
        lower = np.less_equal if open_lower_bound else np.less
        upper = np.greater_equal if open_upper_bound else np.greater
        bad = np.logical_or(lower(target, lower_bound), upper(target, upper_bound))
        if np.any(bad):
            lo = "(" if open_lower_bound else "["
            hi = ")" if open_upper_bound else "]"
            raise AssertionError(
                f"{np.sum(bad)} of the {target.size} element(s) are outside the range "
                f"{lo}{lower_bound}, {upper_bound}{hi}. Subscript(s) and value(s) of the "
                f"offending elements:\n{np.argwhere(bad)}")

    def assertAllInSet(self, target, expected_set):  # noqa: N802
        target = self._GetNdArray(target)
        diff = set(target.ravel().tolist()) - set(expected_set)
        if diff:
            raise AssertionError(f"{len(diff)} unique element(s) are not in the set "
                                 f"{expected_set}: {sorted(diff)}")

    def assertDTypeEqual(self, target, expected_dtype):  # noqa: N802
        self.assertEqual(self._GetNdArray(target).dtype, expected_dtype)

    def assertShapeEqual(self, np_array, tf_tensor, msg=None):  # noqa: N802
        """Asserts that a numpy array's shape equals a Tensor's static shape."""
        if not isinstance(np_array, (np.ndarray, np.generic)):
            raise TypeError("np_array must be a Numpy ndarray or Numpy scalar")
        if not isinstance(tf_tensor, Tensor):
            raise TypeError("tf_tensor must be a Tensor")
        self.assertAllEqual(np_array.shape, tf_tensor.get_shape().as_list(), msg=msg)

    def assertDeviceEqual(self, device1, device2, msg=None):  # noqa: N802
        self.assertEqual(device1 or "", device2 or "",
                         f"Devices {device1} and {device2} are not equal. {msg or ''}")

    def assertStartsWith(self, actual, expected_start, msg=None):  # noqa: N802
        if not actual.startswith(expected_start):
            self.fail(f"{actual!r} does not start with {expected_start!r}"
                      + (f" : {msg!r}" if msg else ""))

    def assertLen(self, container, expected_len, msg=None):  # noqa: N802 - absltest's
        if len(container) != expected_len:
            self.fail(f"{container!r} has length of {len(container)}, expected "
                      f"{expected_len}." + (f" : {msg}" if msg else ""))

    def assertEmpty(self, container, msg=None):  # noqa: N802 - absltest's
        if len(container):
            self.fail(f"{container!r} has length of {len(container)}."
                      + (f" : {msg}" if msg else ""))

    def assertNotEmpty(self, container, msg=None):  # noqa: N802 - absltest's
        if not len(container):
            self.fail(f"{container!r} has length of 0." + (f" : {msg}" if msg else ""))

    assertItemsEqual = unittest.TestCase.assertCountEqual  # noqa: N815 - TF's py2 name

    @contextlib.contextmanager
    def assertRaisesWithPredicateMatch(self, exception_type,  # noqa: N802
                                       expected_err_re_or_predicate):
        """A context that must raise `exception_type` whose message matches the regex
        (or which satisfies the predicate)."""
        if callable(expected_err_re_or_predicate):
            predicate = expected_err_re_or_predicate
        else:
            def predicate(e):
                err_str = e.message if isinstance(e, errors.OpError) else str(e)
                op = e.op if isinstance(e, errors.OpError) else None
                if op is not None:
                    err_str += "\nCaused by: " + op.name
                return re.search(expected_err_re_or_predicate, err_str)
        try:
            yield
            self.fail(exception_type.__name__ + " not raised")
        except Exception as e:  # noqa: BLE001 - whatever it was is checked here
            if not isinstance(e, exception_type) or not predicate(e):
                raise AssertionError(f"Exception of type {type(e)}: {e}") from e

    def assertRaisesOpError(self, expected_err_re_or_predicate):  # noqa: N802
        return self.assertRaisesWithPredicateMatch(errors.OpError,
                                                   expected_err_re_or_predicate)

    def checkedThread(self, target, args=None, kwargs=None):  # noqa: N802
        """A thread whose exception fails the test when it is joined."""
        return _CheckedThread(self, target, args, kwargs)


def _has_structure(seq):
    """A list/tuple holding dicts, lists or Tensors is walked item by item; a list of
    numbers is one array."""
    return any(isinstance(x, (dict, list, tuple, Tensor)) for x in seq) or \
        hasattr(seq, "_fields")


class _CheckedThread:
    def __init__(self, testcase, target, args=None, kwargs=None):
        import threading
        self._testcase = testcase
        self._target = target
        self._args = () if args is None else args
        self._kwargs = {} if kwargs is None else kwargs
        self._exception = None
        self._thread = threading.Thread(target=self._protected_run)

    def _protected_run(self):
        try:
            self._target(*self._args, **self._kwargs)
        except Exception as e:  # noqa: BLE001 - reported on join
            self._exception = e

    def start(self):
        self._thread.start()

    def join(self):
        self._thread.join()
        if self._exception is not None:
            self._testcase.fail(f"Error in checkedThread: {self._exception}")

    def is_alive(self):
        return self._thread.is_alive()


# -- the gradient checker (tf.test.compute_gradient, TF 1.x's gradient_checker) ----------
def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def compute_gradient(x, x_shape, y, y_shape, x_init_value=None, delta=1e-3,
                     init_targets=None, extra_feed_dict=None):
    """The theoretical and numerical Jacobians of `y` with respect to `x`.

    Runs in the default session. The theoretical Jacobian comes from `tf.gradients`
    (one backward run per element of y); the numerical one from central differences
    of width 2*`delta` around `x_init_value` (default: x's own value, or random
    values for a placeholder).

    Returns:
      (jacobian_t, jacobian_n), each of shape (x size, y size); for a list `x`, a
      list of such pairs.
    """
    from jitgraph.gradients import gradients
    from jitgraph.ops.constant import placeholder
    sess = get_default_session()
    if sess is None:
        raise ValueError("compute_gradient needs a default session (with sess.as_default())")
    xs, shapes = _as_list(x), x_shape if isinstance(x, (list, tuple)) else [x_shape]
    inits = (x_init_value if isinstance(x, (list, tuple)) else [x_init_value]) \
        if x_init_value is not None else [None] * len(xs)
    if init_targets is not None:
        sess.run(init_targets)
    feed = dict(extra_feed_dict or {})
    values = []
    for xi, shp, init in zip(xs, shapes, inits):
        dt = xi.dtype.as_numpy_dtype
        if init is not None:
            v = np.asarray(init, dtype=dt)
        elif xi.op.type == "Placeholder":
            v = np.random.random_sample(shp).astype(dt)
        else:
            v = np.asarray(sess.run(xi, feed), dtype=dt)
        values.append(v.reshape(shp))
    y_size = int(np.prod(y_shape))
    dy = placeholder(y.dtype, y_shape)
    grads = gradients(y, xs, grad_ys=dy)
    base = {**feed, **dict(zip(xs, values))}
    out = []
    for i, (xi, v) in enumerate(zip(xs, values)):
        x_size = int(np.prod(v.shape))
        jt = np.zeros((x_size, y_size), dtype=v.dtype)
        for j in range(y_size):
            e = np.zeros(y_size, dtype=y.dtype.as_numpy_dtype)
            e[j] = 1
            g = grads[i]
            if g is not None:
                jt[:, j] = np.ravel(sess.run(g, {**base, dy: e.reshape(y_shape)}))
        jn = np.zeros((x_size, y_size), dtype=v.dtype)
        flat = v.ravel()
        for k in range(x_size):
            up, down = flat.copy(), flat.copy()
            up[k] += delta
            down[k] -= delta
            y_up = sess.run(y, {**base, xi: up.reshape(v.shape)})
            y_down = sess.run(y, {**base, xi: down.reshape(v.shape)})
            jn[k, :] = np.ravel((np.asarray(y_up, np.float64) - y_down) / (2 * delta))
        out.append((jt, jn))
    return out if isinstance(x, (list, tuple)) else out[0]


def compute_gradient_error(x, x_shape, y, y_shape, x_init_value=None, delta=1e-3,
                           init_targets=None, extra_feed_dict=None):
    """The largest difference between the theoretical and numerical Jacobians."""
    grads = compute_gradient(x, x_shape, y, y_shape, x_init_value, delta, init_targets,
                             extra_feed_dict)
    pairs = grads if isinstance(grads, list) else [grads]
    err = 0.0
    for jt, jn in pairs:
        if jt.size or jn.size:
            err = max(err, float(np.fabs(jt - jn).max()))
    return err


__all__ = ["Benchmark", "StubOutForTesting", "TestCase", "benchmark_config",
           "compute_gradient", "compute_gradient_error", "disable_with_predicate",
           "get_temp_dir", "gpu_device_name", "is_built_with_cuda", "is_built_with_gpu_support",
           "is_built_with_rocm", "is_built_with_xla", "is_gpu_available", "main", "mock",
           "with_eager_op_as_function"]
