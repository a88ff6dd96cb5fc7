"""`tf.nn.dynamic_rnn`, `static_rnn`, `bidirectional_dynamic_rnn`,
`static_bidirectional_rnn`: a cell unrolled over time, built as TF 1.x builds it.

`dynamic_rnn` is TF's `while_loop` over TensorArrays of inputs and outputs (one
`While` op whose body is the cell); `static_rnn` calls the cell once per input.
With `sequence_length`, steps past a row's length copy its state through and
output zeros, as TF does.
"""
from __future__ import annotations

from jitgraph.control_flow import TensorArray, while_loop
from jitgraph.framework import dtypes, nest
from jitgraph.framework.graph import get_default_graph
from jitgraph.framework.tensor_shape import TensorShape
from jitgraph.ops import math_ops
from jitgraph.ops.array_ops import expand_dims, identity, shape, stack, unstack, zeros
from jitgraph.ops.constant import constant, convert_to_tensor
from jitgraph.ops.manip_ops import concat, reverse, transpose
from jitgraph.ops.reduction_ops import reduce_max
from jitgraph.ops.sequence_ops import reverse_sequence
from jitgraph.rnn_cell import _concat
from jitgraph.variable_scope import variable_scope


def _transpose_batch_time(x):
    r = x.shape.ndims
    if r is not None and r < 2:
        return x
    if r is None:
        raise ValueError(f"Expected input tensor {x} to have rank at least 2")
    out = transpose(x, [1, 0] + list(range(2, r)))
    s = x.shape.as_tuple()
    out.set_shape([s[1], s[0]] + list(s[2:]))
    return out


def _batch_size(flat_input):
    """The batch size (time-major inputs): static where known, else a shape tensor."""
    for x in flat_input:
        s = x.shape
        if s.ndims is None:
            continue
        if s.ndims < 2:
            raise ValueError(f"Expected input tensor {x} to have rank at least 2")
        b = s.as_tuple()[1]
        if b is not None:
            return b
    return shape(flat_input[0])[1]


def _state_dtype(dtype, state):
    if dtype is not None:
        return dtypes.as_dtype(dtype)
    flat = nest.flatten(state)
    if not flat:
        raise ValueError("Unable to infer dtype from empty state.")
    return flat[0].dtype


def _copy_through(copy_cond, old, new):
    """Rows where `copy_cond` holds keep `old` (TF 1.x's vector-condition select)."""
    if new.shape.ndims == 0:
        return new
    cond = copy_cond
    for _ in range((new.shape.ndims or 2) - 1):
        cond = expand_dims(cond, -1)
    return math_ops.where(cond, old, new)


def _rnn_step(time, sequence_length, zero_output, state, call_cell):
    new_output, new_state = call_cell()
    nest.assert_same_structure(zero_output, new_output)
    nest.assert_same_structure(state, new_state)
    copy_cond = time >= sequence_length
    outs = [_copy_through(copy_cond, z, n)
            for z, n in zip(nest.flatten(zero_output), nest.flatten(new_output))]
    states = [_copy_through(copy_cond, s, n)
              for s, n in zip(nest.flatten(state), nest.flatten(new_state))]
    for t, n in zip(outs + states, nest.flatten(new_output) + nest.flatten(new_state)):
        t.set_shape(n.shape)
    return (nest.pack_sequence_as(zero_output, outs), nest.pack_sequence_as(state, states))


def dynamic_rnn(cell, inputs, sequence_length=None, initial_state=None, dtype=None,
                parallel_iterations=None, swap_memory=False, time_major=False, scope=None):
    """`tf.nn.dynamic_rnn`: `cell` run over `inputs` ([batch, time, ...], or [time, batch,
    ...] with `time_major`) in a while loop.

    Returns:
      (outputs, state): outputs of every step in the layout of `inputs`, and the final
      state (of each row's last step when `sequence_length` is given).

    Raises:
      TypeError: `cell` is not callable.
      ValueError: neither `initial_state` nor `dtype`, or a bad `sequence_length` rank.
    """
    if not callable(cell):
        raise TypeError("cell must be an instance of RNNCell")
    with variable_scope(scope or "rnn"):
        flat_input = [convert_to_tensor(x) for x in nest.flatten(inputs)]
        if not time_major:
            flat_input = [_transpose_batch_time(x) for x in flat_input]
        parallel_iterations = parallel_iterations or 32
        if sequence_length is not None:
            sequence_length = math_ops.cast(convert_to_tensor(sequence_length), dtypes.int32)
            if sequence_length.shape.ndims not in (None, 1):
                raise ValueError(f"sequence_length must be a vector of length batch_size, "
                                 f"but saw shape: {sequence_length.shape}")
            sequence_length = identity(sequence_length, name="sequence_length")
        batch_size = _batch_size(flat_input)
        if initial_state is not None:
            state = initial_state
        else:
            if not dtype:
                raise ValueError("If there is no initial_state, you must give a dtype.")
            state = cell.zero_state(batch_size, dtype)
        inputs = nest.pack_sequence_as(inputs, flat_input)
        outputs, final_state = _dynamic_rnn_loop(cell, inputs, state, parallel_iterations,
                                                 swap_memory, sequence_length, dtype)
        if not time_major:
            outputs = nest.map_structure(_transpose_batch_time, outputs)
        return outputs, final_state


def _dynamic_rnn_loop(cell, inputs, initial_state, parallel_iterations, swap_memory,
                      sequence_length, dtype):
    state = initial_state
    flat_input = nest.flatten(inputs)
    flat_output_size = nest.flatten(cell.output_size)
    time_steps = shape(flat_input[0])[0]
    batch_size = _batch_size(flat_input)
    got = [x.shape for x in flat_input]
    const_time_steps, const_batch = got[0].as_tuple()[:2]
    out_dtype = _state_dtype(dtype, state)
    flat_zero = [zeros(_concat(batch_size, s), out_dtype) for s in flat_output_size]
    zero_output = nest.pack_sequence_as(cell.output_size, flat_zero) \
        if nest.is_nested(cell.output_size) else flat_zero[0]
    if sequence_length is not None:
        max_len = reduce_max(sequence_length)
    else:
        max_len = time_steps
    time = constant(0, dtype=dtypes.int32, name="time")
    g = get_default_graph()
    with g.name_scope("dynamic_rnn") as base:
        pass
    output_ta = tuple(
        TensorArray(out_dtype, size=time_steps, tensor_array_name=base + f"output_{i}",
                    element_shape=TensorShape([const_batch]).concatenate(
                        TensorShape(_size_list(s))))
        for i, s in enumerate(flat_output_size))
    input_ta = tuple(
        TensorArray(x.dtype, size=time_steps, tensor_array_name=base + f"input_{i}",
                    element_shape=x.shape[1:] if x.shape.ndims else None).unstack(x)
        for i, x in enumerate(flat_input))

    def time_step(time, output_ta_t, state):
        input_t = tuple(ta.read(time) for ta in input_ta)
        for x, s in zip(input_t, got):
            x.set_shape(s[1:])
        input_t = nest.pack_sequence_as(inputs, list(input_t))

        def call_cell():
            return cell(input_t, state)

        if sequence_length is not None:
            output, new_state = _rnn_step(time, sequence_length, zero_output, state, call_cell)
        else:
            output, new_state = call_cell()
        output = nest.flatten(output)
        output_ta_t = tuple(ta.write(time, o) for ta, o in zip(output_ta_t, output))
        return time + 1, output_ta_t, new_state

    loop_bound = math_ops.minimum(time_steps, math_ops.maximum(1, max_len))
    _, final_ta, final_state = while_loop(
        lambda time, *_: time < loop_bound, time_step, (time, output_ta, state),
        parallel_iterations=parallel_iterations, maximum_iterations=time_steps,
        swap_memory=swap_memory)
    final_outputs = [ta.stack() for ta in final_ta]
    for out, s in zip(final_outputs, flat_output_size):
        out.set_shape([const_time_steps, const_batch] + _size_list(s))
    if nest.is_nested(cell.output_size):
        return nest.pack_sequence_as(cell.output_size, final_outputs), final_state
    return final_outputs[0], final_state


def _size_list(s):
    return [int(s)] if not isinstance(s, TensorShape) and not isinstance(s, (list, tuple)) \
        else TensorShape(s).as_list()


def static_rnn(cell, inputs, initial_state=None, dtype=None, sequence_length=None, scope=None):
    """`tf.nn.static_rnn` (`tf.contrib.rnn.static_rnn`): `cell` called once per element of
    the list `inputs` ([batch, input_size] each), sharing its variables.

    Returns:
      (outputs, state): the list of outputs and the final state.
    """
    if not callable(cell):
        raise TypeError("cell must be an instance of RNNCell")
    if not nest.is_nested(inputs):
        raise TypeError("inputs must be a sequence")
    if not inputs:
        raise ValueError("inputs must not be empty")
    outputs = []
    with variable_scope(scope or "rnn") as varscope:
        first = inputs
        while nest.is_nested(first):
            first = first[0]
        first = convert_to_tensor(first)
        b = first.shape.as_tuple()[0] if first.shape.ndims else None
        batch_size = b if b is not None else shape(first)[0]
        if initial_state is not None:
            state = initial_state
        else:
            if not dtype:
                raise ValueError("If no initial_state is provided, dtype must be specified")
            state = cell.zero_state(batch_size, dtype)
        if sequence_length is not None:
            sequence_length = convert_to_tensor(sequence_length, name="sequence_length")
            if sequence_length.shape.ndims not in (None, 1):
                raise ValueError("sequence_length must be a vector of length batch_size")
            out_dtype = _state_dtype(dtype, state)
            flat_zero = []
            for s in nest.flatten(cell.output_size):
                z = zeros(_concat(batch_size, s), out_dtype)
                z.set_shape([b] + _size_list(s))
                flat_zero.append(z)
            zero_output = nest.pack_sequence_as(cell.output_size, flat_zero) \
                if nest.is_nested(cell.output_size) else flat_zero[0]
            # TF also gates each step with conds on the min/max length; copying state
            # through past each row's length gives the same numbers.
            sequence_length = math_ops.cast(sequence_length, dtypes.int32)
        for time, input_ in enumerate(inputs):
            if time > 0:
                varscope.reuse_variables()

            def call_cell(input_=input_, state=state):
                return cell(input_, state)

            if sequence_length is not None:
                output, state = _rnn_step(constant(time), sequence_length, zero_output, state,
                                          call_cell)
            else:
                output, state = call_cell()
            outputs.append(output)
        return outputs, state


def bidirectional_dynamic_rnn(cell_fw, cell_bw, inputs, sequence_length=None,
                              initial_state_fw=None, initial_state_bw=None, dtype=None,
                              parallel_iterations=None, swap_memory=False, time_major=False,
                              scope=None):
    """`tf.nn.bidirectional_dynamic_rnn`: a forward `dynamic_rnn` and one over the inputs
    reversed in time (per row with `sequence_length`), in scopes `fw` and `bw`.

    Returns:
      ((output_fw, output_bw), (output_state_fw, output_state_bw)).
    """
    if not callable(cell_fw):
        raise TypeError("cell_fw must be an instance of RNNCell")
    if not callable(cell_bw):
        raise TypeError("cell_bw must be an instance of RNNCell")
    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            output_fw, state_fw = dynamic_rnn(
                cell_fw, inputs, sequence_length=sequence_length,
                initial_state=initial_state_fw, dtype=dtype,
                parallel_iterations=parallel_iterations, swap_memory=swap_memory,
                time_major=time_major, scope=fw_scope)
        time_axis, batch_axis = (0, 1) if time_major else (1, 0)

        def _reverse(x):
            if sequence_length is not None:
                return reverse_sequence(x, sequence_length, seq_axis=time_axis,
                                        batch_axis=batch_axis)
            return reverse(x, axis=[time_axis])

        with variable_scope("bw") as bw_scope:
            inputs_reverse = nest.map_structure(_reverse, inputs)
            tmp, state_bw = dynamic_rnn(
                cell_bw, inputs_reverse, sequence_length=sequence_length,
                initial_state=initial_state_bw, dtype=dtype,
                parallel_iterations=parallel_iterations, swap_memory=swap_memory,
                time_major=time_major, scope=bw_scope)
    output_bw = nest.map_structure(_reverse, tmp)
    return (output_fw, output_bw), (state_fw, state_bw)


def _reverse_seq(input_seq, lengths):
    if lengths is None:
        return list(reversed(input_seq))
    flat = [nest.flatten(x) for x in input_seq]
    out = []
    for parts in zip(*flat):
        seq = stack(list(parts))
        rev = reverse_sequence(seq, math_ops.cast(lengths, dtypes.int64), seq_axis=0,
                               batch_axis=1)
        rs = unstack(rev)
        for r, p in zip(rs, parts):
            r.set_shape(p.shape)
        out.append(rs)
    flat_out = list(zip(*out))
    return [nest.pack_sequence_as(x, list(f)) if nest.is_nested(x) else f[0]
            for x, f in zip(input_seq, flat_out)]


def static_bidirectional_rnn(cell_fw, cell_bw, inputs, initial_state_fw=None,
                             initial_state_bw=None, dtype=None, sequence_length=None,
                             scope=None):
    """`tf.nn.static_bidirectional_rnn`: `static_rnn` forwards and over the reversed inputs;
    each step's outputs concatenated (forward first).

    Returns:
      (outputs, output_state_fw, output_state_bw).
    """
    if not callable(cell_fw):
        raise TypeError("cell_fw must be an instance of RNNCell")
    if not callable(cell_bw):
        raise TypeError("cell_bw must be an instance of RNNCell")
    if not nest.is_nested(inputs):
        raise TypeError("inputs must be a sequence")
    if not inputs:
        raise ValueError("inputs must not be empty")
    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            output_fw, state_fw = static_rnn(cell_fw, inputs, initial_state_fw, dtype,
                                             sequence_length, scope=fw_scope)
        with variable_scope("bw") as bw_scope:
            reversed_inputs = _reverse_seq(inputs, sequence_length)
            tmp, state_bw = static_rnn(cell_bw, reversed_inputs, initial_state_bw, dtype,
                                       sequence_length, scope=bw_scope)
    output_bw = _reverse_seq(tmp, sequence_length)
    outputs = [nest.pack_sequence_as(fw, [concat([a, b], 1) for a, b in
                                          zip(nest.flatten(fw), nest.flatten(bw))])
               if nest.is_nested(fw) else concat([fw, bw], 1)
               for fw, bw in zip(output_fw, output_bw)]
    return outputs, state_fw, state_bw


__all__ = ["bidirectional_dynamic_rnn", "dynamic_rnn", "static_bidirectional_rnn",
           "static_rnn"]
