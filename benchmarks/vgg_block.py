"""A VGG-style training step (CIFAR-shaped): conv 3x3x64, conv 3x3x64, pool, conv 3x3x128,
conv 3x3x128, pool, dense 10, sparse softmax cross-entropy, Adam; batch 32 of 32x32x3,
NHWC float32, fed."""
import _cnn

NAME = "vgg_block"
DESCRIPTION = "VGG conv3x3x64 x2-pool-conv3x3x128 x2-pool-dense10, Adam; 32x32x3, batch 32"
UNIT = "step"
LONG = True  # four convolutions to compile: left out of --quick unless named


def setup(tf, quick):
    return _cnn.setup(tf, _cnn.vgg_logits, (32, 32, 3), 4 if quick else 32, train=True)
