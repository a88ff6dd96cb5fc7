"""Facts about ops live in their registry entries, and the planner decides host vs
kernel from those facts alone (issues 10 and 12)."""
import ast
import pathlib

import numpy as np
import pytest

import jitgraph as tf
from helpers import session
from jitgraph import config
from jitgraph.ops import registry

ROOT = pathlib.Path(tf.__file__).parent


def test_every_op_has_a_compiled_form_or_a_declared_host_reason():
    silent = []
    for t, d in sorted(registry.registered().items()):
        if d.role:
            continue  # a value (Const, VariableV2) or order (NoOp): no work to compile
        compiled = d.ew is not None or d.emit is not None
        if compiled == bool(d.host) or (d.host and not isinstance(d.host, str)):
            silent.append(t)
    assert silent == [], f"ops with neither a compiled face nor a host reason: {silent}"


def test_store_alias_and_symbolic_facts_are_in_the_entries():
    reg = registry.registered()
    assert {t for t, d in reg.items() if d.store} == {"Assign", "AssignAdd", "AssignSub"}
    assert all(reg[t].aliases for t in ("VariableV2", "Identity", "Reshape", "Assign"))
    assert {t: d.role for t, d in reg.items() if d.role} == {
        "Const": "const", "VariableV2": "var", "NoOp": "noop"}
    for t in ("MatMul", "SumToShape", "BroadcastToLike", "ExpandDims", "Sum", "Mean"):
        assert reg[t].extra.get("sym") is not None, t
    assert reg["SumToShape"].shape_only == 1


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names)


@pytest.mark.parametrize("package", ["ops", "planning"])
def test_ops_and_planning_never_import_codegen(package):
    bad = [(p.name, m) for p in sorted((ROOT / package).glob("*.py"))
           for m in _imports(p) if m.startswith("jitgraph.codegen")]
    assert bad == []


def test_planning_never_emits_code(monkeypatch):
    """A refused case (a Transpose whose perm is computed) is a host op by its `host_if`,
    decided without generating any code."""
    from jitgraph.codegen import emit
    from jitgraph.planning.plan import build_plan

    def no_emit(self):
        raise AssertionError("the planner generated code")
    monkeypatch.setattr(emit.StageEmitter, "emit", no_emit)
    x = tf.placeholder(tf.float32, [None, 3])
    perm = tf.placeholder_with_default(tf.constant([1, 0]), [2])
    y = tf.transpose(tf.exp(x), perm) * 2.0
    sig = object()
    plan = build_plan(y.graph, sig, [x], [2], [y], [])
    host = [op for st in plan.stages if st.kind == "host" for op in st.ops]
    assert [op.type for op in host] == ["Transpose"]
    assert plan.host_reasons[host[0]] == "Transpose with a computed perm"


@pytest.mark.parametrize("engine", ["jit", "interp"])
def test_host_op_between_stages_is_named_in_log_and_module(capsys, engine):
    x = tf.placeholder(tf.float32, [None])
    y = tf.cumsum(x * 2.0) + 1.0  # Cumsum has no compiled form: it splits the stage
    xs = np.arange(5, dtype=np.float32)
    config.log_compiles(True)
    try:
        out = session(jit=engine == "jit").run(y, {x: xs})
    finally:
        config.log_compiles(False)
    np.testing.assert_allclose(out, np.cumsum(xs * 2.0) + 1.0)
    if engine == "jit":
        err = capsys.readouterr().err
        assert "host op Cumsum (Cumsum) runs on the host after stage0 and before stage1" in err
        assert registry.get("Cumsum").host in err
        src = tf.inspect(tf.Session(), y, {x: xs}).source
        head = src.index("def stage1")
        assert "# Host: Cumsum (Cumsum) runs on the host after stage0" in src[:head]


def test_ops_the_sweep_found_run_only_on_one_engine_agree_on_both():
    # One graph for the op types that the registry sweep once found run on a single
    # engine: fed inputs, so nothing is folded away at plan time.
    from helpers import run_both
    from jitgraph.ops import scatter_ops
    x = tf.placeholder(tf.float32, [None, 3])
    ids = tf.placeholder(tf.int32, [None])
    data = np.array([[1.0, -2.0, 3.0], [np.inf, 5.0, np.nan], [0.5, 0.25, 2.0],
                     [4.0, 1.0, -1.0]], np.float32)
    idx = np.array([[0, 1], [2, 2]], np.int32)
    upd = tf.constant([3.0, 0.5])
    finite = tf.where(tf.is_finite(x), x, tf.zeros_like(x))
    fetches = {
        "flags": [tf.is_finite(x), tf.is_inf(x), tf.is_nan(x),
                  tf.logical_xor(tf.is_inf(x), tf.is_nan(x)),
                  tf.reduce_all(tf.is_finite(x), axis=1), tf.reduce_any(tf.is_nan(x), axis=0)],
        "segments": [tf.math.segment_sum(finite, ids), tf.math.segment_min(finite, ids),
                     tf.math.segment_max(finite, ids), tf.math.segment_prod(finite, ids),
                     tf.math.unsorted_segment_sum(finite, ids, 3),
                     tf.math.unsorted_segment_min(finite, ids, 3),
                     tf.math.unsorted_segment_prod(finite, ids, 3)],
        "scatter": [tf.tensor_scatter_nd_max(finite, idx, upd),
                    tf.tensor_scatter_nd_min(finite, idx, upd),
                    scatter_ops._tensor_scatter("Mul", finite, idx, upd),
                    scatter_ops._tensor_scatter("Div", finite, idx, upd)],
        "unstack": tf.unstack(finite, num=3, axis=1),
        "trigamma": tf.gradients(tf.reduce_sum(tf.math.digamma(tf.abs(finite) + 1.0)), x)[0],
    }
    out = run_both(fetches, {x: data, ids: np.array([0, 0, 1, 2], np.int32)}, rtol=1e-5)
    np.testing.assert_array_equal(out["flags"][1][1], [True, False, False])
    np.testing.assert_allclose(out["segments"][0][0], [1.0, 3.0, 3.0])


def test_host_ops_only_the_slow_tests_ran(engine):
    # Einsum's host form (a repeated index) and TensorArray.close, on either engine.
    from helpers import run_on
    x = tf.placeholder(tf.float32, [3, 3])
    diag = tf.einsum("ii->i", x)
    ta = tf.TensorArray(tf.float32, size=2).write(0, tf.reduce_sum(x)).write(1, 1.0)
    stacked = ta.stack()
    close = ta.close()
    m = np.arange(9, dtype=np.float32).reshape(3, 3)
    d, s, _ = run_on(engine, (diag, stacked, close), {x: m})
    np.testing.assert_array_equal(d, [0.0, 4.0, 8.0])
    np.testing.assert_array_equal(s, [36.0, 1.0])


def test_ops_whose_heavy_checks_are_slow_agree_on_both_engines():
    # The slow step checks depthwise convolution and strided-slice gradients against
    # finite differences on the JIT; here, one small graph keeps them compiled by default.
    from helpers import run_both
    x = tf.placeholder(tf.float32, [None, 5, 4, 2])
    w = tf.placeholder(tf.float32, [3, 3, 2, 2])
    y = tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME")
    loss = tf.reduce_sum(y * y) + tf.reduce_sum(x[:, 1:4, ::-2] ** 2)
    rng = np.random.default_rng(3)
    feed = {x: rng.standard_normal((2, 5, 4, 2)).astype(np.float32),
            w: rng.standard_normal((3, 3, 2, 2)).astype(np.float32)}
    ops = {op.type for op in tf.get_default_graph().get_operations()}
    grads = tf.gradients(loss, [x, w])
    new = {op.type for op in tf.get_default_graph().get_operations()} - ops
    assert {"DepthwiseConv2dNativeBackpropInput", "DepthwiseConv2dNativeBackpropFilter",
            "StridedSliceGrad"} <= new
    run_both([y, grads], feed, rtol=1e-4, atol=1e-4)
