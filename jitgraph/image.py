"""`tf.image`: the image codecs jitgraph has (PNG and BMP decoding, PNG encoding, JPEG
headers). Pixels are TF's: see jitgraph/data/image_codecs.py."""
from jitgraph.data.io_ops import (decode_bmp, decode_png, encode_png, extract_jpeg_shape,
                                  is_jpeg)

__all__ = ["decode_bmp", "decode_png", "encode_png", "extract_jpeg_shape", "is_jpeg"]
