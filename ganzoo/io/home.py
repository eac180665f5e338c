"""Where ganzoo keeps what it caches: ``$GANZOO_HOME``, else the user's cache folder.

One place decides it, so datasets, downloaded pretrained weights and feature-network
weights (InceptionV3) all live under the same root the user can move with one variable.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def ganzoo_home() -> Path:
    """``$GANZOO_HOME``; by default ``$XDG_CACHE_HOME/ganzoo`` or ``~/.cache/ganzoo``
    (``%LOCALAPPDATA%\\ganzoo`` on Windows). Not created here: callers create what they write."""
    explicit = os.environ.get("GANZOO_HOME")
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "ganzoo"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ganzoo"


def offline() -> bool:
    """``GANZOO_OFFLINE=1`` (or true/yes): never touch the network."""
    return os.environ.get("GANZOO_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")
