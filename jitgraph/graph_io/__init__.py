"""TensorFlow's graph files: GraphDef and MetaGraphDef protos in and out.

`attrs`: AttrValue/TensorProto <-> Python values; `opdefs`: TF's op signatures
(op_defs.json); `export`: a Graph as a GraphDef TF 1.x imports; `importer`:
`tf.import_graph_def`; `lowering`: TF node types built with our op functions;
`tf_ops`: ops only imported graphs hold; `meta_graph`: `export_meta_graph` /
`import_meta_graph`; `files`: `write_graph`. The protos come from the `tensorboard`
extra, loaded only when one of these runs.
"""
