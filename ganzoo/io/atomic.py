"""Crash-safe file writes: a temporary file in the same folder, fsync, then rename.

A reader (or a resumed run) sees either the old file or the complete new one, never half. A
write that fails (disk full, a size limit, a read-only place, a path that cannot exist) raises
:class:`ganzoo.errors.StorageError` naming the file meant, not its temporary, and leaves no
temporary behind. :func:`check_writable` refuses such a path before any work is done.

Tests only: ``GANZOO_FAULT_INJECTION`` kills this process at a chosen write, to check that a
run folder survives it (see :func:`parse_faults`; read once, nothing is checked when unset).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import signal
import threading
import stat
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple

from ganzoo.errors import ConfigError, StorageError

FAULT_VARIABLE = "GANZOO_FAULT_INJECTION"
#: Where a fault may strike: the temporary half written, or whole but not yet renamed.
FAULT_MOMENTS = ("kill-half-written", "kill-before-publish")
#: The longest part of a target's name a temporary file repeats (``.NAME.RANDOM.tmp`` must fit
#: where NAME fits).
_TMP_NAME_PART = 64


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, exclusive: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path`` atomically. With
    ``exclusive`` an existing ``path`` is never replaced: :class:`FileExistsError` instead, even
    when another process created it while this one was writing (the file is published with a
    hard link, which fails if the name is taken). Any other OS error, the writer's included, is a
    :class:`StorageError`; ``path`` is then as it was."""
    import tempfile  # ~10 ms of start-up that the listing commands, which never write, do not pay

    _refuse_bad_faults()
    path = Path(path)
    tmp_path: Path | None = None
    try:
        with _interrupts_held():  # a Ctrl-C between making the temporary and knowing its name would leave it behind
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:_TMP_NAME_PART]}.", suffix=".tmp", dir=path.parent)
            except FileExistsError:  # the folder to write in is a file
                raise StorageError.of(NotADirectoryError(errno.ENOTDIR, "", str(path.parent)), path) from None
            except OSError as exc:
                raise StorageError.of(exc, path) from None
            os.close(fd)
            tmp_path = Path(tmp)
        try:
            yield tmp_path
            _strike(path.name, tmp_path)
            with open(tmp_path, "rb+") as fh:
                os.fsync(fh.fileno())
            os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; a saved file gets the usual mode
            _strike(path.name, tmp_path, whole=True)
            if exclusive:
                _publish_exclusively(tmp_path, path)
            else:
                refuse_special(path)  # (again: something may have appeared there while this was written)
                os.replace(tmp_path, path)
        except (FileExistsError, StorageError):  # FileExistsError: the exclusive publish found the name taken
            raise
        except OSError as exc:
            raise StorageError.of(exc, path) from None
        except Exception as exc:  # a writer built on Rust (safetensors) reports the OS error in words only
            failure = _os_error_in(exc)
            if failure is None:
                raise
            raise StorageError.of(failure, path) from None
        _fsync_dir(path.parent)
    finally:
        if tmp_path is not None:
            tmp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """A Ctrl-C (SIGINT) during the block held back and handled as usual when it ends. Only the
    main thread runs Python's signal handlers; a handler that is not a Python function (ignore,
    or the default that ends the process) is left alone."""
    previous = signal.getsignal(signal.SIGINT)
    if not callable(previous) or threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[Any] = []
    signal.signal(signal.SIGINT, lambda signum, frame: caught.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            previous(signal.SIGINT, caught[0])


def _os_error_in(exc: Exception) -> OSError | None:
    """The OS error behind ``exc`` when its message ends like Rust's ``... (os error 28)``."""
    found = re.search(r"\(os error (\d+)\)", str(exc))
    return OSError(int(found[1]), os.strerror(int(found[1]))) if found else None


def _publish_exclusively(tmp: Path, path: Path) -> None:
    try:
        os.link(tmp, path)  # atomic, and fails if the name exists
    except FileExistsError:
        raise
    except OSError:  # a filesystem without hard links: check, then rename (a narrow race remains)
        if path.exists():
            raise FileExistsError(errno.EEXIST, "File exists", str(path)) from None
        os.replace(tmp, path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform lets a folder be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Delete the temporary files that writes killed mid-way left in ``folder`` (``.NAME.*.tmp``);
    call it only where no other process is writing. Returns what it removed."""
    removed = []
    for tmp in Path(folder).glob(".*.tmp"):
        if tmp.is_file():
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_with(path: str | os.PathLike, writer: Callable[[Path], None], exclusive: bool = False) -> None:
    """Atomically write ``path`` with ``writer(temporary_path)`` (``exclusive``: see :func:`atomic_path`)."""
    with atomic_path(path, exclusive) as tmp:
        writer(tmp)


# ---------------------------------------------------------------- paths checked before any work
_SPECIAL = {stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device", stat.S_IFIFO: "a FIFO (named pipe)",
            stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a folder"}


def refuse_special(path: str | os.PathLike) -> None:
    """Refuse a ``path`` that exists and is neither a regular file nor a symlink (which a write
    replaces, never follows): a device, a FIFO, a socket, a folder are never written over, even
    with ``--force``."""
    try:
        kind = _SPECIAL.get(stat.S_IFMT(os.lstat(path).st_mode))
    except OSError:  # nothing there (or nothing readable: the write itself will say)
        return
    if kind is not None:
        raise StorageError(f"cannot write {path}: it is {kind}, not a regular file; ganzoo writes over regular files "
                           "only, even with --force: choose another -o", errno.EEXIST, f"it is {kind}", str(path))


def check_writable(path: str | os.PathLike, folder: bool = False) -> Path:
    """Refuse, up front, a file (``folder``: a folder) that could not be written at ``path``: one
    under a file, one whose name is longer than the filesystem allows, a folder where a file is
    meant, or one in a place where nothing can be made (read-only, ``/proc``, ``/sys``, a full
    disk): that is tried for real, by making and removing a folder in the nearest existing one.
    Creates nothing; returns ``path``."""
    import tempfile  # (see atomic_path)

    _refuse_bad_faults()  # (so that a command refuses it before any work)
    path = Path(path)
    doing = "create" if folder else "write"
    existing = _nearest_existing(path, doing)
    if existing == path and path.is_dir() != folder:
        code, reason = (errno.ENOTDIR, "it is a file, not a folder") if folder else (errno.EISDIR, "it is a folder, not a file")
        raise StorageError(f"cannot {doing} {path}: {reason}", code, reason, str(path))
    if existing != path:
        name_max = _name_max(existing)
        for part in path.relative_to(existing).parts:
            if len(os.fsencode(part)) > name_max:
                raise StorageError.of(OSError(errno.ENAMETOOLONG, ""), path, doing)
    inside = existing if existing.is_dir() else existing.parent
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".ganzoo-check-", dir=inside))
    except FileNotFoundError as exc:  # /proc says so of a name it will not make
        raise StorageError(f"cannot {doing} {path}: nothing can be made in {inside} (no such file or directory)",
                           exc.errno, "no such file or directory", str(path)) from None
    except OSError as exc:
        raise StorageError.of(exc, path, doing) from None
    return path


def _nearest_existing(path: Path, doing: str) -> Path:
    """``path`` or its nearest existing ancestor (a file on the way: :class:`StorageError`)."""
    for candidate in (path, *path.parents):
        try:
            is_folder = candidate.stat().st_mode & 0o170000 == 0o040000
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:  # a name too long, a loop of links
            raise StorageError.of(exc, path, doing) from None
        if candidate != path and not is_folder:
            raise StorageError(f"cannot {doing} {path}: {candidate} is a file, not a folder", errno.ENOTDIR,
                               "a part of the path is a file, not a folder", str(path))
        return candidate
    return Path(".")  # pragma: no cover - a relative path always has "."


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):  # pragma: no cover - no pathconf here: the common limit
        return 255


# ---------------------------------------------------------------- fault injection (tests only)
class Fault(NamedTuple):
    """Kill this process at ``moment`` of the ``nth`` write of a file named ``name`` (``*``: any)."""

    moment: str
    name: str
    nth: int


def parse_faults(text: str) -> list[Fault]:
    """``GANZOO_FAULT_INJECTION``'s grammar: comma-separated ``MOMENT:NAME:N``. MOMENT is
    ``kill-half-written`` (the temporary file is cut to half its size, then SIGKILL: as if killed
    while writing) or ``kill-before-publish`` (SIGKILL once the temporary is whole and synced,
    before the rename); NAME a file name (``checkpoint.safetensors``) or ``*``; N counts this
    process's writes of that name from 1. ``kill-before-publish:checkpoint.safetensors:2`` kills
    at the second checkpoint. Anything else: :class:`ConfigError`."""
    faults = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        moment, _, rest = item.partition(":")
        name, _, nth = rest.rpartition(":")
        if moment not in FAULT_MOMENTS or not name or not nth.isdigit() or int(nth) < 1:
            raise ConfigError(f"{FAULT_VARIABLE}={text!r}: expected MOMENT:NAME:N[,...] with MOMENT one of "
                              f"{', '.join(FAULT_MOMENTS)} and N >= 1 (it is for tests only; unset it)")
        faults.append(Fault(moment, name, int(nth)))
    return faults


def _read_faults() -> list[Fault] | ConfigError:
    try:
        return parse_faults(os.environ.get(FAULT_VARIABLE, ""))
    except ConfigError as exc:  # raised at the first write: importing ganzoo must not fail on it
        return exc


_FAULTS = _read_faults()
_writes: dict[Fault, int] = {}


def _refuse_bad_faults() -> None:
    if isinstance(_FAULTS, ConfigError):
        raise _FAULTS


def _strike(name: str, tmp: Path, whole: bool = False) -> None:
    """Kill this process if a fault is due at this write (``whole``: the temporary is whole and synced)."""
    if not _FAULTS:
        return
    for fault in _FAULTS:  # type: ignore[union-attr] - a ConfigError was raised before any write
        if fault.name not in (name, "*") or (fault.moment == "kill-before-publish") != whole:
            continue
        _writes[fault] = _writes.get(fault, 0) + 1
        if _writes[fault] == fault.nth:
            if not whole:
                os.truncate(tmp, tmp.stat().st_size // 2)
            os.kill(os.getpid(), signal.SIGKILL)
