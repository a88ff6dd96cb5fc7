"""`tf.contrib.framework`: arg_scope, the global step, variables filtered by scope."""
from __future__ import annotations

from jitgraph.contrib.arg_scope import (add_arg_scope, arg_scope, arg_scope_func_key,
                                        current_arg_scope, has_arg_scope)
from jitgraph.framework.graph import GraphKeys, get_default_graph
from jitgraph.train.training_util import (assert_global_step, create_global_step,
                                          get_global_step, get_or_create_global_step)

__all__ = ["add_arg_scope", "arg_scope", "arg_scope_func_key", "assert_global_step",
           "create_global_step", "current_arg_scope", "get_global_step",
           "get_model_variables", "get_or_create_global_step", "get_trainable_variables",
           "get_variables", "get_variables_by_name", "get_variables_to_restore",
           "has_arg_scope"]


def get_variables(scope=None, suffix=None, collection=GraphKeys.GLOBAL_VARIABLES):
    """Variables of `collection` whose name starts with `scope` (a name or a
    VariableScope) and whose op name ends with `suffix`."""
    if scope is not None and hasattr(scope, "name"):
        scope = scope.name
    found = get_default_graph().get_collection(collection, scope)
    if suffix is not None:
        found = [v for v in found if v.op.name.endswith(suffix)]
    return found


def get_model_variables(scope=None, suffix=None):
    return get_variables(scope, suffix, GraphKeys.MODEL_VARIABLES)


def get_trainable_variables(scope=None, suffix=None):
    return get_variables(scope, suffix, GraphKeys.TRAINABLE_VARIABLES)


def get_variables_by_name(given_name, scope=None):
    return get_variables(scope=scope, suffix="/" + given_name) + [
        v for v in get_variables(scope=scope) if v.op.name == given_name]


def get_variables_to_restore(include=None, exclude=None):
    """Global variables under the `include` scopes (all by default), minus `exclude`'s."""
    if include is None:
        chosen = get_variables()
    else:
        chosen = [v for s in include for v in get_variables(s)]
    dropped = {id(v) for s in (exclude or ()) for v in get_variables(s)}
    return [v for v in chosen if id(v) not in dropped]
