"""`tf.math` special and inverse-trigonometric functions: erf, erfc, lgamma, digamma,
atan2, acos, asin, atan, sinh, cosh, asinh, acosh, atanh, log_sigmoid.

Elementwise ops with ``ew`` faces, so they fuse like the rest of `math_ops`; the
special functions call scalar helpers in `codegen/special_kernels.py` (``K.erf``).
The numpy faces use SciPy (a dependency: Numba's BLAS calls come from it).
"""
from __future__ import annotations

import numpy as np
import scipy.special as sp

from jitgraph.ops.math_ops import (_bcast_grads, _binary, _unary, exp, reciprocal, sqrt,
                                   square)
from jitgraph.ops.registry import register, same_shape
from jitgraph.ops.registry import np_out as _np_out

_TWO_OVER_SQRT_PI = 2.0 / np.sqrt(np.pi)


def _k(helper):
    """An ``ew`` face calling a float64 scalar helper (the cast back is the emitter's)."""
    return f"K.{helper}({{0}})"


def _const_like(value, t):
    from jitgraph.ops.constant import constant
    return constant(value, dtype=t.dtype)


def _erf_grad(op, dy):
    x = op.inputs[0]
    return [dy * _const_like(_TWO_OVER_SQRT_PI, x) * exp(-square(x))]


def _erfc_grad(op, dy):
    x = op.inputs[0]
    return [-dy * _const_like(_TWO_OVER_SQRT_PI, x) * exp(-square(x))]


def _digamma_grad(op, dy):
    from jitgraph.ops.registry import make_tensor
    x = op.inputs[0]
    return [dy * make_tensor("Trigamma", [x], x.dtype, name="Trigamma")]


erf = _unary("Erf", sp.erf, _k("erf"), _erf_grad)
erfc = _unary("Erfc", sp.erfc, _k("erfc"), _erfc_grad)
lgamma = _unary("Lgamma", sp.gammaln, _k("lgamma"),
                lambda op, dy: [dy * digamma(op.inputs[0])])
digamma = _unary("Digamma", lambda x: np.where((x <= 0) & (x == np.floor(x)), np.nan,
                                               sp.digamma(x)),
                 _k("digamma"), _digamma_grad)
# psi'(x), for digamma's gradient (TF writes it polygamma(1, x)).
register("Trigamma", shape=same_shape,
         numpy=_np_out(lambda x: np.where((x <= 0) & (x == np.floor(x)), np.inf,
                                          sp.polygamma(1, x))),
         ew=_k("trigamma"))

acos = _unary("Acos", np.arccos, "np.arccos({0})",
              lambda op, dy: [-dy * reciprocal(sqrt(1 - square(op.inputs[0])))])
asin = _unary("Asin", np.arcsin, "np.arcsin({0})",
              lambda op, dy: [dy * reciprocal(sqrt(1 - square(op.inputs[0])))])
atan = _unary("Atan", np.arctan, "np.arctan({0})",
              lambda op, dy: [dy * reciprocal(1 + square(op.inputs[0]))])
sinh = _unary("Sinh", np.sinh, "np.sinh({0})", lambda op, dy: [dy * cosh(op.inputs[0])])
cosh = _unary("Cosh", np.cosh, "np.cosh({0})", lambda op, dy: [dy * sinh(op.inputs[0])])
asinh = _unary("Asinh", np.arcsinh, "np.arcsinh({0})",
               lambda op, dy: [dy * reciprocal(sqrt(square(op.inputs[0]) + 1))])
acosh = _unary("Acosh", np.arccosh, "np.arccosh({0})",
               lambda op, dy: [dy * reciprocal(sqrt(square(op.inputs[0]) - 1))])
atanh = _unary("Atanh", np.arctanh, "np.arctanh({0})",
               lambda op, dy: [dy * reciprocal(1 - square(op.inputs[0]))])


def _atan2_grad(op, dy):
    y, x = op.inputs
    inv = reciprocal(square(x) + square(y))
    return _bcast_grads(op, dy * x * inv, -dy * y * inv)


atan2 = _binary("Atan2", np.arctan2, "np.arctan2({0}, {1})", _atan2_grad)
atan2.__doc__ = "`tf.atan2(y, x)`: the angle of (x, y), elementwise, in [-pi, pi]."


def log_sigmoid(x, name=None):
    """`tf.math.log_sigmoid`: log(1 / (1 + exp(-x))) = -softplus(-x), without overflow."""
    from jitgraph.ops.api import name_scope
    from jitgraph.ops.constant import convert_to_tensor
    from jitgraph.ops.math_ops import negative
    from jitgraph.ops.nn_ops import softplus
    with name_scope(name, "LogSigmoid") as scope:
        x = convert_to_tensor(x, name="x")
        return negative(softplus(-x), name=scope)


__all__ = ["acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cosh", "digamma",
           "erf", "erfc", "lgamma", "log_sigmoid", "sinh"]
