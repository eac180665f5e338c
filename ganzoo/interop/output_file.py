"""The one file an interop command writes (``ganzoo export -o``, ``ganzoo convert -o``): checked
before any work, never written over an existing file unless asked (``--force``), published
atomically."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from ganzoo.errors import GanzooError
from ganzoo.io.atomic import check_writable


def check_new_file(path: str | os.PathLike, force: bool) -> Path:
    """Refuse, before a model is loaded, an output that exists (without ``force``) or that could
    not be written (a folder, a read-only place, a name too long)."""
    path = Path(path)
    check_writable(path)
    if path.exists() and not force:
        raise GanzooError(f"{path} exists already; choose another -o or pass --force to overwrite")
    return path


def publish(path: Path, force: bool, write: Callable[[], None]) -> None:
    """Run ``write`` (an atomic, exclusive-unless-``force`` write of ``path``), turning another
    process's file appearing at ``path`` meanwhile into one line."""
    try:
        write()
    except FileExistsError:
        raise GanzooError(f"{path} was written by someone else meanwhile; choose another -o or pass --force to overwrite") from None
