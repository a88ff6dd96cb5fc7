"""`tf.train.FtrlOptimizer`: FTRL-Proximal (McMahan et al. 2013), TF's ApplyFtrl(V2) as graph ops.

The update reads the slots' and the variable's old values and writes all three, so it
fuses into one loop per parameter like the other optimizers.
"""
from __future__ import annotations

from jitgraph.ops import state_ops
from jitgraph.ops.array_ops import group
from jitgraph.ops.math_ops import maximum, minimum, pow, sqrt, square  # noqa: A004
from jitgraph.train.optimizer import Optimizer


class FtrlOptimizer(Optimizer):
    """accum' = accum + g^2; linear += g - (accum'^-p - accum^-p) / lr * var;
    var = (clip(linear, -l1, l1) - linear) / (accum'^-p / lr + 2 * l2).

    With `l2_shrinkage_regularization_strength` the linear term sees
    g + 2 * l2_shrinkage * var (the accumulator still sees g). `beta` adds
    beta / (2 * lr) to the l2 strength, as in TF.
    """

    def __init__(self, learning_rate, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 use_locking=False, name="Ftrl", accum_name=None, linear_name=None,
                 l2_shrinkage_regularization_strength=0.0, beta=None):
        super().__init__(use_locking, name)
        if learning_rate_power > 0.0:
            raise ValueError(f"learning_rate_power {learning_rate_power:f} needs to be "
                             "negative or zero")
        for what, value in (("initial_accumulator_value", initial_accumulator_value),
                            ("l1_regularization_strength", l1_regularization_strength),
                            ("l2_regularization_strength", l2_regularization_strength),
                            ("l2_shrinkage_regularization_strength",
                             l2_shrinkage_regularization_strength)):
            if value < 0.0:
                raise ValueError(f"{what} {value:f} needs to be positive or zero")
        self._learning_rate, self._lr_power = learning_rate, learning_rate_power
        self._init_acc = initial_accumulator_value
        self._l1, self._l2 = l1_regularization_strength, l2_regularization_strength
        self._beta = 0.0 if beta is None else beta
        self._l2_shrinkage = l2_shrinkage_regularization_strength
        self._accum_name, self._linear_name = accum_name, linear_name

    def _create_slots(self, var_list):
        from jitgraph.initializers import Constant
        for v in var_list:
            self._slot(v, "accum", self._accum_name or self._name,
                       lambda s, dt: Constant(self._init_acc)(s, dt))
            self._zeros_slot(v, "linear", self._linear_name or self._name)

    def _power(self, x, neg_p):
        # TF's kernel takes sqrt for the default power: pow(x, 0.5) rounds differently.
        return sqrt(x) if self._lr_power == -0.5 else pow(x, neg_p)

    def _apply_dense(self, grad, var):
        dt = var.dtype
        lr = self._hyper_tensor("learning_rate", self._learning_rate, dt)
        neg_p = self._hyper_tensor("neg_learning_rate_power", -self._lr_power, dt)
        l1 = self._hyper_tensor("l1_regularization_strength", self._l1, dt)
        # l2 + beta / (2 lr), doubled: the denominator's 2 * l2 term.
        two_l2 = self._hyper_tensor("l2_regularization_strength", self._l2, dt) * 2.0
        if self._beta:
            two_l2 = two_l2 + self._hyper_tensor("beta", self._beta, dt) / lr
        accum, linear = self.get_slot(var, "accum"), self.get_slot(var, "linear")
        g_lin = grad
        if self._l2_shrinkage:
            shrink = self._hyper_tensor("l2_shrinkage_regularization_strength",
                                        self._l2_shrinkage, dt)
            g_lin = grad + 2.0 * shrink * var
        new_accum = accum + square(grad)
        powered = self._power(new_accum, neg_p)
        lin_t = state_ops.assign_add(
            linear, g_lin - (powered - self._power(accum, neg_p)) / lr * var,
            use_locking=self._use_locking)
        var_t = state_ops.assign(var, (minimum(maximum(lin_t, -l1), l1) - lin_t)
                                 / (powered / lr + two_l2), use_locking=self._use_locking)
        with var_t.graph.control_dependencies([var_t]):
            acc_t = state_ops.assign(accum, new_accum, use_locking=self._use_locking)
        return group(lin_t, var_t, acc_t, name="ApplyFtrl")
