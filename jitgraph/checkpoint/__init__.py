"""TensorFlow's V2 checkpoint format (tensor_bundle), read and written without TF.

`crc32c`: the Castagnoli checksum and its mask; `wire`: the few protobuf messages of
the index; `table`: the LevelDB-style sorted table that holds them; `bundle`: tensors
to and from the index entries and the data file.
"""
