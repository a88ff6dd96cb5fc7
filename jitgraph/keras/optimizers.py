"""`tf.keras.optimizers` as TF 1.x graphs run them (Keras's OptimizerV2 update rules):
each is a `tf.train.Optimizer`, so `compile`, `minimize` and `apply_gradients` all work.

Differences from the tf.train optimizers of the same name, as in TF: epsilon 1e-7, the
RMSprop accumulator starts at zero and, without momentum, epsilon is added outside the
square root; Adagrad adds epsilon to sqrt(accumulator); SGD's momentum is
`accum = m*accum - lr*g; var += accum`. The learning rate is a variable (so
`K.set_value(opt.lr, ...)` changes it) and `iterations` counts applied steps; `decay`
divides the rate by 1 + decay * iterations.
"""
from __future__ import annotations

from jitgraph.framework import dtypes
from jitgraph.framework.graph import get_default_graph
from jitgraph.ops import state_ops
from jitgraph.ops.array_ops import group
from jitgraph.ops.math_ops import cast, maximum, pow, sqrt, square  # noqa: A004
from jitgraph.train import optimizer as _tf_opt


class OptimizerV2(_tf_opt.Optimizer):
    """Base: hyper-parameters `_hp` (name -> value); `learning_rate` and `iterations`
    are variables made on first use."""

    def __init__(self, name, learning_rate, decay=0.0, **kwargs):
        allowed = {"lr", "clipnorm", "clipvalue", "decay"}
        bad = set(kwargs) - allowed
        if bad:
            raise TypeError(f"Unexpected keyword argument passed to optimizer: {sorted(bad)[0]}")
        learning_rate = kwargs.pop("lr", learning_rate)
        super().__init__(False, name)
        self._lr_value, self._decay = learning_rate, float(decay)
        self.clipnorm, self.clipvalue = kwargs.get("clipnorm"), kwargs.get("clipvalue")

    # -- the variables --------------------------------------------------------------------
    def _vars(self):
        if self._get_non_slot_variable(self._name + "/iter") is None:
            g = get_default_graph()
            with g.control_dependencies(None):
                self._non_slot_variable(_zero_int64(), self._name + "/iter")
                self._non_slot_variable(float(self._lr_value), self._name + "/learning_rate")
        return (self._get_non_slot_variable(self._name + "/iter"),
                self._get_non_slot_variable(self._name + "/learning_rate"))

    @property
    def iterations(self):
        return self._vars()[0]

    @property
    def learning_rate(self):
        return self._vars()[1]

    lr = learning_rate

    # -- Keras's entry points -------------------------------------------------------------------
    def get_updates(self, loss, params):
        return [self.minimize(loss, var_list=params)]

    def compute_gradients(self, loss, var_list=None, *args, **kwargs):
        from jitgraph.ops.clip_ops import clip_by_norm
        from jitgraph.ops.manip_ops import clip_by_value
        pairs = super().compute_gradients(loss, var_list, *args, **kwargs)
        if self.clipnorm is not None:
            pairs = [(None if g is None else clip_by_norm(g, self.clipnorm), v)
                     for g, v in pairs]
        if self.clipvalue is not None:
            pairs = [(None if g is None else clip_by_value(g, -self.clipvalue, self.clipvalue),
                      v) for g, v in pairs]
        return pairs

    def _create_slots(self, var_list):
        self._vars()

    def _prepare(self):
        super()._prepare()
        it, lr = self._vars()
        self._step = cast(it.value(), dtypes.float32) + 1.0  # Keras's local_step
        self._lr_t = lr.value()
        if self._decay:
            self._lr_t = self._lr_t / (1.0 + self._decay * cast(it.value(), dtypes.float32))

    def _h(self, name, dt):
        value = self._lr_t if name == "learning_rate" else self._hp[name]
        return self._hyper_tensor(name, value, dt)

    def _finish(self, update_ops, name):
        it = self.iterations
        with get_default_graph().control_dependencies(update_ops):
            inc = state_ops.assign_add(it, 1)
        return group(*update_ops, inc, name=name)

    def get_config(self):
        return {"name": self._name, "learning_rate": self._lr_value, "decay": self._decay,
                **self._hp}


def _zero_int64():
    from jitgraph.ops.constant import constant
    return constant(0, dtypes.int64)


class SGD(OptimizerV2):
    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(name, learning_rate, **kwargs)
        self._hp = {"momentum": float(momentum)}
        self.nesterov = nesterov

    def _create_slots(self, var_list):
        super()._create_slots(var_list)
        if self._hp["momentum"]:
            for v in var_list:
                self._zeros_slot(v, "momentum", self._name)

    def _apply_dense(self, grad, var):
        lr = self._h("learning_rate", var.dtype)
        if not self._hp["momentum"]:
            return state_ops.assign_sub(var, lr * grad).op
        m = self._h("momentum", var.dtype)
        accum = self.get_slot(var, "momentum")
        acc_t = state_ops.assign(accum, m * accum - lr * grad)
        step = m * acc_t - lr * grad if self.nesterov else acc_t
        return group(acc_t, state_ops.assign_add(var, step))


class Adam(OptimizerV2):
    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="Adam", **kwargs):
        super().__init__(name, learning_rate, **kwargs)
        self._hp = {"beta_1": beta_1, "beta_2": beta_2, "epsilon": epsilon}
        self.amsgrad = amsgrad

    def _create_slots(self, var_list):
        super()._create_slots(var_list)
        for v in var_list:
            self._zeros_slot(v, "m", self._name)
        for v in var_list:
            self._zeros_slot(v, "v", self._name)
        if self.amsgrad:
            for v in var_list:
                self._zeros_slot(v, "vhat", self._name)

    def _apply_dense(self, grad, var):
        dt = var.dtype
        lr, b1, b2, eps = (self._h(n, dt) for n in ("learning_rate", "beta_1", "beta_2",
                                                    "epsilon"))
        step = cast(self._step, dt)
        lr_t = lr * sqrt(1.0 - pow(b2, step)) / (1.0 - pow(b1, step))
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        m_t = state_ops.assign(m, b1 * m + (1.0 - b1) * grad)
        v_t = state_ops.assign(v, b2 * v + (1.0 - b2) * square(grad))
        denom = v_t
        outs = [m_t, v_t]
        if self.amsgrad:
            vhat = self.get_slot(var, "vhat")
            denom = state_ops.assign(vhat, maximum(vhat, v_t))
            outs.append(denom)
        return group(*outs, state_ops.assign_sub(var, lr_t * m_t / (sqrt(denom) + eps)))


class RMSprop(OptimizerV2):
    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, name="RMSprop", **kwargs):
        super().__init__(name, learning_rate, **kwargs)
        self._hp = {"rho": rho, "momentum": float(momentum), "epsilon": epsilon}
        self.centered = centered

    def _create_slots(self, var_list):
        super()._create_slots(var_list)
        for v in var_list:
            self._zeros_slot(v, "rms", self._name)
        if self._hp["momentum"]:
            for v in var_list:
                self._zeros_slot(v, "momentum", self._name)
        if self.centered:
            for v in var_list:
                self._zeros_slot(v, "mg", self._name)

    def _apply_dense(self, grad, var):
        dt = var.dtype
        lr, rho, eps = (self._h(n, dt) for n in ("learning_rate", "rho", "epsilon"))
        rms = self.get_slot(var, "rms")
        rms_t = state_ops.assign(rms, rho * rms + (1.0 - rho) * square(grad))
        denom, outs = rms_t, [rms_t]
        if self.centered:
            mg = self.get_slot(var, "mg")
            mg_t = state_ops.assign(mg, rho * mg + (1.0 - rho) * grad)
            denom = rms_t - square(mg_t)
            outs.append(mg_t)
        if self._hp["momentum"]:
            mom = self.get_slot(var, "momentum")
            mom_t = state_ops.assign(mom, self._h("momentum", dt) * mom
                                     + lr * grad / sqrt(denom + eps))
            return group(*outs, mom_t, state_ops.assign_sub(var, mom_t))
        return group(*outs, state_ops.assign_sub(var, lr * grad / (sqrt(denom) + eps)))


class Adagrad(OptimizerV2):
    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 name="Adagrad", **kwargs):
        if initial_accumulator_value < 0.0:
            raise ValueError("initial_accumulator_value must be non-negative: "
                             f"{initial_accumulator_value}")
        super().__init__(name, learning_rate, **kwargs)
        self._hp = {"epsilon": epsilon}
        self._init_acc = initial_accumulator_value

    def _create_slots(self, var_list):
        from jitgraph.initializers import Constant
        super()._create_slots(var_list)
        for v in var_list:
            self._slot(v, "accumulator", self._name,
                       lambda s, dt: Constant(self._init_acc)(s, dt))

    def _apply_dense(self, grad, var):
        lr, eps = self._h("learning_rate", var.dtype), self._h("epsilon", var.dtype)
        acc = self.get_slot(var, "accumulator")
        acc_t = state_ops.assign_add(acc, square(grad))
        return group(acc_t, state_ops.assign_sub(var, lr * grad / (sqrt(acc_t) + eps)))


class Adadelta(OptimizerV2):
    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name="Adadelta",
                 **kwargs):
        super().__init__(name, learning_rate, **kwargs)
        self._hp = {"rho": rho, "epsilon": epsilon}

    def _create_slots(self, var_list):
        super()._create_slots(var_list)
        for v in var_list:
            self._zeros_slot(v, "accum_grad", self._name)
        for v in var_list:
            self._zeros_slot(v, "accum_var", self._name)

    def _apply_dense(self, grad, var):
        dt = var.dtype
        lr, rho, eps = (self._h(n, dt) for n in ("learning_rate", "rho", "epsilon"))
        ag, av = self.get_slot(var, "accum_grad"), self.get_slot(var, "accum_var")
        ag_t = state_ops.assign(ag, ag * rho + square(grad) * (1.0 - rho))
        update = sqrt(av + eps) / sqrt(ag_t + eps) * grad
        av_t = state_ops.assign(av, av * rho + square(update) * (1.0 - rho))
        return group(ag_t, av_t, state_ops.assign_sub(var, update * lr))


_BY_NAME = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop, "adagrad": Adagrad,
            "adadelta": Adadelta}


def get(identifier):
    """A name ('adam', 'sgd', ...) -> a new optimizer with Keras's defaults; an optimizer
    (Keras's or a tf.train one) -> itself."""
    if isinstance(identifier, _tf_opt.Optimizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier}")


Optimizer = OptimizerV2
