"""Command-line tools: `jitgraph bench` and `jitgraph cache`."""
