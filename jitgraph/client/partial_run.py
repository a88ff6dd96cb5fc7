"""`Session.partial_run_setup` / `partial_run`: one step run in pieces, fed as it goes.

Each piece is an ordinary `Session.run`: it feeds everything fed so far and every value
computed by an earlier piece that a later fetch still needs. So an op runs once across
the pieces (a random draw or a dequeue is not repeated), as in TF's partial runs.
"""
from __future__ import annotations

import itertools

from jitgraph.framework import errors, nest
from jitgraph.framework.graph import Operation, Tensor
from jitgraph.ops import registry
from jitgraph.planning.plan import prune

_handles = itertools.count()


class PartialRun:
    """The state of one partial run: what may still be fed and fetched, what is known."""

    def __init__(self, sess, fetches, feeds):
        self.sess = sess
        self.name = f"jitgraph_partial_run_{next(_handles)}"
        self._todo = {}                  # fetch (Tensor or Operation) not yet fetched
        for f in nest.flatten(fetches):
            el = sess._fetch_element(f)
            self._todo[el] = None
        self._feedable = {sess._feed_tensor(k) for k in nest.flatten(feeds)}
        self._fetched = set()
        self._known = {}                 # tensor -> value: fed, or computed and still needed

    def run(self, fetches, feed_dict):
        sess = self.sess
        fed_now = {}
        for k, v in feed_dict.items():
            t = sess._feed_tensor(k)
            if t not in self._feedable:
                raise errors.InvalidArgumentError(
                    None, None, f"The feed {t.name} was not specified in partial_run_setup.")
            if t in self._known:
                raise errors.InvalidArgumentError(
                    None, None, f"The feed {t.name} has already been fed.")
            fed_now[t] = v
        elems = [sess._fetch_element(f) for f in nest.flatten(fetches)]
        for el in elems:
            if el not in self._todo:
                what = ("has already been fetched." if el in self._fetched else
                        "was not specified in partial_run_setup.")
                raise errors.InvalidArgumentError(None, None, f"The fetch {el.name} {what}")
        self._known.update(fed_now)
        for el in elems:
            del self._todo[el]
            self._fetched.add(el)
        # A fetch fed along the way is its fed value; the rest run, with what later
        # pieces need from this one.
        run_fetches = [e for e in elems if e not in self._known]
        carry = self._carry(elems)
        out = sess.run(run_fetches + carry, feed_dict=dict(self._known))
        got = dict(zip(run_fetches, out))
        for t, v in zip(carry, out[len(run_fetches):]):
            self._known[t] = v
        return nest.pack_sequence_as(
            fetches, [got[e] if e in got else self._known[e] for e in elems])

    @property
    def finished(self):
        return not self._todo

    def _ops_for(self, elems):
        fed = set(self._known)
        return prune([e for e in elems if isinstance(e, Tensor)],
                     [e for e in elems if isinstance(e, Operation)], fed)

    def _carry(self, elems):
        """Tensors this piece computes that a piece still to come would compute again."""
        now = set(self._ops_for(elems))
        fed = set(self._known)
        todo = list(self._todo)
        later = prune([e for e in todo if isinstance(e, Tensor)],
                      [e for e in todo if isinstance(e, Operation)], fed)
        need = []
        for op in later:
            if op in now:
                continue
            for t in op.inputs:
                if t.op in now and t not in fed and t not in need and _carriable(t):
                    need.append(t)
        return need


def _carriable(t):
    """A variable's own output is a reference to its buffer, never a value to feed."""
    return registry.get(t.op.type).role != "var"
