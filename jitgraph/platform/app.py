"""`tf.app.run`: parse the flags, call `main(argv)`, exit with its result."""
from __future__ import annotations

import sys

from jitgraph.platform import flags


def run(main=None, argv=None):
    argv = flags.FLAGS(list(sys.argv if argv is None else argv))
    if main is None:
        main = sys.modules["__main__"].main
    sys.exit(main(argv))
