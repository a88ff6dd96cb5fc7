"""TensorFlow's graph files: GraphDef and MetaGraphDef protos in and out.

`attrs`: AttrValue/TensorProto <-> Python values; `export`: a Graph as a GraphDef TF
1.x imports; `importer`: `tf.import_graph_def`; `meta_graph`: `export_meta_graph` /
`import_meta_graph`; `files`: `write_graph`. The protos come from the `tensorboard`
extra, loaded only when one of these runs.
"""
