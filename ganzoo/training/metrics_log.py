"""The run's ``metrics.jsonl``: the one writer of it. One JSON object per line, each with its
``step``, written with one unbuffered append: a crash loses at most the line being written, and a
write that fails (disk full, a size limit) is cut back off, so no half line is left."""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any, Callable

from ganzoo.errors import StorageError


class MetricsLog:
    """Appends records to ``path`` (``None``: a data-parallel rank other than 0, which writes nothing);
    ``mirror(step, record)`` gets each record written too (``--logger tensorboard``)."""

    def __init__(self, path: str | os.PathLike | None, mirror: Callable[[int, dict[str, Any]], None] | None = None) -> None:
        self.path, self.mirror = path, mirror
        try:
            self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666) if path is not None else None
        except OSError as exc:
            raise StorageError.of(exc, path) from None

    def write(self, step: int, **record: Any) -> None:
        if self.fd is None:
            return
        line = memoryview((json.dumps({"step": step, **record}) + "\n").encode("utf-8"))
        size = os.fstat(self.fd).st_size
        try:
            while line:
                line = line[os.write(self.fd, line):]
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, size)  # the part of the line that got in
            raise StorageError.of(exc, self.path) from None
        if self.mirror is not None:
            self.mirror(step, record)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> MetricsLog:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
