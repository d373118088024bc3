"""Helpers of the hostile-input suite (tests/hostile/): strict calls and the invariants every
result must satisfy."""

from __future__ import annotations

import math
import os
import pathlib
import re
import warnings

import numpy as np
import pytest

from lingauss import LingaussError

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROFILE = os.environ.get("LINGAUSS_HYPOTHESIS_PROFILE", "ci")
FULL = PROFILE == "full"
#: Shifts every fuzz seed (the default reproduces the CI run; the full run is a superset).
BASE_SEED = int(os.environ.get("LINGAUSS_FUZZ_SEED", "0"))

SPACES = ("parameter", "prediction")
DIRECTIONS = ("forward", "reverse", "symmetric")
SOFT = ("mean", "sampled", "sampled+noise")
#: The representable range as a message may state it: 1.798e+308, 1.8e308, 1.7976931348623157e+308.
# the float range, the int64 range, or the precision double arithmetic can resolve
RANGE = re.compile(r"1\.79\d*e\+?308|1\.8e\+?308|\|x\| <= 9223372036854775807|1/eps ≈ 4\.5e15")
#: A size in bytes as a message may state it: 2.91 KiB, 1.46 TiB, 512 B, 8G.
BYTES = re.compile(r"\d+(?:\.\d+)?(?:e[+-]?\d+)?\s*(?:[KMGTPE]i?B|[KMGTPE]\b|bytes\b|B\b)")
BIG = 10 ** 400                     # a Python int beyond the float range (~1.8e308)


# =============================================================================================
# Helpers
# =============================================================================================

def _orthonormal(rng, rows, cols):
    """A random ``rows × cols`` matrix with orthonormal columns (Haar, via QR)."""
    q, r = np.linalg.qr(rng.standard_normal((rows, cols)))
    return q * np.where(np.diag(r) < 0, -1.0, 1.0)


def _sample(d=4, k=3, n=6, *, seed=0, noise=0.5):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((d, n))
    W = rng.standard_normal((k, d))
    Y = W @ X + noise * rng.standard_normal((k, n))
    return X, Y, W


def _strict(call):
    """``call()`` with every warning turned into an error (a warning is never an answer)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return call()


def decomposition_problems(dec, *, rtol=1e-9) -> list[str]:
    """What is wrong with a returned decomposition (empty when it satisfies the issue).

    Every term finite and ``>= 0`` up to ``rtol`` of the total's scale (the convexity slack:
    of the convexity bound's); ``total == bias + variance + rank_bottleneck`` and
    ``rank_bottleneck == bottleneck_mean + bottleneck_covariance`` to rounding (1e-12 of the
    summands' magnitudes); ``convexity_bound == total + convexity_slack`` likewise.
    """
    values = dec.as_dict()
    out = []
    bad = {name: v for name, v in values.items() if not math.isfinite(v)}
    if bad:
        return [f"non-finite terms {bad}"]
    scale = abs(values["total"])
    for name, v in values.items():
        if name.startswith("stderr_"):
            if v < 0:
                out.append(f"{name} == {v!r} < 0")
            continue
        ref = abs(values.get("convexity_bound", 0.0)) if name == "convexity_slack" else scale
        if v < -rtol * ref:
            out.append(f"{name} == {v!r} < 0 (total {values['total']!r})")

    def exact(whole, parts):
        got = values[whole]
        want = sum(values[p] for p in parts)
        tol = 1e-12 * sum(abs(values[p]) for p in parts)
        if not abs(got - want) <= tol:
            out.append(f"{whole} == {got!r} but {' + '.join(parts)} == {want!r}")

    exact("total", ("bias", "variance", "rank_bottleneck"))
    exact("rank_bottleneck", ("bottleneck_mean", "bottleneck_covariance"))
    if "convexity_bound" in values:
        exact("convexity_bound", ("total", "convexity_slack"))
    return out


def symmetric_problems(sym: dict, fwd: dict, rev: dict, *, rtol=1e-9) -> list[str]:
    """``symmetric == forward + reverse`` term by term (``rtol`` of the total's scale; the
    rank floor, the same in every direction, to ``rtol`` of itself)."""
    out = []
    if not (sym.keys() == fwd.keys() == rev.keys()):
        return [f"different terms: {sorted(sym)} / {sorted(fwd)} / {sorted(rev)}"]
    scale = max(abs(sym["total"]), abs(fwd["total"]) + abs(rev["total"]))
    for name in sym:
        if name.startswith("stderr_"):
            continue
        if name == "rank_floor":
            ok = (abs(sym[name] - fwd[name]) <= rtol * abs(sym[name])
                  and abs(sym[name] - rev[name]) <= rtol * abs(sym[name]))
            want = fwd[name]
        else:
            ref = scale if name not in ("convexity_bound", "convexity_slack") else max(
                abs(sym["convexity_bound"]), abs(fwd["convexity_bound"]) +
                abs(rev["convexity_bound"]))
            want = fwd[name] + rev[name]
            ok = abs(sym[name] - want) <= rtol * ref
        if not ok:
            out.append(f"symmetric {name} == {sym[name]!r}, forward + reverse == {want!r}")
    return out


def assert_finite_or_refused(call, *, name: str, size: str | None = None):
    """``call()`` returns a decomposition satisfying the invariants, or raises one
    :class:`LingaussError` naming the input (regex ``name``; with ``size``, also the culprit's
    magnitude, where a bare name would not single it out) and the representable range."""
    try:
        dec = _strict(call)
    except LingaussError as exc:
        assert_names_input(exc, name=name, size=size)
        return None
    assert not decomposition_problems(dec), decomposition_problems(dec)
    return dec


def assert_names_input(exc, *, name: str, size: str | None = None):
    msg = str(exc)
    assert "\n" not in msg.strip(), f"not one line: {msg!r}"
    assert re.search(name, msg), f"the message does not name the input /{name}/: {msg}"
    assert RANGE.search(msg), f"the message does not state the representable range: {msg}"
    if size is not None:
        assert re.search(size, msg), (f"the message does not single out the culprit (its size "
                                      f"/{size}/): {msg}")


def assert_refused(call, *patterns):
    """``call()`` raises exactly a :class:`LingaussError` whose message (one line) matches
    every regex in ``patterns``; any other exception or warning fails."""
    try:
        result = _strict(call)
    except LingaussError as exc:
        msg = str(exc)
        assert "\n" not in msg.strip(), f"not one line: {msg!r}"
        for pattern in patterns:
            assert re.search(pattern, msg), f"/{pattern}/ not in the message: {msg}"
        return msg
    pytest.fail(f"accepted, must be refused with a LingaussError: returned {result!r:.300}")


def _spec(extra="", data="d = 4\nk = 3\nn = 6", teacher="beta = 4.0\nridge = 1.0",
          student="beta = 2.0\nridge = 0.5\nrank = 2"):
    return f"[data]\n{data}\n\n[teacher]\n{teacher}\n\n[student]\n{student}\n{extra}"


def _write_sample(folder, name="sample.npz", **changes):
    X, Y, W = _sample()
    arrays = dict(X=X, Y=Y, W_star=W, noise=np.array(0.5))
    arrays.update(changes)
    np.savez(folder / name, **{k: v for k, v in arrays.items() if v is not None})
    return name


def snapshot(folder: pathlib.Path) -> dict:
    """Every entry under ``folder``: ``{relative path: file bytes, or "<dir>"}``."""
    out = {}
    for path in sorted(pathlib.Path(folder).rglob("*")):
        rel = str(path.relative_to(folder))
        out[rel] = "<dir>" if path.is_dir() else path.read_bytes()
    return out


def _env(extra=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for name in ("LINGAUSS_DEBUG", "LINGAUSS_MAX_MEMORY"):
        env.pop(name, None)
    env.update(extra or {})
    return env


BASE_SPEC = _spec(data="d = 6\nk = 3\nn = 10", student="beta = 2.0\nridge = 0.5\nwidth = 4\n"
                                                       "rank = 2")


def _files(spec=BASE_SPEC, **npz):
    """A setup writing ``spec.toml`` and, with ``npz`` changes, ``sample.npz`` (spec reads it)."""
    def setup(folder):
        text = spec
        if npz:
            name = _write_sample(folder, **npz)
            text = text.replace("d = 6\nk = 3\nn = 10", f'file = "{name}"').replace(
                "width = 4", "width = 3")
        (folder / "spec.toml").write_text(text, encoding="utf-8")
    return setup
