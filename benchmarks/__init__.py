"""Workloads for `jitgraph bench`: ordinary TF 1.x programs written once against a ``tf``
module, so the same text runs on every engine (jitgraph's JIT, its numpy
interpreter, TensorFlow's ``tf.compat.v1``).

One module per workload. ``jitgraph bench`` loads each module by path with this
folder on ``sys.path`` (helpers shared between workloads are modules whose names
start with ``_``, e.g. ``_mlp.py``; they are not workloads). Another folder can
be used with ``--workloads-dir DIR`` or ``$JITGRAPH_BENCH_WORKLOADS``.

A step workload (the default kind) defines:

  NAME         short name used on the command line (default: the file name)
  DESCRIPTION  one line for ``jitgraph bench --list``
  UNIT         what one call of the step is: "step", "run", "epoch"...
  LONG         True for a workload that takes long even when quick (a whole
               program, a big compile): ``--quick`` leaves it out unless named.
  setup(tf, quick) -> step
               builds the graph and the session with ``tf`` and returns a
               zero-argument callable: one call is one timed unit. Keep work
               that should not be timed (data generation) in setup. ``quick``
               asks for a smaller problem (a smoke test).
  setup_jax(jnp, jax, quick) -> step     optional: the same work in JAX, for
               the "jax" engine. Block on the result (``block_until_ready``),
               since JAX dispatches asynchronously.
  metrics(output, quick) -> dict[str, float]    optional: called with what the
               first call of the step returned (e.g. an error against float64
               numpy); the numbers go into the JSON and under the table.
  teardown(step)  optional; by default ``step.close()`` is called if it exists,
               so a step usually carries ``step.close = sess.close``.

The worker calls the step once on its own (reported as "first call": it holds
any compile), picks how many calls make one sample (at least --min-time),
runs --warmup untimed samples, then --repeat timed ones, interleaved with the
other engines.

A process workload times a whole Python process instead (cold start):

  KIND = "process"
  CACHE = "empty" | "warm"
               "empty": $JITGRAPH_CACHE_DIR is a new empty directory for every
               run; "warm": one directory per engine, filled by an untimed run.
  command(engine) -> list[str] | None
               the argv to time for an ``jitgraph.bench.engines.Engine`` (use
               ``engine.loader``, the source that binds ``tf``), or None when
               there is no variant for that engine. The runner sets the
               engine's environment variables and the cache directory.
"""

# Display order for the table and --list.
WORKLOADS = [
    "linreg_step",
    "mlp_adam_step",
    "cnn_step",
    "lstm_step",
    "lstm_step_b1",
    "cnn_infer",
    "vgg_block",
    "vgg_infer",
    "elementwise_4m",
    "dataset_epoch",
    "feed_epoch",
    "run_overhead_feed",
    "run_overhead_const",
    "cold_start_empty",
    "cold_start_warm",
    "compile_scaling_t2",
    "compile_scaling_t8",
    "compile_scaling_t32",
    "compile_scaling_t128",
    "program_mlp",
    "program_cnn",
]
