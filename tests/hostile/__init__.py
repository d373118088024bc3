"""Hostile and extreme input: no silent inf/NaN, no raw errors, no hangs, nothing half-written.

Regression and fuzz suite for the issue of that name. Every case the black-box campaign found
is a test named after what it guards, through the Python API and, where the issue names the
command line, through ``python -m lingauss`` in a subprocess (this checkout first on
``PYTHONPATH``, as ``tests/cli/test_commands.py`` does). What is asserted is what the issue requires,
not what the code happens to do:

1. *Finite or refuse.* Every public result is finite; where finite inputs give a result that
   overflows, one :class:`lingauss.LingaussError` names the input and the representable range
   (``|x| <= 1.798e+308``); at the command line, exit status 2.
2. *Strict real inputs.* Complex, object, datetime, boolean and ragged arrays (also in
   ``.npz``/``.npy`` files), and Python ints outside the float range, are refused with the
   argument's name; ``noise = 0`` in prediction space is refused.
3. *Resources.* Sizes that cannot fit are refused before anything is allocated, naming the
   sizes, the estimate and the memory available; ``--max-memory``/``LINGAUSS_MAX_MEMORY``
   override the limit.
4. *Bounded work.* ``check_formula`` refuses enormous powers and towers up front and stays
   within one time limit; ``--points``/``--monte-carlo`` have stated limits; Ctrl-C exits 130
   with nothing written.
5. *All or nothing on disk.* A command that fails leaves its target exactly as it was.
6. *A seeded fuzzer* over valid but extreme configurations of :func:`lingauss.divergence`,
   :func:`lingauss.expected_divergence` and :func:`lingauss.sweep`: each call returns a result
   whose terms are finite and ``>= 0`` (to 1e-9 of the total), whose sums are exact
   (``total == bias + variance + rank_bottleneck``, ``rank_bottleneck == bottleneck_mean +
   bottleneck_covariance``) and, symmetric with a fixed complement variance, equal to forward
   + reverse (1e-9 relative) — or it raises :class:`lingauss.LingaussError`. Any other
   exception, a warning (turned into an error), a non-finite value or a broken invariant is a
   failure.

Command-line exit statuses: 2 bad input (exactly one stderr line ``lingauss: error: ...``, no
traceback, nothing on stdout, nothing written), 3 internal error (one line; the traceback only
with ``LINGAUSS_DEBUG=1``), 130 interrupted.

Profiles (the repository's convention, ``LINGAUSS_HYPOTHESIS_PROFILE``, see ``conftest.py``):

* ``ci`` (default): a few hundred fuzz configurations; the whole file in under a minute;
* ``full``: at least 20 000 fuzz configurations (20 000 divergence, 4 000 expected, 2 000
  sweep cases)::

      LINGAUSS_HYPOTHESIS_PROFILE=full python -m pytest tests/hostile/ -q

Every fuzz configuration is a function of one integer seed (``LINGAUSS_FUZZ_SEED`` shifts
them all), printed with each failure as a one-line reproduction, e.g.
``DivergenceCase.draw(17).run()`` (``python -c "from tests.hostile.test_fuzz
import *; DivergenceCase.draw(17).run()"``). The counts (configurations,
results, refusals, failures by kind and place) are printed after the module's tests, and
written as JSON to the file named by ``LINGAUSS_FUZZ_REPORT`` when it is set. A warning turned
into an error is reported with what the call does when warnings are left as warnings.

The command-line cases run once per session, two processes at a time. Each costs about 1.5 s
of start-up, so CI runs the core ones (the commands the issue names — check-formula powers and
towers, ``--points``, ``expected --monte-carlo``, ``demo -o`` — plus one of each other kind:
an overflow, a complex ``.npz``, a huge size, ``--max-memory``, ``LINGAUSS_MAX_MEMORY``,
nested TOML, exit 3, ``LINGAUSS_DEBUG``, Ctrl-C); the full profile runs every variant, and a
CI run reports the others as skipped (their Python API tests run in CI).
"""
