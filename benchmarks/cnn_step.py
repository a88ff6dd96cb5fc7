"""A small CNN training step (MNIST-shaped): conv 5x5x32 -> pool -> conv 5x5x64 -> pool ->
dense 256 -> dense 10, sparse softmax cross-entropy, Adam; batch 64, NHWC float32, fed."""
import _cnn

NAME = "cnn_step"
DESCRIPTION = "CNN conv5x5x32-pool-conv5x5x64-pool-dense256-dense10, Adam; batch 64 fed"
UNIT = "step"
LONG = True  # a conv train step compiles for seconds: --quick keeps cnn_infer for convolutions


def setup(tf, quick):
    return _cnn.setup(tf, _cnn.cnn_logits, (28, 28, 1), 8 if quick else 64, train=True)
