"""`tf.estimator`: Estimator, EstimatorSpec, ModeKeys, RunConfig, inputs, train_and_evaluate
and the canned DNN/Linear classifiers and regressors."""
import types as _types

from jitgraph.estimator import inputs as _inputs
from jitgraph.estimator.canned import (DNNClassifier, DNNRegressor, LinearClassifier,
                                       LinearRegressor)
from jitgraph.estimator.estimator import Estimator, WarmStartSettings
from jitgraph.estimator.model_fn import EstimatorSpec, ModeKeys
from jitgraph.estimator.run_config import RunConfig
from jitgraph.estimator.training import EvalSpec, TrainSpec, train_and_evaluate

inputs = _types.SimpleNamespace(numpy_input_fn=_inputs.numpy_input_fn)
__all__ = ["DNNClassifier", "DNNRegressor", "LinearClassifier", "LinearRegressor",
           "Estimator", "WarmStartSettings", "EstimatorSpec", "ModeKeys", "RunConfig",
           "EvalSpec", "TrainSpec", "train_and_evaluate", "inputs"]
