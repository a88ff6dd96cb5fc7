"""Control flow as TF 1.x spells it: `cond`, `case`, `while_loop`, `TensorArray`, and the
functional forms built on them (`map_fn`, `scan`, `foldl`, `foldr`)."""
from jitgraph.control_flow.tensor_array import TensorArray
from jitgraph.control_flow.cond import case, cond
from jitgraph.control_flow.while_loop import while_loop
from jitgraph.control_flow.functional import foldl, foldr, map_fn, scan

__all__ = ["TensorArray", "case", "cond", "foldl", "foldr", "map_fn", "scan", "while_loop"]
