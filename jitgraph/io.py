"""`tf.io` (and `tf.python_io`): TFRecord files, Example parsing, CSV and raw decoding."""
from __future__ import annotations

import types as _types

from jitgraph.data.csv_ops import decode_csv
from jitgraph.data.io_ops import (decode_base64, decode_bmp, decode_compressed,
                                  decode_json_example, decode_png, encode_base64, encode_png,
                                  extract_jpeg_shape, is_jpeg, match_filenames_once,
                                  matching_files, parse_tensor, read_file, serialize_tensor,
                                  write_file)
from jitgraph.data.parsing_ops import (FixedLenFeature, FixedLenSequenceFeature, SparseFeature,
                                       VarLenFeature, decode_raw, parse_example,
                                       parse_sequence_example, parse_single_example,
                                       parse_single_sequence_example)
from jitgraph.data.records import (TFRecordCompressionType, TFRecordOptions, TFRecordWriter,
                                   tf_record_iterator)
from jitgraph.platform import gfile
from jitgraph.train.meta_graph import write_graph

# `tf.python_io`: TF 1.x's older home of the TFRecord names.
python_io = _types.SimpleNamespace(
    TFRecordWriter=TFRecordWriter, TFRecordOptions=TFRecordOptions,
    TFRecordCompressionType=TFRecordCompressionType, tf_record_iterator=tf_record_iterator)

__all__ = ["FixedLenFeature", "FixedLenSequenceFeature", "SparseFeature",
           "TFRecordCompressionType",
           "TFRecordOptions", "TFRecordWriter", "VarLenFeature", "decode_base64", "decode_bmp",
           "decode_compressed", "decode_csv", "decode_json_example", "decode_png",
           "decode_raw", "encode_base64", "encode_png", "extract_jpeg_shape", "gfile",
           "is_jpeg", "match_filenames_once", "matching_files", "parse_example",
           "parse_sequence_example", "parse_single_example", "parse_single_sequence_example",
           "parse_tensor", "read_file", "serialize_tensor", "tf_record_iterator",
           "write_file", "write_graph"]
