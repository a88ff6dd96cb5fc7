"""Candidate samplers (`tf.nn.log_uniform_candidate_sampler`, `uniform_candidate_sampler`)
and `tf.nn.compute_accidental_hits`, for sampled losses (nce_loss, sampled_softmax_loss).

A sampler draws from the op's counter-based stream (as every random op: both engines
draw the same classes, and a seeded op repeats in each new Session); its distribution
and expected counts are TF's. TF's own draws come from another generator, so the classes
themselves differ from TF's.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes, errors
from jitgraph.ops.constant import convert_to_tensor
from jitgraph.ops.registry import make_op, register
from jitgraph.runtime import rng


def _log_uniform(range_max):
    """(probability of each class, inverse CDF) of TF's log-uniform (Zipfian) sampler:
    P(c) = log((c + 2) / (c + 1)) / log(range_max + 1)."""
    log_range = np.log(range_max + 1.0)

    def prob(c):
        c = np.asarray(c, np.float64)
        return np.log((c + 2.0) / (c + 1.0)) / log_range

    def draw(u):
        return np.minimum((np.exp(u * log_range)).astype(np.int64) - 1, range_max - 1)
    return prob, draw


def _uniform(range_max):
    def prob(c):
        return np.full(np.shape(c), 1.0 / range_max)

    def draw(u):
        return np.minimum((u * range_max).astype(np.int64), range_max - 1)
    return prob, draw


_DISTRIBUTIONS = {"LogUniformCandidateSampler": _log_uniform,
                  "UniformCandidateSampler": _uniform}


def _sampler_np(op_type):
    def kernel(k, true_classes):
        from jitgraph.ops.random_ops import _next_stream
        a = k.attrs
        n, range_max, unique = a["num_sampled"], a["range_max"], a["unique"]
        if unique and n > range_max:
            raise errors.InvalidArgumentError(
                None, k.op, f"Sampler's range is too small: range_max = {range_max} < "
                            f"num_sampled = {n} with unique = true")
        prob, draw = _DISTRIBUTIONS[op_type](range_max)
        key, counter = _next_stream(k)
        picked, seen, tries, j = [], set(), 0, 0
        while len(picked) < n:
            block = draw(rng.u01(rng.mix(key, counter, np.arange(j, j + 4 * n + 8,
                                                                   dtype=np.uint64))))
            j += block.size
            for c in block.tolist():
                tries += 1
                if unique and c in seen:
                    continue
                seen.add(c)
                picked.append(c)
                if len(picked) == n:
                    break
        sampled = np.asarray(picked, np.int64)

        def expected(c):
            p = prob(c)
            if unique:  # TF: the chance of being drawn at least once in `tries` draws
                return -np.expm1(tries * np.log1p(-p))
            return n * p
        return [sampled, expected(np.asarray(true_classes)).astype(np.float32),
                expected(sampled).astype(np.float32)]
    return kernel


def _sampler_shape(s):
    t = s.shapes[0]
    n = s.attrs["num_sampled"]
    return [(n,), t, (n,)]


for _t in _DISTRIBUTIONS:
    register(_t, shape=_sampler_shape, numpy=_sampler_np(_t), stateful=True, rng=True,
             host="draws until it has num_sampled (unique) classes: a data-dependent loop")


def _sampler(op_type, true_classes, num_true, num_sampled, unique, range_max, seed, name):
    from jitgraph.ops.random_ops import get_seed
    t = convert_to_tensor(true_classes, dtype=dtypes.int64, name="true_classes")
    if t.shape.ndims not in (None, 2):
        raise ValueError(f"true_classes must be a matrix [batch_size, num_true], got shape "
                         f"{t.shape}")
    seed1, seed2 = get_seed(seed)
    op = make_op(op_type, [t], [dtypes.int64, dtypes.float32, dtypes.float32],
                 {"num_true": int(num_true), "num_sampled": int(num_sampled),
                  "unique": bool(unique), "range_max": int(range_max), "seed": seed1 or 0,
                  "seed2": seed2 or 0}, name=name or op_type)
    return tuple(op.outputs)


def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                  seed=None, name=None):
    """`tf.nn.log_uniform_candidate_sampler`: `num_sampled` classes drawn from the
    log-uniform (Zipfian) distribution over [0, range_max), for classes sorted by
    decreasing frequency.

    Returns:
      (sampled_candidates [num_sampled] int64, true_expected_count [batch, num_true],
      sampled_expected_count [num_sampled]), the counts float32.
    """
    return _sampler("LogUniformCandidateSampler", true_classes, num_true, num_sampled,
                    unique, range_max, seed, name)


def uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                              seed=None, name=None):
    """`tf.nn.uniform_candidate_sampler`: classes drawn uniformly from [0, range_max)."""
    return _sampler("UniformCandidateSampler", true_classes, num_true, num_sampled, unique,
                    range_max, seed, name)


def _accidental_hits_np(k, true_classes, sampled):
    rows, cols = [], []
    sampled = np.asarray(sampled).ravel()
    for i, trues in enumerate(np.asarray(true_classes)):
        hits = np.flatnonzero(np.isin(sampled, trues))
        rows += [i] * hits.size
        cols += hits.tolist()
    lowest = np.float32(-np.finfo(np.float32).max)
    return [np.asarray(rows, np.int32), np.asarray(cols, np.int64),
            np.full(len(rows), lowest, np.float32)]


register("ComputeAccidentalHits", shape=lambda s: [(None,), (None,), (None,)],
         numpy=_accidental_hits_np, host="its output size is the number of hits found")


def compute_accidental_hits(true_classes, sampled_candidates, num_true, seed=None, name=None):
    """`tf.nn.compute_accidental_hits`: (row indices, positions in sampled_candidates,
    weights of -FLT_MAX) of each sampled class that is one of its row's true classes."""
    t = convert_to_tensor(true_classes, dtype=dtypes.int64, name="true_classes")
    s = convert_to_tensor(sampled_candidates, dtype=dtypes.int64, name="sampled_candidates")
    op = make_op("ComputeAccidentalHits", [t, s], [dtypes.int32, dtypes.int64, dtypes.float32],
                 {"num_true": int(num_true)}, name=name or "ComputeAccidentalHits")
    return tuple(op.outputs)
