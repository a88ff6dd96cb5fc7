"""The guide's snippets in examples/ run unchanged and print what the guide shows."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_example(name, cwd=None):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", name)],
                         capture_output=True, text=True, timeout=300, cwd=cwd or ROOT,
                         env={**os.environ, "PYTHONPATH": ROOT})
    assert out.returncode == 0, out.stderr
    return out.stdout


def floats(text):
    return [float(v) for v in re.findall(r"-?\d+\.\d*(?:e-?\d+)?", text)]


def test_guide_graph_session_and_feeding():
    lines = run_example("guide_graph_session.py").splitlines()
    assert lines[:5] == ['Tensor("Const:0", shape=(), dtype=float32)',
                         'Tensor("Const_1:0", shape=(), dtype=float32)',
                         'Tensor("add:0", shape=(), dtype=float32)',
                         "7.0",
                         "{'ab': (3.0, 4.0), 'total': 7.0}"]
    first, second = floats(lines[5]), floats(lines[6])
    assert len(first) == 3 and first != second  # each run draws new values
    o1, o2 = np.split(np.array(floats(lines[7])), 2)
    np.testing.assert_allclose(o2 - o1, 1.0, rtol=1e-6)  # one draw feeds both outputs
    assert lines[8:] == ["7.5", "[3. 7.]"]


def test_guide_layers():
    out = run_example("guide_layers.py")
    assert len(floats(out)) == 4 and out.count("[[") == 2


def test_guide_complete_training_program():
    lines = run_example("guide_training.py").splitlines()
    losses = [float(v) for v in lines[:100]]
    assert losses[-1] < losses[0] and all(b < a for a, b in zip(losses[20:], losses[21:]))
    pred = floats("\n".join(lines[100:]))
    assert len(pred) == 4 and pred[0] > pred[1] > pred[2] > pred[3]


def test_guide_datasets():
    lines = run_example("guide_datasets.py").splitlines()
    assert lines[:4] == ["[0 1]", "[2 3]", "[4 5]", "[6 7]"]
    rows = [floats(line) for line in lines[4:]]
    assert len(rows) == 10 and all(len(r) == 3 for r in rows)


def test_guide_tensorboard(tmp_path):
    pytest.importorskip("tensorboard")
    run_example("guide_tensorboard.py", cwd=str(tmp_path))
    assert any(f.startswith("events.out.tfevents.") for f in os.listdir(tmp_path))


def _run_on_interpreter(name):
    # Keras and Estimators make several graphs; compiling them all (sync, as tests run)
    # would take minutes on a cold cache: the interpreter runs the same programs.
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", name)],
                         capture_output=True, text=True, timeout=300, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": ROOT, "JITGRAPH_DISABLE_JIT": "1"})
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


def test_keras_in_graph_example():
    lines = _run_on_interpreter("keras_in_graph.py")
    assert lines[0].startswith("graph loop: 8 weights") and floats(lines[0])[-1] > 0.9
    losses = floats(lines[1])
    assert len(losses) == 5 and losses[-1] < losses[0] / 3
    assert floats(lines[2])[-1] > 0.9 and lines[3].startswith("predict:")


def test_estimator_example():
    lines = _run_on_interpreter("estimator.py")
    assert lines[0].startswith("custom model_fn: step 400") and floats(lines[0])[0] > 0.9
    assert lines[2] == "checkpoint: model.ckpt-400"
    assert lines[3].startswith("DNNClassifier: step 400") and floats(lines[3])[0] > 0.9
