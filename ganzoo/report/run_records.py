"""What a run folder recorded, read back for plotting: its settings, the lines of
``metrics.jsonl`` sorted by kind, and its sample grids. Nothing here runs a model."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganzoo.errors import RunFolderError
from ganzoo.io import run_folder

#: Scalars of a loss line, in the order they are plotted.
LOSS_KEYS = ("d_loss", "g_loss", "images_per_sec")


@dataclass
class Series:
    """One scalar over steps."""

    steps: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    def add(self, step: int, value: float) -> None:
        self.steps.append(step)
        self.values.append(value)


@dataclass
class RunRecords:
    """A run's records: ``scalars`` by name (losses, images/s, then ``eval/...`` metrics),
    ``histograms`` as ``(step, record)`` and ``grids`` as ``(step, PNG path)``, in step order."""

    run_dir: Path
    config: dict[str, Any]
    scalars: dict[str, Series]
    histograms: list[tuple[int, dict[str, Any]]]
    grids: list[tuple[int, Path]]

    @property
    def title(self) -> str:
        """The folder's name and what it does not say already: the model, the loss (where it is not
        the model's name, as ``wgan-gp``'s is) and the dataset."""
        name = self.run_dir.name
        facts = [self.config.get("model", "?"), self.config.get("loss", "?"), self.config.get("dataset", "?")]
        extra = list(dict.fromkeys(f for f in facts if f not in name))
        return f"{name} ({', '.join(extra)})" if extra else name


def read_run(run_dir: str | os.PathLike) -> RunRecords:
    """The records of the run in ``run_dir``; one :class:`RunFolderError` line for a folder that
    is no run folder or has logged nothing yet. Lines a crash cut short are skipped."""
    run_dir = Path(run_dir)
    if not run_dir.exists():
        raise RunFolderError(f"run folder {str(run_dir)!r} does not exist")
    config = run_folder.read_config(run_dir)  # "not a ganzoo run folder" for anything else
    scalars: dict[str, Series] = {}
    histograms: list[tuple[int, dict[str, Any]]] = []
    for record in _records(run_dir / run_folder.METRICS_FILE):
        step = record["step"]
        for key in LOSS_KEYS:
            if _is_number(record.get(key)):
                scalars.setdefault(key, Series()).add(step, float(record[key]))
        for key, value in (record.get("eval") or {}).items():
            if _is_number(value):
                scalars.setdefault(f"eval/{key}", Series()).add(step, float(value))
        if _is_histogram(record.get(run_folder.HISTOGRAM_RECORD)):
            histograms.append((step, record[run_folder.HISTOGRAM_RECORD]))
    grids = _grids(run_dir / run_folder.SAMPLES_DIR)
    if not scalars and not grids:
        raise RunFolderError(f"{run_dir} has recorded nothing to plot yet (no lines in {run_folder.METRICS_FILE}, "
                             f"no sample grids); plot it after its first --log-every step")
    return RunRecords(run_dir, config, scalars, histograms, grids)


def _records(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("step"), int):
            out.append(record)
    return sorted(out, key=lambda r: r["step"])


def _grids(folder: Path) -> list[tuple[int, Path]]:
    """The sample grids ``samples/step-NNNNNN.png``, by step."""
    found = []
    for path in folder.glob("step-*.png") if folder.is_dir() else ():
        digits = path.stem.removeprefix("step-")
        if digits.isdigit():
            found.append((int(digits), path))
    return sorted(found)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value and abs(value) != float("inf")


def _is_histogram(value: Any) -> bool:
    """A well-formed histogram record: as many counts on each side as there are bins."""
    if not isinstance(value, dict):
        return False
    edges, real, fake = value.get("edges"), value.get("real"), value.get("fake")
    return (isinstance(edges, list) and len(edges) >= 2 and all(_is_number(e) for e in edges)
            and all(isinstance(side, list) and len(side) == len(edges) - 1 for side in (real, fake)))
