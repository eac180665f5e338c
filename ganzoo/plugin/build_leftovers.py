"""What pip's in-place build leaves in a plugin's source folder, removed after ``ganzoo install FOLDER``.

Building a wheel from a folder writes ``build/`` and ``NAME.egg-info`` beside the sources
(setuptools does so in place); the author did not ask for them and they go stale. Only what
the install itself created is removed: a ``build/`` or ``*.egg-info`` that was there before is
the author's and stays.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import Iterator, Sequence

#: Where setuptools leaves its build products, relative to the project folder.
_PATTERNS = ("build", "*.egg-info", "src/*.egg-info")


def _leftovers(folder: Path) -> set[Path]:
    return {path for pattern in _PATTERNS for path in folder.glob(pattern) if path.is_dir()}


@contextlib.contextmanager
def build_leftovers_removed(requirements: Sequence[str]) -> Iterator[None]:
    """Around a ``pip install``: remove what it left in the local folders among ``requirements``."""
    folders = [Path(r) for r in requirements if Path(r).is_dir()]
    before = {folder: _leftovers(folder) for folder in folders}
    try:
        yield
    finally:
        for folder, there in before.items():
            for path in sorted(_leftovers(folder) - there):
                shutil.rmtree(path, ignore_errors=True)
