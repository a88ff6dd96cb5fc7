"""TF's V2 checkpoints: TF-written fixtures restore in jitgraph, jitgraph's restore in TF.

The fixtures under tests/reference/tf_ckpt/ were written by TF 1.x with
tests/reference/make_tf_checkpoints.py, whose value functions are the expectations.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import jitgraph as tf
from jitgraph import variables
from jitgraph.checkpoint import bundle
from jitgraph.saver import Saver
from helpers import session

REF = os.path.join(os.path.dirname(__file__), "reference")
sys.path.insert(0, REF)
from make_tf_checkpoints import many_values, model_values  # noqa: E402

FIXTURES = os.path.join(REF, "tf_ckpt")


def _zeros_like(values):
    """jitgraph variables named and typed as `values`, holding zeros (or empty strings)."""
    out = {}
    for name, v in values.items():
        v = np.asarray(v)
        init = np.full(v.shape, b"", dtype=object) if v.dtype == object else np.zeros_like(v)
        out[name] = variables.Variable(init, name=name)
    return out


def _read(sess, vs):
    return {n: np.asarray(sess.run(v.op.outputs[0])) for n, v in vs.items()}


def _assert_same(got, want):
    for name, w in want.items():
        w = np.asarray(w)
        g = np.asarray(got[name])
        assert g.dtype == w.dtype and g.shape == w.shape, name
        assert g.tolist() == w.tolist(), name


@pytest.mark.parametrize("jit", [False, True])
def test_tf_written_checkpoint_restores_with_identical_values(jit):
    vs = _zeros_like(model_values())
    sess = session(jit=jit)
    prefix = tf.train.latest_checkpoint(FIXTURES)
    assert prefix == os.path.join(FIXTURES, "model-3")
    Saver().restore(sess, prefix)
    _assert_same(_read(sess, vs), model_values())


def test_index_of_many_entries_and_the_reader_api():
    names = sorted(many_values())
    listed = tf.train.list_variables(os.path.join(FIXTURES, "many"))
    assert listed == [(n, [2]) for n in names]
    reader = tf.train.NewCheckpointReader(os.path.join(FIXTURES, "many"))
    assert reader.get_tensor("layer_149/w").tolist() == [149.0, 149.0]
    assert reader.has_tensor("layer_000/w") and not reader.has_tensor("layer_150/w")
    with pytest.raises(tf.errors.NotFoundError, match="Key nope not found in checkpoint"):
        reader.get_tensor("nope")

    latest = tf.train.load_checkpoint(FIXTURES)   # a directory: its latest checkpoint
    assert latest.get_variable_to_shape_map()["dense/kernel"] == [3, 4]
    dtypes = latest.get_variable_to_dtype_map()
    assert dtypes["words"] == tf.string and dtypes["half"] == tf.float16
    assert latest.get_tensor("global_step") == 3
    with pytest.raises(tf.errors.NotFoundError, match="missing-ckpt"):
        tf.train.NewCheckpointReader(os.path.join(FIXTURES, "missing-ckpt"))


def test_jitgraph_writes_tf_entries_and_bytes(tmp_path):
    values = model_values()
    vs = _zeros_like(values)
    sess = session(jit=False)
    for name, v in vs.items():
        v.load(values[name], sess)
    prefix = Saver().save(sess, str(tmp_path / "model"), global_step=3)

    def entries_and_bytes(prefix):
        _, entries = bundle.read_index(open(prefix + ".index", "rb").read())
        data = open(prefix + ".data-00000-of-00001", "rb").read()
        return {n: (e.dtype, e.shape, e.size, e.crc32c, data[e.offset:e.offset + e.size])
                for n, e in entries.items()}
    assert entries_and_bytes(prefix) == entries_and_bytes(os.path.join(FIXTURES, "model-3"))


def test_a_table_of_many_blocks_round_trips():
    from jitgraph.checkpoint import table
    rows = [(b"", b"header")] + [(f"v/{i:04d}".encode(), bytes([i % 256]) * 40)
                                 for i in range(600)]
    raw = table.build(rows)
    assert len(raw) > 4 * 4096            # several data blocks and index entries
    assert table.read(raw) == rows
    with pytest.raises(ValueError, match="sorted"):
        table.build(rows[::-1])


def _corrupt_cases(prefix):
    index, data = prefix + ".index", prefix + ".data-00000-of-00001"
    raw_index, raw_data = open(index, "rb").read(), open(data, "rb").read()
    flipped_data = bytearray(raw_data)
    flipped_data[40] ^= 0x01          # inside dense/bias
    flipped_block = bytearray(raw_index)
    flipped_block[10] ^= 0x01         # inside the first data block
    return [(data, bytes(flipped_data), "Checksum does not match for 'dense/bias'"),
            (data, raw_data[:-7], "truncated"),
            (index, raw_index[:-1], "bad magic number"),
            (index, raw_index[:30], "too short|bad magic"),
            (index, bytes(flipped_block), "block checksum mismatch"),
            (index, b"\x00" * 100, "bad magic number")]


def test_corrupt_or_truncated_tf_checkpoint_is_data_loss_and_changes_nothing(tmp_path):
    shutil.copytree(FIXTURES, tmp_path, dirs_exist_ok=True)
    prefix = str(tmp_path / "model-3")
    vs = _zeros_like(model_values())
    sess = session(jit=False)
    sess.run(variables.global_variables_initializer())
    saver = Saver()
    for path, content, why in _corrupt_cases(prefix):
        original = open(path, "rb").read()
        with open(path, "wb") as f:
            f.write(content)
        with pytest.raises(tf.errors.DataLossError, match=why) as e:
            saver.restore(sess, prefix)
        assert os.path.basename(path) in str(e.value)
        assert all(not np.asarray(v).any() for v in _read(sess, vs).values()), why
        with open(path, "wb") as f:
            f.write(original)
    saver.restore(sess, prefix)        # the files put back restore whole
    _assert_same(_read(sess, vs), model_values())


@pytest.mark.parametrize("var, error, match", [
    (("absent", np.zeros(2, np.float32)), tf.errors.NotFoundError,
     "Key absent not found in checkpoint"),
    (("dense/bias", np.zeros(4, np.float64)), tf.errors.InvalidArgumentError,
     "expected dtype float64 does not equal original dtype float32"),
    (("dense/kernel", np.zeros((4, 3), np.float32)), tf.errors.InvalidArgumentError,
     r"lhs shape= \[4,3\] rhs shape= \[3,4\]"),
])
def test_mismatched_variables_raise_tf_errors_and_change_nothing(var, error, match):
    keep = variables.Variable(np.full(3, 9, np.int32), name="ids")
    name, init = var
    v = variables.Variable(init, name=name)
    sess = session(jit=False)
    sess.run(variables.global_variables_initializer())
    with pytest.raises(error, match=match):
        Saver([keep, v]).restore(sess, os.path.join(FIXTURES, "model-3"))
    assert sess.run(keep.op.outputs[0]).tolist() == [9, 9, 9]
    assert not sess.run(v.op.outputs[0]).any()


_TF_RESTORE = r"""
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
prefix, names = sys.argv[1], json.loads(sys.argv[2])
reader = tf.train.NewCheckpointReader(prefix)
shapes, dtypes = reader.get_variable_to_shape_map(), reader.get_variable_to_dtype_map()
vs = [tf.Variable(tf.zeros(shapes[n], dtypes[n]), name=n) for n in names]
with tf.Session() as sess:
    tf.train.Saver(vs).restore(sess, prefix)
    out = {}
    for n, val in zip(names, sess.run(vs)):
        val = np.asarray(val)
        items = [x.hex() for x in val.ravel()] if val.dtype == object else val.ravel().tolist()
        out[n] = [str(val.dtype), list(val.shape), items]
print("RESULT" + json.dumps(out))
"""


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None,
                    reason="TensorFlow is not installed")
def test_tf_restores_a_jitgraph_checkpoint(tmp_path):
    values = model_values()
    vs = _zeros_like(values)
    sess = session(jit=False)
    for name, v in vs.items():
        v.load(values[name], sess)
    prefix = Saver().save(sess, str(tmp_path / "model"), global_step=3)
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3",
               CUDA_VISIBLE_DEVICES="")
    out = subprocess.run([sys.executable, "-c", _TF_RESTORE, prefix, json.dumps(list(values))],
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.split("RESULT", 1)[1])
    for name, want in values.items():
        want = np.asarray(want)
        items = [x.hex() for x in want.ravel()] if want.dtype == object \
            else want.ravel().tolist()
        assert got[name] == [str(want.dtype), list(want.shape), items], name


def test_crc32c_of_large_inputs_matches_the_pure_loop():
    from jitgraph.checkpoint import crc32c
    assert crc32c.value(b"123456789") == 0xE3069283     # the standard check value
    data = bytes(range(256)) * 600                       # above the compiled threshold
    want = crc32c._extend_py(0, data)
    assert crc32c.value(data) == want
    assert crc32c.extend(crc32c.value(data[:1000]), data[1000:]) == want
    assert crc32c.unmask(crc32c.mask(want)) == want
