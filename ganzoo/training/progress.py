"""What a run shows while it trains: a rich bar on a terminal, plain lines elsewhere, nothing
on the data-parallel ranks other than 0."""

from __future__ import annotations

import sys
import time
from typing import Any


class Progress:
    """A rich progress bar with live losses and ETA on a terminal; plain lines elsewhere."""

    def __init__(self, total: int, done: int, live: bool) -> None:
        self.total, self.live = total, live
        self.step = done
        self.last_line = time.perf_counter()
        if live:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress

            self.bar = RichProgress(
                TextColumn("[bold]training"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[losses]}"),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                transient=False,
            )
            self.task = self.bar.add_task("train", total=total, completed=done, losses="")

    def __enter__(self) -> Progress:
        if self.live:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.live:
            self.bar.__exit__(*exc)

    def advance(self) -> None:
        self.step += 1
        if self.live:
            self.bar.advance(self.task)

    def note(self, message: str) -> None:
        if self.live:
            self.bar.console.print(message)
        else:
            print(message, file=sys.stderr, flush=True)

    def warn(self, message: str) -> None:
        if self.live:
            from rich.text import Text

            self.bar.console.print(Text.assemble(("warning:", "yellow"), f" {message}"))
        else:
            print(f"ganzoo: warning: {message}", file=sys.stderr, flush=True)

    def show(self, d: float, g: float) -> None:
        text = f"d_loss {d:.3f}  g_loss {g:.3f}"
        if self.live:
            self.bar.update(self.task, losses=text)
        elif time.perf_counter() - self.last_line > 10 or self.step == self.total:
            self.last_line = time.perf_counter()
            print(f"step {self.step}/{self.total}  {text}", file=sys.stderr, flush=True)


class Silent(Progress):
    """The display of data-parallel ranks other than 0: shows nothing."""

    def __init__(self) -> None:
        super().__init__(0, 0, live=False)

    def note(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass

    def show(self, d: float, g: float) -> None:
        pass


def progress_for(total: int, done: int, live: bool, is_main: bool) -> Progress:
    return Progress(total, done, live) if is_main else Silent()
