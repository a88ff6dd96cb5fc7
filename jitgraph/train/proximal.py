"""Optimizers with a proximal (l1/l2) step: `ProximalGradientDescentOptimizer`,
`ProximalAdagradOptimizer` and `AdagradDAOptimizer` (dual averaging), TF's kernels as
graph ops.

TF's kernels branch on l1 > 0; the l1 form, sign(x) * max(|x| - t*l1, 0), equals x
exactly when l1 is 0, so one formula serves both and l1 may be a tensor.
"""
from __future__ import annotations

from jitgraph.ops import state_ops
from jitgraph.ops.array_ops import group, identity
from jitgraph.ops.math_ops import abs, cast, maximum, rsqrt, sign, sqrt, square  # noqa: A004
from jitgraph.train.optimizer import Optimizer


def _shrink(x, t_l1, t_l2):
    """The proximal step of t*(l1*|w| + l2/2*w^2) at x."""
    return sign(x) * maximum(abs(x) - t_l1, 0.0) / (1.0 + t_l2)


class _Proximal(Optimizer):
    def __init__(self, learning_rate, l1, l2, use_locking, name):
        super().__init__(use_locking, name)
        self._learning_rate, self._l1, self._l2 = learning_rate, l1, l2

    def _hypers(self, dt):
        return (self._hyper_tensor("learning_rate", self._learning_rate, dt),
                self._hyper_tensor("l1_regularization_strength", self._l1, dt),
                self._hyper_tensor("l2_regularization_strength", self._l2, dt))


class ProximalGradientDescentOptimizer(_Proximal):
    """var = shrink(var - lr*g, lr*l1, lr*l2) (FOBOS)."""

    def __init__(self, learning_rate, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, use_locking=False,
                 name="ProximalGradientDescent"):
        super().__init__(learning_rate, l1_regularization_strength,
                         l2_regularization_strength, use_locking, name)

    def _apply_dense(self, grad, var):
        lr, l1, l2 = self._hypers(var.dtype)
        return state_ops.assign(var, _shrink(var - lr * grad, lr * l1, lr * l2),
                                use_locking=self._use_locking,
                                name="ApplyProximalGradientDescent").op


class ProximalAdagradOptimizer(_Proximal):
    """accum += g^2; t = lr / sqrt(accum); var = shrink(var - t*g, t*l1, t*l2)."""

    def __init__(self, learning_rate, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 use_locking=False, name="ProximalAdagrad"):
        if initial_accumulator_value <= 0.0:
            raise ValueError(f"initial_accumulator_value must be positive: "
                             f"{initial_accumulator_value}")
        super().__init__(learning_rate, l1_regularization_strength,
                         l2_regularization_strength, use_locking, name)
        self._init_acc = initial_accumulator_value

    def _create_slots(self, var_list):
        from jitgraph.initializers import Constant
        for v in var_list:
            self._slot(v, "accumulator", self._name,
                       lambda s, dt: Constant(self._init_acc)(s, dt))

    def _apply_dense(self, grad, var):
        lr, l1, l2 = self._hypers(var.dtype)
        acc = self.get_slot(var, "accumulator")
        acc_t = state_ops.assign_add(acc, square(grad), use_locking=self._use_locking)
        t = lr * rsqrt(acc_t)
        var_t = state_ops.assign(var, _shrink(var - t * grad, t * l1, t * l2),
                                 use_locking=self._use_locking)
        return group(acc_t, var_t, name="ApplyProximalAdagrad")


class AdagradDAOptimizer(_Proximal):
    """Adagrad dual averaging: with t = global_step + 1 read before the update,
    g_acc += g; gg_acc += g^2;
    var = sign(-g_acc) * max(|g_acc| - l1*t, 0) * lr / (l2*t*lr + sqrt(gg_acc))."""

    def __init__(self, learning_rate, global_step,
                 initial_gradient_squared_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 use_locking=False, name="AdagradDA"):
        if initial_gradient_squared_accumulator_value <= 0.0:
            raise ValueError("initial_gradient_squared_accumulator_value must be positive: "
                             f"{initial_gradient_squared_accumulator_value}")
        super().__init__(learning_rate, l1_regularization_strength,
                         l2_regularization_strength, use_locking, name)
        self._global_step = global_step
        self._init_gg = initial_gradient_squared_accumulator_value

    def _create_slots(self, var_list):
        from jitgraph.initializers import Constant, Zeros
        for v in var_list:
            self._slot(v, "gradient_accumulator", self._name, lambda s, dt: Zeros()(s, dt))
            self._slot(v, "gradient_squared_accumulator", self._name,
                       lambda s, dt: Constant(self._init_gg)(s, dt))

    def _prepare(self):
        super()._prepare()
        # TF's worker-side copy: every update sees the step from before this run's increment.
        self._step_on_worker = identity(self._global_step) + 1

    def _apply_dense(self, grad, var):
        lr, l1, l2 = self._hypers(var.dtype)
        t = cast(self._step_on_worker, var.dtype)
        g_acc = self.get_slot(var, "gradient_accumulator")
        gg_acc = self.get_slot(var, "gradient_squared_accumulator")
        g_t = state_ops.assign_add(g_acc, grad, use_locking=self._use_locking)
        gg_t = state_ops.assign_add(gg_acc, square(grad), use_locking=self._use_locking)
        var_t = state_ops.assign(var, sign(-g_t) * maximum(abs(g_t) - l1 * t, 0.0) * lr
                                 / (l2 * t * lr + sqrt(gg_t)), use_locking=self._use_locking)
        return group(g_t, gg_t, var_t, name="ApplyAdagradDA")
