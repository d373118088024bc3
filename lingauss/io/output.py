"""All or nothing on disk: files are written beside their targets and moved into place last.

:class:`Staged` collects the files a command will write (a target path and a function that
writes the content to a given path). :meth:`Staged.commit` checks every target first (its
folder exists, it is not a folder), writes every file into a temporary folder beside its
target, and only when all of them were written moves each into place with ``os.replace``
(atomic per file). A failure at any point removes the temporary files and leaves every
target as it was. A folder target that does not exist yet (``lingauss demo -o NEW``) is
staged whole and renamed into place in one step.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import tempfile

from lingauss._core.validation import LingaussError


def check_path(path, what: str = "output file") -> pathlib.Path:
    """A path the user gave: a string or path-like without NUL bytes.

    >>> check_path("a\\x00b")
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: output file 'a\\x00b' contains a NUL byte, must be a valid path.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise LingaussError(f"{what} == {path!r}, must be a path.")
    text = os.fspath(path)
    if "\x00" in str(text):
        raise LingaussError(f"{what} {text!r} contains a NUL byte, must be a valid path.")
    return pathlib.Path(text)


class Staged:
    """Files to write together (see the module docstring).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = Staged()
    ...     out.add(pathlib.Path(tmp) / "a.txt", lambda p: p.write_text("a"))
    ...     _ = out.commit()
    ...     sorted(x.name for x in pathlib.Path(tmp).iterdir())
    ['a.txt']
    """

    def __init__(self):
        self.files: dict[pathlib.Path, object] = {}
        self.folder: pathlib.Path | None = None

    def add(self, target, write) -> None:
        """Write ``target`` with ``write(path)`` at commit time."""
        self.files[check_path(target)] = write

    def into_folder(self, folder) -> pathlib.Path:
        """Every file added next goes into ``folder`` (created at commit if missing)."""
        folder = check_path(folder, "output folder")
        if folder.exists() and not folder.is_dir():
            raise LingaussError(f"output folder {folder}: exists and is not a folder.")
        if not folder.parent.is_dir():
            raise LingaussError(f"output folder {folder}: the parent folder {folder.parent} "
                                f"does not exist.")
        self.folder = folder
        return folder

    def _check(self) -> None:
        for target in self.files:
            if target.is_dir():
                raise LingaussError(f"output file {target}: a folder of that name is in the "
                                    f"way; nothing was written.")
            parent = target.parent
            if parent != self.folder and not parent.is_dir():
                raise LingaussError(f"output folder {parent} does not exist; nothing was "
                                    f"written.")

    def commit(self) -> list:
        """Write everything or nothing; returns the targets written."""
        if not self.files:
            return []
        self._check()
        new_folder = self.folder is not None and not self.folder.exists()
        temps = []
        try:
            if new_folder:
                stage = pathlib.Path(tempfile.mkdtemp(prefix=f".{self.folder.name}.",
                                                      dir=self.folder.parent))
                temps.append(stage)
            for target, write in self.files.items():
                if new_folder and target.parent == self.folder:
                    write(stage / target.name)
                    continue
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix,
                                           dir=target.parent)
                os.close(fd)
                temps.append(pathlib.Path(tmp))
                write(pathlib.Path(tmp))
            moves = [(t, target) for t, target in zip(
                [p for p in temps if not (new_folder and p == temps[0])],
                [x for x in self.files if not (new_folder and x.parent == self.folder)])]
            # mkstemp/mkdtemp create private (0600/0700) entries: give the user's umask
            umask = _umask()
            for tmp in temps:
                os.chmod(tmp, (0o777 if tmp.is_dir() else 0o666) & ~umask)
            if new_folder:
                os.replace(stage, self.folder)
                temps.remove(stage)
            for tmp, target in moves:
                os.replace(tmp, target)
                temps.remove(tmp)
        finally:
            for leftover in temps:
                if leftover.is_dir():
                    shutil.rmtree(leftover, ignore_errors=True)
                else:
                    leftover.unlink(missing_ok=True)
        return list(self.files)


def _umask() -> int:
    """The process's umask (read by setting it and setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
