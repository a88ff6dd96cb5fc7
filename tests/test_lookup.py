"""Lookup tables (tf.lookup / tf.contrib.lookup) and the string hashing they use."""
import random

import numpy as np
import pytest

import jitgraph as tf
from jitgraph.ops.string_ops import fingerprint64, fingerprint64_py
from tests.helpers import run_both, session


def _init_run(fetches, feed_dict=None, jit=False):
    sess = session(jit=jit)
    sess.run(tf.tables_initializer())
    return sess.run(fetches, feed_dict)


# -- hashing ------------------------------------------------------------------------------
def test_fingerprint64_pure_python_matches_farmhash():
    farmhash = pytest.importorskip("farmhash")
    rng = random.Random(0)
    for n in list(range(0, 140)) + [200, 255, 256, 1000, 4097]:
        s = bytes(rng.randrange(256) for _ in range(n))
        assert fingerprint64_py(s) == farmhash.fingerprint64(s), n


def test_fingerprint64_known_values():
    # FarmHash Fingerprint64 values (checked with pyfarmhash).
    assert fingerprint64_py(b"") == 11160318154034397263
    assert fingerprint64_py(b"a") == 12917804110809363939
    assert fingerprint64(b"hello") == fingerprint64_py(b"hello") == 13009744463427800296


def test_string_to_hash_bucket_fast_tf_doc_example():
    with tf.Graph().as_default():
        y = tf.string_to_hash_bucket_fast(["Hello", "TensorFlow", "2.x"], 3)
        assert y.dtype == tf.int64
        np.testing.assert_array_equal(session().run(y), [0, 2, 2])


def test_as_string_ints():
    with tf.Graph().as_default():
        y = tf.as_string(tf.constant([[1, -20]], tf.int64))
        assert y.dtype == tf.string and y.shape.as_list() == [1, 2]
        assert session().run(y).tolist() == [[b"1", b"-20"]]


# -- HashTable -----------------------------------------------------------------------------
def test_hash_table_lookup_size_and_default():
    with tf.Graph().as_default():
        init = tf.contrib.lookup.KeyValueTensorInitializer(
            ["brain", "salad", "surgery"], tf.constant([0, 1, 2], tf.int64))
        table = tf.contrib.lookup.HashTable(init, -1)
        out = table.lookup(tf.constant([["brain", "salad"], ["tank", "surgery"]]))
        assert out.dtype == tf.int64 and out.shape.as_list() == [2, 2]
        size = table.size()
        assert size.dtype == tf.int64
        assert table.init is table.initializer
        assert tf.get_collection(tf.GraphKeys.TABLE_INITIALIZERS) == [table.init]
        res, n = _init_run([out, size])
        np.testing.assert_array_equal(res, [[0, 1], [-1, 2]])
        assert n == 3


def test_uninitialized_table_raises_failed_precondition():
    with tf.Graph().as_default():
        table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(["a"], tf.constant([1], tf.int64)), -1)
        sess = session(jit=False)
        with pytest.raises(tf.errors.FailedPreconditionError, match="Table not initialized."):
            sess.run(table.lookup(tf.constant(["a"])))
        with pytest.raises(tf.errors.FailedPreconditionError, match="Table not initialized."):
            sess.run(table.size())
        sess.run(table.initializer)
        assert sess.run(table.size()) == 1


def test_tables_are_per_session():
    with tf.Graph().as_default():
        table = tf.contrib.lookup.HashTable(
            tf.contrib.lookup.KeyValueTensorInitializer([1, 2], [10.0, 20.0],
                                                        key_dtype=tf.int64), 0.0)
        out = table.lookup(tf.constant([2, 3], tf.int64))
        s1, s2 = session(jit=False), session(jit=False)
        s1.run(tf.tables_initializer())
        np.testing.assert_array_equal(s1.run(out), np.array([20.0, 0.0], np.float32))
        with pytest.raises(tf.errors.FailedPreconditionError):
            s2.run(out)


def test_int64_keys_string_values_and_int32_keys_cast():
    with tf.Graph().as_default():
        table = tf.contrib.lookup.HashTable(
            tf.contrib.lookup.KeyValueTensorInitializer(
                tf.constant([3, 7], tf.int64), ["three", "seven"]), "none")
        out = table.lookup(tf.constant([7, 1, 3]))  # int32 keys are cast to int64
        assert out.dtype == tf.string
        assert _init_run(out).tolist() == [b"seven", b"none", b"three"]


def test_key_dtype_mismatch_is_type_error():
    with tf.Graph().as_default():
        table = tf.contrib.lookup.HashTable(
            tf.contrib.lookup.KeyValueTensorInitializer(["a"], tf.constant([1], tf.int64)), -1)
        with pytest.raises(TypeError, match="Signature mismatch. Keys must be dtype"):
            table.lookup(tf.constant([1], tf.int64))


def test_duplicate_keys_with_different_values_fail():
    with tf.Graph().as_default():
        table = tf.contrib.lookup.HashTable(
            tf.contrib.lookup.KeyValueTensorInitializer(["a", "a"],
                                                        tf.constant([1, 2], tf.int64)), -1)
        with pytest.raises(tf.errors.FailedPreconditionError,
                           match="HashTable has different value for same key"):
            session(jit=False).run(table.init)


def test_reinitializing_with_same_data_is_fine():
    with tf.Graph().as_default():
        table = tf.contrib.lookup.HashTable(
            tf.contrib.lookup.KeyValueTensorInitializer(["a"], tf.constant([1], tf.int64)), -1)
        sess = session(jit=False)
        sess.run(tf.tables_initializer())
        sess.run(tf.tables_initializer())
        assert sess.run(table.size()) == 1


def test_tables_initializer_without_tables_is_a_no_op():
    with tf.Graph().as_default():
        op = tf.tables_initializer()
        assert op.type == "NoOp" and op.name == "init_all_tables"
        assert session(jit=False).run(op) is None


# -- index tables ---------------------------------------------------------------------------
def test_index_table_from_tensor_with_oov_bucket_tf_doc_example():
    with tf.Graph().as_default():
        table = tf.contrib.lookup.index_table_from_tensor(
            vocabulary_list=tf.constant(["emerson", "lake", "palmer"]), num_oov_buckets=1,
            default_value=-1)
        ids = table.lookup(tf.constant(["emerson", "lake", "and", "palmer"]))
        res, n = _init_run([ids, table.size()])
        np.testing.assert_array_equal(res, [0, 1, 3, 2])
        assert n == 4


def test_index_table_oov_buckets_use_fingerprint64():
    words = ["and", "king", "crimson", ""]
    with tf.Graph().as_default():
        table = tf.contrib.lookup.index_table_from_tensor(["emerson", "lake", "palmer"],
                                                          num_oov_buckets=5)
        res = _init_run(table.lookup(tf.constant(words)))
        # 3 + Fingerprint64(word) % 5 (values from pyfarmhash).
        np.testing.assert_array_equal(res, [5, 6, 7, 6])
        np.testing.assert_array_equal(res, [3 + fingerprint64(w) % 5 for w in words])


def test_index_table_int64_keys_hash_their_decimal_text():
    with tf.Graph().as_default():
        table = tf.contrib.lookup.index_table_from_tensor([10, 20], num_oov_buckets=5,
                                                          dtype=tf.int64)
        res = _init_run(table.lookup(tf.constant([20, 42, 10], tf.int64)))
        np.testing.assert_array_equal(res, [1, 2 + fingerprint64(b"42") % 5, 0])


def test_index_table_default_value_and_errors():
    with tf.Graph().as_default():
        table = tf.contrib.lookup.index_table_from_tensor(["a", "b"], default_value=-7)
        np.testing.assert_array_equal(_init_run(table.lookup(tf.constant(["b", "z"]))), [1, -7])
        with pytest.raises(ValueError, match="vocabulary_list must be specified"):
            tf.contrib.lookup.index_table_from_tensor(None)
        with pytest.raises(ValueError, match="num_oov_buckets must be greater or equal than 0"):
            tf.contrib.lookup.index_table_from_tensor(["a"], num_oov_buckets=-1)


def test_index_table_feeds_compiled_ops_on_both_engines():
    g = tf.Graph()
    with g.as_default():
        table = tf.contrib.lookup.index_table_from_tensor(["x", "y", "z"])
        ph = tf.placeholder(tf.string, [None])
        y = tf.cast(table.lookup(ph), tf.float32) * 2.0 + 1.0
        init = tf.tables_initializer()
    res = run_both(y, {ph: ["z", "q", "x"]}, graph=g, init=init)
    np.testing.assert_array_equal(res, np.array([5.0, -1.0, 1.0], np.float32))


def test_index_to_string_table_from_tensor_tf_doc_example():
    with tf.Graph().as_default():
        table = tf.contrib.lookup.index_to_string_table_from_tensor(
            tf.constant(["emerson", "lake", "palmer"]))
        out = table.lookup(tf.constant([1, 5], tf.int64))
        assert _init_run(out).tolist() == [b"lake", b"UNK"]


# -- text files --------------------------------------------------------------------------------
def test_index_table_from_file_tf_doc_example(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("emerson\nlake\npalmer\n")
    with tf.Graph().as_default():
        table = tf.contrib.lookup.index_table_from_file(vocabulary_file=str(vocab),
                                                        num_oov_buckets=1)
        ids = table.lookup(tf.constant(["emerson", "lake", "and", "palmer"]))
        np.testing.assert_array_equal(_init_run(ids), [0, 1, 3, 2])


def test_index_table_from_file_vocab_size_and_columns(tmp_path):
    vocab = tmp_path / "vocab.tsv"
    vocab.write_text("a\t10\nb\t20\nc\t30\n")
    with tf.Graph().as_default():
        small = tf.contrib.lookup.index_table_from_file(str(vocab), vocab_size=2,
                                                        key_column_index=0)
        by_col = tf.contrib.lookup.index_table_from_file(str(vocab), key_column_index=0,
                                                         value_column_index=1)
        too_big = tf.contrib.lookup.index_table_from_file(str(vocab), vocab_size=5,
                                                          key_column_index=0)
        keys = tf.constant(["a", "b", "c"])
        sess = session(jit=False)
        sess.run([small.init, by_col.init])
        np.testing.assert_array_equal(sess.run(small.lookup(keys)), [0, 1, -1])
        np.testing.assert_array_equal(sess.run(by_col.lookup(keys)), [10, 20, 30])
        with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid vocab_size"):
            sess.run(too_big.init)


def test_text_file_initializer_line_number_to_whole_line(tmp_path):
    vocab = tmp_path / "v.txt"
    vocab.write_text("zero\none\n")
    with tf.Graph().as_default():
        init = tf.lookup.TextFileInitializer(str(vocab), tf.int64,
                                             tf.lookup.TextFileIndex.LINE_NUMBER, tf.string,
                                             tf.lookup.TextFileIndex.WHOLE_LINE)
        table = tf.lookup.StaticHashTable(init, "?")
        out = table.lookup(tf.constant([1, 0, 2], tf.int64))
        assert _init_run(out).tolist() == [b"one", b"zero", b"?"]
        with pytest.raises(ValueError, match="Signature mismatch"):
            tf.lookup.TextFileInitializer(str(vocab), tf.string,
                                          tf.lookup.TextFileIndex.LINE_NUMBER, tf.string,
                                          tf.lookup.TextFileIndex.WHOLE_LINE)


def test_missing_vocabulary_file_is_not_found(tmp_path):
    with tf.Graph().as_default():
        table = tf.contrib.lookup.index_table_from_file(str(tmp_path / "nope.txt"))
        with pytest.raises(tf.errors.NotFoundError):
            session(jit=False).run(table.init)


def test_static_vocabulary_table():
    with tf.Graph().as_default():
        init = tf.lookup.KeyValueTensorInitializer(["emerson", "lake", "palmer"],
                                                   tf.constant([0, 1, 2], tf.int64))
        table = tf.lookup.StaticVocabularyTable(init, num_oov_buckets=5)
        res, n = _init_run([table.lookup(tf.constant(["lake", "and"])), table.size()])
        np.testing.assert_array_equal(res, [1, 3 + fingerprint64(b"and") % 5])
        assert n == 8


def test_hash_buckets_same_without_the_farmhash_package(monkeypatch):
    from jitgraph.ops import string_ops
    with_c = [string_ops.fingerprint64(w) for w in ("and", "x" * 70, "")]
    monkeypatch.setattr(string_ops, "_fp64_c", None)
    assert [string_ops.fingerprint64(w) for w in ("and", "x" * 70, "")] == with_c
    with tf.Graph().as_default():
        y = tf.string_to_hash_bucket_fast(["Hello", "TensorFlow", "2.x"], 3)
        np.testing.assert_array_equal(session(jit=False).run(y), [0, 2, 2])
