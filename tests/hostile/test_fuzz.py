"""Hostile input, 6. The fuzzer (the sections of tests/hostile/__init__.py)."""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pytest

from lingauss import (LingaussError, Sample, SpectralDesign, Student, Teacher, divergence,
                      expected_divergence, sweep)
from tests.hostile.helpers import (BASE_SEED, BASE_SPEC, DIRECTIONS, FULL, PROFILE, SOFT, SPACES,
                                   _env, _files, _orthonormal, _strict, decomposition_problems,
                                   symmetric_problems)

# =============================================================================================
# 6. The fuzzer
# =============================================================================================

FUZZ_COUNTS = ({"divergence": 20_000, "expected": 4_000, "sweep": 2_000} if FULL else
               {"divergence": 240, "expected": 80, "sweep": 40})
FUZZ_CHUNKS = 10 if FULL else 2
#: A single call slower than this is a hang (POSIX: SIGALRM interrupts it).
CALL_SECONDS = 60.0


def _log_uniform(rng, lo_exp, hi_exp):
    return float(10.0 ** rng.uniform(lo_exp, hi_exp))


def _hyper(rng):
    """β or λ: log-uniform in [1e-200, 1e200]."""
    return _log_uniform(rng, -200, 200)


def _student_options(rng, d, k, *, bases, rank_rules):
    width = int(rng.integers(1, d + 1))
    rank = int(rng.integers(1, min(k, width) + 1))
    soft = str(rng.choice(SOFT))
    sln = 0.0
    if soft == "sampled+noise" and rng.random() < 0.8:
        sln = _log_uniform(rng, -150, 150)
    cv_kind = rng.integers(3)
    cv = ("prior", "optimal")[cv_kind] if cv_kind < 2 else _log_uniform(rng, -200, 200)
    alpha = float(rng.choice([0.0, 1.0, rng.uniform()], p=[0.15, 0.15, 0.7]))
    return dict(width=width, rank=rank, basis=str(rng.choice(bases)),
                rank_rule=str(rng.choice(rank_rules)), complement_variance=cv,
                soft_labels=soft, soft_label_noise=sln, alpha=alpha)


class _Hang(Exception):
    pass


def _with_alarm(call):
    """``call()``, interrupted by :class:`_Hang` after :data:`CALL_SECONDS` (POSIX main
    thread; elsewhere unbounded)."""
    if not hasattr(signal, "SIGALRM"):
        return call()

    def handler(signum, frame):
        raise _Hang(f"no answer within {CALL_SECONDS:g} s")

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, CALL_SECONDS)
    try:
        return call()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class Outcome:
    kind: str                   # "result", "refused" or "failure"
    signature: str = ""         # failures: what went wrong, where
    detail: str = ""


def _where(exc) -> str:
    """The deepest frame inside lingauss (else the deepest frame) of an exception."""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if f"{os.sep}lingauss{os.sep}" in f.filename]
    frame = (mine or frames or [None])[-1]
    if frame is None:
        return "?"
    name = pathlib.Path(frame.filename).name
    if name == "generated.py":                  # one group for the generated per-mode terms
        return f"{name}, the generated per-mode terms"
    return f"{name} in {frame.name}"


def _call(call):
    """``("ok", value)``, ``("refused", message)`` or ``("failure", signature, detail)``."""
    try:
        return ("ok", _with_alarm(lambda: _strict(call)))
    except LingaussError as exc:
        return ("refused", str(exc))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:                                      # noqa: BLE001
        kind = "warning turned error" if isinstance(exc, Warning) else "raw error"
        if isinstance(exc, _Hang):
            kind = "hang"
        first = str(exc).splitlines()[0][:80] if str(exc) else ""
        then = f"; with warnings not errors: {_unfiltered(call)}" if isinstance(
            exc, Warning) else ""
        return ("failure", f"{kind}: {type(exc).__name__}: {first} (at {_where(exc)}){then}",
                f"{type(exc).__name__}: {exc}"[:400])


def _unfiltered(call) -> str:
    """What ``call()`` does when warnings are only warnings (for the report of a warning)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = _with_alarm(call)
    except LingaussError:
        return "then a LingaussError"
    except BaseException as exc:                                      # noqa: BLE001
        return f"then a raw {type(exc).__name__}"
    terms = value.as_dict() if hasattr(value, "as_dict") else getattr(value, "terms", {})
    finite = all(np.all(np.isfinite(np.asarray(v, dtype=float))) for v in terms.values())
    return "a result, every value finite" if finite else "a result with non-finite values"


def _judge(calls) -> Outcome:
    """Run ``calls`` (the main call first, then the ones a cross-check needs) and judge."""
    main, *extra = calls
    status = _call(main[1])
    if status[0] == "refused":
        return Outcome("refused", detail=status[1])
    if status[0] == "failure":
        return Outcome("failure", status[1], status[2])
    return main[2](status[1], extra)


@dataclass(frozen=True)
class DivergenceCase:
    """One fuzz configuration of :func:`lingauss.divergence`; arrays are drawn from ``seed``.

    ``X = N(0,1) · 10^(x_exp + row offsets in ±x_spread/2)`` (d, n); ``W⋆`` scaled so that
    ``W⋆X ~ 10^y_exp``; ``Y = W⋆X + ν E`` with ``ν = 10^noise_exp`` (or 0);
    ``duplicate`` repeats the first column of ``X`` in the last.
    """

    seed: int
    d: int
    k: int
    n: int
    x_exp: float
    x_spread: float
    y_exp: float
    noise_exp: float | None
    duplicate: bool
    teacher_beta: float
    teacher_ridge: float
    beta: float
    ridge: float
    alpha: float
    width: int
    rank: int
    basis: str
    rank_rule: str
    complement_variance: object
    soft_labels: str
    soft_label_noise: float
    space: str
    direction: str

    @classmethod
    def draw(cls, seed: int) -> "DivergenceCase":
        rng = np.random.default_rng([seed, 1])
        d, k, n = (int(v) for v in rng.integers(1, 9, size=3))
        space = str(rng.choice(SPACES))
        noise_exp = float(rng.uniform(-8, 1)) if (space == "prediction" or rng.random() < 0.8) \
            else None
        x_spread = float(rng.choice([0.0, rng.uniform(0, 4), rng.uniform(0, 10)]))
        return cls(seed=seed, d=d, k=k, n=n, x_exp=float(rng.uniform(-150, 150)),
                   x_spread=x_spread, y_exp=float(rng.uniform(-150, 150)),
                   noise_exp=noise_exp, duplicate=bool(rng.random() < 0.1),
                   teacher_beta=_hyper(rng), teacher_ridge=_hyper(rng), beta=_hyper(rng),
                   ridge=_hyper(rng), space=space, direction=str(rng.choice(DIRECTIONS)),
                   **_student_options(rng, d, k, bases=("pca", "first", "random"),
                                      rank_rules=("optimal", "oracle", "random")))

    def arrays(self):
        rng = np.random.default_rng([self.seed, 2])
        rows = self.x_exp + rng.uniform(-self.x_spread / 2, self.x_spread / 2, (self.d, 1))
        X = rng.standard_normal((self.d, self.n)) * 10.0 ** rows
        if self.duplicate and self.n >= 2:
            X[:, -1] = X[:, 0]
        W = rng.standard_normal((self.k, self.d)) * 10.0 ** (self.y_exp - rows.T)
        noise = 0.0 if self.noise_exp is None else 10.0 ** (self.y_exp + self.noise_exp)
        Y = W @ X + noise * rng.standard_normal((self.k, self.n))
        return X, Y, W, noise

    def teacher(self):
        return Teacher(self.teacher_beta, self.teacher_ridge)

    def student(self):
        rng = np.random.default_rng([self.seed, 3])
        basis = _orthonormal(rng, self.d, self.d)[:, :self.width] \
            if self.basis == "random" else self.basis
        rank_rule = _orthonormal(rng, self.k, self.rank) if self.rank_rule == "random" \
            else self.rank_rule
        return Student(self.beta, self.ridge, alpha=self.alpha,
                       width=None if self.basis == "random" else self.width,
                       rank=None if self.rank_rule == "random" else self.rank,
                       basis=basis, rank_rule=rank_rule,
                       complement_variance=self.complement_variance,
                       soft_labels=self.soft_labels, soft_label_noise=self.soft_label_noise)

    def sample(self):
        X, Y, W, noise = self.arrays()
        return Sample(X, Y, W_star=W, noise=noise)

    def run(self, direction=None):
        """The call under test (``direction`` overrides the drawn one)."""
        return divergence(self.teacher(), self.student(), self.sample(), space=self.space,
                          direction=direction or self.direction)

    def repro(self) -> str:
        return f"DivergenceCase.draw({self.seed}).run()"

    def judge(self) -> Outcome:
        return _judge([("main", self.run, _judge_decomposition(self)),
                       ("forward", lambda: self.run("forward")),
                       ("reverse", lambda: self.run("reverse"))])


def _fixed_tau2(case) -> bool:
    return case.complement_variance != "optimal"


def _judge_decomposition(case):
    def judge(dec, extra):
        problems = decomposition_problems(dec)
        if problems:
            return Outcome("failure", "invariant: " + problems[0].split(" == ")[0].split(" <")[0],
                           "; ".join(problems))
        if case.direction == "symmetric" and _fixed_tau2(case):
            parts = {}
            for name, call in extra:
                status = _call(call)
                if status[0] != "ok":
                    return Outcome(
                        "failure", f"symmetric returned a result but {name} was "
                        f"{'refused' if status[0] == 'refused' else 'a failure'}",
                        status[1] if status[0] == "refused" else status[2])
                parts[name] = status[1].as_dict()
            problems = symmetric_problems(dec.as_dict(), parts["forward"], parts["reverse"])
            if problems:
                return Outcome("failure", "invariant: symmetric != forward + reverse",
                               "; ".join(problems))
        return Outcome("result")
    return judge


def _spectral_draw(rng, *, closed_form: bool):
    """A SpectralDesign's parameters and a student: eigenvalues ~10^[-300, 300] (zeros past
    n), θ_i ~10^[-200, 200] (as vectors, or energies with a fixed projector)."""
    d, k, n = (int(v) for v in rng.integers(1, 9, size=3))
    space = str(rng.choice(SPACES))
    noise = _log_uniform(rng, -150, 150) if (space == "prediction" or rng.random() < 0.85) \
        else 0.0
    if closed_form:
        options = _student_options(rng, d, k, bases=("pca",), rank_rules=("oracle", "random"))
    else:
        options = _student_options(rng, d, k, bases=("pca", "first", "random"),
                                   rank_rules=("optimal", "oracle", "random"))
    energies = closed_form and options["rank_rule"] == "random" and rng.random() < 0.5
    direction = str(rng.choice(DIRECTIONS))
    if closed_form and options["complement_variance"] == "optimal":
        direction = "forward"        # the only closed form of the optimal τ² (documented)
    return dict(d=d, k=k, n=n, eig_exp=float(rng.uniform(-300, 300)),
                eig_spread=float(rng.choice([0.0, rng.uniform(0, 6)])),
                theta_exp=float(rng.uniform(-200, 200)), energies=bool(energies), noise=noise,
                teacher_beta=_hyper(rng), teacher_ridge=_hyper(rng), beta=_hyper(rng),
                ridge=_hyper(rng), space=space, direction=direction, **options)


@dataclass(frozen=True)
class SpectralCase:
    """One fuzz configuration of :func:`lingauss.expected_divergence` on a SpectralDesign
    (closed form; or, with ``monte_carlo``, the exact engine over label draws)."""

    seed: int
    d: int
    k: int
    n: int
    eig_exp: float
    eig_spread: float
    theta_exp: float
    energies: bool
    noise: float
    teacher_beta: float
    teacher_ridge: float
    beta: float
    ridge: float
    alpha: float
    width: int
    rank: int
    basis: str
    rank_rule: str
    complement_variance: object
    soft_labels: str
    soft_label_noise: float
    space: str
    direction: str
    monte_carlo: int | None = None

    @classmethod
    def draw(cls, seed: int) -> "SpectralCase":
        rng = np.random.default_rng([seed, 1])
        closed_form = rng.random() < 0.85
        params = _spectral_draw(rng, closed_form=closed_form)
        return cls(seed=seed, monte_carlo=None if closed_form else int(rng.integers(2, 4)),
                   **params)

    def design(self, n=None):
        rng = np.random.default_rng([self.seed, 2])
        eig = 10.0 ** (self.eig_exp + rng.uniform(-self.eig_spread / 2, self.eig_spread / 2,
                                                   self.d))
        eig[min(self.n, self.d):] = 0.0
        theta = rng.standard_normal((self.k, self.d))
        if self.energies:            # ‖θ_i‖² ~ 10^(2 theta_exp), kept within the float range
            signal = np.sum(theta ** 2, axis=0) * 10.0 ** float(np.clip(2 * self.theta_exp,
                                                                         -300, 300))
        else:
            signal = theta * 10.0 ** self.theta_exp
        return SpectralDesign(eig, signal, noise=self.noise, k=self.k, n=n)

    teacher = DivergenceCase.teacher

    def student(self):
        return DivergenceCase.student(self)

    def run(self, direction=None):
        return expected_divergence(self.teacher(), self.student(), self.design(),
                                   space=self.space, direction=direction or self.direction,
                                   monte_carlo=self.monte_carlo,
                                   seed=None if self.monte_carlo is None else 0)

    def repro(self) -> str:
        return f"SpectralCase.draw({self.seed}).run()"

    def judge(self) -> Outcome:
        return _judge([("main", self.run, _judge_decomposition(self)),
                       ("forward", lambda: self.run("forward")),
                       ("reverse", lambda: self.run("reverse"))])


SWEEP_GRIDS = ("rank", "width", "beta", "ridge", "alpha", "tau2", "soft_label_noise",
               "teacher_beta", "teacher_ridge", "n")


@dataclass(frozen=True)
class SweepCase:
    """One fuzz configuration of :func:`lingauss.sweep`: a closed-form SpectralCase and one or
    two small grids of extreme values."""

    base: SpectralCase
    grids: tuple                                     # ((name, (values...)), ...)

    @classmethod
    def draw(cls, seed: int) -> "SweepCase":
        rng = np.random.default_rng([seed, 1])
        params = _spectral_draw(rng, closed_form=True)
        base = SpectralCase(seed=seed, **params)
        names = list(rng.choice(SWEEP_GRIDS, size=int(rng.integers(1, 3)), replace=False))
        grids = []
        for name in names:
            size = int(rng.integers(1, 4))
            if name == "rank":
                if base.rank_rule != "oracle":
                    continue
                top = min(base.k, base.width) if "width" not in names else 1
                values = sorted({int(v) for v in rng.integers(1, top + 1, size)})
            elif name == "width":
                low = base.rank if "rank" not in names else 1
                values = sorted({int(v) for v in rng.integers(low, base.d + 1, size)})
                if base.rank_rule == "random":
                    values = [v for v in values if v >= base.rank] or [base.width]
            elif name == "alpha":
                values = [float(v) for v in rng.uniform(0, 1, size)]
            elif name == "soft_label_noise":
                if base.soft_labels != "sampled+noise":
                    continue
                values = [_log_uniform(rng, -150, 150) for _ in range(size)]
            elif name == "n":
                values = sorted({int(10 ** rng.uniform(0, 20)) for _ in range(size)})
            elif name == "tau2":
                values = [_log_uniform(rng, -200, 200) for _ in range(size)]
            else:
                values = [_hyper(rng) for _ in range(size)]
            grids.append((str(name), tuple(values)))
        if not grids:
            grids = [("ridge", (_hyper(rng),))]
        return cls(base=base, grids=tuple(grids))

    def run(self, direction=None):
        b = self.base
        grids = {name: list(values) for name, values in self.grids}
        student = b.student()
        design = b.design(n=b.n if "n" in grids else None)
        return sweep(b.teacher(), student, design, space=b.space,
                     direction=direction or b.direction, **grids)

    def repro(self) -> str:
        return f"SweepCase.draw({self.base.seed}).run()"

    def judge(self) -> Outcome:
        return _judge([("main", self.run, self._judge_sweep),
                       ("forward", lambda: self.run("forward")),
                       ("reverse", lambda: self.run("reverse"))])

    def _judge_sweep(self, res, extra):
        terms = {name: np.asarray(v, dtype=float) for name, v in res.terms.items()}
        for name, arr in terms.items():
            if not np.all(np.isfinite(arr)):
                return Outcome("failure", "invariant: non-finite sweep term",
                               f"{name} == {arr!r}")
        scale = np.abs(terms["total"])
        for name, arr in terms.items():
            ref = np.abs(terms["convexity_bound"]) if name == "convexity_slack" else scale
            if np.any(arr < -1e-9 * ref):
                return Outcome("failure", f"invariant: negative sweep term {name}",
                               f"{name} == {arr!r}, total == {terms['total']!r}")
        for whole, parts in (("total", ("bias", "variance", "rank_bottleneck")),
                             ("rank_bottleneck", ("bottleneck_mean", "bottleneck_covariance")),
                             ("convexity_bound", ("total", "convexity_slack"))):
            if whole not in terms:
                continue
            want = sum(terms[p] for p in parts)
            tol = 1e-12 * sum(np.abs(terms[p]) for p in parts)
            if np.any(np.abs(terms[whole] - want) > tol):
                return Outcome("failure", f"invariant: sweep {whole} != sum of its parts",
                               f"{whole} == {terms[whole]!r}, parts sum to {want!r}")
        if self.base.direction == "symmetric" and _fixed_tau2(self.base):
            parts = {}
            for name, call in extra:
                status = _call(call)
                if status[0] != "ok":
                    return Outcome(
                        "failure", f"symmetric sweep returned but {name} was "
                        f"{'refused' if status[0] == 'refused' else 'a failure'}",
                        status[1] if status[0] == "refused" else status[2])
                parts[name] = {n: np.asarray(v, dtype=float) for n, v in status[1].terms.items()}
            f, r = parts["forward"], parts["reverse"]
            tscale = np.maximum(scale, np.abs(f["total"]) + np.abs(r["total"]))
            for name, arr in terms.items():
                if name == "rank_floor":
                    bad = np.abs(arr - f[name]) > 1e-9 * np.abs(arr)
                else:
                    ref = tscale if "convexity" not in name else np.maximum(
                        np.abs(terms["convexity_bound"]),
                        np.abs(f["convexity_bound"]) + np.abs(r["convexity_bound"]))
                    bad = np.abs(arr - (f[name] + r[name])) > 1e-9 * ref
                if np.any(bad):
                    return Outcome("failure", "invariant: symmetric sweep != forward + reverse",
                                   f"{name}: {arr!r} vs {f[name] + r[name]!r}")
        return Outcome("result")


FUZZ_KINDS = {"divergence": (DivergenceCase, 0), "expected": (SpectralCase, 10 ** 7),
              "sweep": (SweepCase, 2 * 10 ** 7)}
_TALLY: dict = {}


def _chunk_seeds(kind: str, chunk: int):
    total = FUZZ_COUNTS[kind]
    per = -(-total // FUZZ_CHUNKS)
    offset = FUZZ_KINDS[kind][1] + BASE_SEED * 10 ** 8
    return range(offset + chunk * per, offset + min(total, (chunk + 1) * per))


@pytest.fixture(scope="module")
def fuzz_report(request):
    """Counts per fuzz kind, printed (and written to ``LINGAUSS_FUZZ_REPORT``) at the end."""
    yield _TALLY
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"fuzz ({PROFILE} profile, seed base {BASE_SEED}):"]
    for kind, t in _TALLY.items():
        lines.append(f"  {kind}: {t['tried']} configurations, {t['results']} results, "
                     f"{t['refused']} refusals (LingaussError), {t['failures']} failures, "
                     f"{t['seconds']:.1f} s")
        for signature, count in Counter(t["signatures"]).most_common():
            lines.append(f"      {count:6d} x {signature}")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and _TALLY:
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            reporter.write_line("")
            for line in lines:
                reporter.write_line(line)
    path = os.environ.get("LINGAUSS_FUZZ_REPORT")
    if path and _TALLY:
        pathlib.Path(path).write_text(json.dumps(
            {"profile": PROFILE, "seed_base": BASE_SEED, "kinds": _TALLY}, indent=1,
            default=str), encoding="utf-8")


def _fuzz(kind: str, chunk: int, tally: dict):
    cls, _ = FUZZ_KINDS[kind]
    t = tally.setdefault(kind, dict(tried=0, results=0, refused=0, failures=0, seconds=0.0,
                                    signatures={}, examples={}, refusal_reasons={}))
    failures = []
    start = time.monotonic()
    for seed in _chunk_seeds(kind, chunk):
        case = cls.draw(seed)
        outcome = case.judge()
        t["tried"] += 1
        if outcome.kind == "result":
            t["results"] += 1
        elif outcome.kind == "refused":
            t["refused"] += 1
            reason = re.sub(r"[-+]?\d[\d.e+-]*", "#", outcome.detail)[:70]
            t["refusal_reasons"][reason] = t["refusal_reasons"].get(reason, 0) + 1
        else:
            t["failures"] += 1
            t["signatures"][outcome.signature] = t["signatures"].get(outcome.signature, 0) + 1
            examples = t["examples"].setdefault(outcome.signature, [])
            if len(examples) < 3:
                examples.append(f"{case.repro()}  # {outcome.detail[:200]}")
            failures.append((outcome, case))
    t["seconds"] += time.monotonic() - start
    if failures:
        groups = Counter(o.signature for o, _ in failures)
        report = [f"{len(failures)} of {len(_chunk_seeds(kind, chunk))} {kind} configurations "
                  f"failed (neither a valid result nor one LingaussError):"]
        for signature, count in groups.most_common():
            report.append(f"  {count} x {signature}")
            for o, case in [(o, c) for o, c in failures if o.signature == signature][:2]:
                report.append(f"      {case.repro()}   # {o.detail[:160]}")
                report.append(f"        {case!r}"[:600])
        pytest.fail("\n".join(report), pytrace=False)


@pytest.mark.parametrize("chunk", range(FUZZ_CHUNKS))
def test_fuzz_divergence_is_finite_nonnegative_exact_or_refused(chunk, fuzz_report):
    """Seeded fuzz of :func:`lingauss.divergence`: d, k, n in 1..8 (n < d, n = d, n > d), X
    from 1e-150 to 1e150 (rows up to 1e10 apart), Y likewise, β and λ in [1e-200, 1e200],
    α in [0, 1], every space, direction, soft-label mode, basis (pca, first, a random
    orthonormal matrix), rank rule (optimal, oracle, a random matrix) and complement
    variance (prior, optimal, a number in [1e-200, 1e200]). Each call gives a valid result
    or one LingaussError."""
    _fuzz("divergence", chunk, fuzz_report)


@pytest.mark.parametrize("chunk", range(FUZZ_CHUNKS))
def test_fuzz_expected_divergence_is_finite_nonnegative_exact_or_refused(chunk, fuzz_report):
    """Seeded fuzz of :func:`lingauss.expected_divergence` on SpectralDesigns: eigenvalues in
    1e-300..1e300 (zeros past n), θ_i in 1e-200..1e200 (vectors, or energies with a fixed
    projector), ν in 1e-150..1e150 (or 0 in parameter space), every option; 15% through Monte
    Carlo (any basis and rank rule, 2–3 draws)."""
    _fuzz("expected", chunk, fuzz_report)


@pytest.mark.parametrize("chunk", range(FUZZ_CHUNKS))
def test_fuzz_sweep_is_finite_nonnegative_exact_or_refused(chunk, fuzz_report):
    """Seeded fuzz of :func:`lingauss.sweep`: a closed-form spectral case and one or two grids
    of 1–3 extreme values (rank, width, β, λ, α, τ², soft-label noise, teacher β and λ,
    n up to 1e20); every grid point valid, or one LingaussError."""
    _fuzz("sweep", chunk, fuzz_report)


def test_command_line_monte_carlo_standard_errors_are_finite_json():
    """Found by the fuzzer: label noise ~5e99 gave terms ~1e198 and standard errors whose
    squared deviations overflowed — JSON ``Infinity`` and exit 0. The standard errors are now
    computed on scaled values: a finite result, valid JSON (no Infinity, no NaN), exit 0."""
    import json as _json
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        _files(BASE_SPEC.replace("n = 10", "n = 10\nnoise = 5e99"))(folder)
        proc = subprocess.run([sys.executable, "-m", "lingauss", "expected", "spec.toml",
                               "--monte-carlo", "3", "--seed", "0", "--json"], cwd=folder,
                              env=_env({}), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr

    def refuse(constant):
        raise AssertionError(f"non-finite JSON constant {constant}")
    values = _json.loads(proc.stdout, parse_constant=refuse)
    assert all(np.isfinite(v) for v in values.values())
