"""The key of a compiled plan: what is fetched and fed, with fed dtypes and ranks.

Sizes are not part of it: generated code reads sizes at run time, so a new
batch size never recompiles. With the feed order it keys a Session's runners (a
name and its tensor share one); it labels the disk entry (which is keyed by the
generated source itself), explains a recompile and names a row in `jitgraph cache list`.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Signature:
    fetches: tuple        # tensor names ('add:0') and target op names ('train')
    feeds: tuple          # ((tensor name, dtype name, rank), ...) sorted by name

    def __repr__(self):
        feeds = ", ".join(f"{n}: {dt}[rank {r}]" for n, dt, r in self.feeds)
        return f"Signature(fetches=[{', '.join(self.fetches)}], feeds=[{feeds}])"

    def diff(self, other: Signature) -> list[str]:
        """What changed from `other` to this signature, in words (for compile logs)."""
        out = []
        mine, theirs = dict((n, (d, r)) for n, d, r in self.feeds), \
            dict((n, (d, r)) for n, d, r in other.feeds)
        for n in sorted(set(mine) | set(theirs)):
            if n not in theirs:
                out.append(f"feed {n} added ({mine[n][0]}, rank {mine[n][1]})")
            elif n not in mine:
                out.append(f"feed {n} removed")
            elif mine[n] != theirs[n]:
                (d0, r0), (d1, r1) = theirs[n], mine[n]
                if d0 != d1:
                    out.append(f"feed {n} dtype {d0} -> {d1}")
                if r0 != r1:
                    out.append(f"feed {n} rank {r0} -> {r1}")
        added = [f for f in self.fetches if f not in other.fetches]
        removed = [f for f in other.fetches if f not in self.fetches]
        if added:
            out.append("fetches added: " + ", ".join(added))
        if removed:
            out.append("fetches removed: " + ", ".join(removed))
        return out
