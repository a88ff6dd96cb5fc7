"""Writes jitgraph/graph_io/op_defs.json: TF 1.x's signatures of the op types jitgraph
reads or writes in GraphDefs (run offline, with TF; TF is no dependency of jitgraph).

    TF_USE_LEGACY_KERAS=1 python tests/reference/make_op_defs.py

Per op type: inputs and outputs as [name, type, type_attr, number_attr, type_list_attr,
is_ref] (type: a DataType enum or 0), and attrs as {name: [type, has_default, the
default DataType enum of a type attr (else 0)]}. The exporter reads which dtype/count
attrs a NodeDef needs; the importer reads how many outputs of which dtype a node of
TF's has.
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "jitgraph", "graph_io", "op_defs.json")

# Op types TF has that jitgraph lowers at import (no registry entry of their own).
LOWERED = """AddV2 AddN ApplyAdam ApplyGradientDescent ApplyMomentum BiasAddGrad Select
ShapeN ZerosLike OnesLike Pad FusedBatchNorm FusedBatchNormV3 Squeeze Div Snapshot
BroadcastGradientArgs Reciprocal SaveV2 RestoreV2 MergeV2Checkpoints ShardedFilename
StringJoin Relu6Grad LeakyReluGrad Mean Sum Max Min Prod All Any ArgMax ArgMin ConcatV2
ExpandDims Split SplitV GatherV2 Cumsum LeakyRelu Softmax LogSoftmax""".split()


def main():
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, ROOT)
    from tensorflow.python.framework import op_def_registry
    from jitgraph.ops import registry
    import jitgraph  # noqa: F401  (registers every op)

    def arg(a):
        return [a.name, a.type, a.type_attr, a.number_attr, a.type_list_attr, a.is_ref]

    out = {}
    for name in sorted(set(registry.registered()) | set(LOWERED)):
        od = op_def_registry.get(name)
        if od is None:
            continue
        out[name] = {"inputs": [arg(a) for a in od.input_arg],
                     "outputs": [arg(a) for a in od.output_arg],
                     "attrs": {a.name: [a.type, a.HasField("default_value"),
                                        a.default_value.type if a.type == "type" else 0]
                               for a in od.attr}}
    with open(OUT, "w") as f:  # one op type a line: a new TF's changes read as a diff
        f.write("{\n" + ",\n".join(f"{json.dumps(k)}: {json.dumps(out[k], sort_keys=True)}"
                                    for k in sorted(out)) + "\n}\n")
    print(f"{len(out)} op types -> {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
