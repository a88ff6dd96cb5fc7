"""Cold start with an empty compiled-code cache: the first run of a program ever."""
from _cold import command  # noqa: F401 - the workload interface

NAME = "cold_start_empty"
DESCRIPTION = "the guide's complete program as a new process, empty JITGRAPH_CACHE_DIR"
UNIT = "process"
LONG = True  # a new process per engine, empty cache: left out of --quick unless named
KIND = "process"
CACHE = "empty"
