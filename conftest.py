"""Test-session settings (loaded by pytest before anything imports numpy).

The tests run thousands of tiny linear-algebra problems; a multi-threaded BLAS oversubscribes
the 2-core CI machine on those, so the tests use one BLAS thread unless told otherwise.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("MPLBACKEND", "Agg")

# Hypothesis profiles (tests/engine/test_properties.py): "ci" by default — derandomized, so CI is
# reproducible, a few hundred examples over the file; "full" — at least 10 000 examples over
# the file, randomized. Select with LINGAUSS_HYPOTHESIS_PROFILE=full.
try:
    from hypothesis import HealthCheck, settings
except ImportError:  # hypothesis is a test extra; the doctests run without it
    pass
else:
    settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True,
                              database=None, print_blob=True)
    settings.register_profile("full", max_examples=1000, deadline=None, derandomize=False,
                              database=None, print_blob=True,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile(os.environ.get("LINGAUSS_HYPOTHESIS_PROFILE", "ci"))


# Doctests of the data exports need the optional ``data`` extra (pandas, xarray); CI installs
# it. Without it they are skipped, saying why.
_OPTIONAL_DOCTESTS = {"Sweep.to_pandas": "pandas", "Sweep.to_xarray": "xarray"}


def pytest_collection_modifyitems(config, items):
    import importlib.util

    import pytest

    for item in items:
        for name, module in _OPTIONAL_DOCTESTS.items():
            if item.name.endswith(name) and importlib.util.find_spec(module) is None:
                item.add_marker(pytest.mark.skip(
                    reason=f"{module} is not installed (pip install -e '.[data]')"))
