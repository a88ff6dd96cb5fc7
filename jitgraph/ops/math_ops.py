"""Elementwise math, comparisons, logic, casts: ops that fusion inlines into one loop.

Each entry's ``ew`` is a scalar expression over its inputs ``{0}``, ``{1}``;
``{dt}`` is the output's numpy scalar type. Names like ``K.sigmoid`` refer to
scalar helpers in `jitgraph.codegen.kernels`.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.framework.graph import get_default_graph
from jitgraph.ops.array_ops import identity, ones_like, zeros_like
from jitgraph.ops.constant import constant, convert_n, convert_to_tensor
from jitgraph.ops.reduction_ops import sum_to_shape_of
from jitgraph.ops.registry import (broadcast_shape, broadcast_shapes, make_tensor, register,
                                   same_shape)
from jitgraph.ops.registry import np_out as _np_out


# -- unary ---------------------------------------------------------------------------
def _unary(op_type, fn, ew, grad=None):
    register(op_type, shape=same_shape, numpy=_np_out(fn), ew=ew, grad=grad)

    def build(x, name=None):
        x = convert_to_tensor(x)
        return make_tensor(op_type, [x], x.dtype, name=name or op_type)
    build.__name__ = op_type.lower()
    return build


def _sigmoid_np(x):
    return 0.5 * np.tanh(0.5 * x) + 0.5  # no overflow warnings for large |x|


def _tanh_ew(dt):
    return "K.tanh32({0})" if dt == "float32" else "np.tanh({0})"


def _rsqrt_ew(dt):
    return {"float32": "K.rsqrt32({0})", "float64": "K.rsqrt64({0})"}.get(
        dt, "({dt}(1) / np.sqrt({0}))")


def _sigmoid_ew(dt):
    return "K.sigmoid32({0})" if dt == "float32" else "K.sigmoid64({0})"


negative = _unary("Neg", np.negative, "-{0}", lambda op, dy: [-dy])
abs = _unary("Abs", np.abs, "abs({0})", lambda op, dy: [dy * sign(op.inputs[0])])  # noqa: A001
sign = _unary("Sign", np.sign, "np.sign({0})", lambda op, dy: [zeros_like(op.inputs[0])])
exp = _unary("Exp", np.exp, "np.exp({0})", lambda op, dy: [dy * op.outputs[0]])
expm1 = _unary("Expm1", np.expm1, "np.expm1({0})", lambda op, dy: [dy * (op.outputs[0] + 1)])
log = _unary("Log", np.log, "np.log({0})", lambda op, dy: [dy * reciprocal(op.inputs[0])])
log1p = _unary("Log1p", np.log1p, "np.log1p({0})",
               lambda op, dy: [dy * reciprocal(op.inputs[0] + 1)])
sqrt = _unary("Sqrt", np.sqrt, "np.sqrt({0})",
              lambda op, dy: [_binary_raw("SqrtGrad", op.outputs[0], dy)])
rsqrt = _unary("Rsqrt", lambda x: 1 / np.sqrt(x), _rsqrt_ew,
               lambda op, dy: [_binary_raw("RsqrtGrad", op.outputs[0], dy)])
square = _unary("Square", np.square, "({0} * {0})", lambda op, dy: [dy * (op.inputs[0] * 2)])
reciprocal = _unary("Reciprocal", lambda x: 1 / x, "({dt}(1) / {0})",
                    lambda op, dy: [_binary_raw("ReciprocalGrad", op.outputs[0], dy)])
sin = _unary("Sin", np.sin, "np.sin({0})", lambda op, dy: [dy * cos(op.inputs[0])])
cos = _unary("Cos", np.cos, "np.cos({0})", lambda op, dy: [-dy * sin(op.inputs[0])])
tan = _unary("Tan", np.tan, "np.tan({0})",
             lambda op, dy: [dy * reciprocal(square(cos(op.inputs[0])))])
tanh = _unary("Tanh", np.tanh, _tanh_ew,
              lambda op, dy: [_binary_raw("TanhGrad", op.outputs[0], dy)])
sigmoid = _unary("Sigmoid", _sigmoid_np, _sigmoid_ew,
                 lambda op, dy: [_binary_raw("SigmoidGrad", op.outputs[0], dy)])
round = _unary("Round", np.rint, "np.rint({0})", lambda op, dy: [None])  # noqa: A001
floor = _unary("Floor", np.floor, "np.floor({0})", lambda op, dy: [None])
ceil = _unary("Ceil", np.ceil, "np.ceil({0})", lambda op, dy: [None])
logical_not = _unary("LogicalNot", np.logical_not, "(not {0})")
is_nan = _unary("IsNan", np.isnan, "np.isnan({0})")
is_inf = _unary("IsInf", np.isinf, "np.isinf({0})")
is_finite = _unary("IsFinite", np.isfinite, "np.isfinite({0})")

def _fix_bool_out(build, op_type):
    """Predicates share the unary shape rule but produce bool."""
    def b(x, name=None):
        x = convert_to_tensor(x)
        return make_tensor(op_type, [x], dtypes.bool, name=name or op_type)
    b.__name__ = build.__name__
    return b


is_nan = _fix_bool_out(is_nan, "IsNan")
is_inf = _fix_bool_out(is_inf, "IsInf")
is_finite = _fix_bool_out(is_finite, "IsFinite")


# -- binary ----------------------------------------------------------------------------
def _binary_raw(op_type, x, y, name=None, out_dtype=None):
    x, y = convert_n([x, y])
    if x.dtype != y.dtype:
        raise TypeError(f"Input 'y' of '{op_type}' Op has type {y.dtype.name} that does not "
                        f"match type {x.dtype.name} of argument 'x'.")
    return make_tensor(op_type, [x, y], out_dtype or x.dtype, name=name or op_type)


def _binary(op_type, fn, ew, grad=None, bool_out=False, int_check=None):
    numpy = _np_out(fn) if int_check is None else _int_checked(_np_out(fn), int_check)
    register(op_type, shape=broadcast_shape, numpy=_bcast_checked(numpy), ew=ew, grad=grad)

    def build(x, y, name=None):
        return _binary_raw(op_type, x, y, name, dtypes.bool if bool_out else None)
    build.__name__ = op_type.lower()
    return build


def _dims(a):
    return "[" + ",".join(str(d) for d in np.shape(a)) + "]"  # as TF prints a shape


def _bcast_checked(kernel):
    """`kernel`, with TF's message for operands that do not broadcast (fed shapes that do
    not fit: numpy's own words would leak out of the op)."""
    def checked(k, x, y):
        try:
            return kernel(k, x, y)
        except ValueError:
            try:
                np.broadcast_shapes(np.shape(x), np.shape(y))
            except ValueError:
                raise errors.InvalidArgumentError(
                    None, k.op, f"Incompatible shapes: {_dims(x)} vs. {_dims(y)}") from None
            raise
    return checked


def _bcast_grads(op, gx, gy):
    """Sums each gradient over the dims its input was broadcast along."""
    x, y = op.inputs
    return [None if gx is None else sum_to_shape_of(gx, x),
            None if gy is None else sum_to_shape_of(gy, y)]


def _int_checked(kernel, check):
    """`kernel`, raising TF's InvalidArgumentError when `check(y)` finds integer operands
    it refuses (numpy would wrap, return garbage or raise its own ValueError)."""
    def checked(k, x, y):
        if np.asarray(x).dtype.kind in "iu":
            msg = check(np.asarray(y))
            if msg:
                raise errors.InvalidArgumentError(
                    None, k.op, f"{msg}\n\t [[node {k.op.name} (defined at <graph>) ]]")
        return kernel(k, x, y)
    return checked


def _zero_divisor(y):
    return "Integer division by zero" if np.any(y == 0) else None


def _negative_exponent(y):
    return "Integers to negative integer powers are not allowed" if np.any(y < 0) else None


def _realdiv_np(x, y):
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype.kind not in "iu":
        return np.true_divide(x, y)
    q = np.floor_divide(x, y)  # C division truncates: step floor's result toward zero
    return q + ((q < 0) & (q * y != x))


def _int_ew(int_form, float_form):
    """An `ew` face with one expression for integer dtypes and one for the others."""
    return lambda dt: int_form if dt.startswith(("int", "uint")) else float_form


add = _binary("Add", np.add, "({0} + {1})",
              lambda op, dy: _bcast_grads(op, dy, dy))
subtract = _binary("Sub", np.subtract, "({0} - {1})",
                   lambda op, dy: _bcast_grads(op, dy, -dy))
multiply = _binary("Mul", np.multiply, "({0} * {1})",
                   lambda op, dy: _bcast_grads(op, dy * op.inputs[1], op.inputs[0] * dy))
real_div = _binary("RealDiv", _realdiv_np, _int_ew("K.itruncdiv({0}, {1})", "({0} / {1})"),
                   lambda op, dy: _bcast_grads(
                       op, dy / op.inputs[1],
                       -dy * op.inputs[0] / square(op.inputs[1])),
                   int_check=_zero_divisor)
floordiv = _binary("FloorDiv", np.floor_divide,
                   _int_ew("K.ifloordiv({0}, {1})", "({0} // {1})"),
                   lambda op, dy: [None, None], int_check=_zero_divisor)
floormod = _binary("FloorMod", np.mod, _int_ew("K.ifloormod({0}, {1})", "({0} % {1})"),
                   lambda op, dy: _bcast_grads(
                       op, dy, -dy * floor(op.inputs[0] / op.inputs[1])),
                   int_check=_zero_divisor)
pow = _binary("Pow", np.power, _int_ew("K.ipow({0}, {1})", "({0} ** {1})"),  # noqa: A001
              lambda op, dy: _pow_grad(op, dy), int_check=_negative_exponent)
# NaN on either side wins, as in TF (Numba's max/min keep or drop it by operand order).
maximum = _binary("Maximum", np.maximum, _int_ew("max({0}, {1})", "K.fmax({0}, {1})"),
                  lambda op, dy: _minmax_grad(op, dy, greater_equal))
minimum = _binary("Minimum", np.minimum, _int_ew("min({0}, {1})", "K.fmin({0}, {1})"),
                  lambda op, dy: _minmax_grad(op, dy, less_equal))
squared_difference = _binary("SquaredDifference", lambda x, y: np.square(x - y),
                             "(({0} - {1}) * ({0} - {1}))",
                             lambda op, dy: _sqdiff_grad(op, dy))
less = _binary("Less", np.less, "({0} < {1})", bool_out=True)
less_equal = _binary("LessEqual", np.less_equal, "({0} <= {1})", bool_out=True)
greater = _binary("Greater", np.greater, "({0} > {1})", bool_out=True)
greater_equal = _binary("GreaterEqual", np.greater_equal, "({0} >= {1})", bool_out=True)
equal = _binary("Equal", np.equal, "({0} == {1})", bool_out=True)
not_equal = _binary("NotEqual", np.not_equal, "({0} != {1})", bool_out=True)
logical_and = _binary("LogicalAnd", np.logical_and, "({0} and {1})")
logical_or = _binary("LogicalOr", np.logical_or, "({0} or {1})")
logical_xor = _binary("LogicalXor", np.logical_xor, "({0} != {1})")

# Fused backward helpers: TF's own *Grad ops, so the backward pass fuses too.
register("TanhGrad", shape=broadcast_shape, numpy=_np_out(lambda y, dy: dy * (1 - y * y)),
         ew="({1} * ({dt}(1) - {0} * {0}))")
register("SigmoidGrad", shape=broadcast_shape,
         numpy=_np_out(lambda y, dy: dy * y * (1 - y)), ew="({1} * {0} * ({dt}(1) - {0}))")
register("SqrtGrad", shape=broadcast_shape, numpy=_np_out(lambda y, dy: dy * 0.5 / y),
         ew="({1} * {dt}(0.5) / {0})")
register("RsqrtGrad", shape=broadcast_shape,
         numpy=_np_out(lambda y, dy: dy * -0.5 * y * y * y),
         ew="({1} * {dt}(-0.5) * {0} * {0} * {0})")
register("ReciprocalGrad", shape=broadcast_shape, numpy=_np_out(lambda y, dy: -dy * y * y),
         ew="(-{1} * {0} * {0})")


def _pow_grad(op, dy):
    x, y = op.inputs
    z = op.outputs[0]
    gx = dy * y * pow(x, y - constant(1, dtype=y.dtype))
    safe_log = where(greater(x, zeros_like(x)), log(where(greater(x, zeros_like(x)), x,
                                                             ones_like(x))), zeros_like(x))
    gy = dy * z * safe_log
    return _bcast_grads(op, gx, gy)


def _minmax_grad(op, dy, cmp):
    x, y = op.inputs
    mask = cmp(x, y)
    zero = constant(0, dtype=dy.dtype)  # a scalar: the select broadcasts it, no zeros array
    return _bcast_grads(op, where(mask, dy, zero), where(mask, zero, dy))


def _sqdiff_grad(op, dy):
    x, y = op.inputs
    g = dy * 2 * (x - y)
    return _bcast_grads(op, g, -g)


def divide(x, y, name=None):
    """`x / y` with Python 3 semantics: integers are cast to floats first (tf.divide)."""
    return truediv(x, y, name=name or "truediv")


_TRUEDIV_INT = {dtypes.int8: dtypes.float32, dtypes.uint8: dtypes.float32,
                dtypes.int16: dtypes.float32, dtypes.int32: dtypes.float64,
                dtypes.int64: dtypes.float64}


def truediv(x, y, name=None):
    x, y = convert_n([x, y])
    if x.dtype != y.dtype:
        raise TypeError(f"x and y must have the same dtype, got {x.dtype!r} != {y.dtype!r}")
    if x.dtype in _TRUEDIV_INT:
        with get_default_graph().name_scope(name or "truediv") as scope:
            ft = _TRUEDIV_INT[x.dtype]
            return real_div(cast(x, ft), cast(y, ft), name=scope)
    return real_div(x, y, name=name or "truediv")


def div(x, y, name=None):
    """TF 1.x `tf.div`: floor division for integers, true division for floats."""
    x, y = convert_n([x, y])
    if x.dtype.is_integer:
        return floordiv(x, y, name=name or "div")
    return real_div(x, y, name=name or "div")


# -- where / select ----------------------------------------------------------------
def _select_shape(s):
    return [broadcast_shapes(*s.shapes)]


def _select_grad(op, dy):
    c, x, y = op.inputs
    zero = constant(0, dtype=dy.dtype)
    return [None, sum_to_shape_of(where(c, dy, zero), x),
            sum_to_shape_of(where(c, zero, dy), y)]


register("SelectV2", shape=_select_shape, numpy=lambda k, c, x, y: np.where(c, x, y),
         ew="({1} if {0} else {2})", grad=_select_grad)


def where(condition, x=None, y=None, name=None):
    """`tf.where`: elementwise select (with broadcasting), or indices of true elements."""
    condition = convert_to_tensor(condition)
    if x is None and y is None:
        from jitgraph.ops.array_ops import where_indices
        return where_indices(condition, name=name)
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    x, y = convert_n([x, y])
    if x.dtype != y.dtype:
        raise TypeError(f"Input 'e' of 'Select' Op has type {y.dtype.name} that does not "
                        f"match type {x.dtype.name} of argument 't'.")
    return make_tensor("SelectV2", [condition, x, y], x.dtype, name=name or "Select")


# -- cast ----------------------------------------------------------------------------
def _cast_ew(dt):
    return "({0} != 0)" if dt == "bool" else "{dt}({0})"


def _cast_grad(op, dy):
    src = op.inputs[0].dtype
    if src.is_floating and op.outputs[0].dtype.is_floating:
        return [cast(dy, src)]
    return [None]


register("Cast", shape=same_shape,
         numpy=lambda k, x: np.asarray(x).astype(k.attrs["DstT"].as_numpy_dtype),
         ew=_cast_ew, grad=_cast_grad)


def cast(x, dtype, name=None):
    """Casts `x` to `dtype` (floats to ints truncate toward zero, as in TF)."""
    x = convert_to_tensor(x)
    dtype = dtypes.as_dtype(dtype)
    if x.dtype == dtype:
        return x
    return make_tensor("Cast", [x], dtype, {"SrcT": x.dtype, "DstT": dtype},
                       name=name or "Cast")


def to_float(x, name="ToFloat"):
    return cast(x, dtypes.float32, name=name)


def to_int32(x, name="ToInt32"):
    return cast(x, dtypes.int32, name=name)


def to_int64(x, name="ToInt64"):
    return cast(x, dtypes.int64, name=name)


def saturate_cast(value, dtype, name=None):
    return cast(value, dtype, name=name)


# -- small composites ----------------------------------------------------------------
def add_n(inputs, name=None):
    """Sums a list of tensors of the same shape and dtype."""
    inputs = convert_n(list(inputs))
    if not inputs:
        raise ValueError("inputs must be a list of at least one Tensor with the same dtype "
                         "and shape")
    if len(inputs) == 1:
        return inputs[0] if name is None else identity(inputs[0], name)
    out = inputs[0]
    for t in inputs[1:]:
        out = add(out, t, name="AddN" if name is None else name)
    return out


def scalar_mul(scalar, x, name=None):
    return multiply(scalar, x, name=name)
