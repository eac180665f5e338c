"""The one exception family users see.

Every message says what went wrong *and* what to do; the CLI prints it on one line
(exit code 2, or ``exit_code`` of the subclass) instead of a traceback.
"""

from __future__ import annotations

from typing import Any


class GanzooError(Exception):
    """Base class for errors caused by input the user can fix."""

    exit_code = 2


class UnknownNameError(GanzooError, LookupError):
    """A model, architecture, loss, dataset or plugin name that is not registered."""


class ConfigError(GanzooError, ValueError):
    """An override or combination of settings that cannot work."""


class DataError(GanzooError):
    """A dataset that is missing, empty, unreadable or of the wrong shape."""


class WeightsError(GanzooError):
    """A weights file that is not safetensors, or does not fit the architecture."""


class NonFiniteWeights(WeightsError):
    """Weights holding NaN or inf: never written, never loaded (they draw nothing)."""


class PluginError(GanzooError):
    """A plugin that failed to load (raised only in strict mode)."""


class RunFolderError(GanzooError):
    """A run folder that exists already, or cannot be resumed."""


class OutputExists(GanzooError, FileExistsError):
    """A file to write exists already and was not asked to be replaced (``overwrite=False``)."""


class MissingExtra(GanzooError):
    """An optional package that a command needs is not installed: the message names the extra
    that installs it (``pip install 'ganzoo[plot]'``). Core installs stay small."""

    @classmethod
    def require(cls, module: str, extra: str, who: str) -> Any:
        """``import module``, or this error: ``WHO needs PACKAGE: pip install 'ganzoo[EXTRA]'``."""
        import importlib

        try:
            return importlib.import_module(module)
        except ImportError:
            raise cls.naming(module, extra, who) from None

    @classmethod
    def check(cls, module: str, extra: str, who: str) -> None:
        """Like :meth:`require`, but only finds ``module`` (a check of settings stays quick)."""
        import importlib.util

        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise cls.naming(module, extra, who)

    @classmethod
    def naming(cls, module: str, extra: str, who: str) -> MissingExtra:
        return cls(f"{who} needs the optional package {module.split('.')[0]}, which is not installed: "
                   f"pip install 'ganzoo[{extra}]'")


class TrainingDiverged(GanzooError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""

    exit_code = 1


class TrainingInterrupted(GanzooError):
    """Ctrl-C during training: a checkpoint was saved and the run can be resumed."""

    exit_code = 130


class PluginInterrupted(PluginError):
    """Ctrl-C while a plugin was loading (often one that hangs at import): the message names it."""

    exit_code = 130


class StorageError(GanzooError, OSError):
    """A file or folder that could not be written or used: the disk is full, a size limit is
    reached, the place is read-only, or the path cannot exist. Nothing already on disk was lost.
    Also an :class:`OSError` (``errno``, ``strerror``, ``filename``), so code that handles OS
    errors keeps working; ``str()`` is the one-line message."""

    exit_code = 1

    def __init__(self, message: str, errno: int | None = None, reason: str | None = None, path: str | None = None) -> None:
        OSError.__init__(self, errno, reason, path)
        self.message = message

    def __str__(self) -> str:
        return self.message

    @classmethod
    def of(cls, exc: OSError, path: object = None, doing: str = "write") -> StorageError:
        """``cannot DOING PATH: REASON`` for ``exc`` (``path``: what was meant, when ``exc``
        names a temporary file or nothing)."""
        where = path if path is not None else exc.filename
        reason = os_reason(exc)
        return cls(f"cannot {doing} {where}: {reason}" if where is not None else f"cannot {doing}: {reason}",
                   exc.errno, reason, None if where is None else str(where))

    def adding(self, more: str) -> StorageError:
        """The same error with ``more`` said after it (what was kept, what to do)."""
        return type(self)(f"{self.message}{more}", self.errno, self.strerror, self.filename)


#: Reasons in words, where the system's own (``os.strerror``) would puzzle a user.
_REASONS = {
    "EISDIR": "it is a folder, not a file",
    "ENOTDIR": "a part of the path is a file, not a folder",
    "ENAMETOOLONG": "a name in the path is longer than the filesystem allows",
    "EFBIG": "file too large (the system's or the filesystem's size limit)",
    "EROFS": "read-only file system",
    "EDQUOT": "disk quota exceeded",
}


def os_reason(exc: OSError) -> str:
    """Why ``exc`` happened, in words: ``no space left on device``, ``it is a folder, not a file``."""
    import errno
    import os

    name = errno.errorcode.get(exc.errno or 0, "")
    if name in _REASONS:
        return _REASONS[name]
    text = " ".join(str(exc.strerror or (os.strerror(exc.errno) if exc.errno else str(exc) or type(exc).__name__)).split())
    return text[:1].lower() + text[1:]


class InstallError(GanzooError):
    """``ganzoo install``/``uninstall`` refused or pip failed; the message says which requirement."""


#: The longest text from a file, a header or the user that a message repeats.
SHOWN_LENGTH = 120


def cut(text: str, limit: int = SHOWN_LENGTH) -> str:
    """``text`` cut to ``limit`` characters (``...`` at the end): a 50 MB name or header echoed in
    a one-line error stays one readable line."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown(value: object, limit: int = SHOWN_LENGTH) -> str:
    """``repr(value)``, :func:`cut`."""
    return cut(repr(value), limit)
