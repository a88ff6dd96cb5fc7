"""The TF 1.x optimizers, each one update rule written with graph ops (TF's formulas).

Updates read the slots' new values through their Assign ops, so a parameter's
whole update fuses into one loop: `m`, `v` and the parameter are written in one pass.
"""
from __future__ import annotations

from jitgraph.ops import state_ops
from jitgraph.ops.array_ops import group
from jitgraph.ops.math_ops import sqrt, square
from jitgraph.train.optimizer import Optimizer


class GradientDescentOptimizer(Optimizer):
    """var -= learning_rate * grad."""

    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate

    def _apply_dense(self, grad, var):
        lr = self._hyper_tensor("learning_rate", self._learning_rate, var.dtype)
        return state_ops.assign_sub(var, lr * grad, use_locking=self._use_locking,
                                     name="ApplyGradientDescent").op


class MomentumOptimizer(Optimizer):
    """accum = momentum * accum + grad; var -= lr * accum (Nesterov: lr * (grad + m * accum))."""

    def __init__(self, learning_rate, momentum, use_locking=False, name="Momentum",
                 use_nesterov=False):
        super().__init__(use_locking, name)
        self._learning_rate, self._momentum = learning_rate, momentum
        self._use_nesterov = use_nesterov

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "momentum", self._name)

    def _apply_dense(self, grad, var):
        lr = self._hyper_tensor("learning_rate", self._learning_rate, var.dtype)
        mom = self._hyper_tensor("momentum", self._momentum, var.dtype)
        accum = self.get_slot(var, "momentum")
        acc = state_ops.assign(accum, accum * mom + grad, use_locking=self._use_locking)
        step = lr * (grad + mom * acc) if self._use_nesterov else lr * acc
        return group(acc, state_ops.assign_sub(var, step, use_locking=self._use_locking),
                     name="ApplyMomentum")


class AdamOptimizer(Optimizer):
    """Adam with TF 1.x's bias correction folded into the step size:
    lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t); var -= lr_t * m / (sqrt(v) + epsilon)."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 use_locking=False, name="Adam"):
        super().__init__(use_locking, name)
        self._lr, self._beta1, self._beta2, self._epsilon = learning_rate, beta1, beta2, epsilon

    def _create_slots(self, var_list):
        self._non_slot_variable(float(self._beta1) if not hasattr(self._beta1, "op")
                                else self._beta1, "beta1_power")
        self._non_slot_variable(float(self._beta2) if not hasattr(self._beta2, "op")
                                else self._beta2, "beta2_power")
        for v in var_list:
            self._zeros_slot(v, "m", self._name)
            self._zeros_slot(v, "v", self._name)

    def _get_beta_accumulators(self):
        return (self._get_non_slot_variable("beta1_power"),
                self._get_non_slot_variable("beta2_power"))

    def _apply_dense(self, grad, var):
        from jitgraph.ops.math_ops import cast
        dt = var.dtype
        b1p, b2p = self._get_beta_accumulators()
        b1p_t, b2p_t = b1p.value(), b2p.value()
        if b1p_t.dtype != dt:
            b1p_t, b2p_t = cast(b1p_t, dt), cast(b2p_t, dt)
        lr = self._hyper_tensor("learning_rate", self._lr, dt)
        b1 = self._hyper_tensor("beta1", self._beta1, dt)
        b2 = self._hyper_tensor("beta2", self._beta2, dt)
        eps = self._hyper_tensor("epsilon", self._epsilon, dt)
        lr_t = lr * sqrt(1 - b2p_t) / (1 - b1p_t)
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        m_t = state_ops.assign(m, b1 * m + (1 - b1) * grad, use_locking=self._use_locking)
        v_t = state_ops.assign(v, b2 * v + (1 - b2) * square(grad),
                               use_locking=self._use_locking)
        upd = state_ops.assign_sub(var, lr_t * m_t / (sqrt(v_t) + eps),
                                   use_locking=self._use_locking)
        return group(m_t, v_t, upd, name="ApplyAdam")

    def _finish(self, update_ops, name):
        from jitgraph.framework.graph import get_default_graph
        b1p, b2p = self._get_beta_accumulators()
        with get_default_graph().control_dependencies(update_ops):
            dt = b1p.dtype
            u1 = b1p.assign(b1p * self._hyper_tensor("beta1", self._beta1, dt),
                            use_locking=self._use_locking)
            u2 = b2p.assign(b2p * self._hyper_tensor("beta2", self._beta2, dt),
                            use_locking=self._use_locking)
        return group(*update_ops, u1, u2, name=name)


class AdagradOptimizer(Optimizer):
    """accum += grad^2; var -= lr * grad / sqrt(accum)."""

    def __init__(self, learning_rate, initial_accumulator_value=0.1, use_locking=False,
                 name="Adagrad"):
        if initial_accumulator_value <= 0.0:
            raise ValueError(f"initial_accumulator_value must be positive: "
                             f"{initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._learning_rate, self._init_acc = learning_rate, initial_accumulator_value

    def _create_slots(self, var_list):
        from jitgraph.initializers import Constant
        for v in var_list:
            self._slot(v, "accumulator", self._name,
                       lambda s, dt: Constant(self._init_acc)(s, dt))

    def _apply_dense(self, grad, var):
        lr = self._hyper_tensor("learning_rate", self._learning_rate, var.dtype)
        acc = self.get_slot(var, "accumulator")
        acc_t = state_ops.assign_add(acc, square(grad), use_locking=self._use_locking)
        return group(acc_t, state_ops.assign_sub(var, lr * grad / sqrt(acc_t),
                                                 use_locking=self._use_locking),
                     name="ApplyAdagrad")


class RMSPropOptimizer(Optimizer):
    """ms = decay*ms + (1-decay)*g^2; mom = momentum*mom + lr*g/sqrt(ms + eps); var -= mom.
    Centered: the denominator is sqrt(ms - mg^2 + eps), mg = decay*mg + (1-decay)*g."""

    def __init__(self, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10,
                 use_locking=False, centered=False, name="RMSProp"):
        super().__init__(use_locking, name)
        self._learning_rate, self._decay, self._momentum = learning_rate, decay, momentum
        self._epsilon, self._centered = epsilon, centered

    def _create_slots(self, var_list):
        from jitgraph.initializers import Ones
        for v in var_list:
            self._slot(v, "rms", self._name, lambda s, dt: Ones()(s, dt))
            if self._centered:
                self._zeros_slot(v, "mg", self._name)
            self._zeros_slot(v, "momentum", self._name)

    def _apply_dense(self, grad, var):
        dt = var.dtype
        lr = self._hyper_tensor("learning_rate", self._learning_rate, dt)
        rho = self._hyper_tensor("decay", self._decay, dt)
        mom = self._hyper_tensor("momentum", self._momentum, dt)
        eps = self._hyper_tensor("epsilon", self._epsilon, dt)
        ms = self.get_slot(var, "rms")
        ms_t = state_ops.assign(ms, rho * ms + (1 - rho) * square(grad),
                                use_locking=self._use_locking)
        denom = ms_t
        outs = [ms_t]
        if self._centered:
            mg = self.get_slot(var, "mg")
            mg_t = state_ops.assign(mg, rho * mg + (1 - rho) * grad,
                                    use_locking=self._use_locking)
            denom = ms_t - square(mg_t)
            outs.append(mg_t)
        m = self.get_slot(var, "momentum")
        m_t = state_ops.assign(m, mom * m + lr * grad / sqrt(denom + eps),
                               use_locking=self._use_locking)
        outs += [m_t, state_ops.assign_sub(var, m_t, use_locking=self._use_locking)]
        return group(*outs, name="ApplyRMSProp")
