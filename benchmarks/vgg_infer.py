"""``vgg_block``'s network, inference only: ``sess.run(logits)`` on a fed batch of 32."""
import _cnn

NAME = "vgg_infer"
DESCRIPTION = "vgg_block's network forward pass only (sess.run(logits)); batch 32 fed"
UNIT = "run"
LONG = True  # four convolutions to compile: left out of --quick unless named


def setup(tf, quick):
    return _cnn.setup(tf, _cnn.vgg_logits, (32, 32, 3), 4 if quick else 32, train=False)
