"""Writes jitgraph/_tf_v1_names.py: TF 1.x's public names by namespace, walked from
TensorFlow's `tf.compat.v1` (TensorFlow installed only for this script).

Run: python tests/reference/make_tf_v1_names.py
"""
import os
import pathlib
import textwrap
import types

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow.compat.v1 as tf  # noqa: E402

# The namespaces a TF 1.x program reaches into (others are named whole at the top level).
NAMESPACES = """nn nn.rnn_cell train train.queue_runner math layers losses data data.experimental
random summary feature_column initializers metrics strings lookup io io.gfile image linalg
sparse test gfile logging app errors debugging dtypes saved_model distributions python_io
manip bitwise sets signal config queue audio""".split()

HEAD = '''"""TF 1.x's public names (`tf.compat.v1` and its namespaces), by namespace: what a
program may reach for. Generated from TensorFlow 2.21 by tests/reference/make_tf_v1_names.py;
data only (`jitgraph.missing` tells an unsupported name from a misspelt one)."""

NAMES = {
'''


def public(m):
    return sorted(n for n in dir(m) if not n.startswith("_"))


def main():
    tf.disable_v2_behavior()
    out = {"": public(tf)}
    for ns in NAMESPACES:
        m = tf
        for part in ns.split("."):
            m = getattr(m, part, None)
        if isinstance(m, types.ModuleType):
            out[ns] = public(m)
    text = HEAD
    for ns in sorted(out):
        body = textwrap.wrap(" ".join(out[ns]), 88, break_on_hyphens=False)
        text += f'    "{ns}": """\n' + "".join(f"        {b}\n" for b in body) + '    """,\n'
    text += "}\n"
    path = pathlib.Path(__file__).resolve().parents[2] / "jitgraph" / "_tf_v1_names.py"
    path.write_text(text)
    print(f"{sum(map(len, out.values()))} names in {len(out)} namespaces -> {path}")


if __name__ == "__main__":
    main()
