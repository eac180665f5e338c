"""Run folders: created fresh, never silently reused."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ganzoo.io.atomic import write_text
from ganzoo.core.config import TrainConfig
from ganzoo.errors import RunFolderError

CONFIG_FILE = "config.json"


def default_run_dir(model: str, dataset: str, root: str | os.PathLike = "runs") -> Path:
    """``runs/<model>-<dataset>``, or the first free ``-2``, ``-3``, ... after it."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{model}-{Path(dataset).name if ':' in dataset else dataset}").strip("-")
    base = Path(root) / slug
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def check_new_run_dir(path: str | os.PathLike) -> Path:
    """Refuse a run folder that exists and is not empty (before any work is done)."""
    path = Path(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise RunFolderError(
            f"run folder {str(path)!r} exists already; continue it with `ganzoo run --resume {path}` "
            "or choose another --out"
        )
    return path


def create_run_dir(path: str | os.PathLike) -> Path:
    """Create a new, empty run folder; an existing non-empty one is refused."""
    path = check_new_run_dir(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / "samples").mkdir(exist_ok=True)
    return path


def write_config(path: Path, config: TrainConfig) -> None:
    write_text(path / CONFIG_FILE, json.dumps(config.to_dict(), indent=2, sort_keys=True) + "\n")


def read_config(path: str | os.PathLike) -> TrainConfig:
    file = Path(path) / CONFIG_FILE
    if not file.is_file():
        raise RunFolderError(f"{path} is not a ganzoo run folder (no {CONFIG_FILE})")
    try:
        return TrainConfig.from_dict(json.loads(file.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise RunFolderError(f"{file} is not a readable run config: {exc}") from None
