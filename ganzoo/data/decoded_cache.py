"""The decoded-image cache: a folder decoded once into a file that later runs map, not read.

Files live in ``$GANZOO_HOME/cache/`` (:func:`cache_dir`), one per source folder and settings::

    folder-faces-<slot>-<files>.gzc

``slot`` hashes what the source is (its kind, its folder, the image size, the crop and resize
settings, the decoder: Pillow's version); ``files`` hashes every file it reads (relative path,
size, modification time). A folder whose files change gets a new name, so it is decoded again,
and the entry it replaces (same slot) is removed once the new one is published.

The format: uint8 arrays (``images``, optional ``inputs``) from byte 0, each ``(items, rows, C,
H, W)``, then a JSON trailer (what the arrays are, which items were unusable and why), its
length (8 bytes, little-endian) and :data:`MAGIC`. A file is written as a temporary in the cache
folder and renamed when whole (:func:`ganzoo.io.atomic.atomic_path`), so a file with the final
name is always complete; one killed mid-write is a ``.NAME.*.tmp`` that the next build of the
same slot removes (under the slot's lock: two processes never build one slot at once).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import hashlib
import json
import os
import re
import shutil
import stat as stat_module
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import torch

from ganzoo.errors import ConfigError, StorageError, cut, shown
from ganzoo.io.home import ganzoo_home

SUFFIX = ".gzc"
MAGIC = b"GZCACHE1"
FORMAT = 1
#: Arrays start at multiples of this (a page): a mapped array never shares a page with another.
ALIGN = 4096
_TRAILER = 16  # JSON length (8 bytes) + MAGIC
_BLOCK = 16 * 2**20
VERIFY_VARIABLE = "GANZOO_VERIFY_IMAGES"


def cache_dir() -> Path:
    """``$GANZOO_HOME/cache``: where decoded datasets live (``ganzoo cache list|clear``)."""
    return ganzoo_home() / "cache"


# ---------------------------------------------------------------- the key
def file_fingerprint(root: Path, files: Sequence[Path], content: bool = False) -> str:
    """A hash of each file's path under ``root``, size and modification time (nanoseconds);
    with ``content`` (``GANZOO_VERIFY_IMAGES=1``) of its bytes too, so that a file edited in
    place at the same size and time is noticed (each file is read once more, not decoded)."""
    digest = hashlib.sha256()
    for path in files:
        stat = path.stat()
        digest.update(f"{path.relative_to(root).as_posix()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        if content:
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(_BLOCK), b""):
                    digest.update(block)
    return digest.hexdigest()[:16]


def verify_images() -> bool:
    """``GANZOO_VERIFY_IMAGES``: key the cache by the files' content too (see :func:`file_fingerprint`)."""
    text = os.environ.get(VERIFY_VARIABLE, "").strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{VERIFY_VARIABLE}={shown(text)}: expected 1 (hash every image file's content) or 0")


def describe_source(kind: str, root: Path, settings: dict[str, Any], names: Sequence[str], fingerprint: str) -> dict[str, Any]:
    """What a cache file must say it was decoded from to serve a request (its trailer repeats it)."""
    names_digest = hashlib.sha256("\0".join(names).encode("utf-8", "surrogateescape")).hexdigest()
    return json.loads(json.dumps({"kind": kind, "root": str(root.resolve()), "settings": settings, "items": len(names),
                                  "names": names_digest, "fingerprint": fingerprint}))


def data_checksum(path: Path, data_end: int) -> str:
    """CRC-32 of a cache file's pixel data (its first ``data_end`` bytes), read in 16 MiB blocks:
    it notices a flipped byte; ``benchmarks/decode_cache.py`` measures its cost."""
    crc, left = 0, data_end
    with open(path, "rb") as fh:
        while left > 0:
            block = fh.read(min(left, _BLOCK))
            if not block:
                break
            crc, left = zlib.crc32(block, crc), left - len(block)
    return f"crc32:{crc:08x}:{data_end - left}"


def slot_of(kind: str, root: Path, settings: dict[str, Any]) -> str:
    """A hash of what a cache file holds, apart from the files' state."""
    import PIL

    text = json.dumps({"format": FORMAT, "kind": kind, "root": str(root.resolve()), "settings": settings,
                       "pillow": PIL.__version__}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def entry_path(kind: str, root: Path, slot: str, fingerprint: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", root.resolve().name or "root")[:40]
    return cache_dir() / f"{kind}-{slug}-{slot}-{fingerprint}{SUFFIX}"


# ---------------------------------------------------------------- one cache file
@dataclass
class Entry:
    """A published cache file: its arrays mapped (uint8 ``(items * rows, C, H, W)``) and its trailer."""

    path: Path
    arrays: dict[str, torch.Tensor]
    info: dict[str, Any]

    @property
    def bad(self) -> list[tuple[int, str]]:
        """The unusable items: (index, why)."""
        return [(int(i), str(why)) for i, why in self.info["bad"]]


def layout(shapes: dict[str, tuple[int, ...]]) -> tuple[dict[str, int], int]:
    """Offsets of arrays of ``shapes`` laid out one after another, and the end of the last."""
    offsets, end = {}, 0
    for name, shape in shapes.items():
        offsets[name] = end
        end = _aligned(end + _size(shape))
    return offsets, end


def _size(shape: Sequence[int]) -> int:
    return int(torch.tensor(list(shape), dtype=torch.int64).prod()) if shape else 1


def _aligned(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def write_trailer(path: Path, data_end: int, info: dict[str, Any]) -> None:
    """Cut ``path`` at ``data_end`` and append the JSON trailer."""
    blob = json.dumps(info, separators=(",", ":")).encode()
    with open(path, "r+b") as fh:
        fh.truncate(data_end)
        fh.seek(data_end)
        fh.write(blob + len(blob).to_bytes(8, "little") + MAGIC)


def read_trailer(path: Path) -> dict[str, Any] | None:
    """The trailer of a cache file, or None when it has none that reads (not a whole cache file)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            if size < _TRAILER:
                return None
            fh.seek(size - _TRAILER)
            tail = fh.read(_TRAILER)
            length = int.from_bytes(tail[:8], "little")
            if tail[8:] != MAGIC or length > size - _TRAILER:
                return None
            fh.seek(size - _TRAILER - length)
            info = json.loads(fh.read(length))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or info.get("format") != FORMAT or info.get("data_end", -1) + length + _TRAILER != size:
        return None
    return info


def open_entry(path: Path, expected: dict[str, Any] | None = None) -> Entry | None:
    """The cache file at ``path``, mapped (read-only in effect: private, copy-on-write pages), or
    None when there is none, it is not whole, it is not a regular file (a symlink is never
    followed), its trailer describes another source than ``expected`` (:func:`describe_source`)
    or its pixel data fails the checksum written with it. Marks it used now (``ganzoo cache list``)."""
    try:
        if not stat_module.S_ISREG(os.lstat(path).st_mode):
            return None
    except OSError:
        return None
    info = read_trailer(path)
    if info is None:
        return None
    if expected is not None:
        if any(info.get(key) != value for key, value in expected.items()):
            return None
        if info.get("checksum") != data_checksum(path, int(info["data_end"])):
            print(f"ganzoo: the cache file {path} does not match its checksum (changed since it was written); "
                  "decoding again", file=sys.stderr, flush=True)
            return None
    flat = torch.from_file(str(path), shared=False, size=int(info["data_end"]), dtype=torch.uint8)
    arrays = {}
    for name, (offset, shape) in info["arrays"].items():
        items, rows, *picture = shape
        arrays[name] = flat[offset : offset + _size(shape)].view(items * rows, *picture)
    with contextlib.suppress(OSError):
        os.utime(path)
    return Entry(path, arrays, info)


def release_pages(array: torch.Tensor) -> None:
    """Drop this process's pages of a mapped cache array (``madvise(MADV_DONTNEED)``): they stay
    in the system's page cache, so reading them again costs a minor fault, not a disk read, but
    they stop counting in this process's resident memory. Safe: the map is private and never
    written, so nothing is lost. A no-op where the system has no ``madvise``."""
    storage = array.untyped_storage()
    libc = _libc()
    if libc is not None and storage.nbytes():
        libc.madvise(ctypes.c_void_p(storage.data_ptr()), ctypes.c_size_t(storage.nbytes()), 4)  # MADV_DONTNEED


@functools.lru_cache(maxsize=1)
def _libc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover
        return None


# ---------------------------------------------------------------- building one
def check_space(folder: Path, needed: int, what: str) -> None:
    """Refuse, in one line, a build that the disk under ``folder`` cannot hold."""
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise _no_space(folder, needed, free, what)


def _no_space(folder: Path, needed: int, free: int, what: str) -> StorageError:
    return StorageError(f"the decoded-image cache of {what} needs {_human(needed)} in {folder}, but only {_human(free)} "
                        "is free: free some space, or set GANZOO_HOME to a folder on a larger disk (nothing was written)",
                        errno.ENOSPC, "no space left on device", str(folder))


def allocate(path: Path, size: int, what: str) -> None:
    """Give ``path`` ``size`` bytes of real disk blocks now, so that a full disk is an error here,
    not a crash (SIGBUS) of a worker writing through its map later."""
    with open(path, "r+b") as fh:
        try:
            os.posix_fallocate(fh.fileno(), 0, size)
        except AttributeError:  # pragma: no cover - no posix_fallocate (macOS): sparse, then filled
            fh.truncate(size)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise _no_space(path.parent, size, shutil.disk_usage(path.parent).free, what) from None
            if exc.errno in (errno.EOPNOTSUPP, errno.EINVAL):  # a filesystem without it
                fh.truncate(size)
            else:
                raise


@contextlib.contextmanager
def slot_lock(slot: str) -> Iterator[None]:
    """Held while a slot is checked and built: a second process (another rank, another run of
    the same folder) waits, then finds the file made."""
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock, the last of two builds wins (both whole)
        yield
        return
    with open(folder / f".{slot}.lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _slot_free(slot: str) -> bool:
    """Whether no process holds ``slot``'s lock now (so its temporaries are leftovers)."""
    lock = cache_dir() / f".{slot}.lock"
    try:
        import fcntl
    except ImportError:  # pragma: no cover
        return True
    try:
        with open(lock, "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            return True
    except OSError:
        return False


def remove_leftovers(slot: str, keep: Path | None = None) -> None:
    """Under ``slot``'s lock: delete its temporaries (a build killed mid-way) and the entries
    ``keep`` replaces (the same source before its files changed)."""
    for path in cache_dir().glob(f".*-{slot}-*{SUFFIX}.*.tmp"):
        path.unlink(missing_ok=True)
    for path in cache_dir().glob(f"*-{slot}-*{SUFFIX}"):
        if path != keep:
            path.unlink(missing_ok=True)


# ---------------------------------------------------------------- ganzoo cache list | clear
@dataclass(frozen=True)
class CacheFile:
    """One file in the cache folder, as ``ganzoo cache list`` shows it."""

    path: Path
    source: str  # the folder it was decoded from ("" for a leftover temporary)
    kind: str
    images: int  # examples it holds
    size: int  # bytes on disk
    last_used: float  # seconds since the epoch
    complete: bool  # False: a temporary (a build under way, or killed)


def list_cache() -> list[CacheFile]:
    """Every cache file and temporary under :func:`cache_dir`, most recently used first. Any file
    is listed, whatever its trailer says (one that does not read is not ``complete``); a symlink
    is listed, never followed."""
    folder = cache_dir()
    if not folder.is_dir():
        return []
    out = []
    for path in folder.iterdir():
        try:
            stat = path.lstat()
        except OSError:  # removed meanwhile
            continue
        if SUFFIX not in path.name or stat_module.S_ISDIR(stat.st_mode):
            continue
        regular = stat_module.S_ISREG(stat.st_mode)
        info = read_trailer(path) if regular and path.name.endswith(SUFFIX) else None
        size = getattr(stat, "st_blocks", 0) * 512 or stat.st_size
        examples = info.get("examples") if info is not None else None
        if info is None or not isinstance(examples, int) or isinstance(examples, bool) or examples < 0:
            out.append(CacheFile(path, "", "", 0, size, stat.st_mtime, False))
        else:
            out.append(CacheFile(path, cut(str(info.get("root", "?"))), cut(str(info.get("kind", "?"))), examples, size,
                                 stat.st_mtime, True))
    return sorted(out, key=lambda f: -f.last_used)
def clear_cache(older_than_days: float | None = None) -> list[CacheFile]:
    """Delete the cache files (only those last used more than ``older_than_days`` ago, when
    given) and leftover temporaries no build is writing. Returns what it deleted. A run that
    maps a deleted file keeps reading it (the system frees it when the run ends)."""
    cutoff = None if older_than_days is None else time.time() - older_than_days * 86400
    removed = []
    for entry in list_cache():
        if entry.complete and cutoff is not None and entry.last_used > cutoff:
            continue
        if not entry.complete and _is_temporary(entry.path.name):
            slot = _slot_in(entry.path.name)
            if slot is not None and not _slot_free(slot):
                continue  # a build under way
        entry.path.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def _is_temporary(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")


def _slot_in(name: str) -> str | None:
    found = re.search(r"-([0-9a-f]{12})-[0-9a-f]{16}" + re.escape(SUFFIX), name)
    return found[1] if found else None


def _human(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover


human_size = _human
