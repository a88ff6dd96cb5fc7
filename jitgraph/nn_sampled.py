"""Sampled losses for many classes: `tf.nn.nce_loss` and `tf.nn.sampled_softmax_loss`,
built as TF 1.x builds them (`_compute_sampled_logits`): the true classes' and a sample's
logits from rows of the output weights, corrected by the log of each class's expected
count, then a sigmoid (NCE) or softmax cross-entropy over [true, sampled]."""
from __future__ import annotations

from jitgraph.framework import dtypes
from jitgraph.ops import array_ops, math_ops, reduction_ops
from jitgraph.ops.api import name_scope
from jitgraph.ops.candidate_sampling_ops import (compute_accidental_hits,
                                                 log_uniform_candidate_sampler)
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.linalg_ops import matmul
from jitgraph.ops.manip_ops import concat


def _rows(params, ids):
    from jitgraph.nn import embedding_lookup
    return embedding_lookup(params, ids)


def _compute_sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes,
                            num_true, sampled_values, subtract_log_q,
                            remove_accidental_hits, name, partition_strategy, seed=None):
    weights = _unshard(weights, partition_strategy)
    biases = _unshard(biases, partition_strategy)
    with name_scope(name, "compute_sampled_logits"):
        labels = convert_to_tensor(labels, name="labels")
        if labels.dtype != dtypes.int64:
            labels = math_ops.cast(labels, dtypes.int64)
        inputs = convert_to_tensor(inputs, name="inputs")
        labels_flat = array_ops.reshape(labels, [-1])
        if sampled_values is None:
            sampled_values = log_uniform_candidate_sampler(
                true_classes=labels, num_true=num_true, num_sampled=num_sampled,
                unique=True, range_max=num_classes, seed=seed)
        sampled, true_expected, sampled_expected = (array_ops.stop_gradient(s)
                                                    for s in sampled_values)
        sampled = math_ops.cast(sampled, dtypes.int64)
        all_ids = concat([labels_flat, sampled], 0)
        n_true = array_ops.size(labels_flat)
        all_w = _rows(weights, all_ids)
        true_w, sampled_w = all_w[:n_true], all_w[n_true:]
        sampled_logits = matmul(inputs, sampled_w, transpose_b=True)
        all_b = _rows(biases, all_ids)
        true_b, sampled_b = all_b[:n_true], all_b[n_true:]
        dim = array_ops.shape(true_w)[1:2]
        true_w = array_ops.reshape(true_w, concat([[-1, num_true], dim], 0))
        dots = math_ops.multiply(array_ops.expand_dims(inputs, 1), true_w)
        true_logits = reduction_ops.reduce_sum(dots, -1)
        true_logits = true_logits + array_ops.reshape(true_b, [-1, num_true])
        sampled_logits = sampled_logits + sampled_b
        if remove_accidental_hits:
            sampled_logits = sampled_logits + _accidental_hit_mask(
                labels, sampled, num_true, sampled_logits)
        if subtract_log_q:
            true_logits = true_logits - math_ops.log(true_expected)
            sampled_logits = sampled_logits - math_ops.log(sampled_expected)
        out_logits = concat([true_logits, sampled_logits], 1)
        out_labels = concat([array_ops.ones_like(true_logits) / num_true,
                             array_ops.zeros_like(sampled_logits)], 1)
        return out_logits, out_labels


def _unshard(params, partition_strategy):
    """One tensor from a list of shards: in order for the "div" strategy (contiguous id
    ranges); "mod" interleaves ids across shards, which jitgraph does not lay out."""
    if not isinstance(params, (list, tuple)):
        return params
    if len(params) == 1:
        return params[0]
    if partition_strategy != "div":
        raise NotImplementedError("jitgraph: sharded weights need partition_strategy='div' "
                                  f"(got {partition_strategy!r}); or pass one tensor")
    return concat(list(params), 0)


def _accidental_hit_mask(labels, sampled, num_true, sampled_logits):
    """-FLT_MAX where a sampled class is one of the row's true classes, else 0."""
    from jitgraph.ops.scatter_ops import scatter_nd
    rows, cols, weights = compute_accidental_hits(labels, sampled, num_true)
    where = array_ops.stack([math_ops.cast(rows, dtypes.int64), cols], 1)
    shape = math_ops.cast(array_ops.shape(sampled_logits), dtypes.int64)
    return scatter_nd(where, math_ops.cast(weights, sampled_logits.dtype), shape)


def nce_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
             sampled_values=None, remove_accidental_hits=False, partition_strategy="mod",
             name="nce_loss"):
    """`tf.nn.nce_loss`: noise-contrastive estimation loss, one per example [batch].

    Args:
      weights: [num_classes, dim] class embeddings (or a list of shards, concatenated).
      biases: [num_classes] class biases.
      labels: [batch, num_true] int target classes.
      inputs: [batch, dim] the forward activations.
      num_sampled: negative classes sampled per batch (log-uniform by default).
      num_classes: how many classes there are.
      sampled_values: (sampled, true_expected_count, sampled_expected_count) to use instead
        of drawing them.
    """
    from jitgraph.nn import sigmoid_cross_entropy_with_logits
    logits, labels_ = _compute_sampled_logits(
        weights, biases, labels, inputs, num_sampled, num_classes, num_true,
        sampled_values, True, remove_accidental_hits, name, partition_strategy)
    with name_scope(name, "nce_loss") as scope:
        losses = sigmoid_cross_entropy_with_logits(labels=labels_, logits=logits)
        return reduction_ops.reduce_sum(losses, 1, name=scope)


def sampled_softmax_loss(weights, biases, labels, inputs, num_sampled, num_classes,
                         num_true=1, sampled_values=None, remove_accidental_hits=True,
                         partition_strategy="mod", name="sampled_softmax_loss", seed=None):
    """`tf.nn.sampled_softmax_loss`: softmax cross-entropy over the true classes and a
    sample of the others, one loss per example [batch] (arguments as `nce_loss`)."""
    from jitgraph.ops.nn_ops import softmax_cross_entropy_with_logits_v2
    logits, labels_ = _compute_sampled_logits(
        weights, biases, labels, inputs, num_sampled, num_classes, num_true,
        sampled_values, True, remove_accidental_hits, name, partition_strategy, seed=seed)
    labels_ = array_ops.stop_gradient(labels_)
    return softmax_cross_entropy_with_logits_v2(labels=labels_, logits=logits)
