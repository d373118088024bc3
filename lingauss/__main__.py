"""``python -m lingauss``: the command line (see :mod:`lingauss.cli`)."""

import sys

from lingauss.cli import main

if __name__ == "__main__":
    sys.exit(main())
