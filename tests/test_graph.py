"""Graph building: names, reprs, scopes, collections, dtypes and shapes as TF 1.x has them."""
import numpy as np
import pytest

import jitgraph as tf


def test_guide_names_and_reprs():
    a = tf.constant(3.0, dtype=tf.float32)
    b = tf.constant(4.0)
    total = a + b
    assert repr(a) == 'Tensor("Const:0", shape=(), dtype=float32)'
    assert str(b) == 'Tensor("Const_1:0", shape=(), dtype=float32)'
    assert repr(total) == 'Tensor("add:0", shape=(), dtype=float32)'
    assert total.op.type == "Add" and total.op.name == "add" and total.value_index == 0
    assert total.op.inputs == [a, b] and total.op.outputs == [total]


def test_repr_unknown_dims_and_rank():
    x = tf.placeholder(tf.float32, [None, 3])
    assert repr(x) == 'Tensor("Placeholder:0", shape=(?, 3), dtype=float32)'
    y = tf.placeholder(tf.int64)
    assert repr(y) == 'Tensor("Placeholder_1:0", shape=<unknown>, dtype=int64)'
    assert x.shape.as_list() == [None, 3] and x.get_shape().ndims == 2
    assert x.shape[1].value == 3 and x.shape[0].value is None


def test_unique_names_and_name_scopes():
    g = tf.get_default_graph()
    c = [tf.constant(1.0) for _ in range(3)]
    assert [t.name for t in c] == ["Const:0", "Const_1:0", "Const_2:0"]
    s1 = c[0] + c[1]
    s2 = c[0] + c[2]
    assert (s1.name, s2.name) == ("add:0", "add_1:0")
    with tf.name_scope("scope") as scope:
        assert scope == "scope/"
        assert (c[0] * c[1]).name == "scope/mul:0"
    with tf.name_scope("scope"):
        assert (c[0] * c[1]).name == "scope_1/mul:0"
    # Names are unique case-insensitively, as in TF: "Add" collides with "add", "add_1".
    assert tf.add(c[0], c[1]).name == "Add_2:0"
    assert tf.add(c[0], c[1]).name == "Add_3:0"
    assert tf.constant(2.0, name="add").name == "add_4:0"
    assert g.get_operation_by_name("scope/mul").type == "Mul"
    assert g.get_tensor_by_name("add_1:0") is s2
    with pytest.raises(KeyError):
        g.get_operation_by_name("nope")
    with pytest.raises(KeyError, match="does not exist"):
        g.get_tensor_by_name("add:3")


def test_operator_op_names():
    a, b = tf.constant(6.0), tf.constant(4.0)
    names = {"sub": a - b, "mul": a * b, "truediv": a / b, "floordiv": a // b, "mod": a % b,
             "pow": a ** b, "Neg": -a, "Abs": abs(a), "Less": a < b, "GreaterEqual": a >= b}
    for expected, t in names.items():
        assert t.op.name == expected, (expected, t.name)
    r = 2.0 - a
    assert r.op.inputs[1] is a and r.op.name == "sub_1"


def test_graph_isolation_and_default_graph():
    g = tf.Graph()
    with g.as_default():
        c = tf.constant(1.0)
        assert tf.get_default_graph() is g
    assert c.graph is g and tf.get_default_graph() is not g
    with pytest.raises(ValueError):
        tf.constant(1.0) + c


def test_control_dependencies_and_group():
    a = tf.constant(1.0)
    b = tf.constant(2.0)
    with tf.control_dependencies([a]):
        c = b + 1.0
    assert a.op in c.op.control_inputs
    g = tf.group(a, c)
    assert g.type == "NoOp" and set(g.control_inputs) == {a.op, c.op}
    assert tf.Session().run(g) is None


def test_collections():
    tf.add_to_collection("mine", 1)
    tf.add_to_collection("mine", 2)
    assert tf.get_collection("mine") == [1, 2]
    tf.get_collection_ref("mine").append(3)
    assert tf.get_default_graph().get_collection("mine") == [1, 2, 3]
    assert "mine" in tf.get_default_graph().get_all_collection_keys()


def test_finalize():
    g = tf.get_default_graph()
    tf.constant(1.0)
    g.finalize()
    with pytest.raises(RuntimeError, match="finalized"):
        tf.constant(2.0)


def test_constant_conversion_rules():
    assert tf.constant(1.5).dtype == tf.float32
    assert tf.constant(3).dtype == tf.int32
    assert tf.constant(2 ** 40).dtype == tf.int64
    assert tf.constant([True]).dtype == tf.bool
    assert tf.constant(np.float64(1.0)).dtype == tf.float64
    assert tf.constant("hi").dtype == tf.string
    assert tf.constant(0, shape=[2, 3]).shape.as_list() == [2, 3]
    assert tf.constant([1, 2, 3, 4], shape=[2, 2]).shape.as_list() == [2, 2]
    with pytest.raises(TypeError):
        tf.constant(1.5, dtype=tf.int32)


def test_dtypes():
    assert tf.as_dtype("float") == tf.float32 and tf.as_dtype(np.int64) == tf.int64
    assert tf.float32.as_numpy_dtype is np.float32 and tf.float32.is_floating
    assert not tf.int32.is_floating and tf.int32.is_integer
    assert tf.placeholder("float").dtype == tf.float32
    with pytest.raises(TypeError):
        tf.as_dtype("complex7")


def test_static_shape_inference():
    x = tf.placeholder(tf.float32, [None, 3])
    w = tf.constant(np.ones((3, 5), np.float32))
    y = tf.matmul(x, w) + tf.constant(np.zeros(5, np.float32))
    assert y.shape.as_list() == [None, 5]
    assert tf.reduce_sum(y, axis=1).shape.as_list() == [None]
    assert tf.reduce_mean(y, axis=0, keepdims=True).shape.as_list() == [1, 5]
    assert tf.reshape(x, [-1]).shape.as_list() == [None]
    assert tf.reshape(w, [5, -1]).shape.as_list() == [5, 3]
    with pytest.raises(ValueError):
        tf.matmul(w, w)
    with pytest.raises(ValueError):
        x + tf.constant(np.zeros(4, np.float32))


def test_tensor_is_not_a_bool_and_not_iterable():
    x = tf.placeholder(tf.float32)
    with pytest.raises(TypeError, match="bool"):
        bool(x)
    with pytest.raises(TypeError):
        iter(x)


def test_tensorshape_api():
    s = tf.TensorShape([None, 3])
    assert str(s) == "(?, 3)" and repr(s) == "TensorShape([Dimension(None), Dimension(3)])"
    assert s.is_compatible_with([5, 3]) and not s.is_compatible_with([5, 4])
    assert s.merge_with([5, None]).as_list() == [5, 3]
    assert tf.TensorShape(None).ndims is None
