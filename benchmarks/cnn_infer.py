"""``cnn_step``'s network, inference only: ``sess.run(logits)`` on a fed batch of 64."""
import _cnn

NAME = "cnn_infer"
DESCRIPTION = "cnn_step's CNN forward pass only (sess.run(logits)); batch 64 fed"
UNIT = "run"


def setup(tf, quick):
    return _cnn.setup(tf, _cnn.cnn_logits, (28, 28, 1), 8 if quick else 64, train=False)
