"""tf.summary.image / audio / text / tensor_summary: the Summary TF 1.x writes
(tests/reference/tf_summary_media.json, made by make_tf_summary_media.py), read back by
TensorBoard's own event loader."""
import importlib.util
import io
import json
import os
import sys

import numpy as np
import pytest

import jitgraph as tf
from helpers import session

pytest.importorskip("tensorboard")
from tensorboard import data_compat  # noqa: E402
from tensorboard.compat.proto import event_pb2, summary_pb2  # noqa: E402

HERE = os.path.dirname(__file__)
REF = json.load(open(os.path.join(HERE, "reference", "tf_summary_media.json")))


def _media_inputs():
    """The generator's inputs (numpy only: importing it does not import TF)."""
    path = os.path.join(HERE, "reference", "make_tf_summary_media.py")
    src = open(path).read()
    start = src.index("def media_inputs():")
    end = src.index("\n\n\ndef main():")
    ns = {"np": np}
    exec(src[start:end], ns)  # noqa: S102 - our own fixture builder
    return ns["media_inputs"]()


def _pixels(png_bytes):
    Image = pytest.importorskip("PIL.Image")  # noqa: N806
    return np.asarray(Image.open(io.BytesIO(png_bytes))).ravel().tolist()


def _build():
    x = _media_inputs()
    ops = {
        "gray": tf.summary.image("gray", x["gray"], max_outputs=3),
        "pos": tf.summary.image("pos", x["pos"], max_outputs=1, family="fam"),
        "signed": tf.summary.image("signed", tf.constant(x["signed"])),
        "sound": tf.summary.audio("sound", x["sound"], 8000, max_outputs=2),
        "mono": tf.summary.audio("mono", x["sound"][:, :, 0], 16000, max_outputs=1),
    }
    text = tf.summary.text("notes", tf.constant(["hello", "world"]))
    ts = tf.summary.tensor_summary("t", tf.constant([[1.5, 2.0]]))
    return ops, text, ts


def test_media_summaries_match_tf():
    ops, text, ts = _build()
    assert ops["gray"].op.type == "ImageSummary" and ops["gray"].op.name == "gray"
    assert ops["sound"].op.type == "AudioSummaryV2"
    assert len(tf.get_collection(tf.GraphKeys.SUMMARIES)) == 7
    sess = session(jit=False)
    out = sess.run(ops)
    for key, want in REF.items():
        if key not in out:
            continue
        got = summary_pb2.Summary.FromString(out[key]).value
        assert [v.tag for v in got] == [w["tag"] for w in want]
        for v, w in zip(got, want):
            if "pixels" in w:
                im = v.image
                assert (im.height, im.width, im.colorspace) == (w["height"], w["width"],
                                                                w["colorspace"])
                assert _pixels(im.encoded_image_string) == w["pixels"]
            else:
                a = v.audio
                assert (a.sample_rate, a.num_channels, a.length_frames, a.content_type) == (
                    w["sample_rate"], w["num_channels"], w["length_frames"],
                    w["content_type"])
                assert a.encoded_audio_string.hex() == w["wav_hex"]  # byte for byte
    for key, t in [("text", text), ("tensor_summary", ts)]:
        v = summary_pb2.Summary.FromString(sess.run(t)).value[0]
        w = REF[key]
        assert (v.tag, v.metadata.plugin_data.plugin_name) == (w["tag"], w["plugin"])
        assert v.metadata.plugin_data.content.hex() == w["content_hex"]
        assert v.tensor.SerializeToString().hex() == w["tensor_hex"]


def _shown(logdir):
    """tag -> (step, value as TensorBoard's plugins see it): the event file read back and
    each legacy value migrated as TensorBoard's data ingestion does (its EventAccumulator
    would import TensorFlow, when installed, only to list files)."""
    (path,) = [os.path.join(logdir, f) for f in os.listdir(logdir)]
    out = {}
    for rec in tf.io.tf_record_iterator(path):
        ev = event_pb2.Event.FromString(rec)
        for v in ev.summary.value:
            out[v.tag] = (ev.step, data_compat.migrate_value(v))
    return out


def test_tensorboard_reads_images_audio_and_text(tmp_path, engine):
    """A training-style graph: the image of a computed tensor, merged with the rest,
    written by FileWriter and as TensorBoard's image/audio/text plugins read it."""
    x = tf.placeholder(tf.float32, [None, 2, 2, 1])
    img = tf.summary.image("act", tf.nn.relu(x * 2.0 - 1.0), max_outputs=2)
    snd = tf.summary.audio("clip", tf.reshape(x, [-1, 4]), 4000)
    txt = tf.summary.text("msg", tf.constant("step done"))
    merged = tf.summary.merge_all()
    sess = session(jit=engine)
    xv = np.arange(12, dtype=np.float32).reshape(3, 2, 2, 1) / 12
    data = sess.run(merged, {x: xv})
    with tf.summary.FileWriter(str(tmp_path)) as w:
        w.add_summary(data, global_step=3)
    shown = _shown(str(tmp_path))
    assert sorted(shown) == ["act/image/0", "act/image/1", "clip/audio/0", "clip/audio/1",
                             "clip/audio/2", "msg"]
    plugins = {t: v.metadata.plugin_data.plugin_name for t, (_, v) in shown.items()}
    assert plugins == {"act/image/0": "images", "act/image/1": "images",
                       "clip/audio/0": "audio", "clip/audio/1": "audio",
                       "clip/audio/2": "audio", "msg": "text"}
    step, v = shown["act/image/1"]
    width, height, png_bytes = v.tensor.string_val
    assert step == 3 and (width, height) == (b"2", b"2")
    act = np.maximum(xv[1] * 2 - 1, 0)
    want = (act * (255.0 / act.max())).astype(np.uint8).ravel().tolist()
    assert _pixels(png_bytes) == want
    wav_bytes = shown["clip/audio/0"][1].tensor.string_val[0]
    assert wav_bytes[:4] == b"RIFF" and int.from_bytes(wav_bytes[24:28], "little") == 4000
    assert shown["msg"][1].tensor.string_val == [b"step done"]
    assert img.op.type == "ImageSummary" and snd.op.type == "AudioSummaryV2"
    assert txt.op.type == "TensorSummaryV2"


def test_media_summary_errors():
    with pytest.raises(ValueError, match="rank 4"):
        tf.summary.image("bad", tf.zeros([2, 3]))
    with pytest.raises(TypeError, match="int32"):
        tf.summary.image("bad", tf.zeros([1, 2, 2, 1], tf.int32))
    x = tf.placeholder(tf.float32, [1, 2, 2, None])
    s = tf.summary.image("two_channels", x)
    with pytest.raises(tf.errors.InvalidArgumentError, match="last dim 1, 3, or 4"):
        session(jit=False).run(s, {x: np.zeros((1, 2, 2, 2))})


@pytest.mark.skipif(importlib.util.find_spec("PIL") is None, reason="needs Pillow")
def test_png_encoder_round_trips_every_colorspace():
    from jitgraph.summary.media import png
    rng = np.random.default_rng(3)
    for c in (1, 2, 3, 4):
        img = rng.integers(0, 256, (5, 7, c)).astype(np.uint8)
        assert _pixels(png(img)) == img.ravel().tolist()
    assert sys.byteorder  # encoders write big-endian PNG and little-endian WAV fields
