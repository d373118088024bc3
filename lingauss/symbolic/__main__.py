"""``python -m lingauss.symbolic [DOC.md ...]``: regenerate the generated code and documents."""

import sys

from lingauss.symbolic.codegen import main

main(sys.argv[1:])
