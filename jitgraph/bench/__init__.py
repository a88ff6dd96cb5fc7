"""`jitgraph bench`: time the same TF 1.x programs on jitgraph and on the engines users
would otherwise use, side by side, on one machine, in one run.

Map (each module has one job):

  workloads  find workload modules (``benchmarks/``; interface in its __init__.py)
  engines    what an engine is: a loader snippet and environment variables
  worker     the per-engine process that sets up and times steps (stdlib only)
  client     the parent's side of one worker: JSON lines with timeouts
  proc       timing a whole process (cold-start workloads)
  runner     interleaving engines over repeat rounds, collecting samples
  results    settings, cells and the run's result; ratios to jit
  stats      median / min / max and the units they are printed in
  machine    CPU, cores, BLAS and versions, for the header and the JSON
  progress   the progress bar (rich if installed, plain text otherwise)
  table      the text table; jsonfile: the JSON; plot: the PNG chart
"""
