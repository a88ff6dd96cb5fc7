"""`tf.keras.regularizers`: l1 * sum|w| + l2 * sum w^2 (no 1/2, unlike tf.nn.l2_loss)."""
from __future__ import annotations

from jitgraph.ops import math_ops
from jitgraph.ops.reduction_ops import reduce_sum


class Regularizer:
    def __call__(self, x):
        return 0.0


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):  # noqa: E741
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        out = None
        if self.l1:
            out = self.l1 * reduce_sum(math_ops.abs(x))
        if self.l2:
            term = self.l2 * reduce_sum(math_ops.square(x))
            out = term if out is None else out + term
        return out if out is not None else math_ops.cast(0.0, x.dtype)

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


def l1(l=0.01):  # noqa: E741 - Keras's argument name
    return L1L2(l1=l)


def l2(l=0.01):  # noqa: E741
    return L1L2(l2=l)


def l1_l2(l1=0.01, l2=0.01):  # noqa: F811
    return L1L2(l1=l1, l2=l2)


def get(identifier):
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier in ("l1", "l2", "l1_l2"):
        return globals()[identifier]()
    raise ValueError(f"Could not interpret regularizer identifier: {identifier}")
