"""`tf.contrib.layers.optimize_loss`: the one-call training op of TF 1.x contrib."""
from __future__ import annotations

from jitgraph.framework.graph import GraphKeys, get_default_graph

_SUMMARIES = ("learning_rate", "loss", "gradients", "gradient_norm", "global_gradient_norm")


def _optimizer_classes():
    from jitgraph import train
    names = {"Adagrad": "AdagradOptimizer", "Adam": "AdamOptimizer", "Ftrl": "FtrlOptimizer",
             "Momentum": "MomentumOptimizer", "RMSProp": "RMSPropOptimizer",
             "SGD": "GradientDescentOptimizer"}
    return {k: getattr(train, v) for k, v in names.items() if hasattr(train, v)}


OPTIMIZER_SUMMARIES = list(_SUMMARIES)


def _learning_rate(learning_rate):
    from jitgraph.framework.graph import Tensor
    from jitgraph.initializers import Constant
    from jitgraph.variable_scope import get_variable
    if learning_rate is None:
        return None
    if isinstance(learning_rate, Tensor) and learning_rate.shape.ndims == 0:
        return learning_rate
    if hasattr(learning_rate, "_ref") and learning_rate.shape.ndims == 0:
        return learning_rate
    if isinstance(learning_rate, float):
        if learning_rate < 0.0:
            raise ValueError(f"Invalid learning_rate {learning_rate}.")
        return get_variable("learning_rate", [], trainable=False,
                            initializer=Constant(learning_rate))
    raise ValueError(f"Learning rate should be 0d Tensor or float. Got {learning_rate} of "
                     f"type {type(learning_rate)}")


def _make_optimizer(optimizer, lr, learning_rate):
    from jitgraph.train.optimizer import Optimizer
    classes = _optimizer_classes()
    if isinstance(optimizer, str):
        if lr is None:
            raise ValueError("Learning rate is None, but should be specified if optimizer is "
                             f"string ({optimizer}).")
        if optimizer not in classes:
            raise ValueError(f"Optimizer name should be one of [{', '.join(classes)}], you "
                             f"provided {optimizer}.")
        return classes[optimizer](learning_rate=lr)
    if isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
        if lr is None:
            raise ValueError("Learning rate is None, but should be specified if optimizer is "
                             f"class ({optimizer}).")
        return optimizer(learning_rate=lr)
    if isinstance(optimizer, Optimizer):
        return optimizer
    if callable(optimizer):
        opt = optimizer(lr) if learning_rate is not None else optimizer()
        if not isinstance(opt, Optimizer):
            raise ValueError("Unrecognized optimizer: function should return subclass of "
                             f"Optimizer. Got {opt}.")
        return opt
    raise ValueError("Unrecognized optimizer: should be string, subclass of Optimizer, "
                     "instance of subclass of Optimizer or function with one argument. "
                     f"Got {optimizer}.")


def _multiply_gradients(grads_and_vars, multipliers):
    out = []
    for g, v in grads_and_vars:
        key = v if v in multipliers else v.name if v.name in multipliers else None
        if g is not None and key is not None:
            g = g * multipliers[key]
        out.append((g, v))
    return out


def _clip(grads_and_vars, clip_gradients):
    from jitgraph.ops.clip_ops import clip_by_global_norm
    if isinstance(clip_gradients, float):
        grads, variables = zip(*grads_and_vars)
        clipped, _ = clip_by_global_norm(list(grads), clip_gradients)
        return list(zip(clipped, variables))
    if callable(clip_gradients):
        return clip_gradients(grads_and_vars)
    if clip_gradients is not None:
        raise ValueError(f"Unknown type {type(clip_gradients)} for clip_gradients")
    return grads_and_vars


def optimize_loss(loss, global_step, learning_rate, optimizer, gradient_noise_scale=None,
                  gradient_multipliers=None, clip_gradients=None, learning_rate_decay_fn=None,
                  update_ops=None, variables=None, name=None, summaries=None,
                  colocate_gradients_with_ops=False, increment_global_step=True):
    """Returns `loss` made to wait on one optimizer step (and on UPDATE_OPS before it)."""
    from jitgraph import summary
    from jitgraph.ops.array_ops import identity
    from jitgraph.ops.clip_ops import global_norm
    from jitgraph.ops.constant import convert_to_tensor
    from jitgraph.train.training_util import assert_global_step, get_global_step
    from jitgraph.variable_scope import variable_scope
    from jitgraph.variables import trainable_variables
    if gradient_noise_scale is not None:
        raise NotImplementedError("optimize_loss: gradient_noise_scale is not supported by "
                                  "jitgraph yet")
    loss = convert_to_tensor(loss)
    if loss.shape.ndims not in (0, None):
        raise ValueError(f"Expected scalar shape for {loss.name}, saw shape: {loss.shape}.")
    if global_step is None:
        global_step = get_global_step()
    else:
        assert_global_step(global_step)
    g = get_default_graph()
    with variable_scope(name, "OptimizeLoss", [loss, global_step]):
        if update_ops is None:
            update_ops = g.get_collection(GraphKeys.UPDATE_OPS)
        if update_ops:
            with g.control_dependencies(list(update_ops)):
                loss = identity(loss)
        lr = _learning_rate(learning_rate)
        summaries = ["loss", "learning_rate", "global_gradient_norm"] if summaries is None \
            else summaries
        for s in summaries:
            if s not in _SUMMARIES:
                raise ValueError(f"Summaries should be one of [{', '.join(_SUMMARIES)}], "
                                 f"you provided {s}.")
        if learning_rate is not None and learning_rate_decay_fn is not None:
            if global_step is None:
                raise ValueError("global_step is required for learning_rate_decay_fn.")
            lr = learning_rate_decay_fn(lr, global_step)
        if lr is not None and "learning_rate" in summaries:
            summary.scalar("learning_rate", lr)
        opt = _make_optimizer(optimizer, lr, learning_rate)
        grads = opt.compute_gradients(loss, trainable_variables() if variables is None
                                      else variables)
        if gradient_multipliers is not None:
            grads = _multiply_gradients(grads, gradient_multipliers)
        if "global_gradient_norm" in summaries or "gradient_norm" in summaries:
            summary.scalar("global_norm/gradient_norm",
                           global_norm([gr for gr, _ in grads if gr is not None]))
        grads = _clip(grads, clip_gradients)
        if "loss" in summaries:
            summary.scalar("loss", loss)
        step = global_step if increment_global_step else None
        updates = opt.apply_gradients(grads, global_step=step, name="train")
        with g.control_dependencies([updates]):
            return identity(loss)
