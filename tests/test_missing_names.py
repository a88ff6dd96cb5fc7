"""A name jitgraph lacks says so (issue 14): "not supported by jitgraph yet" for TF 1.x
names, with what to use instead where there is something; a typo is called one; never
Python's "Did you mean" guess at a different function."""
import subprocess
import sys
import traceback

import pytest

import jitgraph as tf

# TF 1.x names that jitgraph has no plan for soon (distributed training, CTC decoding, custom
# op libraries, devices).
UNSUPPORTED = ["tf.nn.ctc_beam_search_decoder", "tf.train.Server", "tf.math.bessel_i0e",
               "tf.contrib.seq2seq", "tf.load_op_library",
               "tf.data.experimental.copy_to_device"]


def _lookup(path):
    obj = tf
    for part in path.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


def _error(path):
    with pytest.raises(AttributeError) as info:
        _lookup(path)
    return info.value


@pytest.mark.parametrize("path", UNSUPPORTED)
def test_a_tf_name_jitgraph_lacks_says_it_is_not_supported_yet(path):
    err = _error(path)
    assert str(err).startswith(f"{path} is not supported by jitgraph yet")
    text = "".join(traceback.format_exception(err))
    assert "Did you mean" not in text


def test_hints_name_what_to_use_instead():
    assert "use tf.contrib.layers and tf.layers" in str(_error("tf.contrib.slim"))
    assert "tf.train.MonitoredTrainingSession" in str(_error("tf.contrib.learn"))
    assert "tf.gradients" in str(_error("tf.GradientTape"))


def test_a_typo_is_called_one_and_the_near_names_are_jitgraph_s():
    msg = str(_error("tf.placeholdr"))
    assert msg == ("tf.placeholdr is not a TF 1.x name and jitgraph has no such name; "
                   "tf has placeholder")
    assert "tf.nn has relu" in str(_error("tf.nn.rleu"))
    assert "tf.math has sqrt" in str(_error("tf.math.sqrtt"))
    assert str(_error("tf.contrib.no_such_module")).startswith(
        "tf.contrib.no_such_module is not a TF 1.x name")


def test_probes_and_fallbacks_behave_as_for_any_module():
    assert not hasattr(tf.nn, "ctc_beam_search_decoder")
    assert getattr(tf.train, "Server", None) is None
    assert str(_error("tf.nn.__wrapped__")) == "module 'tf.nn' has no attribute '__wrapped__'"
    # Lazily resolved names and namespaces still resolve.
    assert tf.math.sqrt is tf.sqrt
    assert tf.compat.v1.math is tf.math
    assert tf.contrib.layers.fully_connected is not None


def test_the_interpreter_adds_no_guess_of_its_own():
    # An uncaught error as a user's program prints it (C's PyErr_Display, not traceback).
    code = "import jitgraph as tf\ntf.nn.ctc_beam_search_decoder\n"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 1
    last = r.stderr.strip().splitlines()[-1]
    assert last == ("AttributeError: tf.nn.ctc_beam_search_decoder is not supported by "
                    "jitgraph yet")
