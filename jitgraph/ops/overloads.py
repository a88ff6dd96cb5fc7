"""Python operators on Tensor (`a + b`, `x[1:, ::2]`, `a @ b`), with TF 1.x's op names."""
from __future__ import annotations

from jitgraph.framework.graph import Tensor
from jitgraph.ops import array_ops, math_ops
from jitgraph.ops.linalg_ops import matmul
from jitgraph.ops.slicing import getitem


def _binary(fn, name, reflected=False):
    if reflected:
        def op(self, other):
            return fn(other, self, name=name)
    else:
        def op(self, other):
            return fn(self, other, name=name)
    return op


def _matmul(a, b, name=None):
    return matmul(a, b, name=name)


def _getitem(self, key):
    return getitem(self, key)


def _iter(self):
    shape = self.shape
    if shape.ndims is None or shape.ndims == 0 or shape.as_tuple()[0] is None:
        raise TypeError("Tensor objects are only iterable when eager execution is enabled. "
                        "To iterate over this tensor use tf.map_fn.")
    return iter(array_ops.unstack(self, num=shape.as_tuple()[0]))


def _mod(x, y, name=None):
    return math_ops.floormod(x, y, name=name)


def _floordiv(x, y, name=None):
    return math_ops.floordiv(x, y, name=name)


_OPS = {
    "add": (math_ops.add, "add"),
    "sub": (math_ops.subtract, "sub"),
    "mul": (math_ops.multiply, "mul"),
    "truediv": (math_ops.truediv, "truediv"),
    "div": (math_ops.truediv, "truediv"),
    "floordiv": (_floordiv, "floordiv"),
    "mod": (_mod, "mod"),
    "pow": (math_ops.pow, "pow"),
    "matmul": (_matmul, "matmul"),
    "and": (math_ops.logical_and, "LogicalAnd"),
    "or": (math_ops.logical_or, "LogicalOr"),
    "xor": (math_ops.logical_xor, "LogicalXor"),
}


def install():
    for short, (fn, name) in _OPS.items():
        setattr(Tensor, f"__{short}__", _binary(fn, name))
        setattr(Tensor, f"__r{short}__", _binary(fn, name, reflected=True))
    Tensor.__lt__ = _binary(math_ops.less, "Less")
    Tensor.__le__ = _binary(math_ops.less_equal, "LessEqual")
    Tensor.__gt__ = _binary(math_ops.greater, "Greater")
    Tensor.__ge__ = _binary(math_ops.greater_equal, "GreaterEqual")
    Tensor.__neg__ = lambda self: math_ops.negative(self, name="Neg")
    Tensor.__abs__ = lambda self: math_ops.abs(self, name="Abs")
    Tensor.__invert__ = lambda self: math_ops.logical_not(self, name="LogicalNot")
    Tensor.__pos__ = lambda self: self
    Tensor.__getitem__ = _getitem
    Tensor.__iter__ = _iter
