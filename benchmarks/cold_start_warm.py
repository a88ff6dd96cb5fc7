"""Cold start with a warm compiled-code cache: every later run of the same program."""
from _cold import command  # noqa: F401 - the workload interface

NAME = "cold_start_warm"
DESCRIPTION = "the guide's complete program as a new process, JITGRAPH_CACHE_DIR already filled"
UNIT = "process"
LONG = True  # left out of `jitgraph bench --quick` unless named (an untimed fill run too)
KIND = "process"
CACHE = "warm"
