"""`jitgraph.inspect(sess, fetches, feed_dict)`: what the JIT makes of a step, unrun."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Inspection:
    signature: object
    source: str
    ops: list
    cache_key: str | None
    _stages: list
    runner_source: str | None = None  # the session-side runner, None for the general path

    @property
    def llvm(self) -> str:
        return self._text("inspect_llvm")

    @property
    def asm(self) -> str:
        return self._text("inspect_asm")

    def _text(self, method) -> str:
        fns = self._fresh_functions()
        return "\n".join(_dispatch_text(fn, method) for fn in fns)

    def _fresh_functions(self):
        # Code loaded from Numba's disk cache carries machine code only; compile the
        # same source once more, privately, to get its LLVM IR and assembly.
        if not self._stages:
            return []
        from jitgraph.codegen.diskcache import compile_uncached
        mod = compile_uncached(self.source)
        return [getattr(mod, f"stage{i}") for i in range(len(self._stages))]

    def __repr__(self):
        return f"<Inspection {self.signature!r}: {len(self.ops)} ops, key={self.cache_key}>"


def _dispatch_text(fn, method) -> str:
    if fn is None:
        return ""
    out = getattr(fn, method)()
    return "\n".join(out.values()) if isinstance(out, dict) else str(out)


def inspect(sess, fetches, feed_dict=None) -> Inspection:
    """Plans and compiles (if needed) `fetches` for `sess`, and returns what was generated.

    Returns:
      An object with `.source` (generated Python), `.runner_source` (the generated
      Python that calls it on each run, or None), `.llvm`, `.asm`, `.ops` (the pruned
      ops as dicts), `.signature` and `.cache_key`. Nothing is run.
    """
    from jitgraph.codegen.compiler import plan_meta, plan_source
    plan = sess._plan_for(fetches, feed_dict)
    source = plan_source(plan)
    key = None
    if plan.kernel_stages:  # the disk-cache entry this source is (or would be) stored under
        from jitgraph.codegen.diskcache import compute_key
        key = compute_key(source)
    meta = plan_meta(plan)
    return Inspection(plan.signature, source, meta["ops"], key, plan.kernel_stages,
                      meta["runner_source"])
