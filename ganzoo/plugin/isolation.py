"""What keeps ganzoo standing while plugin code runs at discovery.

Plugin modules are imported, and their hooks called, inside :class:`Loading`, which

* sends ``sys.stdout`` *and* file descriptor 1 to stderr, so that a plugin that prints (or
  ``os.write(1, ...)``s, or runs a program that does) never corrupts ``--json`` output. Writes
  through ``sys.stdout`` / ``sys.__stdout__`` are noticed (:meth:`Loading.wrote_to_stdout`), so
  the plugin's line can say so; raw writes to fd 1 are redirected but not noticed (that would
  take a pipe and a thread, and would lose what a dying plugin said last);
* turns ``os._exit`` and ``os.abort`` called from the loading thread into :class:`ExitCalled`, an
  exception the discovery loop isolates like any other. Nothing in-process can stop other ways
  of dying (a crash in native code, a signal sent to itself, ``ctypes`` calls to ``exit``):
  ``ganzoo plugins --check`` loads each distribution in a subprocess to name the culprit;
* notices a real SIGINT. A ``KeyboardInterrupt`` *raised* by a plugin is its failure like any
  other, but one that comes from the user pressing Ctrl-C (often because a plugin hangs at
  import) must stop the command, naming the plugin that was loading: the handler records that
  the signal really arrived, which is what tells the two apart. Off the main thread, or when
  someone else owns SIGINT, no handler is installed and a KeyboardInterrupt counts as the plugin's.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any, NoReturn

#: Longest exception text kept in a plugin's one-line message.
MAX_MESSAGE = 300


def describe(exc: BaseException) -> str:
    """``"Type: message"`` on one line, shortened, even when ``str(exc)`` itself raises."""
    if isinstance(exc, ExitCalled):
        return str(exc)
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001 - a hostile __str__ must not break the report
        text = "<the exception's message could not be printed>"
    text = " ".join(text.split())
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 3] + "..."
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


class ExitCalled(BaseException):
    """``os._exit`` or ``os.abort`` called while plugins load (a BaseException, like the exit it stands for)."""

    def __init__(self, call: str) -> None:
        super().__init__(f"called {call}")


class _Watched:
    """A stand-in for ``sys.stdout`` that writes to stderr and remembers that it was written to."""

    def __init__(self, target: Any) -> None:
        self._target = target
        self.written = False
        self.open_line = False  # the last write did not end its line

    def write(self, text: str) -> int:
        if text:
            self.written, self.open_line = True, not text.endswith("\n")
        return self._target.write(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def close(self) -> None:  # a plugin closing "stdout" must not close ganzoo's stderr
        pass

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


class Loading:
    """The guard around plugin loading (see the module docstring); re-entrant use is not needed."""

    def __init__(self) -> None:
        self.interrupted = False
        self._saved_fd: int | None = None

    # ------------------------------------------------------------ enter / exit
    def __enter__(self) -> Loading:
        self._redirect_stdout()
        self._trap_exits()
        self._watch_sigint()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._restore_sigint()
        self._release_exits()
        self._restore_stdout()

    # ------------------------------------------------------------ what happened
    @property
    def sigint_watched(self) -> bool:
        """Whether a real Ctrl-C is told apart from a KeyboardInterrupt a plugin raises."""
        return self._previous is not None

    def wrote_to_stdout(self) -> bool:
        """Whether ``sys.stdout`` was written to since the last call (a line it left open is ended,
        so that ganzoo's own line about the plugin starts a line of its own)."""
        written, watch = self._watch.written, self._watch
        if watch.open_line:
            watch.write("\n")
        watch.written = watch.open_line = False
        return written

    # ------------------------------------------------------------ stdout
    def _redirect_stdout(self) -> None:
        self._stdout, self._dunder = sys.stdout, sys.__stdout__
        for stream in (self._stdout, self._dunder):
            _flush(stream)  # what ganzoo printed before loading belongs on the real stdout
        try:
            self._saved_fd = os.dup(1)
            os.dup2(2, 1)
        except OSError:  # no fd 1 or 2 (a daemon, an embedding app): only sys.stdout is guarded
            self._saved_fd = None
        self._watch = _Watched(sys.stderr)
        sys.stdout = sys.__stdout__ = self._watch

    def _restore_stdout(self) -> None:
        # flush what plugins left buffered while fd 1 still points at stderr
        for stream in (sys.stdout, sys.__stdout__, self._stdout, self._dunder):
            _flush(stream)
        sys.stdout, sys.__stdout__ = self._stdout, self._dunder
        if self._saved_fd is not None:
            os.dup2(self._saved_fd, 1)
            os.close(self._saved_fd)

    # ------------------------------------------------------------ os._exit, os.abort
    def _trap_exits(self) -> None:
        self._real = {name: getattr(os, name) for name in ("_exit", "abort")}
        pid, thread, real = os.getpid(), threading.get_ident(), self._real

        def trapped(name: str) -> Any:
            def call(*args: Any) -> NoReturn:
                # a forked child or another thread really exits: only the loading thread is guarded
                if os.getpid() != pid or threading.get_ident() != thread or not self._trapping:
                    real[name](*args)
                raise ExitCalled(f"os.{name}({', '.join(map(repr, args))})")

            return call

        self._trapping = True
        for name in self._real:
            setattr(os, name, trapped(name))

    def _release_exits(self) -> None:
        self._trapping = False  # references a plugin kept now exit for real
        for name, function in self._real.items():
            setattr(os, name, function)

    # ------------------------------------------------------------ Ctrl-C
    def _watch_sigint(self) -> None:
        self._previous = None
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            return

        def on_sigint(signum: int, frame: Any) -> NoReturn:
            self.interrupted = True
            raise KeyboardInterrupt

        self._previous = signal.signal(signal.SIGINT, on_sigint)

    def _restore_sigint(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def _flush(stream: Any) -> None:
    try:
        stream.flush()
    except BaseException:  # noqa: BLE001 - a closed or broken stream: nothing to flush
        pass
