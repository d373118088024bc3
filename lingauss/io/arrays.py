"""Reading a spec's files and naming its problems: ``.npy`` matrices and ``.npz`` samples, and
the checks of section and key names (:mod:`lingauss.spec`'s helpers)."""

from __future__ import annotations

import contextlib
import pathlib
import zipfile

import numpy as np

from lingauss._core.validation import LingaussError
from lingauss.model.data import Sample

NPZ_REQUIRED = ("X", "Y")
NPZ_ARRAYS = NPZ_REQUIRED + ("W_star", "noise")


def reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


@contextlib.contextmanager
def context(prefix: str):
    """Re-raise a model's :class:`LingaussError` with ``prefix`` (file and section) in front."""
    try:
        yield
    except LingaussError as exc:
        raise LingaussError(f"{prefix}{exc}") from None


def check_names(names, allowed: tuple, required: tuple, head: str, what: str,
                 plural: str) -> None:
    """Every name in ``allowed`` and every ``required`` name present (messages list them)."""
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise LingaussError(f"{head}Unknown {what} {unknown[0]!r}. Allowed {plural}: {allowed}.")
    missing = [name for name in required if name not in names]
    if missing:
        raise LingaussError(
            f"{head}Missing {what} {missing[0]!r}. Required {plural}: {required}.")


def np_load(value, key: str, section: str, suffix: str, folder: pathlib.Path, where: str):
    """``np.load`` of a file named relative to ``folder``; any failure is a LingaussError."""
    if not isinstance(value, str):
        raise LingaussError(
            f"{where}: [{section}] {key} == {value!r}, must be the path of a {suffix} file.")
    head = f"{where}: [{section}] {key} == {value!r}"
    if "\x00" in value:
        raise LingaussError(f"{head}: contains a NUL byte, must be the path of a {suffix} file.")
    full = folder / pathlib.Path(value).expanduser()
    try:
        loaded = np.load(full, allow_pickle=False)
    except OSError as exc:
        raise LingaussError(f"{head}: cannot read {full}: {reason(exc)}.") from None
    except (ValueError, EOFError, zipfile.BadZipFile):
        raise LingaussError(f"{head}: {full} is not a NumPy {suffix} file.") from None
    want_npz = suffix == ".npz"
    if isinstance(loaded, np.lib.npyio.NpzFile) != want_npz:
        if not want_npz:
            loaded.close()
        raise LingaussError(f"{head}: {full} is not a NumPy {suffix} file.")
    return loaded, head


def load_npy(value: str, key: str, folder: pathlib.Path, where: str) -> np.ndarray:
    """A ``basis`` / ``rank_rule`` matrix from a ``.npy`` file."""
    array, _ = np_load(value, key, "student", ".npy", folder, where)
    return array


def load_npz(value, folder: pathlib.Path, where: str) -> Sample:
    """A sample from an ``.npz`` archive: ``X``, ``Y``; optional ``W_star``, scalar ``noise``."""
    archive, head = np_load(value, "file", "data", ".npz", folder, where)
    with archive:
        names = tuple(archive.files)
        check_names(names, NPZ_ARRAYS, NPZ_REQUIRED, f"{head}: ", "array", "arrays")
        arrays = {}
        for name in names:
            try:
                arrays[name] = archive[name]
            except (ValueError, OSError, EOFError, zipfile.BadZipFile):
                raise LingaussError(
                    f"{head}: array {name!r} cannot be read, must be a numeric array "
                    f"saved with numpy.savez.") from None
    if "noise" in arrays:
        noise = arrays["noise"]
        if noise.ndim != 0:
            raise LingaussError(f"{head}: noise has shape {noise.shape}, must be a scalar.")
        arrays["noise"] = noise.item()
    with context(f"{head}: "):
        return Sample(**arrays)
