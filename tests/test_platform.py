"""tf.logging, tf.flags / tf.app, tf.gfile, tf.device: the platform calls TF 1.x scripts make."""
import logging
import os
import subprocess
import sys

import pytest

import jitgraph as tf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_logging_levels(caplog):
    tf.logging.set_verbosity(tf.logging.INFO)
    assert tf.logging.get_verbosity() == logging.INFO
    logger = logging.getLogger("tensorflow")
    logger.propagate = True
    try:
        with caplog.at_level(logging.INFO, logger="tensorflow"):
            tf.logging.info("step %d", 3)
            tf.logging.debug("hidden")
            for i in range(5):
                tf.logging.log_every_n(tf.logging.INFO, "every %d", 2, i)
        msgs = [r.getMessage() for r in caplog.records]
        assert msgs == ["step 3", "every 0", "every 2", "every 4"]
    finally:
        logger.propagate = False
        tf.logging.set_verbosity(tf.logging.WARN)


def test_app_run_parses_flags(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(
        "import jitgraph as tf\n"
        "tf.app.flags.DEFINE_integer('steps', 5, 'steps')\n"
        "tf.flags.DEFINE_string('name', 'x', 'a name')\n"
        "tf.flags.DEFINE_boolean('fast', False, 'go fast')\n"
        "tf.flags.DEFINE_float('lr', 0.1, 'rate')\n"
        "FLAGS = tf.flags.FLAGS\n"
        "def main(argv):\n"
        "    print(FLAGS.steps, FLAGS.name, FLAGS.fast, FLAGS.lr, argv[1:])\n"
        "if __name__ == '__main__':\n"
        "    tf.app.run()\n")
    out = subprocess.run([sys.executable, str(script), "--steps=7", "--fast", "--lr", "0.5",
                          "extra"], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": ROOT})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["7", "x", "True", "0.5", "['extra']"]


def test_gfile_and_device(tmp_path):
    d = tmp_path / "a" / "b"
    tf.gfile.MakeDirs(str(d))
    with tf.gfile.GFile(str(d / "f.txt"), "w") as f:
        f.write("hi")
    assert tf.gfile.Exists(str(d / "f.txt")) and tf.gfile.ListDirectory(str(d)) == ["f.txt"]
    assert tf.gfile.Glob(str(d / "*.txt")) == [str(d / "f.txt")]
    with pytest.raises(tf.errors.NotFoundError):
        tf.gfile.GFile(str(d / "missing.txt"))
    tf.gfile.DeleteRecursively(str(tmp_path / "a"))
    assert not tf.gfile.Exists(str(d))
    with tf.device("/cpu:0"), tf.get_default_graph().device("/gpu:0"):
        c = tf.constant(2.0) * 3.0
    assert tf.Session().run(c) == 6.0
