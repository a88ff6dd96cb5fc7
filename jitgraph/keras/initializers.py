"""`tf.keras.initializers`: TF's initializers under Keras's names and defaults (random
normal/uniform of scale 0.05), and `get` for Keras's string names."""
from __future__ import annotations

from jitgraph import initializers as _init
from jitgraph.initializers import (Constant, GlorotNormal, GlorotUniform, Identity, Initializer,
                                   Ones, Orthogonal, VarianceScaling, Zeros, he_normal,
                                   he_uniform, lecun_normal, lecun_uniform)


class RandomNormal(_init.RandomNormal):
    def __init__(self, mean=0.0, stddev=0.05, seed=None, dtype=None):
        super().__init__(mean, stddev, seed, **({"dtype": dtype} if dtype else {}))


class RandomUniform(_init.RandomUniform):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None, dtype=None):
        super().__init__(minval, maxval, seed, **({"dtype": dtype} if dtype else {}))


class TruncatedNormal(_init.TruncatedNormal):
    def __init__(self, mean=0.0, stddev=0.05, seed=None, dtype=None):
        super().__init__(mean, stddev, seed, **({"dtype": dtype} if dtype else {}))


zeros, ones, constant = Zeros, Ones, Constant
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
glorot_uniform, glorot_normal, orthogonal, identity = (GlorotUniform, GlorotNormal, Orthogonal,
                                                       Identity)
variance_scaling = VarianceScaling
normal, uniform = RandomNormal, RandomUniform

_BY_NAME = {"zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
            "normal": RandomNormal, "random_uniform": RandomUniform, "uniform": RandomUniform,
            "truncated_normal": TruncatedNormal, "glorot_uniform": GlorotUniform,
            "glorot_normal": GlorotNormal, "orthogonal": Orthogonal, "identity": Identity,
            "variance_scaling": VarianceScaling, "he_normal": he_normal,
            "he_uniform": he_uniform, "lecun_normal": lecun_normal,
            "lecun_uniform": lecun_uniform}


def get(identifier):
    """None -> None; a name ("glorot_uniform", "GlorotUniform") -> a new initializer;
    an initializer or callable -> itself."""
    if identifier is None or callable(identifier) and not isinstance(identifier, type):
        return identifier
    if isinstance(identifier, type):
        return identifier()
    if isinstance(identifier, dict):
        identifier = identifier.get("class_name")
    if isinstance(identifier, str):
        key = identifier if identifier in _BY_NAME else _snake(identifier)
        if key in _BY_NAME:
            return _BY_NAME[key]()
    raise ValueError(f"Could not interpret initializer identifier: {identifier}")


def _snake(name):
    from jitgraph.layers.base import _snake as snake
    return snake(name)


__all__ = ["Initializer", "get"] + sorted(_BY_NAME) + [
    "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
    "GlorotUniform", "GlorotNormal", "Orthogonal", "Identity", "VarianceScaling"]
