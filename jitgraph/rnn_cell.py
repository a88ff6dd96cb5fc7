"""`tf.nn.rnn_cell` (and `tf.contrib.rnn`): TF 1.x's recurrent cells, as layers.

A cell is a `tf.layers.Layer`: its variables are made on the first call, in the
variable scope of the caller (`rnn/basic_lstm_cell/kernel`, `.../bias`), and every
later call (each time step, or the body of `dynamic_rnn`'s loop) reuses them. The
math is TF 1.x's, op for op, so trained weights and checkpoints carry over.
"""
from __future__ import annotations

import collections
import numbers

from jitgraph.framework import nest
from jitgraph.framework.graph import Tensor, get_default_graph
from jitgraph.framework.tensor_shape import TensorShape
from jitgraph.initializers import Constant, Zeros
from jitgraph.layers.base import Layer
from jitgraph.ops import math_ops
from jitgraph.ops.array_ops import stack, zeros
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.linalg_ops import matmul
from jitgraph.ops.manip_ops import clip_by_value, concat, split


class LSTMStateTuple(collections.namedtuple("LSTMStateTuple", ("c", "h"))):
    """`(c, h)`: the cell state and the output of an LSTM."""

    __slots__ = ()

    @property
    def dtype(self):
        c, h = self
        if c.dtype != h.dtype:
            raise TypeError(f"Inconsistent internal state: {c.dtype} vs {h.dtype}")
        return c.dtype


def _concat(prefix, suffix, static=False):
    """[batch] + suffix as a shape tensor, or as a static list (`static=True`)."""
    suffix = list(TensorShape(suffix).as_list()) if not isinstance(suffix, numbers.Integral) \
        else [int(suffix)]
    if static:
        if isinstance(prefix, Tensor):
            from jitgraph.ops.constant import constant_value
            v = constant_value(prefix)
            prefix = int(v) if v is not None else None
        return [prefix] + suffix
    if isinstance(prefix, Tensor):
        return stack([prefix] + [convert_to_tensor(s, dtype=prefix.dtype) for s in suffix])
    return [prefix] + suffix


def _zero_state_tensors(state_size, batch_size, dtype):
    def one(s):
        z = zeros(_concat(batch_size, s), dtype=dtype)
        z.set_shape(_concat(batch_size, s, static=True))
        return z
    return nest.map_structure(one, state_size)


class RNNCell(Layer):
    """Abstract cell: `call(inputs, state) -> (output, new_state)`."""

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        super().__init__(trainable=trainable, name=name, dtype=dtype, **kwargs)

    def __call__(self, inputs, state, scope=None):
        if scope is not None and self._scope is None:
            # TF 1.x: a cell called with a scope keeps its variables right in it.
            from jitgraph.variable_scope import variable_scope
            with variable_scope(scope) as captured:
                self._scope = captured
        return super().__call__(inputs, state)

    @property
    def state_size(self):
        raise NotImplementedError("Abstract method")

    @property
    def output_size(self):
        raise NotImplementedError("Abstract method")

    def zero_state(self, batch_size, dtype):
        """Zeros in the shape of `state_size`, with a leading `batch_size`."""
        g = get_default_graph()
        with g.name_scope(type(self).__name__ + "ZeroState"):
            return _zero_state_tensors(self.state_size, batch_size, dtype)

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        if inputs is not None:
            inputs = convert_to_tensor(inputs)
            from jitgraph.ops.array_ops import shape
            batch_size = inputs.shape[0] if inputs.shape[0] is not None else shape(inputs)[0]
            batch_size = getattr(batch_size, "value", batch_size)
            dtype = dtype or inputs.dtype
        return self.zero_state(batch_size, dtype)

    def _input_depth(self, inputs_shape):
        d = TensorShape(inputs_shape)[-1] if TensorShape(inputs_shape).ndims else None
        d = getattr(d, "value", d)
        if d is None:
            raise ValueError(f"Expected inputs.shape[-1] to be known, saw shape: {inputs_shape}")
        return d


class LayerRNNCell(RNNCell):
    pass


class BasicRNNCell(LayerRNNCell):
    """`output = new_state = act(W * [input, state] + b)`."""

    def __init__(self, num_units, activation=None, reuse=None, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype, _reuse=reuse, **kwargs)
        self._num_units = num_units
        self._activation = activation or math_ops.tanh

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units

    def build(self, inputs_shape):
        depth = self._input_depth(inputs_shape)
        self._kernel = self.add_weight("kernel", [depth + self._num_units, self._num_units])
        self._bias = self.add_weight("bias", [self._num_units], initializer=Zeros())
        self.built = True

    def call(self, inputs, state):
        from jitgraph.nn import bias_add
        out = self._activation(bias_add(matmul(concat([inputs, state], 1), self._kernel),
                                        self._bias))
        return out, out


class GRUCell(LayerRNNCell):
    """Gated Recurrent Unit (Cho et al. 2014), TF 1.x's formulation."""

    def __init__(self, num_units, activation=None, reuse=None, kernel_initializer=None,
                 bias_initializer=None, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype, _reuse=reuse, **kwargs)
        self._num_units = num_units
        self._activation = activation or math_ops.tanh
        self._kernel_initializer = kernel_initializer
        self._bias_initializer = bias_initializer

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units

    def build(self, inputs_shape):
        depth = self._input_depth(inputs_shape)
        n = self._num_units
        self._gate_kernel = self.add_weight("gates/kernel", [depth + n, 2 * n],
                                            initializer=self._kernel_initializer)
        self._gate_bias = self.add_weight(
            "gates/bias", [2 * n], initializer=self._bias_initializer if
            self._bias_initializer is not None else Constant(1.0, dtype=self._dtype))
        self._candidate_kernel = self.add_weight("candidate/kernel", [depth + n, n],
                                                 initializer=self._kernel_initializer)
        self._candidate_bias = self.add_weight(
            "candidate/bias", [n], initializer=self._bias_initializer if
            self._bias_initializer is not None else Zeros())
        self.built = True

    def call(self, inputs, state):
        from jitgraph.nn import bias_add
        gate_inputs = bias_add(matmul(concat([inputs, state], 1), self._gate_kernel),
                               self._gate_bias)
        r, u = split(math_ops.sigmoid(gate_inputs), 2, axis=1)
        candidate = bias_add(matmul(concat([inputs, r * state], 1), self._candidate_kernel),
                             self._candidate_bias)
        c = self._activation(candidate)
        new_h = u * state + (1 - u) * c
        return new_h, new_h


class BasicLSTMCell(LayerRNNCell):
    """LSTM without peepholes or projection (Zaremba et al. 2014); `forget_bias` is added
    to the forget gate."""

    def __init__(self, num_units, forget_bias=1.0, state_is_tuple=True, activation=None,
                 reuse=None, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype, _reuse=reuse, **kwargs)
        self._num_units = num_units
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = activation or math_ops.tanh

    @property
    def state_size(self):
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    @property
    def output_size(self):
        return self._num_units

    def build(self, inputs_shape):
        depth = self._input_depth(inputs_shape)
        n = self._num_units
        self._kernel = self.add_weight("kernel", [depth + n, 4 * n])
        self._bias = self.add_weight("bias", [4 * n], initializer=Zeros())
        self.built = True

    def call(self, inputs, state):
        from jitgraph.nn import bias_add
        sigmoid = math_ops.sigmoid
        if self._state_is_tuple:
            c, h = state
        else:
            c, h = split(state, 2, axis=1)
        gate_inputs = bias_add(matmul(concat([inputs, h], 1), self._kernel), self._bias)
        i, j, f, o = split(gate_inputs, 4, axis=1)
        forget_bias = convert_to_tensor(self._forget_bias, dtype=f.dtype)
        new_c = c * sigmoid(f + forget_bias) + sigmoid(i) * self._activation(j)
        new_h = self._activation(new_c) * sigmoid(o)
        new_state = (LSTMStateTuple(new_c, new_h) if self._state_is_tuple
                     else concat([new_c, new_h], 1))
        return new_h, new_state


class LSTMCell(LayerRNNCell):
    """LSTM with optional peepholes (`use_peepholes`), cell clipping (`cell_clip`) and an
    output projection (`num_proj`, `proj_clip`), as TF 1.x's LSTMCell."""

    def __init__(self, num_units, use_peepholes=False, cell_clip=None, initializer=None,
                 num_proj=None, proj_clip=None, num_unit_shards=None, num_proj_shards=None,
                 forget_bias=1.0, state_is_tuple=True, activation=None, reuse=None, name=None,
                 dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype, _reuse=reuse, **kwargs)
        self._num_units = num_units
        self._use_peepholes = use_peepholes
        self._cell_clip = cell_clip
        self._initializer = initializer
        self._num_proj = num_proj
        self._proj_clip = proj_clip
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = activation or math_ops.tanh

    @property
    def state_size(self):
        n, p = self._num_units, self._num_proj or self._num_units
        return LSTMStateTuple(n, p) if self._state_is_tuple else n + p

    @property
    def output_size(self):
        return self._num_proj or self._num_units

    def build(self, inputs_shape):
        depth = self._input_depth(inputs_shape)
        n = self._num_units
        h_depth = self._num_proj or n
        init = self._initializer
        self._kernel = self.add_weight("kernel", [depth + h_depth, 4 * n], initializer=init)
        self._bias = self.add_weight("bias", [4 * n], initializer=Zeros())
        if self._use_peepholes:
            self._w_f_diag = self.add_weight("w_f_diag", [n], initializer=init)
            self._w_i_diag = self.add_weight("w_i_diag", [n], initializer=init)
            self._w_o_diag = self.add_weight("w_o_diag", [n], initializer=init)
        if self._num_proj is not None:
            self._proj_kernel = self.add_weight("projection/kernel", [n, self._num_proj],
                                                initializer=init)
        self.built = True

    def call(self, inputs, state):
        from jitgraph.nn import bias_add
        sigmoid = math_ops.sigmoid
        n = self._num_units
        if self._state_is_tuple:
            c_prev, m_prev = state
        else:
            c_prev, m_prev = split(state, [n, self._num_proj or n], axis=1)
        lstm_matrix = bias_add(matmul(concat([inputs, m_prev], 1), self._kernel), self._bias)
        i, j, f, o = split(lstm_matrix, 4, axis=1)
        if self._use_peepholes:
            c = (sigmoid(f + self._forget_bias + self._w_f_diag * c_prev) * c_prev
                 + sigmoid(i + self._w_i_diag * c_prev) * self._activation(j))
        else:
            c = sigmoid(f + self._forget_bias) * c_prev + sigmoid(i) * self._activation(j)
        if self._cell_clip is not None:
            c = clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peepholes:
            m = sigmoid(o + self._w_o_diag * c) * self._activation(c)
        else:
            m = sigmoid(o) * self._activation(c)
        if self._num_proj is not None:
            m = matmul(m, self._proj_kernel)
            if self._proj_clip is not None:
                m = clip_by_value(m, -self._proj_clip, self._proj_clip)
        new_state = LSTMStateTuple(c, m) if self._state_is_tuple else concat([c, m], 1)
        return m, new_state


class MultiRNNCell(RNNCell):
    """Cells stacked: each one's output is the next one's input; the state is a tuple of
    theirs (`cell_0`, `cell_1`, ... variable scopes)."""

    def __init__(self, cells, state_is_tuple=True):
        super().__init__()
        if not cells:
            raise ValueError("Must specify at least one cell for MultiRNNCell.")
        if not nest.is_nested(cells):
            raise TypeError(f"cells must be a list or tuple, but saw: {cells}.")
        if len(set(id(c) for c in cells)) < len(cells):
            import warnings
            warnings.warn("At least two cells provided to MultiRNNCell are the same object "
                          "and will share weights.", stacklevel=2)
        self._cells = list(cells)
        self._state_is_tuple = state_is_tuple

    @property
    def state_size(self):
        if self._state_is_tuple:
            return tuple(c.state_size for c in self._cells)
        return sum(c.state_size for c in self._cells)

    @property
    def output_size(self):
        return self._cells[-1].output_size

    def zero_state(self, batch_size, dtype):
        g = get_default_graph()
        with g.name_scope(type(self).__name__ + "ZeroState"):
            if self._state_is_tuple:
                return tuple(c.zero_state(batch_size, dtype) for c in self._cells)
            return _zero_state_tensors(self.state_size, batch_size, dtype)

    def build(self, inputs_shape):
        self.built = True

    def call(self, inputs, state):
        from jitgraph.variable_scope import variable_scope
        cur_inp, new_states, start = inputs, [], 0
        for i, cell in enumerate(self._cells):
            with variable_scope(f"cell_{i}"):
                if self._state_is_tuple:
                    if not nest.is_nested(state):
                        raise ValueError(f"Expected state to be a tuple of length "
                                         f"{len(self.state_size)}, but received: {state}")
                    cur_state = state[i]
                else:
                    size = cell.state_size
                    from jitgraph.ops.slicing import slice_
                    cur_state = slice_(state, [0, start], [-1, size])
                    start += size
                cur_inp, ns = cell(cur_inp, cur_state)
                new_states.append(ns)
        new_states = tuple(new_states) if self._state_is_tuple else concat(new_states, 1)
        return cur_inp, new_states


class DropoutWrapper(RNNCell):
    """Dropout on a cell's inputs, outputs and state (keep probabilities; 1.0 skips it)."""

    def __init__(self, cell, input_keep_prob=1.0, output_keep_prob=1.0, state_keep_prob=1.0,
                 variational_recurrent=False, input_size=None, dtype=None, seed=None,
                 dropout_state_filter_visitor=None):
        super().__init__()
        if variational_recurrent:
            raise NotImplementedError("jitgraph: DropoutWrapper(variational_recurrent=True) "
                                      "is not supported yet")
        for name, p in (("input_keep_prob", input_keep_prob),
                        ("output_keep_prob", output_keep_prob),
                        ("state_keep_prob", state_keep_prob)):
            if isinstance(p, numbers.Real) and not 0 < p <= 1:
                raise ValueError(f"Parameter {name} must be between 0 and 1: {p}")
        self._cell = cell
        self._input_keep_prob, self._output_keep_prob = input_keep_prob, output_keep_prob
        self._state_keep_prob, self._seed = state_keep_prob, seed
        # TF keeps the c of an LSTM state undropped by default.
        self._state_filter = dropout_state_filter_visitor or (
            lambda s: not isinstance(s, LSTMStateTuple) or LSTMStateTuple(c=False, h=True))

    @property
    def wrapped_cell(self):
        return self._cell

    @property
    def state_size(self):
        return self._cell.state_size

    @property
    def output_size(self):
        return self._cell.output_size

    def zero_state(self, batch_size, dtype):
        return self._cell.zero_state(batch_size, dtype)

    def __call__(self, inputs, state, scope=None):
        return self.call(inputs, state, scope)

    def _drop(self, values, keep, salt):
        if isinstance(keep, numbers.Real) and float(keep) == 1.0:
            return values
        from jitgraph.nn import dropout
        seed = None if self._seed is None else self._seed + salt
        return nest.map_structure(lambda v: dropout(v, keep_prob=keep, seed=seed), values)

    def call(self, inputs, state, scope=None):
        inputs = self._drop(inputs, self._input_keep_prob, 0)
        output, new_state = self._cell(inputs, state, scope=scope)
        if not (isinstance(self._state_keep_prob, numbers.Real)
                and float(self._state_keep_prob) == 1.0):
            new_state = self._drop_state(new_state)
        output = self._drop(output, self._output_keep_prob, 2)
        return output, new_state

    def _drop_state(self, state):
        def visit(s):
            keep = self._state_filter(s)
            if isinstance(keep, bool):
                return self._drop(s, self._state_keep_prob, 1) if keep else s
            return nest.map_structure(
                lambda k, v: self._drop(v, self._state_keep_prob, 1) if k else v, keep, s)
        if isinstance(state, tuple) and not isinstance(state, LSTMStateTuple):
            return type(state)(visit(s) for s in state) if not hasattr(state, "_fields") \
                else type(state)(*[visit(s) for s in state])
        return visit(state)


class ResidualWrapper(RNNCell):
    """`output = inputs + cell(inputs, state)[0]` (or `residual_fn(inputs, output)`)."""

    def __init__(self, cell, residual_fn=None):
        super().__init__()
        self._cell = cell
        self._residual_fn = residual_fn

    @property
    def state_size(self):
        return self._cell.state_size

    @property
    def output_size(self):
        return self._cell.output_size

    def zero_state(self, batch_size, dtype):
        return self._cell.zero_state(batch_size, dtype)

    def __call__(self, inputs, state, scope=None):
        output, new_state = self._cell(inputs, state, scope=scope)
        fn = self._residual_fn or (lambda i, o: nest.map_structure(lambda a, b: a + b, i, o))
        return fn(inputs, output), new_state


__all__ = ["BasicLSTMCell", "BasicRNNCell", "DropoutWrapper", "GRUCell", "LSTMCell",
           "LSTMStateTuple", "LayerRNNCell", "MultiRNNCell", "RNNCell", "ResidualWrapper"]
