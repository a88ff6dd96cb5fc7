"""tf.feature_column: columns, input_layer, against TF 1.x behaviour."""
import numpy as np
import pytest

import jitgraph as tf
from jitgraph.ops.string_ops import fingerprint64, fingerprint_cat64
from tests.helpers import run_both, session

fc = tf.feature_column


def _run(out, feed_dict=None, graph=None):
    """Runs `out` on the interpreter after initializing tables and variables."""
    from jitgraph.variables import global_variables_initializer
    sess = session(graph, jit=False)
    sess.run([global_variables_initializer(), tf.tables_initializer()])
    return sess.run(out, feed_dict)


def _layer(features, columns):
    with tf.Graph().as_default():
        return _run(fc.input_layer(features, columns))


# -- the guide's example (both engines) -------------------------------------------------------
def test_guide_example_on_both_engines():
    g = tf.Graph()
    with g.as_default():
        features = {"sales": [[5], [10], [8], [9]],
                    "department": ["sports", "sports", "gardening", "gardening"]}
        department = fc.indicator_column(
            fc.categorical_column_with_vocabulary_list("department", ["sports", "gardening"]))
        inputs = fc.input_layer(features, [fc.numeric_column("sales"), department])
        assert inputs.dtype == tf.float32 and inputs.shape.as_list() == [4, 3]
        init = tf.tables_initializer()
    res = run_both(inputs, graph=g, init=init)
    np.testing.assert_array_equal(res, [[1, 0, 5], [1, 0, 10], [0, 1, 8], [0, 1, 9]])


def test_fed_features_change_batch_size_on_both_engines():
    g = tf.Graph()
    with g.as_default():
        dept = tf.placeholder(tf.string, [None])
        sales = tf.placeholder(tf.float32, [None, 1])
        col = fc.indicator_column(fc.categorical_column_with_vocabulary_list(
            "department", ["sports", "gardening"], num_oov_buckets=1))
        out = fc.input_layer({"department": dept, "sales": sales},
                             [col, fc.numeric_column("sales")])
        init = tf.tables_initializer()
    res = run_both(out, {dept: ["gardening", "x"], sales: [[1.5], [2.0]]}, graph=g, init=init)
    np.testing.assert_array_equal(res, np.array([[0, 1, 0, 1.5], [0, 0, 1, 2.0]], np.float32))
    res = run_both(out, {dept: ["sports"], sales: [[3.0]]}, graph=g, init=init)
    np.testing.assert_array_equal(res, np.array([[1, 0, 0, 3.0]], np.float32))


def test_features_from_a_dataset():
    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_tensor_slices(
            {"sales": [[5.0], [10.0], [8.0], [9.0]],
             "department": ["sports", "sports", "gardening", "gardening"]}).batch(2)
        feats = tf.data.make_one_shot_iterator(ds).get_next()
        col = fc.indicator_column(
            fc.categorical_column_with_vocabulary_list("department", ["sports", "gardening"]))
        out = fc.input_layer(feats, [fc.numeric_column("sales"), col])
        sess = session(jit=False)
        sess.run(tf.tables_initializer())
        np.testing.assert_array_equal(sess.run(out), [[1, 0, 5], [1, 0, 10]])
        np.testing.assert_array_equal(sess.run(out), [[0, 1, 8], [0, 1, 9]])


# -- numeric ----------------------------------------------------------------------------------
def test_numeric_column_shapes_dtype_and_normalizer():
    col = fc.numeric_column("x", shape=2, normalizer_fn=lambda t: t * 2)
    assert col.shape == (2,) and col.dtype == tf.float32 and col.name == "x"
    res = _layer({"x": np.array([[1, 2], [3, 4]], np.int64), "y": [7, 8]},
                 [col, fc.numeric_column("y")])
    np.testing.assert_array_equal(res, np.array([[2, 4, 7], [6, 8, 8]], np.float32))
    assert fc.numeric_column("z", default_value=3.0).default_value == (3.0,)


def test_numeric_column_errors():
    with pytest.raises(ValueError, match="dtype must be convertible to float"):
        fc.numeric_column("x", dtype=tf.string)
    with pytest.raises(ValueError, match="shape dimensions must be greater than 0"):
        fc.numeric_column("x", shape=(0,))
    with pytest.raises(TypeError, match="shape dimensions must be integer"):
        fc.numeric_column("x", shape=(1.5,))
    with pytest.raises(TypeError, match="normalizer_fn must be a callable"):
        fc.numeric_column("x", normalizer_fn=3)
    with pytest.raises(ValueError, match="key must be a string"):
        fc.numeric_column(1)
    with pytest.raises(ValueError, match="The shape of default_value must be equal"):
        fc.numeric_column("x", shape=(2,), default_value=[1.0, 2.0, 3.0])


# -- bucketized -----------------------------------------------------------------------------
def test_bucketized_column_tf_bucketize_example():
    # TF's Bucketize doc: boundaries [0, 10, 100], [[-5, 10000], [150, 10], [5, 100]]
    # -> buckets [[0, 3], [3, 2], [1, 3]]; as a dense column each is one-hot of 4.
    col = fc.bucketized_column(fc.numeric_column("x", shape=(2,)), [0.0, 10.0, 100.0])
    assert col.name == "x_bucketized" and col._num_buckets == 8
    res = _layer({"x": [[-5, 10000], [150, 10], [5, 100]]}, [col])
    expected = np.zeros((3, 8), np.float32)
    for r, bs in enumerate([[0, 3], [3, 2], [1, 3]]):
        for i, b in enumerate(bs):
            expected[r, i * 4 + b] = 1
    np.testing.assert_array_equal(res, expected)


def test_bucketized_column_as_categorical_offsets_each_element():
    col = fc.bucketized_column(fc.numeric_column("x", shape=(2,)), [0.0, 10.0, 100.0])
    res = _layer({"x": [[-5, 10000]]}, [fc.indicator_column(col)])
    np.testing.assert_array_equal(res, [[1, 0, 0, 0, 0, 0, 0, 1]])


def test_bucketized_column_errors():
    with pytest.raises(ValueError, match="source_column must be a column generated with"):
        fc.bucketized_column(fc.categorical_column_with_identity("x", 3), [1.0])
    with pytest.raises(ValueError, match="source_column must be one-dimensional column"):
        fc.bucketized_column(fc.numeric_column("x", shape=(2, 2)), [1.0])
    with pytest.raises(ValueError, match="boundaries must be a sorted list"):
        fc.bucketized_column(fc.numeric_column("x"), [2.0, 1.0])


# -- vocabulary columns ------------------------------------------------------------------------
def test_vocabulary_list_misses_missing_values_and_multivalent_rows():
    col = fc.categorical_column_with_vocabulary_list("w", ["a", "b", "c"])
    assert col._num_buckets == 3 and col.dtype == tf.string and col.default_value == -1
    res = _layer({"w": [["a", "c"], ["z", ""], ["b", "b"]]}, [fc.indicator_column(col)])
    np.testing.assert_array_equal(res, [[1, 0, 1], [0, 0, 0], [0, 2, 0]])


def test_vocabulary_list_default_value_and_oov_buckets():
    dflt = fc.categorical_column_with_vocabulary_list("w", ["a", "b"], default_value=0)
    oov = fc.categorical_column_with_vocabulary_list("v", ["a", "b"], num_oov_buckets=3)
    assert oov._num_buckets == 5
    res = _layer({"w": ["z", "b"], "v": ["zz", "a"]},
                 [fc.indicator_column(dflt), fc.indicator_column(oov)])
    bucket = 2 + fingerprint64(b"zz") % 3
    expected = np.zeros((2, 7), np.float32)
    expected[0, bucket] = expected[1, 0] = 1          # v_indicator sorts first
    expected[0, 5] = expected[1, 6] = 1
    np.testing.assert_array_equal(res, expected)


def test_vocabulary_list_integer_vocabulary():
    col = fc.categorical_column_with_vocabulary_list("n", [10, 20, 30])
    assert col.dtype == tf.int64
    res = _layer({"n": [[30], [-1], [20], [7]]}, [fc.indicator_column(col)])
    np.testing.assert_array_equal(res, [[0, 0, 1], [0, 0, 0], [0, 1, 0], [0, 0, 0]])


def test_vocabulary_list_errors():
    with pytest.raises(ValueError, match="must be non-empty"):
        fc.categorical_column_with_vocabulary_list("w", [])
    with pytest.raises(ValueError, match="Duplicate keys in vocabulary_list"):
        fc.categorical_column_with_vocabulary_list("w", ["a", "a"])
    with pytest.raises(ValueError, match="Can't specify both num_oov_buckets and default_valu"):
        fc.categorical_column_with_vocabulary_list("w", ["a"], default_value=0,
                                                   num_oov_buckets=1)
    with pytest.raises(ValueError, match="do not match"):
        fc.categorical_column_with_vocabulary_list("w", ["a"], dtype=tf.int64)
    col = fc.categorical_column_with_vocabulary_list("w", ["a"])
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Column dtype and SparseTensors dtype must be"):
            fc.input_layer({"w": [1, 2]}, [fc.indicator_column(col)])


def test_vocabulary_file_column(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("apple\nbanana\ncherry\n")
    col = fc.categorical_column_with_vocabulary_file("f", str(path), num_oov_buckets=1)
    assert col.vocabulary_size == 3 and col._num_buckets == 4
    res = _layer({"f": ["cherry", "kiwi", "apple"]}, [fc.indicator_column(col)])
    np.testing.assert_array_equal(res, [[0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0]])
    small = fc.categorical_column_with_vocabulary_file("f", str(path), vocabulary_size=2)
    res = _layer({"f": ["cherry", "banana"]}, [fc.indicator_column(small)])
    np.testing.assert_array_equal(res, [[0, 0], [0, 1]])
    with pytest.raises(ValueError, match="Missing vocabulary_file in f"):
        fc.categorical_column_with_vocabulary_file("f", "")
    with pytest.raises(ValueError, match="Invalid vocabulary_size in f"):
        fc.categorical_column_with_vocabulary_file("f", str(path), vocabulary_size=0)


# -- identity and hash columns ---------------------------------------------------------------------
def test_identity_column_values_missing_and_default():
    col = fc.categorical_column_with_identity("n", 4)
    res = _layer({"n": [[1], [-1], [3]]}, [fc.indicator_column(col)])
    np.testing.assert_array_equal(res, [[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]])
    dflt = fc.categorical_column_with_identity("n", 4, default_value=0)
    res = _layer({"n": [[7], [2], [-5]]}, [fc.indicator_column(dflt)])
    np.testing.assert_array_equal(res, [[1, 0, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0]])


def test_identity_column_out_of_range_and_errors():
    with tf.Graph().as_default():
        out = fc.input_layer({"n": [[1], [4]]},
                             [fc.indicator_column(fc.categorical_column_with_identity("n", 4))])
        with pytest.raises(tf.errors.InvalidArgumentError, match="Condition x < y"):
            _run(out)
        with pytest.raises(ValueError, match="Invalid input, not integer"):
            fc.input_layer({"m": ["a"]}, [fc.indicator_column(
                fc.categorical_column_with_identity("m", 4))])
    with pytest.raises(ValueError, match="num_buckets 0 < 1"):
        fc.categorical_column_with_identity("n", 0)
    with pytest.raises(ValueError, match=r"default_value \[4\] not in range \[0, 4\)"):
        fc.categorical_column_with_identity("n", 4, default_value=4)


def test_hash_bucket_column_strings_and_ints():
    words = fc.categorical_column_with_hash_bucket("w", 3)
    nums = fc.categorical_column_with_hash_bucket("n", 10, dtype=tf.int64)
    res = _layer({"w": ["Hello", "TensorFlow", "2.x"], "n": [42, -1, 7]},
                 [fc.indicator_column(words), fc.indicator_column(nums)])
    expected = np.zeros((3, 13), np.float32)
    expected[0, fingerprint64(b"42") % 10] = 1      # n_indicator sorts first; -1 is missing
    expected[2, fingerprint64(b"7") % 10] = 1
    for r, b in enumerate([0, 2, 2]):              # TF's doc values for these strings
        expected[r, 10 + b] = 1
    np.testing.assert_array_equal(res, expected)
    with pytest.raises(ValueError, match="hash_bucket_size must be at least 1"):
        fc.categorical_column_with_hash_bucket("w", 0)
    with pytest.raises(ValueError, match="hash_bucket_size must be set"):
        fc.categorical_column_with_hash_bucket("w", None)


# -- crossed ------------------------------------------------------------------------------------
def _cross_id(values, buckets):
    h = 0xDECAFCAFFE
    for v in values:
        f = fingerprint64(v) if isinstance(v, bytes) else v & 0xFFFFFFFFFFFFFFFF
        h = fingerprint_cat64(h, f)
    return h % buckets


def test_crossed_column_hashes_like_sparse_cross_hashed():
    price = fc.bucketized_column(fc.numeric_column("price"), [10.0])
    col = fc.crossed_column(["color", price], 7)
    assert col.name == "color_X_price_bucketized" and col._num_buckets == 7
    res = _layer({"color": ["red", "blue"], "price": [[3.0], [20.0]]},
                 [fc.indicator_column(col)])
    expected = np.zeros((2, 7), np.float32)
    # Categorical (sparse) inputs come before raw (dense) ones, as in TF's sparse_cross.
    expected[0, _cross_id([0, b"red"], 7)] = 1
    expected[1, _cross_id([1, b"blue"], 7)] = 1
    np.testing.assert_array_equal(res, expected)


def test_crossed_column_products_and_missing_values():
    col = fc.crossed_column([fc.categorical_column_with_identity("a", 5), "b"], 1000)
    res = _layer({"a": [[1, 2], [-1, -1]], "b": [["x"], ["y"]]}, [fc.indicator_column(col)])
    expected = np.zeros((2, 1000), np.float32)
    expected[0, _cross_id([1, b"x"], 1000)] += 1
    expected[0, _cross_id([2, b"x"], 1000)] += 1    # row 1 has no "a": no cross
    np.testing.assert_array_equal(res, expected)


def test_crossed_column_errors():
    with pytest.raises(ValueError, match="keys must be a list with length > 1"):
        fc.crossed_column(["a"], 10)
    with pytest.raises(ValueError, match="hash_bucket_size must be > 1"):
        fc.crossed_column(["a", "b"], 0)
    with pytest.raises(ValueError, match="categorical_column_with_hash_bucket is not supported"):
        fc.crossed_column([fc.categorical_column_with_hash_bucket("a", 5), "b"], 10)


# -- embedding ------------------------------------------------------------------------------------
def _table_init(shape, dtype=None, partition_info=None):
    return np.arange(np.prod(shape), dtype=np.float32).reshape(shape)


@pytest.mark.parametrize("combiner,expected", [
    ("mean", [[1, 2], [2, 3], [0, 0], [2, 3]]),
    ("sum", [[2, 4], [2, 3], [0, 0], [4, 6]]),
    ("sqrtn", [[2 / 2 ** .5, 4 / 2 ** .5], [2, 3], [0, 0], [4 / 2 ** .5, 6 / 2 ** .5]]),
])
def test_embedding_column_combiners(combiner, expected):
    cat = fc.categorical_column_with_vocabulary_list("c", ["red", "blue", "green"])
    col = fc.embedding_column(cat, 2, combiner=combiner, initializer=_table_init)
    assert col.name == "c_embedding"
    res = _layer({"c": [["red", "blue"], ["blue", ""], ["", "pink"], ["green", "red"]]}, [col])
    np.testing.assert_allclose(res, np.array(expected, np.float32), rtol=1e-6)


def test_embedding_column_variable_and_gradient_on_both_engines():
    from jitgraph.variables import global_variables_initializer
    g = tf.Graph()
    with g.as_default():
        cat = fc.categorical_column_with_identity("i", 3)
        col = fc.embedding_column(cat, 2, initializer=_table_init)
        out = fc.input_layer({"i": [[0, 2], [1, -1]]}, [col])
        (var,) = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)
        assert var.name == "input_layer/i_embedding/embedding_weights:0"
        assert var.shape.as_list() == [3, 2]
        assert var in tf.get_collection(tf.GraphKeys.MODEL_VARIABLES)
        grad = tf.gradients(tf.reduce_sum(out), [var])[0]
        init = [global_variables_initializer(), tf.tables_initializer()]
    res, dw = run_both([out, grad], graph=g, init=init)
    np.testing.assert_allclose(res, [[2, 3], [2, 3]])
    np.testing.assert_allclose(dw, [[0.5, 0.5], [1, 1], [0.5, 0.5]])


def test_embedding_column_not_trainable_and_errors():
    cat = fc.categorical_column_with_identity("i", 3)
    with tf.Graph().as_default():
        fc.input_layer({"i": [[0]]}, [fc.embedding_column(cat, 2, trainable=False)])
        assert tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES) == []
        assert len(tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)) == 1
    with pytest.raises(ValueError, match="Invalid dimension 0"):
        fc.embedding_column(cat, 0)
    with pytest.raises(ValueError, match="initializer must be callable"):
        fc.embedding_column(cat, 2, initializer=3)


# -- input_layer --------------------------------------------------------------------------------
def test_input_layer_orders_columns_by_name_and_flattens():
    res = _layer({"b": [[1.0, 2.0]], "a": [[3.0]], "c": [[[4.0], [5.0]]]},
                 [fc.numeric_column("c", shape=(2, 1)), fc.numeric_column("b", shape=(2,)),
                  fc.numeric_column("a")])
    np.testing.assert_array_equal(res, [[3, 1, 2, 4, 5]])


def test_input_layer_errors():
    cat = fc.categorical_column_with_identity("i", 3)
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Items of feature_columns must be a _DenseColumn"):
            fc.input_layer({"i": [1]}, [cat])
        with pytest.raises(ValueError, match="feature_columns must not be empty"):
            fc.input_layer({"i": [1]}, [])
        with pytest.raises(ValueError, match="Feature x is not in features dictionary"):
            fc.input_layer({"i": [1]}, [fc.numeric_column("x")])
        with pytest.raises(ValueError, match="Duplicate feature column name found"):
            fc.input_layer({"i": [1]}, [fc.numeric_column("i"), fc.numeric_column("i")])
        with pytest.raises(ValueError, match="Expected feature_columns to be iterable"):
            fc.input_layer({"i": [1]}, {"i": fc.numeric_column("i")})


def test_columns_are_namedtuples_like_tf():
    a = fc.categorical_column_with_vocabulary_list("department", ["sports", "gardening"])
    assert a == fc.categorical_column_with_vocabulary_list("department",
                                                           ["sports", "gardening"])
    assert repr(a).startswith("_VocabularyListCategoricalColumn(key='department', "
                              "vocabulary_list=('sports', 'gardening')")
    assert fc.indicator_column(a).name == "department_indicator"


def test_guide_example_script_prints_the_guide_output(capsys):
    import pathlib
    import runpy
    script = pathlib.Path(__file__).resolve().parent.parent / "examples" / \
        "guide_feature_columns.py"
    with tf.Graph().as_default():
        runpy.run_path(str(script), run_name="__main__")
    assert capsys.readouterr().out == ("[[ 1.  0.  5.]\n [ 1.  0. 10.]\n [ 0.  1.  8.]\n"
                                       " [ 0.  1.  9.]]\n")
