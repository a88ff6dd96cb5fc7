"""The generated Python that runs a one-kernel plan: `fast_run(fv)`, a few µs per run.

A plan of host stages then one kernel stage (most training and evaluation steps) runs
through this function instead of the general walk over stages: it passes the feeds,
variable buffers and constants straight to the compiled stage and packs the fetches.
It is generated code like the stages, so `jitgraph.inspect` and `jitgraph cache show`
show it beside them.
"""
from __future__ import annotations

from jitgraph.codegen.guards import StageGuard

# What compiled code raises when an op cannot compute on its values (a bad reshape, an
# index out of range, an allocation too large): the failing op is then found by re-running
# the stage on the interpreter (session._stage_error).
STAGE_ERRORS = (ValueError, ZeroDivisionError, IndexError, MemoryError)


def runner_source(plan) -> str | None:
    """The fast runner's source for `plan`, or None where runs take the general path
    (several kernel stages, or host work after the kernel stage)."""
    kernels = plan.kernel_stages
    if len(kernels) != 1 or plan.stages[-1] is not kernels[0]:
        return None
    return fast_runner_source(plan, kernels[0])[0]


def fast_runner_source(plan, st):
    """Source of `fast_run(fv)` for a plan of host stages then one kernel stage `st`;
    fv are converted feeds in plan order."""
    env = {"STAGE_ERRORS": STAGE_ERRORS, "guard": StageGuard(plan, st)}
    feed_pos = {t: i for i, t in enumerate(plan.feeds)}
    hosts = [h for h in plan.stages if h.kind == "host"]
    args, n_feed_args = [], 0
    for t in st.inputs:
        if t in feed_pos:
            args.append(f"fv[{feed_pos[t]}]")
            n_feed_args += 1
        else:  # produced by a host stage
            env[f"h{len(args)}"] = t
            args.append(f"kernel_arg(env[h{len(args)}])")
    for i in range(len(st.variables)):
        args.append(f"vb[{i}]")
    for i, c in enumerate(st.const_args):
        env[f"c{i}"] = plan.consts[c]
        args.append(f"c{i}")
    out_pos = {t: i for i, t in enumerate(st.outputs)}
    host_out = {t for h in hosts for op in h.ops for t in op.outputs}
    var_pos = {v.outputs[0]: i for i, v in enumerate(st.variables)}
    outs = []
    for i, f in enumerate(plan.fetches):
        if f is None:
            outs.append("None")
            continue
        npt = f"t{i}"
        env[npt] = f.dtype.as_numpy_dtype
        rank0 = plan.shapes.get(f) == ()
        copy = i in plan.alias_fetches
        if f in out_pos:
            e = f"r[{out_pos[f]}]"
        elif f in feed_pos:
            e = f"fv[{feed_pos[f]}]"
        elif f in var_pos:
            e = f"vb[{var_pos[f]}]"
        elif f in host_out:
            env[f"hf{i}"] = f
            e = f"env[hf{i}]"
            copy = True
        elif f in plan.consts:
            env[f"k{i}"] = plan.consts[f]
            e = f"k{i}"
            copy = True
        else:  # a variable the stage neither reads nor writes: its buffer now
            env[f"q{i}"] = f
            e = f"read_value(q{i})"
            copy = True
            if rank0:  # a buffer is an ndarray: read it once, not once per test of its type
                outs.append(f"{npt}({e}[()])")
                continue
        if rank0:
            e = f"{npt}({e}[()] if type({e}) is np.ndarray else {e})"
        elif copy:
            e = f"{e}.copy()"
        outs.append(e)
    if st.rng_ops:
        args.append("rng_rows()")
    call = f"fn({', '.join(args)})"
    # A read-only or strided feed fails Numba's dispatch (TypeError, before any code runs):
    # only then are the feeds copied, so the common call pays nothing for the check.
    copied = [f"kernel_arg({a})" if a.startswith("fv[") else a for a in args]
    retry = f"fn({', '.join(copied)})"
    head = "def fast_run(fv):\n"
    host_env = "None"
    if hosts:
        env["feeds"] = list(plan.feeds)
        head += "    env = dict(zip(feeds, fv))\n"
        head += "".join(f"    run_ops(host_ops[{i}], env, plan, state)\n"
                        for i in range(len(hosts)))
        head += "    guard.check_env(env)\n"
        host_env = "env"
    failed = ("    except STAGE_ERRORS as e:\n"
              f"        raise stage_error(e, fv, {host_env}) from e\n")
    src = (
        head +
        "    try:\n"
        f"        r = {call}\n"
        + failed +
        (f"    except TypeError:\n        try:\n            r = {retry}\n"
         + failed.replace("\n    ", "\n        ").replace("    except", "        except", 1)
         if n_feed_args else "") +
        f"    return [{', '.join(outs)}]\n")
    return src, env
