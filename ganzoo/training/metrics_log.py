"""The run's ``metrics.jsonl``: the one writer of it. One JSON object per line, each with its
``step``; flushed per line so a crash loses at most the line being written."""

from __future__ import annotations

import json
import os
from typing import Any


class MetricsLog:
    """Appends records to ``path`` (``None``: a data-parallel rank other than 0, which writes nothing)."""

    def __init__(self, path: str | os.PathLike | None) -> None:
        self.file = open(path, "a", encoding="utf-8") if path is not None else None  # noqa: SIM115 (closed in close())

    def write(self, step: int, **record: Any) -> None:
        if self.file is not None:
            self.file.write(json.dumps({"step": step, **record}) + "\n")
            self.file.flush()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()

    def __enter__(self) -> MetricsLog:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

