"""`tf.keras.Model` and `Sequential` in a TF 1.x graph.

A functional model (`Model(inputs, outputs)`) is the list of layer calls between its
inputs and outputs, recorded when they were made; calling the model on new tensors
replays them (the layers' weights are shared) under the model's name scope, as TF does.
A subclassed model's `call` is its own. Training (`compile`, `fit`, ...) is in
`training.py`.
"""
from __future__ import annotations

from jitgraph.framework.graph import Tensor, get_default_graph
from jitgraph.keras import backend as K
from jitgraph.keras.base_layer import Layer, _flat, nodes
from jitgraph.keras.layers.core import InputLayer
from jitgraph.keras.training import TrainingMixin


class Model(TrainingMixin, Layer):
    """Model(inputs, outputs, name=None) for the functional API; subclass it and
    define `call` otherwise."""

    def __init__(self, *args, **kwargs):
        inputs = kwargs.pop("inputs", args[0] if args else None)
        outputs = kwargs.pop("outputs", args[1] if len(args) > 1 else None)
        object.__setattr__(self, "_tracked", [])
        super().__init__(name=kwargs.pop("name", None), trainable=kwargs.pop("trainable", True))
        self._init_training()
        self.inputs = self.outputs = None
        self._nodes = None
        if inputs is not None and outputs is not None:
            self._init_graph(inputs, outputs)

    def __setattr__(self, name, value):
        # A subclassed model owns the layers it holds as attributes (for its weights).
        if isinstance(value, Layer) and value is not self and value not in self._tracked:
            self._tracked.append(value)
        elif isinstance(value, (list, tuple)) and name != "_tracked":
            for v in value:
                if isinstance(v, Layer) and v not in self._tracked:
                    self._tracked.append(v)
        object.__setattr__(self, name, value)

    # -- the functional graph -------------------------------------------------------------
    def _init_graph(self, inputs, outputs):
        self._nested_inputs, self._nested_outputs = inputs, outputs
        self.inputs, self.outputs = _flat(inputs), _flat(outputs)
        table = nodes()
        order, seen = [], set()
        known = set(self.inputs)

        def visit(t):
            if t in known or t in seen:
                return
            node = table.get(t)
            if node is None:
                raise ValueError(f"Graph disconnected: cannot obtain value for tensor {t} at "
                                 "layer. The following previous layers were accessed "
                                 "without issue: "
                                 f"{[n[0].name for n in order]}")
            layer, ins, args, kw = node
            for x in _flat(ins) if ins is not None else ():
                visit(x)
            outs = [o for o, n in table.items() if n is node]
            seen.update(outs)
            order.append((layer, ins, args, kw, outs))

        for t in self.outputs:
            visit(t)
        self._nodes = order
        self.built = True

    @property
    def layers(self):
        """Deepest first (the distance from the outputs), then in call order, as Keras
        orders a functional model's layers (and so its weights)."""
        if self._nodes is None:
            return list(self._tracked)
        depth = {t: 0 for t in self.outputs}
        layer_depth, first = {}, {}
        for i, (layer, ins, _, _, outs) in reversed(list(enumerate(self._nodes))):
            d = max(depth.get(o, 0) for o in outs)
            for x in _flat(ins) if ins is not None else ():
                depth[x] = max(depth.get(x, 0), d + 1)
            layer_depth[layer] = max(layer_depth.get(layer, 0), d)
            first[layer] = i
        table = nodes()
        for t in self.inputs:
            if t in table:
                layer_depth[table[t][0]] = depth.get(t, 0)
                first[table[t][0]] = -1
        return sorted(layer_depth, key=lambda lay: (-layer_depth[lay], first[lay]))

    def get_layer(self, name=None, index=None):
        layers = self.layers
        if index is not None:
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}.")

    def call(self, inputs, training=None, mask=None):
        if self._nodes is None:
            raise NotImplementedError("A subclassed Model must define `call`.")
        mapping = {old: new for old, new in zip(self.inputs, _flat(inputs))}
        for layer, ins, args, kw, outs in self._nodes:
            kw = dict(kw)
            if training is not None and layer._call_takes("training") \
                    and kw.get("training") is None:
                kw["training"] = training
            new_in = [mapping[x] for x in ins] if isinstance(ins, (list, tuple)) \
                else mapping[ins]
            res = layer(new_in, *args, **kw)
            for o, n in zip(outs, _flat(res)):
                mapping[o] = n
        result = [mapping[o] for o in self.outputs]
        if isinstance(self._nested_outputs, (list, tuple)):
            return result
        return result[0]

    def build(self, input_shape):
        self.built = True

    # -- weights of the layers ---------------------------------------------------------------
    def _sublayers(self):
        return [lay for lay in self.layers if lay is not self]

    def _collect(self, attr):
        out = list(getattr(Layer, attr).fget(self))
        for layer in self._sublayers():
            for v in getattr(layer, attr):
                if not any(v is w for w in out):
                    out.append(v)
        return out

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return self._collect("trainable_weights")

    @property
    def non_trainable_weights(self):
        out = self._collect("non_trainable_weights")
        if not self.trainable:
            out = self._collect("trainable_weights") + out
        return out

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    @property
    def weights(self):
        # Layer by layer, each its trainable then other weights (Keras's order).
        out = self._trainable_weights + self._non_trainable_weights
        for layer in self._sublayers():
            for v in layer.weights:
                if not any(v is w for w in out):
                    out.append(v)
        return out

    variables = weights

    @property
    def updates(self):
        return self._updates + [u for lay in self._sublayers() for u in lay.updates]

    @property
    def losses(self):
        return self._losses + [loss for lay in self._sublayers() for loss in lay.losses]

    def get_weights(self):
        return K.batch_get_value(self.weights)

    def set_weights(self, weights):
        K.batch_set_value(list(zip(self.weights, weights)))

    def summary(self, line_length=65, print_fn=print):
        rows = [("Layer (type)", "Output Shape", "Param #")]
        for layer in self.layers:
            try:
                shape = str(layer.output_shape).replace("None", "None")
            except AttributeError:
                shape = "multiple"
            rows.append((f"{layer.name} ({type(layer).__name__})", shape,
                         str(layer.count_params())))
        print_fn(f'Model: "{self.name}"')
        print_fn("_" * line_length)
        for i, (a, b, c) in enumerate(rows):
            print_fn(f"{a:<29}{b:<26}{c}")
            print_fn(("=" if i == 0 else "_") * line_length)
        total = self.count_params()
        trainable = int(sum(int(__import__("numpy").prod(v.shape.as_list()))
                            for v in self.trainable_weights))
        print_fn(f"Total params: {total:,}")
        print_fn(f"Trainable params: {trainable:,}")
        print_fn(f"Non-trainable params: {total - trainable:,}")
        print_fn("_" * line_length)

    # -- checkpoints of the weights ------------------------------------------------------------
    def save_weights(self, filepath, overwrite=True, save_format=None):
        """Writes the weights as a TF checkpoint at `filepath` (Saver format)."""
        self._weights_saver().save(K.get_session(), filepath, write_meta_graph=False,
                                   write_state=False)

    def load_weights(self, filepath, by_name=False):
        self._weights_saver().restore(K.get_session(), filepath)

    def _weights_saver(self):
        from jitgraph.saver import Saver
        saver = getattr(self, "_saver", None)
        if saver is None:
            g = self.weights[0].graph if self.weights else get_default_graph()
            with g.as_default():
                saver = Saver(self.weights)
            object.__setattr__(self, "_saver", saver)
        return saver


class Sequential(Model):
    """A stack of layers, each called on the previous one's output."""

    def __init__(self, layers=None, name=None):
        super().__init__(name=name)
        self._stack = []
        for layer in layers or ():
            self.add(layer)

    @property
    def layers(self):
        return list(self._stack)

    def add(self, layer):
        if isinstance(layer, Tensor):  # Sequential([Input(...), ...]) passes the input
            node = nodes().get(layer)
            layer = node[0] if node else layer
        if not isinstance(layer, Layer):
            raise TypeError("The added layer must be an instance of class Layer. Found: "
                            f"{layer}")
        self._stack.append(layer)
        self._tracked.append(layer)
        if isinstance(layer, InputLayer):
            self._set_graph(layer.output)
        elif self.outputs is not None:
            out = layer(self.outputs[0])
            self._init_graph(self.inputs[0], out)
        elif len(self._stack) == 1 and layer._batch_input_shape is not None:
            inp = InputLayer(batch_input_shape=layer._batch_input_shape,
                             dtype=layer._dtype, name=layer.name + "_input").output
            self._set_graph(inp)
            self._init_graph(inp, layer(inp))

    def _set_graph(self, inp):
        self.inputs, self.outputs = [inp], [inp]
        self._nested_inputs = self._nested_outputs = inp
        self._nodes = []

    def pop(self):
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        self._stack.pop()
        self.inputs = self.outputs = None
        self._nodes = None

    def call(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self._stack:
            if isinstance(layer, InputLayer):
                continue
            if training is not None and layer._call_takes("training"):
                x = layer(x, training=training)
            else:
                x = layer(x)
        return x

    def _build_on(self, x_placeholder):
        self._init_graph(x_placeholder, self.call(x_placeholder))
