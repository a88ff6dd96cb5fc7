"""Numpy-only inputs and weights for the keras and estimator cases of tf_issue16.json,
shared by make_tf_issue16.py and the tests."""
import numpy as np

F32 = np.float32


def keras_layer_inputs():
    """Inputs and constant weights of the many-layer functional model."""
    rs = np.random.RandomState(16)
    return {
        "img": rs.randn(2, 5, 5, 3).astype(F32),
        "seq": rs.randn(2, 7, 3).astype(F32),
        "ids": rs.randint(0, 10, size=(2, 4)).astype(np.int32),
        "K2": (0.3 * rs.randn(3, 3, 3, 4)).astype(F32),
        "b2": (0.1 * rs.randn(4)).astype(F32),
        "K1": (0.3 * rs.randn(3, 3, 2)).astype(F32),
        "E": rs.randn(10, 3).astype(F32),
        "Wd": (0.2 * rs.randn(38, 5)).astype(F32),
        "gamma": (1 + 0.1 * rs.randn(5)).astype(F32),
        "beta": (0.1 * rs.randn(5)).astype(F32),
        "mm": (0.5 + 0.1 * rs.randn(5)).astype(F32),
        "mv": (0.5 + rs.rand(5)).astype(F32),
    }


def small_dense():
    """(6, 4) kernel and (4,) bias for the one-layer optimizer/loss cases."""
    rs = np.random.RandomState(7)
    return (0.3 * rs.randn(6, 4)).astype(F32), (0.1 * rs.randn(4)).astype(F32)


def regression_data():
    """x (40, 3) float32 and y (40,) = x @ [1, -2, 0.5] + 0.3 + noise, for the
    regressors; x also as a dict of three features."""
    rs = np.random.RandomState(5)
    x = rs.randn(40, 3).astype(F32)
    y = (x @ np.array([1.0, -2.0, 0.5], F32) + 0.3 + 0.1 * rs.randn(40)).astype(F32)
    return x, y


def classifier_data():
    """x (40, 3) as for the regressors, a string feature 'color', binary labels (y > 0)
    and three-class labels (y's terciles)."""
    x, y = regression_data()
    colors = np.array(["red", "green", "blue"])[np.arange(40) * 7 % 3]
    binary = (y > 0).astype(np.int64)
    three = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3])).astype(np.int64)
    return x, colors, binary, three


def dnn_weights():
    """Initial weights of the DNNClassifier case (3 -> 4 relu -> 1), warm-started from."""
    rs = np.random.RandomState(11)
    return {"dnn/hiddenlayer_0/kernel": (0.5 * rs.randn(3, 4)).astype(F32),
            "dnn/hiddenlayer_0/bias": (0.1 * rs.randn(4)).astype(F32),
            "dnn/logits/kernel": (0.5 * rs.randn(4, 1)).astype(F32),
            "dnn/logits/bias": np.zeros(1, F32)}
