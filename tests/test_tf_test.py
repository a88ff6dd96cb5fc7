"""`tf.test`: a TF 1.x user's unit tests run unchanged on jitgraph.

The user module below is the shape of TF 1.x tests (sessions, evaluate, the assertion
family, tf.test.main); it runs in a subprocess so `tf.test.main` exits as TF's does.
Messages compared are TF 1.x's test_util messages.
"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import jitgraph as tf

USER_TESTS = textwrap.dedent('''
    import numpy as np
    import jitgraph as tf

    class MyOpTest(tf.test.TestCase):
        def testSquare(self):
            with self.cached_session() as sess:
                x = tf.square([2, 3])
                self.assertAllEqual(x.eval(), [4, 9])
                self.assertIs(tf.get_default_session(), sess)
            with self.cached_session() as again:
                self.assertIs(again, sess)

        def testSessionAndEvaluate(self):
            x = tf.placeholder(tf.float32, [2])
            y = x * 2.0
            with self.session() as sess:
                self.assertAllClose(sess.run(y, {x: [1.0, 2.5]}), [2.0, 5.0])
            self.assertAllClose(self.evaluate(tf.constant([1.0, 2.0]) * 3.0), [3.0, 6.0])
            self.assertAllClose({"a": tf.constant(1.0), "b": [1.0, (2.0,)]},
                                {"a": 1.0 + 1e-7, "b": [1.0, (2.0,)]})

        def testSeedsAndGraph(self):
            self.assertEqual(tf.get_default_graph().seed, 87654321)
            self.assertEqual(len(tf.get_default_graph().get_operations()), 0)

        def testTestSessionAndTempDir(self):
            with self.test_session() as sess:
                v = tf.Variable(3.0)
                sess.run(v.initializer)
                self.assertNear(v.eval(), 3.0, 1e-6)
            self.assertTrue(self.get_temp_dir())

        def testFailing(self):
            self.assertAllEqual([1, 2], [1, 3])

    if __name__ == "__main__":
        tf.test.main()
''')


def test_user_test_module_runs_with_tf_test_main(tmp_path):
    path = tmp_path / "my_op_test.py"
    path.write_text(USER_TESTS)
    env = dict(os.environ, JITGRAPH_COMPILE="off")
    r = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                       env=env, timeout=120)
    out = r.stderr
    assert r.returncode == 1, out  # one failing test: unittest's exit status
    # test_session is collected by its name and skips itself, as in TF
    assert "Ran 6 tests" in out and "FAILED (failures=1, skipped=1)" in out, out
    assert "testFailing" in out and "not equal where = (array([1]),)" in out
    assert "not equal lhs = [2]" in out and "not equal rhs = [3]" in out


class _Case(tf.test.TestCase):
    def runTest(self):  # noqa: N802 - unittest's name
        pass


@pytest.fixture
def case():
    c = _Case()
    c.setUp()
    yield c
    c.tearDown()


def test_assert_all_close_messages_and_structures(case):
    case.assertAllClose([1.0, 2.0], np.array([1.0, 2.0 + 1e-7]))
    with pytest.raises(AssertionError) as e:
        case.assertAllClose([1.0, 2.0, 3.0], [1.0, 2.1, 3.0])
    msg = str(e.value)
    assert "not close where = (array([1]),)" in msg
    assert "not close lhs = [2.]" in msg and "not close rhs = [2.1]" in msg
    assert "dtype = float64, shape = (3,)" in msg
    with pytest.raises(AssertionError, match=r"Shape mismatch: expected \(2,\), got \(3,\)"):
        case.assertAllClose([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(AssertionError, match=r"Mismatched value: a\[k\]\[1\]"):
        case.assertAllClose({"k": [1.0, [2.0]]}, {"k": [1.0, [3.0]]})
    case.assertAllClose(np.float32(1.0), 1.0 + 1e-7)
    case.assertAllClose([np.nan, 1.0], [np.nan, 1.0])
    case.assertNotAllClose([1.0], [2.0])
    case.assertAllCloseAccordingToType(np.float16(1.0), np.float16(1.0005))


def test_assert_all_equal_near_and_ranges(case):
    case.assertAllEqual(tf.constant([[1, 2]]), [[1, 2]])
    case.assertAllEqual([np.nan, 1.0], [np.nan, 1.0])
    with pytest.raises(AssertionError, match=r"Shape mismatch: expected \(2,\), got \(1,\)"):
        case.assertAllEqual([1, 2], [1])
    case.assertNotAllEqual([1, 2], [1, 3])
    case.assertNear(1.0, 1.05, 0.1)
    with pytest.raises(AssertionError, match=r"1.000000 != 1.200000 \+/- 0.100000 \(why\)"):
        case.assertNear(1.0, 1.2, 0.1, msg="why")
    case.assertArrayNear([1.0, 2.0], [1.01, 2.0], 0.02)
    case.assertAllInRange([0.0, 0.5, 1.0], 0.0, 1.0)
    with pytest.raises(AssertionError, match="1 of the 3 element"):
        case.assertAllInRange([0.0, 0.5, 1.0], 0.0, 1.0, open_upper_bound=True)
    case.assertAllGreater([2, 3], 1)
    case.assertAllLessEqual([2, 3], 3)
    case.assertAllInSet([1, 2, 1], {1, 2})
    case.assertShapeEqual(np.zeros((2, 3)), tf.zeros([2, 3]))
    case.assertDTypeEqual(np.zeros(2, np.float32), np.float32)
    case.assertLen([1, 2], 2)
    case.assertStartsWith("jitgraph", "jit")


def test_assert_raises_op_error(case):
    x = tf.placeholder(tf.float32, name="needed")
    with case.cached_session():
        with case.assertRaisesOpError("must feed a value for placeholder tensor 'needed'"):
            (x + 1.0).eval()
        with pytest.raises(AssertionError, match="Exception of type"):
            with case.assertRaisesOpError("something else"):
                (x + 1.0).eval()
        with pytest.raises(AssertionError, match="OpError not raised"):
            with case.assertRaisesOpError("x"):
                pass


def test_compute_gradient_error():
    x = tf.placeholder(tf.float64, [2, 3])
    y = tf.reduce_sum(tf.tanh(x) * x, axis=1)
    xv = np.linspace(-1, 1, 6).reshape(2, 3)
    with tf.Session() as sess:
        sess.jit = False
        jt, jn = tf.test.compute_gradient(x, [2, 3], y, [2], x_init_value=xv)
        assert jt.shape == (6, 2)
        d = np.tanh(xv) + xv * (1 - np.tanh(xv) ** 2)
        want = np.zeros((6, 2))
        want[:3, 0], want[3:, 1] = d[0], d[1]
        np.testing.assert_allclose(jt, want, rtol=1e-10)
        np.testing.assert_allclose(jn, want, rtol=1e-5)
        assert tf.test.compute_gradient_error(x, [2, 3], y, [2], x_init_value=xv) < 1e-6
    assert not tf.test.is_gpu_available() and tf.test.gpu_device_name() == ""
    assert os.path.isdir(tf.test.get_temp_dir())


def test_benchmark_stubs_and_decorators(case):
    class MyBench(tf.test.Benchmark):
        pass
    x = tf.placeholder(tf.float32, [3])
    with tf.Session() as sess:
        sess.jit = False
        r = MyBench().run_op_benchmark(sess, x * 2.0, {x: [1, 2, 3]}, burn_iters=1,
                                       min_iters=3, name="double", mbs=1)
    assert r["iters"] == 3 and r["name"] == "double" and r["wall_time"] > 0
    assert r["throughput"] == pytest.approx(1 / r["wall_time"])
    assert MyBench().evaluate(tf.constant(2.0) * 2.0) == 4.0

    class Holder:
        value = 1

        @staticmethod
        def fn():
            return "old"
    with tf.test.StubOutForTesting() as stubs:
        stubs.Set(Holder, "value", 2)
        stubs.Set(Holder, "fn", lambda: "new")
        h = Holder()
        stubs.SmartSet(h, "value", 3)
        assert (Holder.value, Holder.fn(), h.value) == (2, "new", 3)
    assert (Holder.value, Holder.fn(), Holder().value) == (1, "old", 1)
    assert "value" not in vars(h)

    calls = []

    class T(tf.test.TestCase):
        @tf.test.disable_with_predicate(lambda: True, "not here")
        def test_skipped(self):
            calls.append(1)
    import unittest
    res = unittest.TestResult()
    T("test_skipped").run(res)
    assert res.skipped and res.skipped[0][1] == "not here" and not calls
    assert tf.test.with_eager_op_as_function(T) is T
    assert not tf.test.is_built_with_xla()
    assert isinstance(tf.test.benchmark_config(), tf.ConfigProto)
