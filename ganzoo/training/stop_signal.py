"""Ctrl-C as a request: the first one asks the loop to checkpoint and stop at the end of the
step; a second one aborts at once."""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Any, Callable, Iterator


@contextlib.contextmanager
def stop_requested() -> Iterator[Callable[[], bool]]:
    """``pressed() -> bool`` while the block runs (always False off the main thread, where
    Python cannot catch signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    pressed = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        if pressed.is_set():
            raise KeyboardInterrupt
        pressed.set()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield pressed.is_set
    finally:
        signal.signal(signal.SIGINT, previous)
