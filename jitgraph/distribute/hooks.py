"""Making every rank start from the same variables: Horovod's broadcast functions and
`BroadcastGlobalVariablesHook`."""
from __future__ import annotations

from jitgraph.distribute.ops import _broadcast
from jitgraph.framework.graph import get_default_graph
from jitgraph.ops.api import group, name_scope
from jitgraph.ops.state_ops import assign
from jitgraph.train.session_run_hook import SessionRunHook
from jitgraph.variables import global_variables


def broadcast_variables(variables, root_rank):
    """An op that assigns to each of `variables` its value on rank `root_rank`.

    All variables travel in one fused broadcast (one MPI call per dtype)."""
    variables = list(variables)
    if not variables:
        return group(name="HorovodBroadcastVariables")
    with name_scope("HorovodBroadcastVariables"):
        values = _broadcast([v._ref() for v in variables], root_rank)
        return group(*[assign(v, x) for v, x in zip(variables, values)])


def broadcast_global_variables(root_rank):
    """An op that assigns to every global variable its value on rank `root_rank`
    (Horovod's `hvd.broadcast_global_variables`). Run it once the variables are
    initialized, on every rank."""
    return broadcast_variables(global_variables(), root_rank)


class BroadcastGlobalVariablesHook(SessionRunHook):
    """Broadcasts the global variables from `root_rank` once the session is created (and
    its variables initialized or restored), so that every rank starts from the same
    state: rank `root_rank`'s initialization, or its checkpoint.

    Args:
      root_rank: the rank whose variables every rank takes.
      device: accepted for Horovod's signature (the broadcast runs on the host).
    """

    def __init__(self, root_rank, device=""):
        super().__init__()
        self.root_rank = root_rank
        self.bcast_op = None
        self.device = device

    def begin(self):
        if self.bcast_op is None or self.bcast_op.graph is not get_default_graph():
            self.bcast_op = broadcast_global_variables(self.root_rank)

    def after_create_session(self, session, coord):
        session.run(self.bcast_op)
