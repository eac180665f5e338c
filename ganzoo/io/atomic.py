"""Crash-safe file writes: a temporary file in the same folder, fsync, then rename.

A reader (or a resumed run) sees either the old file or the complete new one, never half.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path
from typing import Callable, Iterator


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, exclusive: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path`` atomically. With
    ``exclusive`` an existing ``path`` is never replaced: :class:`FileExistsError` instead, even
    when another process created it while this one was writing (the file is published with a
    hard link, which fails if the name is taken)."""
    import tempfile  # ~10 ms of start-up that the listing commands, which never write, do not pay

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; a saved file gets the usual mode
        if exclusive:
            _publish_exclusively(tmp_path, path)
        else:
            os.replace(tmp_path, path)
        _fsync_dir(path.parent)
    finally:
        tmp_path.unlink(missing_ok=True)


def _publish_exclusively(tmp: Path, path: Path) -> None:
    try:
        os.link(tmp, path)  # atomic, and fails if the name exists
    except FileExistsError:
        raise
    except OSError:  # a filesystem without hard links: check, then rename (a narrow race remains)
        if path.exists():
            raise FileExistsError(errno.EEXIST, "File exists", str(path)) from None
        os.replace(tmp, path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform lets a folder be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Delete the temporary files that writes killed mid-way left in ``folder`` (``.NAME.*.tmp``);
    call it only where no other process is writing. Returns what it removed."""
    removed = []
    for tmp in Path(folder).glob(".*.tmp"):
        if tmp.is_file():
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_with(path: str | os.PathLike, writer: Callable[[Path], None], exclusive: bool = False) -> None:
    """Atomically write ``path`` with ``writer(temporary_path)`` (``exclusive``: see :func:`atomic_path`)."""
    with atomic_path(path, exclusive) as tmp:
        writer(tmp)
