"""Queue-based input (issue 16): FIFOQueue, RandomShuffleQueue, QueueRunner,
Coordinator, start_queue_runners, string/slice_input_producer, TextLineReader,
batch and shuffle_batch, as 2016-2017 TF programs use them. The reader pipeline's
batches are TF 1.x's (the same program run in TF's compat.v1, written out below)."""
import threading
import time

import numpy as np
import pytest

import jitgraph as tf
from helpers import session

# TF 1.x's batches for test_reader_pipeline_matches_tf (tensorflow 2.21 compat.v1).
TF_BATCHES = [[0, 1, 2, 3, 10], [11, 12, 13, 20, 21], [22, 23, 0, 1, 2], [3, 10, 11, 12, 13],
              [20, 21, 22, 23]]


def _run_to_end(sess, fetch, coord):
    out = []
    try:
        while not coord.should_stop():
            out.append(sess.run(fetch))
    except tf.errors.OutOfRangeError:
        pass
    finally:
        coord.request_stop()
    return out


def test_reader_pipeline_matches_tf(tmp_path):
    files = []
    for i in range(3):
        p = tmp_path / f"f{i}.csv"
        p.write_text("".join(f"{i},{j},{i * 10 + j}\n" for j in range(4)))
        files.append(str(p))
    fq = tf.train.string_input_producer(files, num_epochs=2, shuffle=False)
    key, value = tf.TextLineReader().read(fq)
    a, b, c = tf.decode_csv(value, record_defaults=[[0], [0], [0.0]])
    xb, yb = tf.train.batch([tf.stack([a, b]), c], batch_size=5,
                            allow_smaller_final_batch=True)
    assert xb.shape.as_list() == [None, 2] and yb.dtype == tf.float32
    sess = session(jit="interp")
    sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
    coord = tf.train.Coordinator()
    threads = tf.train.start_queue_runners(sess=sess, coord=coord)
    batches = _run_to_end(sess, (xb, yb), coord)
    coord.join(threads)
    assert [y.tolist() for _, y in batches] == TF_BATCHES
    assert [x[:, 0] * 10 + x[:, 1] for x, _ in batches[:1]][0].tolist() == TF_BATCHES[0]
    assert all(not t.is_alive() for t in threads)


def test_fifo_queue_ops_and_errors():
    q = tf.FIFOQueue(3, [tf.int32, tf.float32], shapes=[[], [2]])
    enq = q.enqueue_many([[1, 2, 3], [[1, 1], [2, 2], [3, 3]]])
    one = q.dequeue()
    two = q.dequeue_many(2)
    size, closed = q.size(), q.is_closed()
    sess = session(jit="interp")
    sess.run(enq)
    assert sess.run(size) == 3
    i, f = sess.run(one)
    assert i == 1 and f.tolist() == [1, 1]
    i, f = sess.run(two)
    assert i.tolist() == [2, 3] and f.shape == (2, 2)
    sess.run(q.close())
    assert sess.run(closed)
    with pytest.raises(tf.errors.OutOfRangeError, match="is closed and has insufficient "
                                                        r"elements \(requested 1, current "
                                                        r"size 0\)"):
        sess.run(one)
    with pytest.raises(tf.errors.CancelledError, match="is closed"):
        sess.run(enq)
    # a second Session has a queue of its own
    assert session(jit="interp").run(size) == 0
    named = tf.FIFOQueue(2, [tf.int32, tf.string], names=["n", "s"])
    with pytest.raises(ValueError, match="You must enqueue a dictionary"):
        named.enqueue([1, "a"])
    sess.run(named.enqueue({"n": 7, "s": "x"}))
    assert sess.run(named.dequeue()) == {"n": 7, "s": b"x"}


def test_enqueue_blocks_when_full_and_dequeue_when_empty():
    q = tf.FIFOQueue(2, tf.int32, shapes=[[]])
    enq = q.enqueue_many([[1, 2, 3, 4]])
    deq = q.dequeue()
    sess = session(jit="interp")
    t = threading.Thread(target=sess.run, args=(enq,))
    t.start()
    time.sleep(0.2)
    assert t.is_alive() and sess.run(q.size()) == 2  # blocked on the full queue
    assert [sess.run(deq) for _ in range(4)] == [1, 2, 3, 4]
    t.join(5)
    assert not t.is_alive()
    got = []
    t = threading.Thread(target=lambda: got.append(sess.run(deq)))
    t.start()
    time.sleep(0.1)
    sess.run(q.enqueue(9))
    t.join(5)
    assert got == [9]


def test_random_shuffle_queue():
    q = tf.RandomShuffleQueue(20, min_after_dequeue=5, dtypes=tf.int64, shapes=[[]], seed=3)
    enq = q.enqueue_many([np.arange(10)])
    deq = q.dequeue_many(5)
    rest = q.dequeue_up_to(8)
    orders = []
    for _ in range(2):
        sess = session(jit="interp")
        sess.run(enq)
        first = sess.run(deq)  # 10 - 5 >= min_after_dequeue: it does not wait
        sess.run(q.close())
        orders.append(first.tolist() + sess.run(rest).tolist())
    assert sorted(orders[0]) == list(range(10)) and orders[0] != list(range(10))
    assert orders[0] == orders[1]  # seeded: every Session shuffles alike
    with pytest.raises(ValueError, match="capacity must be larger than min_after_dequeue"):
        tf.train.shuffle_batch([tf.constant(1)], 2, capacity=4, min_after_dequeue=4)


def test_shuffle_batch_trains_a_model_on_the_jit():
    """slice_input_producer -> shuffle_batch feeding a compiled training step: every
    example is seen once per epoch, the last batch is short, and the model learns."""
    rs = np.random.RandomState(0)
    x = rs.randn(50, 3).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5], np.float32)).astype(np.float32)
    xs, ys = tf.train.slice_input_producer([x, y], num_epochs=8, shuffle=True, seed=1)
    xb, yb = tf.train.shuffle_batch([xs, ys], batch_size=10, capacity=40,
                                    min_after_dequeue=10, num_threads=2, seed=2,
                                    allow_smaller_final_batch=True)
    w = tf.Variable(tf.zeros([3]))
    loss = tf.reduce_mean(tf.square(tf.reduce_sum(xb * w, axis=1) - yb))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    sess = session(jit="jit")
    sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
    coord = tf.train.Coordinator()
    threads = tf.train.start_queue_runners(sess=sess, coord=coord)
    steps = _run_to_end(sess, (train, loss, yb), coord)
    coord.join(threads)
    seen = np.sort(np.concatenate([s[2] for s in steps]))
    np.testing.assert_array_equal(seen, np.sort(np.tile(y, 8)))
    assert steps[-1][1] < 0.01 * steps[0][1]


def test_coordinator_reports_the_first_error_and_limit_epochs():
    coord = tf.train.Coordinator()

    def worker():
        with coord.stop_on_exception():
            raise RuntimeError("boom")

    t = threading.Thread(target=worker)
    coord.register_thread(t)
    t.start()
    with pytest.raises(RuntimeError, match="boom"):
        coord.join()
    assert coord.should_stop()
    coord.clear_stop()
    assert not coord.should_stop()
    coord.request_stop(tf.errors.OutOfRangeError(None, None, "end"))
    coord.join()  # OutOfRange is a clean stop
    once = tf.train.limit_epochs(tf.constant([1, 2]), num_epochs=1)
    sess = session(jit="interp")
    assert sess.run(once).tolist() == [1, 2]
    with pytest.raises(tf.errors.OutOfRangeError, match="Reached limit of 1"):
        sess.run(once)
    with pytest.raises(ValueError, match="No default session is registered"):
        tf.train.start_queue_runners()


def test_whole_file_reader_and_read_up_to(tmp_path):
    names = []
    for i in range(2):
        p = tmp_path / f"r{i}.txt"
        p.write_bytes(b"header\n" + b"".join(b"line%d%d\n" % (i, j) for j in range(3)))
        names.append(str(p))
    files = tf.train.string_input_producer(names, num_epochs=1, shuffle=False)
    keys, lines = tf.TextLineReader(skip_header_lines=1).read_up_to(files, 4)
    whole_q = tf.train.string_input_producer(names, num_epochs=1, shuffle=False)
    wkey, wval = tf.WholeFileReader().read(whole_q)
    sess = session(jit="interp")
    coord = tf.train.Coordinator()
    threads = tf.train.start_queue_runners(sess=sess, coord=coord)
    k, v = sess.run((keys, lines))
    assert v.tolist() == [b"line00", b"line01", b"line02", b"line10"]
    assert k[0] == f"{names[0]}:2".encode() and k[3] == f"{names[1]}:2".encode()
    assert sess.run(lines).tolist() == [b"line11", b"line12"]  # the input's end: fewer
    with pytest.raises(tf.errors.OutOfRangeError):
        sess.run(lines)
    assert sess.run((wkey, wval)) == (names[0].encode(), open(names[0], "rb").read())
    coord.request_stop()
    coord.join(threads)
