"""What a run folder recorded, read back for plotting: its settings, the lines of
``metrics.jsonl`` sorted by kind, and its sample grids. Nothing here runs a model.

Every field is type-checked: a step is a whole number from 0 to :data:`MAX_STEP`, a scalar a
finite number within :data:`MAX_VALUE`, ``eval`` a table, a histogram numbers of the right
count; anything else (``1e308``, a 400-digit step, string counts) is skipped and counted in
:attr:`RunRecords.skipped`, never plotted and never a traceback."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganzoo.errors import RunFolderError
from ganzoo.io import run_folder

#: Scalars of a loss line, in the order they are plotted.
LOSS_KEYS = ("d_loss", "g_loss", "images_per_sec")
#: The largest step and the largest magnitude of a value that are plotted (beyond: absurd, skipped).
MAX_STEP = 10**12
MAX_VALUE = 1e12
#: The most bins a histogram may have (ganzoo writes a few dozen).
MAX_BINS = 10_000


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
    #: Lines and values of ``metrics.jsonl`` left out: not JSON objects with a step, or values
    #: that are not finite numbers in range, or histograms of the wrong shape.
    skipped: int = 0

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
    records, skipped = _records(run_dir / run_folder.METRICS_FILE)

    def scalar(name: str, value: Any) -> None:
        nonlocal skipped
        if _is_number(value):
            scalars.setdefault(name, Series()).add(step, float(value))
        else:
            skipped += 1

    for record in records:
        step = record["step"]
        for key in LOSS_KEYS:
            if key in record:
                scalar(key, record[key])
        found = record.get("eval")
        if isinstance(found, dict):
            for key, value in found.items():
                scalar(f"eval/{str(key)[:80]}", value)
        elif found is not None:
            skipped += 1
        histogram = record.get(run_folder.HISTOGRAM_RECORD)
        if _is_histogram(histogram):
            histograms.append((step, histogram))
        elif histogram is not None:
            skipped += 1
    grids = _grids(run_dir / run_folder.SAMPLES_DIR)
    if not scalars and not grids:
        raise RunFolderError(f"{run_dir} has recorded nothing to plot yet (no lines in {run_folder.METRICS_FILE}, "
                             f"no sample grids); plot it after its first --log-every step")
    return RunRecords(run_dir, config, scalars, histograms, grids, skipped)


def _records(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The lines of ``metrics.jsonl`` that are objects with a step, by step, and how many are not."""
    if not path.is_file():
        return [], 0
    out, skipped = [], 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):  # a line a crash cut short, or nested beyond reason
            skipped += 1
            continue
        step = record.get("step") if isinstance(record, dict) else None
        if isinstance(step, int) and not isinstance(step, bool) and 0 <= step <= MAX_STEP:
            out.append(record)
        else:
            skipped += 1
    return sorted(out, key=lambda r: r["step"]), skipped


def _grids(folder: Path) -> list[tuple[int, Path]]:
    """The sample grids ``samples/step-NNNNNN.png``, by step."""
    found = []
    for path in folder.glob("step-*.png") if folder.is_dir() else ():
        digits = path.stem.removeprefix("step-")
        if digits.isdigit():
            found.append((int(digits), path))
    return sorted(found)


def _is_number(value: Any) -> bool:
    """A finite number within :data:`MAX_VALUE` (an int of 400 digits is not: it has no float)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value) and abs(value) <= MAX_VALUE
    except OverflowError:
        return False


def _is_histogram(value: Any) -> bool:
    """A well-formed histogram record: as many counts on each side as there are bins."""
    if not isinstance(value, dict):
        return False
    edges, real, fake = value.get("edges"), value.get("real"), value.get("fake")
    return (isinstance(edges, list) and 2 <= len(edges) <= MAX_BINS + 1 and all(_is_number(e) for e in edges)
            and all(a <= b for a, b in zip(edges, edges[1:]))
            and all(isinstance(side, list) and len(side) == len(edges) - 1
                    and all(_is_number(c) and c >= 0 for c in side) for side in (real, fake)))
