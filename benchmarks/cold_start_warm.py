"""Cold start with a warm compiled-code cache: every later run of the same program."""
from _cold import command  # noqa: F401 - the workload interface

NAME = "cold_start_warm"
DESCRIPTION = "the guide's complete program as a new process, JITGRAPH_CACHE_DIR already filled"
UNIT = "process"
KIND = "process"
CACHE = "warm"
