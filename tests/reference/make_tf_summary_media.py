"""Generates tests/reference/tf_summary_media.json: what TF 1.x's tf.summary.image,
audio, text and tensor_summary put in a Summary (tests/test_summary_media.py).

Images are stored as their decoded pixels (PNG bytes depend on the zlib settings), sounds
as the WAV bytes themselves. Inputs come from `media_inputs()`, which the test repeats.
Needs TensorFlow; run by hand from the repo root:
    python tests/reference/make_tf_summary_media.py
"""
import json
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402

tf.disable_v2_behavior()
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tf_summary_media.json")


def media_inputs():
    rng = np.random.default_rng(7)
    gray = rng.integers(0, 256, (2, 3, 4, 1)).astype(np.uint8)
    pos = rng.random((2, 2, 3, 3)).astype(np.float32) * 4.0
    signed = rng.normal(size=(1, 3, 2, 4)).astype(np.float32)
    signed[0, 1, 1, 2] = np.nan
    sound = np.sin(np.linspace(0, 20, 2 * 50 * 2)).reshape(2, 50, 2).astype(np.float32) * 1.5
    return {"gray": gray, "pos": pos, "signed": signed, "sound": sound}


def main():
    x = media_inputs()
    ops = {
        "gray": tf.summary.image("gray", x["gray"], max_outputs=3),
        "pos": tf.summary.image("pos", x["pos"], max_outputs=1, family="fam"),
        "signed": tf.summary.image("signed", x["signed"]),
        "sound": tf.summary.audio("sound", x["sound"], 8000, max_outputs=2),
        "mono": tf.summary.audio("mono", x["sound"][:, :, 0], 16000, max_outputs=1),
    }
    ref = {"tf_version": tf.__version__}
    with tf.Session() as sess:
        out = sess.run(ops)
        for key, data in out.items():
            s = tf.Summary.FromString(data)
            vals = []
            for v in s.value:
                d = {"tag": v.tag}
                if v.HasField("image"):
                    im = v.image
                    pixels = sess.run(tf.image.decode_png(im.encoded_image_string))
                    d.update(height=im.height, width=im.width, colorspace=im.colorspace,
                             pixels=pixels.ravel().tolist())
                else:
                    a = v.audio
                    d.update(sample_rate=a.sample_rate, num_channels=a.num_channels,
                             length_frames=a.length_frames, content_type=a.content_type,
                             wav_hex=a.encoded_audio_string.hex())
                vals.append(d)
            ref[key] = vals
        text = tf.summary.text("notes", tf.constant(["hello", "world"]))
        ts = tf.summary.tensor_summary("t", tf.constant([[1.5, 2.0]]))
        for key, t in [("text", text), ("tensor_summary", ts)]:
            v = tf.Summary.FromString(sess.run(t)).value[0]
            ref[key] = {"tag": v.tag, "plugin": v.metadata.plugin_data.plugin_name,
                        "content_hex": v.metadata.plugin_data.content.hex(),
                        "tensor_hex": v.tensor.SerializeToString().hex()}
    with open(OUT, "w") as f:
        json.dump(ref, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
