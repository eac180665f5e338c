"""Decoding many images at once: worker processes (or threads) writing straight into the arrays.

A :class:`Decoder` says how one item (an image file, a pair of files) becomes rows of the
dataset's arrays. :func:`run_chunks` runs a task over chunks of items in a pool and shows a rich
progress bar on a terminal. :func:`fill` decodes every item into arrays that are either in this
process's memory (threads) or a file every worker maps (processes): decoded pixels never travel
through a pipe, only one small note per item does, or the one line that says why it is unusable.

Processes are forked on Linux (as torch's DataLoader does: a worker starts in milliseconds with
everything imported, and never re-runs the caller's script), before the progress bar's thread
starts; each sets torch to one thread. Elsewhere they are spawned.
"""

from __future__ import annotations

import contextlib
import functools
import math
import multiprocessing
import os
import sys
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from ganzoo.errors import DataError
from ganzoo.io.cpus import usable_cpus

#: ``GANZOO_DECODE_WORKERS=N`` sets how many processes (or threads) decode; default: the CPUs this process may use (affinity and cgroup quota).
WORKERS_VARIABLE = "GANZOO_DECODE_WORKERS"


def decode_workers() -> int:
    """How many workers decode: ``$GANZOO_DECODE_WORKERS``, else the CPUs this process may use (affinity and cgroup quota)."""
    text = os.environ.get(WORKERS_VARIABLE, "").strip()
    if text:
        if not text.isdigit() or int(text) < 1:
            raise DataError(f"{WORKERS_VARIABLE}={text!r}: expected a whole number >= 1")
        return int(text)
    return usable_cpus()


class Decoder:
    """How one item becomes rows of the dataset's arrays, and what the whole set decides after.

    Sent to worker processes by pickling: a subclass lives at a module's top level and holds plain
    data (sizes, modes), never a tensor or an open file.
    """

    def layout(self) -> dict[str, tuple[int, ...]]:
        """Array name (``images``, ``inputs``) -> the shape of one item's rows ``(rows, C, H, W)``."""
        raise NotImplementedError

    def decode(self, item: Any) -> tuple[dict[str, Any], Any]:
        """The item's rows, uint8 arrays or tensors of :meth:`layout`'s shapes, and a note (small
        plain data that :meth:`channels` reads, such as the largest channel difference); a
        :class:`DataError` for an unusable item."""
        raise NotImplementedError

    def channels(self, notes: list[Any]) -> dict[str, int]:
        """The channels each array keeps once every usable item's note is known (3 -> 1: the
        grey rule of :func:`ganzoo.data.image_dataset.grey_from_rgb`). Default: as decoded."""
        return {name: shape[1] for name, shape in self.layout().items()}


# ---------------------------------------------------------------- where the rows go
@dataclass(frozen=True)
class FileArrays:
    """Arrays laid out in one file, mapped by every process that writes them: name -> (offset, shape)."""

    path: str
    sections: tuple[tuple[str, int, tuple[int, ...]], ...]

    def open(self) -> dict[str, np.ndarray]:
        return _mapped(self.path, self.sections)


@functools.lru_cache(maxsize=4)
def _mapped(path: str, sections: tuple[tuple[str, int, tuple[int, ...]], ...]) -> dict[str, np.ndarray]:
    """One mapping per worker process and file, kept while the worker lives."""
    return {name: np.memmap(path, dtype=np.uint8, mode="r+", offset=offset, shape=shape)
            for name, offset, shape in sections}


class MemoryArrays:
    """Arrays in this process's memory (threads write them); shares the caller's buffers."""

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.arrays = dict(arrays)

    def open(self) -> dict[str, np.ndarray]:
        return self.arrays


# ---------------------------------------------------------------- the tasks
def fill_chunk(decoder: Decoder, target: Any, start: int, items: Sequence[Any]) -> list[Any]:
    """Decode ``items`` (numbered from ``start``) into ``target``'s arrays: per item its note, or
    the line that says why it is unusable."""
    arrays = target.open()
    out: list[Any] = []
    for row, item in enumerate(items, start):
        try:
            parts, note = decoder.decode(item)
        except DataError as exc:
            out.append(str(exc))
            continue
        for name, value in parts.items():
            arrays[name][row] = np.asarray(value)
        out.append(note)
    return out


def call_chunk(function: Callable[[Any], Any], start: int, items: Sequence[Any]) -> list[Any]:
    """``function`` of each item, or the :class:`DataError` line it raised, as a string in a tuple."""
    out = []
    for item in items:
        try:
            out.append(function(item))
        except DataError as exc:
            out.append((str(exc),))
    return out


# ---------------------------------------------------------------- the pool
def _init_worker() -> None:
    import signal

    import torch

    torch.set_num_threads(1)  # one decode per process; a worker's resize must not spread over every core
    # Ctrl-C is the parent's to handle (it cancels what has not started and removes its file)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Hold Ctrl-C back while workers are forked: one that lands in fork's handlers is lost
    (Python only prints it), so it is delivered once they exist."""
    import signal
    import threading

    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _context() -> Any:
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")  # pragma: no cover - macOS, Windows


def _executor(processes: bool, workers: int) -> Executor:
    if processes:
        return ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_init_worker)
    return ThreadPoolExecutor(max_workers=workers)


def run_chunks(task: Callable[[int, Sequence[Any]], list[Any]], items: Sequence[Any], *, processes: bool,
               label: str, workers: int | None = None) -> list[Any]:
    """``task(start, chunk)`` over chunks of ``items`` in a pool; the per-item results, in order.

    ``processes``: worker processes (``task`` must pickle: a ``functools.partial`` of a top-level
    function); else threads. A rich progress bar says ``label`` on a terminal.
    """
    workers = max(1, min(workers or decode_workers(), len(items)))
    size = max(1, min(256, math.ceil(len(items) / (workers * 8))))
    results: list[Any] = [None] * len(items)
    with _executor(processes, workers) as pool:
        # every chunk submitted (the workers forked) before the progress bar starts its thread
        with _ctrl_c_held():
            futures = {pool.submit(task, start, items[start : start + size]): start for start in range(0, len(items), size)}
        with _progress(label, len(items)) as advance:
            try:
                for future in as_completed(futures):
                    start, part = futures[future], future.result()
                    results[start : start + len(part)] = part
                    advance(len(part))
            except BaseException:  # Ctrl-C, a broken worker: cancel what has not started, then pass it on
                for future in futures:
                    future.cancel()
                raise
    return results


def fill(decoder: Decoder, items: Sequence[Any], target: Any, *, processes: bool, label: str) -> list[Any]:
    """Decode every item into ``target`` (:class:`FileArrays` with processes, :class:`MemoryArrays`
    with threads); per item its note, or why it is unusable (a string)."""
    return run_chunks(functools.partial(fill_chunk, decoder, target), items, processes=processes, label=label)


class _progress:
    """A transient rich progress bar on a terminal (stderr); nothing elsewhere."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.bar = label, total, None

    def __enter__(self) -> Callable[[int], None]:
        if sys.stderr.isatty() and self.total > 1:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            from rich.console import Console

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self.bar.start()
            task = self.bar.add_task(self.label, total=self.total)
            return lambda n: self.bar.advance(task, n)
        return lambda n: None

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.stop()
