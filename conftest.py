"""Test-session settings (loaded by pytest before anything imports numpy).

The tests run thousands of tiny linear-algebra problems; a multi-threaded BLAS oversubscribes
the 2-core CI machine on those, so the tests use one BLAS thread unless told otherwise.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("MPLBACKEND", "Agg")
