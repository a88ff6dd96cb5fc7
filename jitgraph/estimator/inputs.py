"""`tf.estimator.inputs.numpy_input_fn`: batches of a dict of arrays (and labels).

TF feeds them through a queue; the same batches come here from a Dataset (rows in
order, or shuffled, epochs back to back, the last batch short), read by a one-shot
iterator made in the Estimator's graph.
"""
from __future__ import annotations

import numpy as np


def numpy_input_fn(x, y=None, batch_size=128, num_epochs=1, shuffle=None, queue_capacity=1000,
                   num_threads=1):
    """Returns an input_fn yielding (features, labels) batches of `x` (a dict of arrays
    or one array) and `y`.

    Raises:
      ValueError: `shuffle` not given as a bool, arrays of different lengths, or a
        feature named like the target.
    """
    if not isinstance(shuffle, bool):
        raise ValueError(f"shuffle must be provided explicitly as a bool, e.g., True or "
                         f"False. Got {shuffle}")
    x_dict = dict(x) if isinstance(x, dict) else {"__direct_np_input__": x}
    y_dict = dict(y) if isinstance(y, dict) else y
    if isinstance(y_dict, dict):
        clash = set(x_dict) & set(y_dict)
        if clash:
            raise ValueError(f"{sorted(clash)} duplicate keys are found in both x and y: "
                             f"{sorted(x_dict)}, {sorted(y_dict)}")

    def input_fn():
        from jitgraph.data.dataset import Dataset
        arrays = {k: np.asarray(v) for k, v in x_dict.items()}
        lengths = {len(v) for v in arrays.values()}
        if y_dict is not None:
            ys = ({k: np.asarray(v) for k, v in y_dict.items()} if isinstance(y_dict, dict)
                  else np.asarray(y_dict))
            lengths |= ({len(v) for v in ys.values()} if isinstance(ys, dict) else {len(ys)})
        if len(lengths) != 1:
            raise ValueError(f"Length of tensors in x and y is mismatched. All elements in x "
                             f"and y must have the same length. Lengths: {sorted(lengths)}")
        n = lengths.pop()
        ds = Dataset.from_tensor_slices((arrays, ys) if y_dict is not None else arrays)
        if shuffle:
            ds = ds.shuffle(n)
        if num_epochs != 1:
            ds = ds.repeat(num_epochs)
        it = ds.batch(batch_size).make_one_shot_iterator()
        nxt = it.get_next()
        feats, labels = nxt if y_dict is not None else (nxt, None)
        if "__direct_np_input__" in feats:
            feats = feats["__direct_np_input__"]
        return (feats, labels) if y_dict is not None else feats

    return input_fn
