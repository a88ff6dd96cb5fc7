"""Input ops: TFRecord files, tf.train.Example parsing, CSV and raw decoding, file
datasets and feedable iterators, against TF 1.x's answers in tests/reference/tf_records.json
(made by tests/reference/make_tf_records.py)."""
import gzip
import json
import os

import numpy as np
import pytest

import jitgraph as tf
from helpers import session

pytest.importorskip("google.protobuf")  # tf.train.Example is a protobuf message

REF = json.load(open(os.path.join(os.path.dirname(__file__), "reference", "tf_records.json")))


def _arr(x):
    """A fixture value back as numpy (strings as object arrays of bytes)."""
    if isinstance(x, dict) and "dtype" in x:
        return np.array(x["values"], dtype=x["dtype"]).reshape(x["shape"])
    if isinstance(x, dict):
        return {k: _arr(v) for k, v in x.items()}
    if isinstance(x, list):
        return np.array([v.encode("latin-1") for v in x], dtype=object)
    return x.encode("latin-1") if isinstance(x, str) else x


def _assert_same(got, want):
    if isinstance(want, dict):
        got = got._asdict() if hasattr(got, "_asdict") else got
        assert set(got) == set(want)
        for k in want:
            _assert_same(got[k], want[k])
        return
    if isinstance(want, bytes):
        assert got == want
        return
    got = np.asarray(got)
    assert got.shape == want.shape, (got, want)
    if want.dtype == object:
        assert got.tolist() == want.tolist()
    else:
        assert got.dtype == want.dtype, (got.dtype, want.dtype)
        np.testing.assert_array_equal(got, want)


def _error(kind, fn):
    want = kind
    with pytest.raises(getattr(tf.errors, want["type"])) as e:
        fn()
    assert want["message"] in e.value.message


def _examples():
    return [bytes.fromhex(h) for h in REF["examples_hex"]]


# -- TFRecord files ---------------------------------------------------------------------------
def test_tfrecord_bytes_are_tfs(tmp_path):
    path = str(tmp_path / "r.tfrecord")
    with tf.python_io.TFRecordWriter(path) as w:
        for r in [b"", b"a", "hello records"]:
            w.write(r)
    assert open(path, "rb").read().hex() == REF["tfrecord_bytes_hex"]
    assert list(tf.io.tf_record_iterator(path)) == [b"", b"a", b"hello records"]
    gz = tmp_path / "tf.gz.tfrecord"
    gz.write_bytes(bytes.fromhex(REF["tfrecord_gzip_hex"]))  # written by TF
    opts = tf.io.TFRecordOptions(tf.io.TFRecordCompressionType.GZIP)
    assert list(tf.python_io.tf_record_iterator(str(gz), opts)) == [b"x", b"yy"]
    for kind in ("GZIP", "ZLIB"):
        p = str(tmp_path / f"mine.{kind}")
        with tf.io.TFRecordWriter(p, kind) as w:
            w.write(b"zz")
            w.write(b"w" * 1000)
        assert list(tf.io.tf_record_iterator(p, tf.io.TFRecordOptions(kind))) == \
            [b"zz", b"w" * 1000]
    # Our GZIP file is a gzip stream of the plain framing, as TF's.
    with gzip.open(str(tmp_path / "mine.GZIP")) as f:
        assert f.read()[:8] == (2).to_bytes(8, "little")


def test_tfrecord_damage_is_data_loss(tmp_path):
    good = bytes.fromhex(REF["tfrecord_bytes_hex"])
    bad = bytearray(good)
    bad[-3] ^= 1  # inside the last record's data CRC
    p = tmp_path / "bad"
    p.write_bytes(bytes(bad))
    it = tf.io.tf_record_iterator(str(p))
    assert next(it) == b"" and next(it) == b"a"  # the records before it still read
    with pytest.raises(tf.errors.DataLossError, match="corrupted record at 33"):
        next(it)
    p.write_bytes(good[:-5])
    with pytest.raises(tf.errors.DataLossError, match="truncated record at 33"):
        list(tf.io.tf_record_iterator(str(p)))
    with pytest.raises(tf.errors.NotFoundError):
        list(tf.io.tf_record_iterator(str(tmp_path / "missing")))


def test_many_records_round_trip(tmp_path):
    """Past the first MB the CRCs go through the compiled loop: same bytes, same records."""
    rng = np.random.default_rng(0)
    recs = [rng.bytes(int(n)) for n in rng.integers(0, 3000, 900)]
    p = str(tmp_path / "many")
    with tf.io.TFRecordWriter(p) as w:
        for r in recs:
            w.write(r)
    assert list(tf.io.tf_record_iterator(p)) == recs
    from jitgraph.checkpoint import crc32c
    from jitgraph.data import records
    buf = open(p, "rb").read()
    assert buf[:16 + len(recs[0])] == records.frame(recs[0])
    assert crc32c.value(b"123456789") == 0xE3069283  # the CRC-32C check value


# -- Example protos and parsing ---------------------------------------------------------------
def test_example_protos_are_tfs():
    F = tf.train  # noqa: N806
    mine = F.Example(features=F.Features(feature={
        "x": F.Feature(float_list=F.FloatList(value=[0.5, 0.0])),
        "ids": F.Feature(int64_list=F.Int64List(value=[])),
        "label": F.Feature(int64_list=F.Int64List(value=[0])),
        "name": F.Feature(bytes_list=F.BytesList(value=[b"ex0"]))}))
    theirs = F.Example.FromString(_examples()[0])
    assert mine == theirs
    assert theirs.features.feature["label"].WhichOneof("kind") == "int64_list"
    one = F.Example(features=F.Features(feature={"x": F.Feature(
        float_list=F.FloatList(value=[1.5]))}))
    assert one.SerializeToString() == bytes.fromhex("0a0f0a0d0a0178120812060a040000c03f")



def _features():
    return {"x": tf.FixedLenFeature([2], tf.float32), "ids": tf.VarLenFeature(tf.int64),
            "label": tf.FixedLenFeature([], tf.int64),
            "name": tf.FixedLenFeature([], tf.string, default_value="none")}


def test_parse_example_matches_tf():
    ser = tf.placeholder(tf.string, [None])
    parsed = tf.parse_example(ser, _features())
    assert parsed["x"].shape.as_list() == [None, 2] and parsed["label"].dtype == tf.int64
    ids = parsed["ids"]
    assert ids.dtype == tf.int64 and ids.indices.shape.as_list() == [None, 2]
    assert ids.get_shape().as_list() == [None, None]
    single = tf.io.parse_single_example(tf.constant(_examples()[2]), _features())
    seq = tf.parse_example(ser, {"ids": tf.io.FixedLenSequenceFeature([], tf.int64,
                                                                      allow_missing=True)})
    sess = session(jit=False)
    _assert_same(sess.run(parsed, {ser: _examples()}), _arr(REF["parse_example"]))
    _assert_same(sess.run(single), _arr(REF["parse_single_example"]))
    _assert_same(sess.run(seq, {ser: _examples()}), _arr(REF["parse_sequence_feature"]))
    errs = REF["parse_errors"]
    for key, spec in [("missing", {"name": tf.FixedLenFeature([], tf.string)}),
                      ("count", {"x": tf.FixedLenFeature([3], tf.float32)}),
                      ("type", {"x": tf.FixedLenFeature([2], tf.int64)})]:
        t = tf.parse_example(ser, spec)
        _error(errs[key], lambda t=t: sess.run(t, {ser: _examples()}))
    with pytest.raises(ValueError, match="need to be known"):
        tf.parse_example(ser, {"x": tf.FixedLenFeature([None], tf.float32)})


def test_parsed_values_feed_a_compiled_stage(engine):
    """Host-op outputs (parse, CSV, raw bytes) hand over to compiled math in one run."""
    ser = tf.placeholder(tf.string, [None])
    parsed = tf.parse_example(ser, _features())
    cols = tf.decode_csv(tf.constant(["1,2.5", "3,4"]), [[0], [0.0]])
    raw = tf.decode_raw(tf.constant([b"\x01\x02", b"\x03\x04"]), tf.uint8)
    out = (tf.reduce_sum(parsed["x"] * 2.0, axis=1) + tf.cast(parsed["label"], tf.float32),
           cols[1] * tf.cast(cols[0], tf.float32), tf.cast(raw, tf.int32) * 3)
    sess = session(jit=engine)
    a, b, c = sess.run(out, {ser: _examples()})
    x = _arr(REF["parse_example"]["x"])
    np.testing.assert_allclose(a, (x * 2).sum(1) + [0, 10, 20])
    np.testing.assert_allclose(b, [2.5, 12.0])
    np.testing.assert_array_equal(c, [[3, 6], [9, 12]])


# -- CSV and raw bytes ------------------------------------------------------------------------
def test_decode_csv_matches_tf():
    recs = ['1,2.5,"a,b"', '3,,c', '4,NA,""', '5,1e3,"say ""hi"""']
    sess = session(jit=False)
    got = sess.run(tf.decode_csv(tf.constant(recs), [[0], [-1.0], ["dflt"]], na_value="NA"))
    for g, w in zip(got, REF["decode_csv"]):
        _assert_same(g, _arr(w))
    got = sess.run(tf.io.decode_csv(tf.constant(["1;x;2.0", "3;y;4.5"]), [[0], [0.0]],
                                    field_delim=";", select_cols=[0, 2]))
    for g, w in zip(got, REF["decode_csv_select"]):
        _assert_same(g, _arr(w))
    errs = REF["decode_csv_errors"]
    cases = {"count": (["1,2"], [[0]] * 3), "int": (["x"], [[0]]), "float": (["x"], [[0.0]]),
             "quote": (['"a"b'], [[""]]),
             "required": (["1,"], [[0], tf.constant([], tf.int32)])}
    for key, (r, d) in cases.items():
        t = tf.decode_csv(tf.constant(r), d)
        _error(errs[key], lambda t=t: sess.run(t))
    grid = sess.run(tf.decode_csv(tf.constant([["1,2"], ["3,4"]]), [[0], [0]]))
    assert grid[0].shape == (2, 1) and grid[1].tolist() == [[2], [4]]


def test_decode_raw_matches_tf():
    raw = tf.constant([b"\x01\x00\x00\x00\x00\x00\x80\x3f", b"\xff\xff\xff\xff\x00\x00\x00\x40"])
    sess = session(jit=False)
    ref = REF["decode_raw"]
    _assert_same(sess.run(tf.decode_raw(raw, tf.int32)), _arr(ref["int32"]))
    _assert_same(sess.run(tf.decode_raw(raw, tf.uint8)), _arr(ref["uint8"]))
    _assert_same(sess.run(tf.decode_raw(raw, tf.int16)), _arr(ref["int16"]))
    got = sess.run(tf.io.decode_raw(raw, tf.float32, little_endian=False))
    np.testing.assert_array_equal(got, _arr(ref["float32_be"]))  # NaN where TF has NaN
    errs = REF["decode_raw_errors"]
    _error(errs["sizes"], lambda: sess.run(tf.decode_raw(tf.constant([b"ab", b"abcd"]),
                                                         tf.uint8)))
    _error(errs["multiple"], lambda: sess.run(tf.decode_raw(tf.constant([b"abc"]), tf.int16)))
    assert tf.decode_raw(raw, tf.int32).shape.as_list() == [2, None]


# -- datasets over files ----------------------------------------------------------------------
def test_file_datasets_match_tf(tmp_path):
    csv = tmp_path / "a.csv"
    csv.write_text('a,b,c\n1,2.5,x\n3,,"y,z"\n7,8,\n')
    sess = session(jit=False)
    ds = tf.data.experimental.CsvDataset(str(csv), [[0], [0.5], ["d"]], header=True)
    got = sess.run(ds.batch(10).make_one_shot_iterator().get_next())
    for g, w in zip(got, REF["csv_dataset"]):
        _assert_same(g, _arr(w))
    blank = tmp_path / "blank.csv"
    blank.write_text("1,2\n\n3,4\n")
    nxt = tf.data.experimental.CsvDataset(str(blank), [[0], [0]]).make_one_shot_iterator() \
        .get_next()
    first, err = REF["csv_dataset_blank_line"]
    assert [int(v) for v in sess.run(nxt)] == [_arr(f).item() for f in first]
    _error(err, lambda: sess.run(nxt))
    lines = tf.data.TextLineDataset(str(csv)).batch(10).make_one_shot_iterator().get_next()
    _assert_same(sess.run(lines), _arr(REF["text_lines"]))
    a, b = str(tmp_path / "a.rec"), str(tmp_path / "b.rec")
    with tf.io.TFRecordWriter(a) as w:
        for r in [b"", b"a", b"hello records"]:
            w.write(r)
    with tf.io.TFRecordWriter(b) as w:
        for r in [b"b0", b"b1", b"b2", b"b3"]:
            w.write(r)
    ds = tf.data.TFRecordDataset([a, b], num_parallel_reads=2)
    _assert_same(sess.run(ds.batch(10).make_one_shot_iterator().get_next()),
                 _arr(REF["tfrecord_interleave"]))
    # Fed file names, one initialization per file list; a FixedLengthRecordDataset too.
    names = tf.placeholder(tf.string, [None])
    it = tf.data.TFRecordDataset(names).make_initializable_iterator()
    nxt = it.get_next()
    sess.run(it.initializer, {names: [b]})
    assert [sess.run(nxt) for _ in range(4)] == [b"b0", b"b1", b"b2", b"b3"]
    with pytest.raises(tf.errors.OutOfRangeError):
        sess.run(nxt)
    sess.run(it.initializer, {names: [str(tmp_path / "nope")]})
    with pytest.raises(tf.errors.NotFoundError):
        sess.run(nxt)
    fixed = tmp_path / "fixed.bin"
    fixed.write_bytes(b"HH" + bytes(range(10)) + b"F")
    ds = tf.data.FixedLengthRecordDataset(str(fixed), 4, header_bytes=2, footer_bytes=1)
    got = sess.run(ds.map(lambda r: tf.decode_raw(r, tf.uint8)).batch(5)
                   .make_one_shot_iterator().get_next())
    np.testing.assert_array_equal(got, [[0, 1, 2, 3], [4, 5, 6, 7]])


def test_tfrecord_example_pipeline(tmp_path, engine):
    """The TF 1.x input pipeline: TFRecordDataset -> map(parse) -> batch -> training."""
    p = str(tmp_path / "train.tfrecord")
    F = tf.train  # noqa: N806
    rng = np.random.default_rng(1)
    xs = rng.normal(size=(6, 3)).astype(np.float32)
    with tf.io.TFRecordWriter(p) as w:
        for i, x in enumerate(xs):
            w.write(F.Example(features=F.Features(feature={
                "x": F.Feature(float_list=F.FloatList(value=x)),
                "y": F.Feature(int64_list=F.Int64List(value=[i % 2]))})).SerializeToString())
    spec = {"x": tf.FixedLenFeature([3], tf.float32), "y": tf.FixedLenFeature([], tf.int64)}
    ds = tf.data.TFRecordDataset(p).map(lambda s: tf.parse_single_example(s, spec)).batch(4)
    el = ds.make_one_shot_iterator().get_next()
    loss = tf.reduce_mean(tf.square(tf.reduce_sum(el["x"], 1) - tf.cast(el["y"], tf.float32)))
    sess = session(jit=engine)
    first, second = sess.run(loss), sess.run(loss)
    ys = np.arange(6) % 2
    want = [np.mean((xs[a:b].sum(1) - ys[a:b]) ** 2) for a, b in [(0, 4), (4, 6)]]
    np.testing.assert_allclose([first, second], want, rtol=1e-5)
    batched = tf.data.TFRecordDataset(p).batch(6).map(lambda s: tf.parse_example(s, spec))
    got = sess.run(batched.make_one_shot_iterator().get_next())
    np.testing.assert_array_equal(got["x"], xs)


def test_feedable_iterator():
    train = tf.data.Dataset.range(100).map(lambda x: x * 2).repeat()
    val = tf.data.Dataset.range(3)
    handle = tf.placeholder(tf.string, shape=[])
    it = tf.data.Iterator.from_string_handle(handle, train.output_types, train.output_shapes)
    nxt = it.get_next()
    assert it.string_handle() is handle
    ti, vi = train.make_one_shot_iterator(), val.make_initializable_iterator()
    sess = session(jit=False)
    th, vh = sess.run([ti.string_handle(), vi.string_handle()])
    assert isinstance(th, bytes) and th != vh
    assert [sess.run(nxt, {handle: th}) for _ in range(3)] == [0, 2, 4]
    with pytest.raises(tf.errors.FailedPreconditionError, match="not been initialized"):
        sess.run(nxt, {handle: vh})
    sess.run(vi.initializer)
    assert [sess.run(nxt, {handle: vh}) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(tf.errors.OutOfRangeError):
        sess.run(nxt, {handle: vh})
    assert sess.run(nxt, {handle: th}) == 6  # the training iterator kept its place
    other = tf.data.Dataset.from_tensors(np.float32(1)).make_one_shot_iterator()
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Data type mismatch at component 0: expected int64 but got float"):
        sess.run(nxt, {handle: sess.run(other.string_handle())})
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid iterator handle"):
        sess.run(nxt, {handle: b"junk"})


def test_sequence_examples_match_tf():
    seqs = [bytes.fromhex(h) for h in REF["sequence_examples_hex"]]
    ctx = {"len": tf.FixedLenFeature([], tf.int64), "tags": tf.VarLenFeature(tf.string)}
    sq = {"tok": tf.FixedLenSequenceFeature([], tf.int64),
          "vec": tf.FixedLenSequenceFeature([2], tf.float32, allow_missing=True),
          "ids": tf.VarLenFeature(tf.int64)}
    single = tf.parse_single_sequence_example(tf.constant(seqs[0]), ctx, sq)
    assert single[1]["vec"].shape.as_list() == [None, 2]
    batch = tf.io.parse_sequence_example(tf.constant(seqs), ctx, sq)
    assert batch[1]["tok"].shape.as_list() == [2, None]
    sess = session(jit=False)
    for got, want in zip(sess.run(single), REF["parse_single_sequence_example"]):
        _assert_same(got, _arr(want))
    for got, want in zip(sess.run(batch), REF["parse_sequence_example"]):
        _assert_same(got, _arr(want))
    missing = tf.parse_single_sequence_example(
        tf.constant(seqs[1]), None, {"vec": tf.FixedLenSequenceFeature([2], tf.float32)})
    _error(REF["parse_sequence_missing"], lambda: sess.run(missing))


def test_byte_string_ops_match_tf(tmp_path):
    sess = session(jit=False)
    strs = tf.constant([b"", b"a", b"\xfb\xff\xbfhello?"])
    _assert_same(sess.run(tf.io.encode_base64(strs)), _arr(REF["encode_base64"]))
    _assert_same(sess.run(tf.encode_base64(strs, pad=True)), _arr(REF["encode_base64_pad"]))
    _assert_same(sess.run(tf.io.decode_base64(tf.constant(["-_8", "aGk=", "aGk"]))),
                 _arr(REF["decode_base64"]))
    ser = REF["serialize_tensor"]
    cases = {"float": tf.constant([[1.5, -2.0, 3.0]]), "int64": tf.constant([7, 8], tf.int64),
             "string": tf.constant(["ab", "c"]), "scalar_bool": tf.constant(True)}
    for key, t in cases.items():
        data = sess.run(tf.io.serialize_tensor(t))
        assert data.hex() == ser[key], key  # byte for byte
        back = sess.run(tf.io.parse_tensor(tf.constant(bytes.fromhex(ser[key])), t.dtype))
        _assert_same(np.asarray(back), np.asarray(sess.run(t)))
    _error(REF["parse_tensor_error"], lambda: sess.run(tf.io.parse_tensor(
        tf.io.serialize_tensor(tf.constant([1.0])), tf.int32)))
    # Files: write then read back, find them, decompress.
    target = str(tmp_path / "sub" / "f.bin")
    sess.run(tf.io.write_file(target, tf.constant(b"\x00payload")))
    assert sess.run(tf.read_file(target)) == b"\x00payload"
    with pytest.raises(tf.errors.NotFoundError, match="No such file"):
        sess.run(tf.io.read_file(str(tmp_path / "nope")))
    (tmp_path / "sub" / "g.bin").write_bytes(gzip.compress(b"zipped"))
    found = sess.run(tf.io.matching_files(str(tmp_path / "sub" / "*.bin")))
    assert [os.path.basename(f) for f in found] == [b"f.bin", b"g.bin"]
    raw = tf.read_file(str(tmp_path / "sub" / "g.bin"))
    assert sess.run(tf.io.decode_compressed(raw, "GZIP")) == b"zipped"
    png = sess.run(tf.io.encode_png(tf.constant(np.arange(12, dtype=np.uint8).reshape(2, 2, 3))))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_dataset_options_merge_as_tf():
    o = tf.data.Options()
    o.experimental_optimization.map_parallelization = True
    o.experimental_deterministic = False
    p = tf.data.Options()
    p.threading.private_threadpool_size = 4
    m = o.merge(p)
    assert (m.threading.private_threadpool_size, m.experimental_deterministic,
            m.experimental_optimization.map_parallelization) == (4, False, True)
    assert o.threading.private_threadpool_size is None  # merge makes a new Options
    with pytest.raises(AttributeError, match="Cannot set the property foo on Options."):
        o.foo = 1
    q = tf.data.Options()
    q.experimental_deterministic = True
    with pytest.raises(ValueError, match="Cannot merge incompatible values"):
        o.merge(q)
    ds = tf.data.Dataset.range(3).with_options(m)
    assert session(jit=False).run(ds.batch(3).make_one_shot_iterator().get_next()).tolist() \
        == [0, 1, 2]
    assert (tf.data.INFINITE_CARDINALITY, tf.data.UNKNOWN_CARDINALITY) == (-1, -2)


def test_batching_parsed_sparse_features_matches_parse_example(tmp_path):
    """map(parse_single_example).batch(n) gives what parse_example gives for the batch:
    a VarLenFeature's SparseTensors batch into one (TF's numbers)."""
    p = str(tmp_path / "ex.tfrecord")
    with tf.io.TFRecordWriter(p) as w:
        for s in _examples():
            w.write(s)
    ds = tf.data.TFRecordDataset(p).map(lambda s: tf.parse_single_example(s, _features()))
    el = ds.batch(3).make_one_shot_iterator().get_next()
    assert el["ids"].indices.shape.as_list() == [None, 2]
    assert el["ids"].dense_shape.shape.as_list() == [2]
    _assert_same(session(jit=False).run(el), _arr(REF["parse_example"]))


def test_decode_json_example_matches_tf():
    js = ['{"features": {"feature": {"x": {"floatList": {"value": [1.5, 2]}}, '
          '"s": {"bytesList": {"value": ["aGk="]}}}}}', "{}"]
    out = session(jit=False).run(tf.io.decode_json_example(js))
    # TF 1.x's bytes (unpacked floats); the same message, whatever the encoding
    tf_hex = ["0a200a110a0178120c120a0d0000c03f0d000000400a0b0a017312060a040a026869", ""]
    for got, want in zip(out, tf_hex):
        assert tf.train.Example.FromString(got) == \
            tf.train.Example.FromString(bytes.fromhex(want))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Error while parsing JSON"):
        session(jit=False).run(tf.io.decode_json_example(["{bad"]))


@pytest.mark.slow
def test_wire_parser_matches_protobuf(monkeypatch):
    """The compiled wire-bytes reader of large batches gives protobuf's answers, and
    leaves irregular batches to the protobuf path (TF's errors). Slow: it compiles."""
    from jitgraph.data import parsing_ops
    monkeypatch.setattr(parsing_ops, "FAST_FROM", 1)
    monkeypatch.setattr(parsing_ops, "FAST_AFTER", 0)
    ser = tf.placeholder(tf.string, [None])
    sess = session(jit=False)
    _assert_same(sess.run(tf.parse_example(ser, _features()), {ser: _examples()}),
                 _arr(REF["parse_example"]))
    F = tf.train  # noqa: N806
    rng = np.random.default_rng(5)
    exs = []
    for i in range(40):
        feat = {"f": F.Feature(float_list=F.FloatList(value=rng.normal(size=3))),
                "i": F.Feature(int64_list=F.Int64List(value=rng.integers(-2**40, 2**40, 2))),
                "v": F.Feature(int64_list=F.Int64List(value=list(range(i % 4)))),
                "b": F.Feature(bytes_list=F.BytesList(value=[b"x" * (i % 3)] * (i % 2)))}
        if i % 5:
            feat["opt"] = F.Feature(float_list=F.FloatList(value=[i]))
        exs.append(F.Example(features=F.Features(feature=feat)).SerializeToString())
    spec = {"f": tf.FixedLenFeature([3], tf.float32), "i": tf.FixedLenFeature([2], tf.int64),
            "v": tf.VarLenFeature(tf.int64), "b": tf.VarLenFeature(tf.string),
            "opt": tf.FixedLenFeature([], tf.float32, default_value=-1.0)}
    out = tf.parse_example(ser, spec)
    fast = sess.run(out, {ser: exs})
    monkeypatch.setattr(parsing_ops, "FAST_FROM", 10**9)
    slow = sess.run(out, {ser: exs})
    for key in spec:
        for a, b in zip(tf.nest.flatten(fast[key]), tf.nest.flatten(slow[key])):
            assert np.asarray(a).tolist() == np.asarray(b).tolist(), key
    monkeypatch.setattr(parsing_ops, "FAST_FROM", 1)
    errs = REF["parse_errors"]
    for key, spec in [("missing", {"name": tf.FixedLenFeature([], tf.string)}),
                      ("count", {"x": tf.FixedLenFeature([3], tf.float32)}),
                      ("type", {"x": tf.FixedLenFeature([2], tf.int64)})]:
        t = tf.parse_example(ser, spec)
        _error(errs[key], lambda t=t: sess.run(t, {ser: _examples()}))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Could not parse example"):
        sess.run(tf.parse_example(ser, _features()), {ser: [b"\x0a\xff"]})


def test_record_pipeline_helpers(tmp_path):
    F = tf.train  # noqa: N806
    for j in range(2):
        with tf.io.TFRecordWriter(str(tmp_path / f"part{j}.tfrecord")) as w:
            for i in range(5):
                w.write(F.Example(features=F.Features(feature={
                    "x": F.Feature(float_list=F.FloatList(value=[j * 10 + i])),
                    "label": F.Feature(int64_list=F.Int64List(value=[i % 2]))}))
                    .SerializeToString())
    spec = {"x": tf.FixedLenFeature([1], tf.float32), "label": tf.FixedLenFeature([], tf.int64)}
    ds = tf.data.experimental.make_batched_features_dataset(
        str(tmp_path / "*.tfrecord"), 4, spec, label_key="label", num_epochs=1, shuffle=False)
    el = ds.make_one_shot_iterator().get_next()
    sess = session(jit=False)
    got = [sess.run(el) for _ in range(3)]
    xs = np.concatenate([g[0]["x"].ravel() for g in got])
    np.testing.assert_array_equal(xs, [0, 1, 2, 3, 4, 10, 11, 12, 13, 14])
    np.testing.assert_array_equal(np.concatenate([g[1] for g in got]), [0, 1, 0, 1, 0] * 2)
    with pytest.raises(tf.errors.OutOfRangeError):
        sess.run(el)
    shuffled = tf.data.experimental.make_batched_features_dataset(
        str(tmp_path / "*.tfrecord"), 10, spec, num_epochs=1, shuffle_seed=3)
    x = sess.run(shuffled.make_one_shot_iterator().get_next())["x"].ravel()
    assert sorted(x.tolist()) == [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]
    files = tf.data.Dataset.list_files(str(tmp_path / "part*.tfrecord"), shuffle=False)
    assert [os.path.basename(f) for f in sess.run(
        files.batch(5).make_one_shot_iterator().get_next())] == [b"part0.tfrecord",
                                                                 b"part1.tfrecord"]
    nothing = tf.data.Dataset.list_files(str(tmp_path / "none*")).make_one_shot_iterator()
    with pytest.raises(tf.errors.InvalidArgumentError, match="No files matched pattern"):
        sess.run(nothing.get_next())
    parsed = tf.data.TFRecordDataset(str(tmp_path / "part0.tfrecord")).batch(5).apply(
        tf.data.experimental.parse_example_dataset(spec))
    np.testing.assert_array_equal(
        sess.run(parsed.make_one_shot_iterator().get_next())["x"].ravel(), [0, 1, 2, 3, 4])
    # A dataset of strings written to a file, read back.
    out = str(tmp_path / "out.tfrecord")
    strings = tf.data.Dataset.from_tensor_slices(np.array([b"a", b"bb"], dtype=object))
    sess.run(tf.data.experimental.TFRecordWriter(out).write(strings))
    assert list(tf.io.tf_record_iterator(out)) == [b"a", b"bb"]
    with pytest.raises(TypeError, match="scalar `DT_STRING`"):
        tf.data.experimental.TFRecordWriter(out).write(tf.data.Dataset.range(3))
    one = tf.data.experimental.get_single_element(tf.data.Dataset.from_tensors((1, 2.0)))
    assert sess.run(one) == (1, 2.0)
    two = tf.data.experimental.get_single_element(tf.data.Dataset.range(2))
    with pytest.raises(tf.errors.InvalidArgumentError, match="more than one element"):
        sess.run(two)
    recip = tf.data.Dataset.from_tensor_slices([1., 0., 2.]).map(
        lambda v: tf.check_numerics(1.0 / v, "bad"))
    kept = recip.apply(tf.data.experimental.ignore_errors()).batch(5)
    np.testing.assert_array_equal(sess.run(kept.make_one_shot_iterator().get_next()), [1, .5])
    en = tf.data.Dataset.from_tensor_slices([5, 6]).apply(
        tf.data.experimental.enumerate_dataset(3)).batch(2)
    idx, val = sess.run(en.make_one_shot_iterator().get_next())
    assert idx.tolist() == [3, 4] and val.tolist() == [5, 6]


IMAGES = json.load(open(os.path.join(os.path.dirname(__file__), "reference", "tf_images.json")))


def test_image_decoders_match_tf():
    """decode_png over every PNG kind (bit depths, palettes with transparency, grey+alpha,
    16-bit, Adam7) and channel/dtype conversions, decode_bmp, JPEG sniffing: TF's pixels."""
    sess = session(jit=False)
    data = tf.placeholder(tf.string, [])
    png = {key: tf.io.decode_png(data, channels=int(key[2:])) for key in
           ("ch0", "ch1", "ch3", "ch4")}
    png["u16"] = tf.io.decode_png(data, dtype=tf.uint16)
    assert png["ch3"].shape.as_list() == [None, None, 3]
    for name, want in IMAGES["png"].items():
        got = sess.run(png, {data: bytes.fromhex(want["hex"])})
        for key, arr in got.items():
            w = want[key]
            assert list(arr.shape) == w["shape"], (name, key)
            assert arr.ravel().tolist() == w["values"], (name, key)
    bmp = {key: tf.io.decode_bmp(data, channels=int(key[2:])) for key in ("ch0", "ch3")}
    for name, want in IMAGES["bmp"].items():
        got = sess.run(bmp, {data: bytes.fromhex(want["hex"])})
        for key, arr in got.items():
            assert list(arr.shape) == want[key]["shape"], (name, key)
            assert arr.ravel().tolist() == want[key]["values"], (name, key)
    jpeg = bytes.fromhex(IMAGES["jpeg"]["hex"])
    assert sess.run(tf.io.extract_jpeg_shape(jpeg)).tolist() == IMAGES["jpeg"]["shape"]
    checks = [tf.io.is_jpeg(x) for x in (jpeg, bytes.fromhex(IMAGES["png"]["rgb"]["hex"]), b"")]
    assert sess.run(checks) == IMAGES["jpeg"]["is_jpeg"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid PNG"):
        sess.run(png["ch0"], {data: b"not a png"})
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be 0, 1, 3 or 4 but got 2"):
        tf.io.decode_png(data, channels=2)
    # encode_png -> decode_png is the identity
    img = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    back = sess.run(tf.io.decode_png(tf.io.encode_png(tf.constant(img))))
    np.testing.assert_array_equal(back, img)


def test_match_filenames_once(tmp_path):
    for n in ("b.txt", "a.txt", "c.csv"):
        (tmp_path / n).write_text(n)
    v = tf.io.match_filenames_once(str(tmp_path / "*.txt"))
    assert v.op.name == "matching_filenames" and v in tf.local_variables()
    sess = session(jit=False)
    sess.run(tf.local_variables_initializer())
    assert [os.path.basename(f) for f in sess.run(v)] == [b"a.txt", b"b.txt"]


def test_sparse_feature_matches_tf():
    F = tf.train  # noqa: N806
    exs = [F.Example(features=F.Features(feature={
        "ix": F.Feature(int64_list=F.Int64List(value=idx)),
        "v": F.Feature(float_list=F.FloatList(value=val))})).SerializeToString()
        for idx, val in [([3, 0], [1.5, 2.5]), ([], []), ([4], [7.0])]]
    spec = {"sp": tf.io.SparseFeature("ix", "v", tf.float32, 5)}
    sess = session(jit=False)
    r = sess.run(tf.parse_example(tf.constant(exs), spec))
    assert sorted(r) == ["sp"]  # TF's answers follow
    assert r["sp"].indices.tolist() == [[0, 0], [0, 3], [2, 4]]
    assert r["sp"].values.tolist() == [2.5, 1.5, 7.0] and r["sp"].dense_shape.tolist() == [3, 5]
    r = sess.run(tf.parse_single_example(tf.constant(exs[0]),
                                         dict(spec, v=tf.VarLenFeature(tf.float32))))
    assert sorted(r) == ["sp", "v"]
    assert r["sp"].indices.tolist() == [[0], [3]] and r["sp"].values.tolist() == [2.5, 1.5]
    assert r["sp"].dense_shape.tolist() == [5]
    bad = tf.parse_example(tf.constant(exs), {"sp": tf.io.SparseFeature("ix", "v",
                                                                        tf.float32, 4)})
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        sess.run(bad)


def _elements(sess, ds, limit=50):
    nxt = ds.make_one_shot_iterator().get_next()
    out = []
    for _ in range(limit):
        try:
            out.append(sess.run(nxt))
        except tf.errors.OutOfRangeError:
            break
    return out


def test_experimental_transformations_match_tf():
    """Counter, choose/sample_from_datasets, take_while, unique, scan and
    bucket_by_sequence_length; the lists are TF 1.x's outputs for the same pipelines."""
    E = tf.data.experimental  # noqa: N806
    sess = session(jit=False)
    assert _elements(sess, E.Counter(3, 2).take(4)) == [3, 5, 7, 9]
    a = tf.data.Dataset.from_tensor_slices(np.array([1, 2, 3], np.int64))
    b = tf.data.Dataset.from_tensor_slices(np.array([10, 20], np.int64))
    picks = tf.data.Dataset.from_tensor_slices(np.array([0, 1, 1, 0, 1, 0, 0], np.int64))
    assert _elements(sess, E.choose_from_datasets([a, b], picks)) == [1, 10, 20, 2, 3]
    assert _elements(sess, tf.data.Dataset.range(10).apply(
        E.take_while(lambda x: x < 4))) == [0, 1, 2, 3]
    assert _elements(sess, tf.data.Dataset.from_tensor_slices(
        np.array([3, 1, 3, 2, 1], np.int64)).apply(E.unique())) == [3, 1, 2]
    assert _elements(sess, tf.data.Dataset.range(5).apply(
        E.scan(np.int64(0), lambda s, x: (s + x, s * 10)))) == [0, 0, 10, 30, 60]
    seqs = [[1], [1, 2, 3], [1, 2], [1, 2, 3, 4, 5], [9], [5, 6, 7, 8]]
    ds = tf.data.Dataset.from_generator(lambda: iter(seqs), tf.int64, [None])
    got = _elements(sess, ds.apply(E.bucket_by_sequence_length(
        lambda x: tf.shape(x)[0], [3, 5], [2, 2, 2])))
    assert [g.tolist() for g in got] == [[[1, 0], [1, 2]], [[1, 2, 3, 0], [5, 6, 7, 8]],
                                         [[9]], [[1, 2, 3, 4, 5]]]
    got = _elements(sess, ds.apply(E.bucket_by_sequence_length(
        lambda x: tf.shape(x)[0], [3, 6], [2, 2, 2], pad_to_bucket_boundary=True)))
    assert [g.tolist() for g in got] == [[[1, 0], [1, 2]], [[1, 2, 3, 0, 0], [1, 2, 3, 4, 5]],
                                         [[9, 0]], [[5, 6, 7, 8, 0]]]
    # Sampling: every element of both inputs, in proportion to the weights.
    s = _elements(sess, E.sample_from_datasets([a.repeat(), b.repeat()], [0.8, 0.2], seed=1),
                  500)
    assert sorted(set(int(v) for v in s)) == [1, 2, 3, 10, 20]
    assert 0.12 < np.mean([v >= 10 for v in s]) < 0.28
    finite = _elements(sess, E.sample_from_datasets([a, b], seed=3))
    assert sorted(int(v) for v in finite) == [1, 2, 3, 10, 20]  # each input to its end


def test_make_csv_dataset_matches_tf(tmp_path):
    (tmp_path / "a.csv").write_text("age,fare,name,survived,big\n22,7.25,Braund,0,3000000000\n"
                                    "38,71.3,Cumings,1,1\n26,,\"Heik, Miss\",1,2\n")
    (tmp_path / "b.csv").write_text("age,fare,name,survived,big\n35,53.1,Futrelle,1,5\n")
    ds = tf.data.experimental.make_csv_dataset(str(tmp_path / "*.csv"), 2,
                                               label_name="survived", num_epochs=1,
                                               shuffle=False)
    feats, label = ds.make_one_shot_iterator().get_next()
    assert {k: v.dtype for k, v in feats.items()} == {  # TF's inferred types
        "age": tf.int32, "fare": tf.float32, "name": tf.string, "big": tf.int64}
    sess = session(jit=False)
    got = [sess.run((feats, label)) for _ in range(2)]
    with pytest.raises(tf.errors.OutOfRangeError):
        sess.run(label)
    f0, l0 = got[0]
    f1, l1 = got[1]
    assert (f0["age"].tolist(), f0["big"].tolist(), l0.tolist()) == ([22, 38], [3000000000, 1],
                                                                     [0, 1])
    assert f1["name"].tolist() == [b"Heik, Miss", b"Futrelle"]
    np.testing.assert_array_equal(f1["fare"], np.float32([0.0, 53.1]))  # missing: 0, as TF
    ds = tf.data.experimental.make_csv_dataset(str(tmp_path / "a.csv"), 3,
                                               select_columns=["age", "name"], num_epochs=1,
                                               shuffle=False, column_defaults=[0, "?"])
    out = sess.run(ds.make_one_shot_iterator().get_next())
    assert sorted(out) == ["age", "name"] and out["age"].tolist() == [22, 38, 26]
