"""Counts the public names of TensorFlow 1.x's API (`tensorflow.compat.v1`) that jitgraph has.

Names are those of the top level and of the submodules below (a submodule of one of them,
such as `tf.nn.rnn_cell`, counts as one name). A name counts as present when
`jitgraph.<path>` resolves to something: jitgraph raises AttributeError for the names it
does not support, so a missing name is never counted. Whether a present name behaves as
TF's is for the tests to say, not this script.

Needs TensorFlow installed (it is not a jitgraph dependency):

    python scripts/count_tf_names.py             # counts per namespace and the total
    python scripts/count_tf_names.py --missing   # and the names jitgraph lacks
    python scripts/count_tf_names.py --json out.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys

SUBMODULES = ("nn", "train", "math", "layers", "losses", "data", "random", "summary",
              "feature_column", "errors", "io", "test")


def public_names(module) -> list[str]:
    return sorted(n for n in dir(module) if not n.startswith("_"))


def has(obj, name) -> bool:
    try:
        getattr(obj, name)
    except Exception:  # noqa: BLE001 - AttributeError, NotImplementedError, ImportError...
        return False
    return True


def count(tf, jg):
    """{namespace: (present names, missing names)}; "" is the top level."""
    out = {}
    spaces = [("", tf, jg)]
    for sub in SUBMODULES:
        spaces.append((sub, getattr(tf, sub), getattr(jg, sub, None)))
    for label, tf_mod, jg_mod in spaces:
        present, missing = [], []
        for name in public_names(tf_mod):
            (present if jg_mod is not None and has(jg_mod, name) else missing).append(name)
        out[label] = (present, missing)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--missing", action="store_true", help="list the names jitgraph lacks")
    ap.add_argument("--json", metavar="PATH", help="write {namespace: {present, missing}}")
    args = ap.parse_args(argv)
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow.compat.v1 as tf  # noqa: PLC0415 - only this script needs it

    import jitgraph as jg
    result = count(tf, jg)
    total_present = sum(len(p) for p, _ in result.values())
    total = sum(len(p) + len(m) for p, m in result.values())
    for label, (present, missing) in result.items():
        name = "tf" if not label else f"tf.{label}"
        print(f"{name:22s} {len(present):5d} / {len(present) + len(missing):5d}")
    print(f"{'total':22s} {total_present:5d} / {total:5d}  (TensorFlow {tf.__version__})")
    if args.missing:
        for label, (_, missing) in result.items():
            prefix = "tf." + (f"{label}." if label else "")
            for n in missing:
                print(prefix + n)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({label or "tf": {"present": p, "missing": m}
                       for label, (p, m) in result.items()}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
