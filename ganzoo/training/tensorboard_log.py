"""``--logger tensorboard``: the run's records as TensorBoard event files in ``RUN_DIR/tensorboard``.

A mirror of ``metrics.jsonl`` (which stays the run's own record): every number of a line
becomes a scalar (``loss/d_loss``, ``speed/images_per_sec``, ``eval/fd_digits``, ...), each
discriminator histogram a TensorBoard histogram, each sample grid an image, and the run's
settings one text entry. ``tensorboard --logdir runs`` then compares every run side by side.
The package is optional (``pip install 'ganzoo[tensorboard]'``): it is imported only here,
only when a run asks for it.
"""

from __future__ import annotations

import json
import os
from typing import Any

import torch

from ganzoo.errors import MissingExtra
from ganzoo.io import run_folder

#: TensorBoard's dashboard groups of the loss line's scalars (the rest go under their own names).
GROUPS = {"d_loss": "loss", "g_loss": "loss", "images_per_sec": "speed", "elapsed": "speed"}


class TensorBoardLog:
    """Writes into ``log_dir`` (``None``: not asked for, or a data-parallel rank other than 0:
    every method does nothing). ``start_step``: a resumed run's checkpoint step; events an
    earlier process logged after it are dropped, like the lines of ``metrics.jsonl``."""

    def __init__(self, log_dir: str | os.PathLike | None, settings: dict[str, Any], start_step: int = 0) -> None:
        self.writer: Any = None
        if log_dir is None:
            return
        MissingExtra.require("tensorboard", "tensorboard", "--logger tensorboard")  # (TrainConfig.validate checked)
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(str(log_dir), purge_step=start_step + 1 if start_step else None)
        self.writer.add_text("settings", "```json\n" + json.dumps(settings, indent=2, sort_keys=True) + "\n```", start_step)

    def write(self, step: int, record: dict[str, Any]) -> None:
        """One ``metrics.jsonl`` record: its numbers as scalars, a histogram as a histogram."""
        if self.writer is None:
            return
        for tag, value in _numbers(record):
            self.writer.add_scalar(tag, value, step)
        histogram = record.get(run_folder.HISTOGRAM_RECORD)
        if histogram is not None:
            for side in ("real", "fake"):
                self._histogram(f"discriminator/{histogram['values']}_on_{side}", histogram["edges"], histogram[side], step)

    def image(self, step: int, pixels: torch.Tensor) -> None:
        """A sample grid, uint8 ``(C, H, W)``."""
        if self.writer is not None:
            self.writer.add_image("samples", pixels, step, dataformats="CHW")

    def _histogram(self, tag: str, edges: list[float], counts: list[int], step: int) -> None:
        """Pre-binned counts (TensorBoard's raw form: right edges, and moments from bin centres)."""
        total = sum(counts)
        if not total:
            return
        centres = [(a + b) / 2 for a, b in zip(edges, edges[1:])]
        used = [i for i, n in enumerate(counts) if n]
        self.writer.add_histogram_raw(
            tag, min=edges[used[0]], max=edges[used[-1] + 1], num=total,
            sum=sum(c * n for c, n in zip(centres, counts)), sum_squares=sum(c * c * n for c, n in zip(centres, counts)),
            bucket_limits=edges[1:], bucket_counts=counts, global_step=step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def __enter__(self) -> TensorBoardLog:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _numbers(record: dict[str, Any], prefix: str = "") -> list[tuple[str, float]]:
    """``(tag, value)`` for every number in a record, nested ones (``eval``) as ``eval/NAME``."""
    out = []
    for key, value in record.items():
        if key == "step" or key == run_folder.HISTOGRAM_RECORD:
            continue
        if isinstance(value, dict):
            out += _numbers(value, f"{prefix}{key}/")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out.append((prefix + (f"{GROUPS[key]}/{key}" if not prefix and key in GROUPS else key), float(value)))
    return out
