"""`tf.train`: optimizers, the global step, checkpoints."""
from jitgraph.train.optimizer import Optimizer
from jitgraph.train.optimizers import (AdagradOptimizer, AdamOptimizer,
                                       GradientDescentOptimizer, MomentumOptimizer,
                                       RMSPropOptimizer)
from jitgraph.train.training_util import (assert_global_step, create_global_step,
                                          get_global_step, get_or_create_global_step,
                                          global_step)
from jitgraph.train.learning_rates import (exponential_decay, inverse_time_decay,
                                           natural_exp_decay, piecewise_constant,
                                           polynomial_decay)
from jitgraph.saver import (Saver, checkpoint_exists, get_checkpoint_mtimes,
                            get_checkpoint_state, latest_checkpoint, remove_checkpoint,
                            update_checkpoint_state)
from jitgraph.train.moving_averages import ExponentialMovingAverage
