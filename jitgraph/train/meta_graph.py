"""`tf.train.export_meta_graph`, `import_meta_graph` and `write_graph` (in graph_io/)."""
from jitgraph.graph_io.files import write_graph
from jitgraph.graph_io.meta_graph import export_meta_graph, import_meta_graph

__all__ = ["export_meta_graph", "import_meta_graph", "write_graph"]
