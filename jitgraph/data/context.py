"""What a pipeline sees while it runs: captured tensor values, shuffle RNGs, caches.

One Context is made each time an iterator is initialized, so re-initializing
re-evaluates captured tensors (a `tf.random_normal` is drawn again) and
restarts seeded shuffles from their seed, as TF does.
"""
from __future__ import annotations

import os

import numpy as np


class Context:
    def __init__(self, values=None):
        self.values = dict(values or {})   # captured Tensor -> numpy value
        self.rngs: dict = {}               # shuffle dataset -> np.random.Generator
        self.caches: dict = {}             # cache dataset -> recorded chunks / rows

    def value(self, t):
        return np.asarray(self.values[t])

    def rng(self, ds, seeds) -> np.random.Generator:
        """The generator of one shuffle dataset for this initialization."""
        g = self.rngs.get(ds)
        if g is None:
            g = np.random.default_rng(entropy(seeds))
            self.rngs[ds] = g
        return g


def entropy(seeds):
    """Seed material: the (graph seed, op seed) pair, or fresh randomness if unseeded."""
    s1, s2 = seeds
    if s1 is None and s2 is None:
        return int.from_bytes(os.urandom(8), "little")
    return [int(s1 or 0) & 0xFFFFFFFF, int(s2 or 0) & 0xFFFFFFFF]
