"""Generates tests/reference/tf_records.json: TF 1.x's answers for TFRecord framing,
Example parsing, decode_csv, decode_raw and the file datasets (tests/test_records.py).

Needs TensorFlow (not a jitgraph dependency); run by hand from the repo root:
    python tests/reference/make_tf_records.py
"""
import json
import os
import tempfile

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402

tf.disable_v2_behavior()
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tf_records.json")


def plain(x):
    """JSON-able: arrays to lists, bytes to str (latin-1), sparse values to dicts."""
    if isinstance(x, tf.SparseTensorValue):
        return {"indices": plain(x.indices), "values": plain(x.values),
                "dense_shape": plain(x.dense_shape)}
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if isinstance(x, np.ndarray):
        if x.dtype == object:
            return [plain(v) for v in x.tolist()] if x.ndim else plain(x[()])
        return {"dtype": x.dtype.name, "shape": list(x.shape), "values": x.ravel().tolist()}
    if isinstance(x, bytes):
        return x.decode("latin-1")
    if isinstance(x, np.generic):
        return plain(np.asarray(x))
    return x


def error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        msg = getattr(e, "message", str(e))
        # TF 2's "Graph execution error:" wrapper: the op's own message follows "Node: '...'"
        lines = msg.split("\n")
        node = [i for i, line in enumerate(lines) if line.startswith("Node: ")]
        core = lines[node[-1] + 1] if node else lines[0]
        return {"type": type(e).__name__, "message": core.strip()}
    return None


def examples():
    """The Examples the tests parse (built the same way in tests/test_records.py)."""
    F = tf.train  # noqa: N806
    out = []
    for i in range(3):
        feat = {"x": F.Feature(float_list=F.FloatList(value=[i + 0.5, -i])),
                "ids": F.Feature(int64_list=F.Int64List(value=list(range(i)))),
                "label": F.Feature(int64_list=F.Int64List(value=[i * 10]))}
        if i != 1:
            feat["name"] = F.Feature(bytes_list=F.BytesList(value=[b"ex%d" % i]))
        out.append(F.Example(features=F.Features(feature=feat)).SerializeToString())
    return out


def sequence_examples():
    """SequenceExamples (context: len, tags; feature lists: tok, vec, ids)."""
    F = tf.train  # noqa: N806
    out = []
    for i, n in enumerate([3, 1]):
        ctx = {"len": F.Feature(int64_list=F.Int64List(value=[n])),
               "tags": F.Feature(bytes_list=F.BytesList(value=[b"t%d" % j for j in range(i + 1)]))}
        lists = {
            "tok": F.FeatureList(feature=[F.Feature(int64_list=F.Int64List(value=[10 * i + t]))
                                          for t in range(n)]),
            "ids": F.FeatureList(feature=[F.Feature(int64_list=F.Int64List(value=list(range(t))))
                                          for t in range(n)]),
        }
        if i == 0:
            lists["vec"] = F.FeatureList(feature=[
                F.Feature(float_list=F.FloatList(value=[t, -t])) for t in range(n)])
        out.append(F.SequenceExample(context=F.Features(feature=ctx),
                                     feature_lists=F.FeatureLists(feature_list=lists))
                   .SerializeToString())
    return out


def main():
    ref = {"tf_version": tf.__version__}
    d = tempfile.mkdtemp()
    # TFRecord framing: the bytes of a file of three records.
    path = os.path.join(d, "r.tfrecord")
    with tf.python_io.TFRecordWriter(path) as w:
        for r in [b"", b"a", b"hello records"]:
            w.write(r)
    ref["tfrecord_bytes_hex"] = open(path, "rb").read().hex()
    gz = os.path.join(d, "r.gz.tfrecord")
    with tf.python_io.TFRecordWriter(gz, tf.python_io.TFRecordOptions("GZIP")) as w:
        for r in [b"x", b"yy"]:
            w.write(r)
    ref["tfrecord_gzip_hex"] = open(gz, "rb").read().hex()

    ser = examples()
    ref["examples_hex"] = [s.hex() for s in ser]
    feats = {"x": tf.FixedLenFeature([2], tf.float32),
             "ids": tf.VarLenFeature(tf.int64),
             "label": tf.FixedLenFeature([], tf.int64),
             "name": tf.FixedLenFeature([], tf.string, default_value="none")}
    with tf.Session() as sess:
        ref["parse_example"] = plain(sess.run(tf.parse_example(tf.constant(ser), feats)))
        ref["parse_single_example"] = plain(sess.run(
            tf.parse_single_example(tf.constant(ser[2]), feats)))
        seq = {"ids": tf.FixedLenSequenceFeature([], tf.int64, allow_missing=True)}
        ref["parse_sequence_feature"] = plain(sess.run(tf.parse_example(tf.constant(ser), seq)))
        ref["parse_errors"] = {
            "missing": error(lambda: sess.run(tf.parse_example(
                tf.constant(ser), {"name": tf.FixedLenFeature([], tf.string)}))),
            "count": error(lambda: sess.run(tf.parse_example(
                tf.constant(ser), {"x": tf.FixedLenFeature([3], tf.float32)}))),
            "type": error(lambda: sess.run(tf.parse_example(
                tf.constant(ser), {"x": tf.FixedLenFeature([2], tf.int64)}))),
        }
        recs = ['1,2.5,"a,b"', '3,,c', '4,NA,""', '5,1e3,"say ""hi"""']
        ref["decode_csv"] = plain(sess.run(tf.decode_csv(
            tf.constant(recs), [[0], [-1.0], ["dflt"]], na_value="NA")))
        ref["decode_csv_select"] = plain(sess.run(tf.decode_csv(
            tf.constant(["1;x;2.0", "3;y;4.5"]), [[0], [0.0]], field_delim=";",
            select_cols=[0, 2])))
        ref["decode_csv_errors"] = {
            "count": error(lambda: sess.run(tf.decode_csv(tf.constant(["1,2"]), [[0]] * 3))),
            "required": error(lambda: sess.run(tf.decode_csv(
                tf.constant(["1,"]), [[0], tf.constant([], tf.int32)]))),
            "int": error(lambda: sess.run(tf.decode_csv(tf.constant(["x"]), [[0]]))),
            "float": error(lambda: sess.run(tf.decode_csv(tf.constant(["x"]), [[0.0]]))),
            "quote": error(lambda: sess.run(tf.decode_csv(tf.constant(['"a"b']), [[""]]))),
        }
        raw = tf.constant([b"\x01\x00\x00\x00\x00\x00\x80\x3f",
                           b"\xff\xff\xff\xff\x00\x00\x00\x40"])
        ref["decode_raw"] = {
            "int32": plain(sess.run(tf.decode_raw(raw, tf.int32))),
            "float32_be": plain(sess.run(tf.decode_raw(raw, tf.float32, little_endian=False))),
            "uint8": plain(sess.run(tf.decode_raw(raw, tf.uint8))),
            "int16": plain(sess.run(tf.decode_raw(raw, tf.int16))),
        }
        ref["decode_raw_errors"] = {
            "sizes": error(lambda: sess.run(tf.decode_raw(tf.constant([b"ab", b"abcd"]),
                                                          tf.uint8))),
            "multiple": error(lambda: sess.run(tf.decode_raw(tf.constant([b"abc"]),
                                                             tf.int16))),
        }
        # SequenceExamples, base64, compression, serialized tensors.
        seqs = sequence_examples()
        ref["sequence_examples_hex"] = [x.hex() for x in seqs]
        ctx = {"len": tf.FixedLenFeature([], tf.int64), "tags": tf.VarLenFeature(tf.string)}
        sq = {"tok": tf.FixedLenSequenceFeature([], tf.int64),
              "vec": tf.FixedLenSequenceFeature([2], tf.float32, allow_missing=True),
              "ids": tf.VarLenFeature(tf.int64)}
        ref["parse_single_sequence_example"] = plain(sess.run(
            tf.parse_single_sequence_example(tf.constant(seqs[0]), ctx, sq)))
        ref["parse_sequence_example"] = plain(sess.run(
            tf.io.parse_sequence_example(tf.constant(seqs), ctx, sq)))
        ref["parse_sequence_missing"] = error(lambda: sess.run(
            tf.parse_single_sequence_example(tf.constant(seqs[1]), None,
                                             {"vec": tf.FixedLenSequenceFeature(
                                                 [2], tf.float32)})))
        strs = tf.constant([b"", b"a", b"\xfb\xff\xbfhello?"])
        ref["encode_base64"] = plain(sess.run(tf.io.encode_base64(strs)))
        ref["encode_base64_pad"] = plain(sess.run(tf.io.encode_base64(strs, pad=True)))
        ref["decode_base64"] = plain(sess.run(tf.io.decode_base64(
            tf.constant(["-_8", "aGk=", "aGk"]))))
        ref["serialize_tensor"] = {
            "float": sess.run(tf.io.serialize_tensor(
                tf.constant([[1.5, -2.0, 3.0]]))).hex(),
            "int64": sess.run(tf.io.serialize_tensor(tf.constant([7, 8], tf.int64))).hex(),
            "string": sess.run(tf.io.serialize_tensor(tf.constant(["ab", "c"]))).hex(),
            "scalar_bool": sess.run(tf.io.serialize_tensor(tf.constant(True))).hex(),
        }
        ref["parse_tensor_error"] = error(lambda: sess.run(tf.io.parse_tensor(
            tf.io.serialize_tensor(tf.constant([1.0])), tf.int32)))
        # Datasets over files.
        csv = os.path.join(d, "a.csv")
        with open(csv, "w") as f:
            f.write('a,b,c\n1,2.5,x\n3,,"y,z"\n7,8,\n')
        ds = tf.data.experimental.CsvDataset(csv, [[0], [0.5], ["d"]], header=True)
        nxt = tf.data.make_one_shot_iterator(ds.batch(10)).get_next()
        ref["csv_dataset"] = plain(sess.run(nxt))
        blank = os.path.join(d, "blank.csv")
        with open(blank, "w") as f:
            f.write("1,2\n\n3,4\n")
        ds = tf.data.experimental.CsvDataset(blank, [[0], [0]])
        nxt = tf.data.make_one_shot_iterator(ds).get_next()
        ref["csv_dataset_blank_line"] = [plain(sess.run(nxt)), error(lambda: sess.run(nxt))]
        nxt = tf.data.make_one_shot_iterator(tf.data.TextLineDataset(csv).batch(10)).get_next()
        ref["text_lines"] = plain(sess.run(nxt))
        other = os.path.join(d, "b.tfrecord")
        with tf.python_io.TFRecordWriter(other) as w:
            for r in [b"b0", b"b1", b"b2", b"b3"]:
                w.write(r)
        ds = tf.data.TFRecordDataset([path, other], num_parallel_reads=2)
        nxt = tf.data.make_one_shot_iterator(ds.batch(10)).get_next()
        ref["tfrecord_interleave"] = plain(sess.run(nxt))
    with open(OUT, "w") as f:
        json.dump(ref, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
