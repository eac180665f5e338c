"""The one write rule for every file a command writes (``sample``, ``export``, ``convert``,
``plot`` ``-o``): checked before any work, never over an existing file unless asked
(``--force``), never over something that is not a regular file (a device, a FIFO, a socket, a
folder: not even with ``--force``), never through a symlink (the link itself is replaced),
published atomically."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable

from ganzoo.errors import GanzooError
from ganzoo.io.atomic import check_writable, refuse_special


def check_new_file(path: str | os.PathLike, force: bool) -> Path:
    """Refuse, before a model is loaded, an output that exists (without ``force``), that is not
    a regular file, or that could not be written (a folder, a read-only place, a name too long)."""
    path = Path(path)
    check_writable(path)
    check_new_files([path], force)
    return path


def check_new_files(paths: Iterable[str | os.PathLike], force: bool) -> None:
    """:func:`check_new_file`'s overwrite rules for many outputs at once (one line names the first taken)."""
    paths = [Path(p) for p in paths]
    for path in paths:
        refuse_special(path)
    taken = [str(p) for p in paths if os.path.lexists(p)]
    if taken and not force:
        raise GanzooError(f"{taken[0]} exists already{f' (and {len(taken) - 1} more)' if len(taken) > 1 else ''}; "
                          "choose another -o or pass --force to overwrite")


def publish(path: Path, force: bool, write: Callable[[], None]) -> None:
    """Run ``write`` (an atomic, exclusive-unless-``force`` write of ``path``), turning another
    process's file appearing at ``path`` meanwhile into one line."""
    try:
        write()
    except FileExistsError:
        raise GanzooError(f"{path} was written by someone else meanwhile; choose another -o or pass --force to overwrite") from None
