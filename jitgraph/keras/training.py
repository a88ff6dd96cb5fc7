"""`Model.compile/fit/evaluate/predict` (and the `*_on_batch` forms) on a TF 1.x Session.

`compile` only records its arguments; the first call that sees data builds, once, the
target placeholders, the loss (the batch mean of each output's loss, weighted, plus the
layers' regularization losses), the metrics and the train op (the optimizer's update
and the layers' updates, such as BatchNormalization's moving averages). Each step is
then one `Session.run` of a compiled step: fit feeds a batch and the learning phase.
Epoch values are the sample-weighted means of the batch values, as Keras reports them.
"""
from __future__ import annotations

import sys
import time

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.framework.graph import get_default_graph
from jitgraph.keras import backend as K
from jitgraph.keras import callbacks as cbks
from jitgraph.keras import losses as losses_mod
from jitgraph.keras import metrics as metrics_mod
from jitgraph.keras import optimizers


class TrainingMixin:
    def _init_training(self):
        self.optimizer = None
        self._compiled = None
        self._fns = None
        self.stop_training = False
        self.history = None

    # -- compile ---------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                sample_weight_mode=None, weighted_metrics=None, target_tensors=None,
                **kwargs):
        """Configures training: `optimizer` (a name, a Keras or tf.train optimizer),
        `loss` (a name, a function, or one per output), `metrics` (names or functions)."""
        self.optimizer = optimizers.get(optimizer)
        self._compiled = dict(loss=loss, metrics=list(metrics or []),
                              loss_weights=loss_weights, target_tensors=target_tensors)
        self._fns = None
        if self.outputs is not None:
            self._build_training()

    @property
    def metrics_names(self):
        if self._fns is None:
            return ["loss"]
        return list(self._fns["names"])

    def _build_training(self):
        from jitgraph.ops.api import name_scope
        from jitgraph.ops.array_ops import group
        from jitgraph.ops.constant import placeholder
        from jitgraph.ops.math_ops import add_n, cast
        from jitgraph.ops.reduction_ops import reduce_mean
        if self._compiled is None:
            raise RuntimeError("You must compile your model before training/testing. Use "
                               "`model.compile(optimizer, loss)`.")
        c = self._compiled
        outs = self.outputs
        out_names = [self._output_name(o) for o in outs]
        loss_fns = c["loss"]
        if isinstance(loss_fns, dict):
            loss_fns = [loss_fns[n] for n in out_names]
        elif not isinstance(loss_fns, (list, tuple)):
            loss_fns = [loss_fns] * len(outs)
        loss_fns = [losses_mod.get(f) for f in loss_fns]
        weights = c["loss_weights"] or [1.0] * len(outs)
        if isinstance(weights, dict):
            weights = [weights.get(n, 1.0) for n in out_names]
        g = outs[0].graph
        with g.as_default():
            targets = c["target_tensors"]
            if targets is None:
                with g.name_scope(None):
                    targets = [placeholder(o.dtype, [None] * (o.shape.ndims or 0),
                                           name=n + "_target")
                               for o, n in zip(outs, out_names)]
            targets = list(targets) if isinstance(targets, (list, tuple)) else [targets]
            names, fetches = ["loss"], []
            per_output = []
            with name_scope("loss"):
                for o, t, fn, w, n in zip(outs, targets, loss_fns, weights, out_names):
                    with name_scope(n + "_loss"):
                        per_output.append(reduce_mean(fn(t, o)) * w
                                          if w != 1.0 else reduce_mean(fn(t, o)))
                total = add_n(per_output) if len(per_output) > 1 else per_output[0]
                reg = [cast(x, total.dtype) for x in self.losses]
                if reg:
                    total = add_n([total] + reg)
            fetches.append(total)
            if len(outs) > 1:
                names += [n + "_loss" for n in out_names]
                fetches += per_output
            with name_scope("metrics"):
                for o, t, fn, n in zip(outs, targets, loss_fns, out_names):
                    for m in c["metrics"]:
                        mname, mfn = metrics_mod.resolve(m, fn, o)
                        with name_scope(mname):
                            fetches.append(reduce_mean(mfn(t, o)))
                        names.append(mname if len(outs) == 1 else f"{n}_{mname}")
            with name_scope("training"):
                params = self.trainable_weights
                train = self.optimizer.minimize(total, var_list=params) if params else None
                updates = [u for u in self.updates]
                with g.control_dependencies([total]):
                    step = group(*([train] if train is not None else []), *updates)
        self._fns = {"names": names, "fetches": fetches, "train": step,
                     "targets": targets}

    def _output_name(self, t):
        from jitgraph.keras.base_layer import nodes
        node = nodes().get(t)
        return node[0].name if node else t.op.name.split("/")[0]

    # -- data ----------------------------------------------------------------------------------
    def _ensure_inputs(self, x):
        """A model without Input placeholders gets them from the first data it sees."""
        if self.inputs is not None:
            return
        from jitgraph.ops.constant import placeholder
        g = get_default_graph()
        arrays = x if isinstance(x, (list, tuple)) else [x]
        with g.name_scope(None):
            phs = []
            first = self.layers[0].name if self.layers else self.name
            for i, a in enumerate(arrays):
                a = np.asarray(a)
                dt = dtypes.as_dtype(a.dtype) if a.dtype.kind in "iu" else dtypes.float32
                if dt not in (dtypes.int32, dtypes.int64, dtypes.float32):
                    dt = dtypes.float32
                phs.append(placeholder(dt, (None,) + a.shape[1:],
                                       name=f"{first}_input" + (f"_{i}" if i else "")))
        inp = phs if isinstance(x, (list, tuple)) else phs[0]
        if hasattr(self, "_build_on"):
            self._build_on(inp)
        else:
            self._init_graph_from_call(inp)
        if self._compiled is not None:
            self._build_training()

    def _init_graph_from_call(self, inp):
        out = self(inp)
        self.inputs, self.outputs = (list(inp) if isinstance(inp, (list, tuple))
                                     else [inp]), (list(out) if isinstance(out, (list, tuple))
                                                   else [out])
        self._nested_outputs = out

    def _as_list(self, x, tensors):
        if isinstance(x, dict):
            by_name = {t.op.name: t for t in tensors}
            return [np.asarray(x[n]) for n in by_name]
        xs = list(x) if isinstance(x, (list, tuple)) else [x]
        return [np.asarray(a) for a in xs]

    def _standardize(self, x, y=None):
        self._ensure_inputs(x)
        if self._fns is None and self._compiled is not None:
            self._build_training()
        xs = self._as_list(x, self.inputs)
        if len(xs) != len(self.inputs):
            raise ValueError(f"Error when checking model input: the list of Numpy arrays "
                             f"that you are passing to your model is not the size the model "
                             f"expected. Expected to see {len(self.inputs)} array(s), but "
                             f"instead got {len(xs)} arrays.")
        ys = None
        if y is not None:
            ys = self._as_list(y, self._fns["targets"])
            for i, (a, o) in enumerate(zip(ys, self.outputs)):
                if o.shape.ndims is not None and a.ndim == o.shape.ndims - 1:
                    ys[i] = a[..., None]  # Keras's (n,) labels for an (n, 1) target
            n = {len(a) for a in xs + ys}
            if len(n) > 1:
                raise ValueError("Input arrays should have the same number of samples as "
                                 f"target arrays. Found {len(xs[0])} input samples and "
                                 f"{len(ys[0])} target samples.")
        return xs, ys

    def _feed(self, xs, ys, idx, training):
        feed = {t: a[idx] for t, a in zip(self.inputs, xs)}
        if ys is not None:
            feed.update({t: a[idx] for t, a in zip(self._fns["targets"], ys)})
        phase = K._phase_placeholder()
        if phase is not None:
            feed[phase] = training
        return feed

    # -- the loops -------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_freq=1, **kwargs):
        """Trains for `epochs` over numpy arrays (or a Dataset of (x, y) batches); returns
        a `History` whose `history` maps 'loss', each metric and their 'val_' forms to
        one value per epoch."""
        if sample_weight is not None or class_weight is not None:
            raise NotImplementedError("jitgraph's Keras fit has no sample_weight / "
                                      "class_weight yet: weight the loss in the graph")
        if _is_dataset(x):
            return self._fit_dataset(x, epochs, verbose, callbacks, validation_data,
                                     initial_epoch, steps_per_epoch, validation_steps)
        batch_size = batch_size or 32
        xs, ys = self._standardize(x, y)
        if ys is None:
            raise ValueError("You must pass target data `y` to `fit`.")
        if validation_data is None and validation_split:
            split = int(len(xs[0]) * (1.0 - validation_split))
            validation_data = ([a[split:] for a in xs], [a[split:] for a in ys])
            xs, ys = [a[:split] for a in xs], [a[:split] for a in ys]
        elif validation_data is not None:
            vx, vy = validation_data[0], validation_data[1]
            validation_data = self._standardize(vx, vy)
        n = len(xs[0])
        names = self.metrics_names
        history, cb = self._callbacks(callbacks, verbose, epochs, n, batch_size, names,
                                      validation_data is not None)
        sess = K.get_session()
        fetches = [self._fns["train"], self._fns["fetches"]]
        cb.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            cb.on_epoch_begin(epoch)
            order = np.random.permutation(n) if shuffle is True else np.arange(n)
            totals, t0 = np.zeros(len(names)), time.time()
            for b, start in enumerate(range(0, n, batch_size)):
                idx = order[start:start + batch_size]
                cb.on_batch_begin(b, {"batch": b, "size": len(idx)})
                vals = sess.run(fetches, self._feed(xs, ys, idx, True))[1]
                totals += np.asarray(vals, np.float64) * len(idx)
                cb.on_batch_end(b, dict(zip(names, (float(v) for v in vals)),
                                        batch=b, size=len(idx)))
            logs = {k: float(v) for k, v in zip(names, totals / n)}
            if validation_data is not None and (epoch + 1) % validation_freq == 0:
                val = self._test_loop(sess, *validation_data, batch_size)
                logs.update({"val_" + k: v for k, v in zip(names, val)})
            if verbose:
                _print_epoch(epoch, epochs, n, time.time() - t0, logs, verbose)
            cb.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        cb.on_train_end()
        self.stop_training = False
        return history

    def _fit_dataset(self, dataset, epochs, verbose, callbacks, validation_data,
                     initial_epoch, steps_per_epoch, validation_steps):
        from jitgraph.data.iterator import Iterator
        g = get_default_graph()
        with g.as_default():
            it = Iterator.from_structure(dataset.output_types, dataset.output_shapes)
            init, nxt = it.make_initializer(dataset), it.get_next()
        sess = K.get_session()
        names, history, cb = None, None, None
        sess.run(init)
        cb_started = False
        for epoch in range(initial_epoch, epochs):
            if steps_per_epoch is None and epoch > initial_epoch:
                sess.run(init)
            totals, count, t0 = None, 0, time.time()
            step = 0
            while steps_per_epoch is None or step < steps_per_epoch:
                try:
                    bx, by = sess.run(nxt)
                except errors.OutOfRangeError:
                    if steps_per_epoch is not None:
                        print("WARNING: Your dataset ran out of data; interrupting training.",
                              file=sys.stderr)
                        self.stop_training = True
                    break
                xs, ys = self._standardize(bx, by)
                if not cb_started:
                    names = self.metrics_names
                    history, cb = self._callbacks(callbacks, verbose, epochs, None, None,
                                                  names, validation_data is not None)
                    cb.on_train_begin()
                    cb_started = True
                    cb.on_epoch_begin(epoch)
                elif step == 0:
                    cb.on_epoch_begin(epoch)
                k = len(xs[0])
                vals = sess.run([self._fns["train"], self._fns["fetches"]],
                                self._feed(xs, ys, slice(None), True))[1]
                totals = (0 if totals is None else totals) + np.asarray(vals, np.float64) * k
                count += k
                step += 1
            if not cb_started:
                break
            logs = {k: float(v) for k, v in zip(names, totals / max(count, 1))} \
                if totals is not None else {}
            if validation_data is not None:
                val = self.evaluate(validation_data, steps=validation_steps, verbose=0)
                val = val if isinstance(val, list) else [val]
                logs.update({"val_" + k: v for k, v in zip(names, val)})
            if verbose:
                _print_epoch(epoch, epochs, count, time.time() - t0, logs, verbose)
            cb.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        if cb_started:
            cb.on_train_end()
        self.stop_training = False
        return history

    def _callbacks(self, callbacks, verbose, epochs, samples, batch_size, names, do_val):
        history = cbks.History()
        cb = _CallbackList((list(callbacks or [])) + [history])
        cb.set_model(self)
        metrics = names + (["val_" + n for n in names] if do_val else [])
        cb.set_params({"batch_size": batch_size, "epochs": epochs, "steps": None,
                       "samples": samples, "verbose": verbose, "do_validation": do_val,
                       "metrics": metrics})
        self.history = history
        return history, cb

    def _test_loop(self, sess, xs, ys, batch_size):
        n = len(xs[0])
        totals = np.zeros(len(self._fns["names"]))
        for start in range(0, n, batch_size):
            idx = slice(start, start + batch_size)
            k = len(range(n)[idx])
            totals += np.asarray(sess.run(self._fns["fetches"],
                                          self._feed(xs, ys, idx, False)), np.float64) * k
        return [float(v) for v in totals / n]

    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, sample_weight=None,
                 steps=None, callbacks=None, **kwargs):
        """The loss (and metrics: then a list, ordered as `metrics_names`) over the data."""
        if _is_dataset(x):
            vals = self._dataset_loop(x, steps, "test")
        else:
            xs, ys = self._standardize(x, y)
            vals = self._test_loop(K.get_session(), xs, ys, batch_size or 32)
        if verbose:
            print(" - ".join(f"{k}: {v:.4f}" for k, v in zip(self.metrics_names, vals)))
        return vals[0] if len(vals) == 1 else vals

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None, **kwargs):
        """The outputs for `x`, computed batch by batch (learning phase 0)."""
        if _is_dataset(x):
            return self._dataset_loop(x, steps, "predict")
        xs, _ = self._standardize(x)
        batch_size = batch_size or 32
        sess = K.get_session()
        n = len(xs[0])
        parts = [sess.run(self.outputs, self._feed(xs, None, slice(s, s + batch_size), False))
                 for s in range(0, n, batch_size)]
        outs = [np.concatenate([p[i] for p in parts]) for i in range(len(self.outputs))]
        return outs[0] if len(outs) == 1 else outs

    def _dataset_loop(self, dataset, steps, mode):
        from jitgraph.data.iterator import Iterator
        g = get_default_graph()
        with g.as_default():
            it = Iterator.from_structure(dataset.output_types, dataset.output_shapes)
            init, nxt = it.make_initializer(dataset), it.get_next()
        sess = K.get_session()
        sess.run(init)
        totals, count, preds, step = None, 0, [], 0
        while steps is None or step < steps:
            try:
                batch = sess.run(nxt)
            except errors.OutOfRangeError:
                break
            step += 1
            if mode == "predict":
                bx = batch[0] if isinstance(batch, tuple) else batch
                xs, _ = self._standardize(bx)
                preds.append(sess.run(self.outputs, self._feed(xs, None, slice(None), False)))
                continue
            xs, ys = self._standardize(*batch[:2])
            vals = np.asarray(sess.run(self._fns["fetches"],
                                       self._feed(xs, ys, slice(None), False)), np.float64)
            totals = (0 if totals is None else totals) + vals * len(xs[0])
            count += len(xs[0])
        if mode == "predict":
            outs = [np.concatenate([p[i] for p in preds]) for i in range(len(self.outputs))]
            return outs[0] if len(outs) == 1 else outs
        return [float(v) for v in totals / count]

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None, reset_metrics=True):
        xs, ys = self._standardize(x, y)
        vals = K.get_session().run([self._fns["train"], self._fns["fetches"]],
                                   self._feed(xs, ys, slice(None), True))[1]
        vals = [float(v) for v in vals]
        return vals[0] if len(vals) == 1 else vals

    def test_on_batch(self, x, y, sample_weight=None, reset_metrics=True):
        xs, ys = self._standardize(x, y)
        vals = [float(v) for v in K.get_session().run(
            self._fns["fetches"], self._feed(xs, ys, slice(None), False))]
        return vals[0] if len(vals) == 1 else vals

    def predict_on_batch(self, x):
        return self.predict(x, batch_size=len(np.asarray(
            x[0] if isinstance(x, (list, tuple)) else x)))


def _is_dataset(x):
    from jitgraph.data.dataset import Dataset
    return isinstance(x, Dataset)


class _CallbackList:
    def __init__(self, callbacks):
        self.callbacks = callbacks

    def __getattr__(self, name):
        def call(*args, **kwargs):
            for c in self.callbacks:
                getattr(c, name)(*args, **kwargs)
        return call


def _print_epoch(epoch, epochs, n, seconds, logs, verbose):
    print(f"Epoch {epoch + 1}/{epochs}")
    vals = " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())
    print(f"{n}/{n} - {seconds:.0f}s - {vals}")
