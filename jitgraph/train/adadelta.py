"""`tf.train.AdadeltaOptimizer` (Zeiler 2012), TF's ApplyAdadelta as graph ops."""
from __future__ import annotations

from jitgraph.ops import state_ops
from jitgraph.ops.array_ops import group
from jitgraph.ops.math_ops import rsqrt, sqrt, square
from jitgraph.train.optimizer import Optimizer


class AdadeltaOptimizer(Optimizer):
    """accum = rho*accum + (1-rho)*g^2; u = sqrt(accum_update + eps) / sqrt(accum + eps) * g;
    accum_update = rho*accum_update + (1-rho)*u^2; var -= lr * u."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-8, use_locking=False,
                 name="Adadelta"):
        super().__init__(use_locking, name)
        self._lr, self._rho, self._epsilon = learning_rate, rho, epsilon

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "accum", self._name)
            self._zeros_slot(v, "accum_update", self._name)

    def _apply_dense(self, grad, var):
        dt = var.dtype
        lr = self._hyper_tensor("learning_rate", self._lr, dt)
        rho = self._hyper_tensor("rho", self._rho, dt)
        eps = self._hyper_tensor("epsilon", self._epsilon, dt)
        accum, accum_update = self.get_slot(var, "accum"), self.get_slot(var, "accum_update")
        acc_t = state_ops.assign(accum, accum * rho + square(grad) * (1 - rho),
                                 use_locking=self._use_locking)
        update = sqrt(accum_update + eps) * rsqrt(acc_t + eps) * grad
        upd_t = state_ops.assign(accum_update, accum_update * rho + square(update) * (1 - rho),
                                 use_locking=self._use_locking)
        var_t = state_ops.assign_sub(var, update * lr, use_locking=self._use_locking)
        return group(acc_t, upd_t, var_t, name="ApplyAdadelta")
