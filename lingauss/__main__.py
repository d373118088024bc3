"""``python -m lingauss``: the command line (see :mod:`lingauss.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
