"""`tf.train`: optimizers, the global step, checkpoints."""
from jitgraph.train.optimizer import Optimizer
from jitgraph.train.optimizers import (AdagradOptimizer, AdamOptimizer,
                                       GradientDescentOptimizer, MomentumOptimizer,
                                       RMSPropOptimizer)
from jitgraph.train.adadelta import AdadeltaOptimizer
from jitgraph.train.ftrl import FtrlOptimizer
from jitgraph.train.proximal import (AdagradDAOptimizer, ProximalAdagradOptimizer,
                                     ProximalGradientDescentOptimizer)
from jitgraph.train.coordinator import Coordinator, LooperThread
from jitgraph.train.queue_runner import QueueRunner, add_queue_runner, start_queue_runners
from jitgraph.train.input import (batch, batch_join, input_producer, limit_epochs,
                                  range_input_producer, shuffle_batch, shuffle_batch_join,
                                  slice_input_producer, string_input_producer)
from jitgraph.train.training_util import (assert_global_step, create_global_step,
                                          get_global_step, get_or_create_global_step,
                                          global_step)
from jitgraph.train.learning_rates import (exponential_decay, inverse_time_decay,
                                           natural_exp_decay, piecewise_constant,
                                           polynomial_decay)
from jitgraph.saver import (Saver, checkpoint_exists, get_checkpoint_mtimes,
                            get_checkpoint_state, latest_checkpoint, remove_checkpoint,
                            update_checkpoint_state)
from jitgraph.checkpoint.reader import (CheckpointReader, NewCheckpointReader, list_variables,
                                        load_checkpoint)
from jitgraph.train.checkpoint_utils import init_from_checkpoint
from jitgraph.train.moving_averages import ExponentialMovingAverage
from jitgraph.train.profiler_hook import ProfilerHook
from jitgraph.train.session_run_hook import (SessionRunArgs, SessionRunContext,
                                             SessionRunHook, SessionRunValues)
from jitgraph.train.hooks import (CheckpointSaverHook, CheckpointSaverListener, FeedFnHook,
                                  FinalOpsHook, LoggingTensorHook, NanLossDuringTrainingError,
                                  NanTensorHook, SecondOrStepTimer, StepCounterHook,
                                  StopAtStepHook, SummarySaverHook)
from jitgraph.train.monitored_session import (ChiefSessionCreator, MonitoredSession,
                                              MonitoredTrainingSession, Scaffold,
                                              SingularMonitoredSession, StepContext,
                                              WorkerSessionCreator)
from jitgraph.summary.writer import FileWriterCache as SummaryWriterCache
from jitgraph.train.meta_graph import export_meta_graph, import_meta_graph, write_graph

_EXAMPLE_PROTOS = ("BytesList", "FloatList", "Int64List", "Feature", "Features", "FeatureList",
                   "FeatureLists", "Example", "SequenceExample")


def __getattr__(name):
    # tf.train.Example and its parts are protobuf messages, built on first use so that
    # `import jitgraph` does not need protobuf.
    if name in _EXAMPLE_PROTOS:
        from jitgraph.data import example_proto
        return example_proto.get(name)
    raise AttributeError(f"module 'jitgraph.train' has no attribute {name!r}")
