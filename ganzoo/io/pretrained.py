"""Pretrained weights by name: from the cache, from the package that ships them, or downloaded.

``ganzoo.load("dcgan.digits")`` ends here. A name always means the same bytes: every file is
checked against the sha256 and size its :class:`~ganzoo.plugin.specs.WeightsSpec` registered, and a
download is streamed into a temporary file beside the cache file and renamed into place only
once it verified, so nothing half-written ever sits under the final name. Nothing downloads
under ``GANZOO_OFFLINE=1``. Torch-free, because ``ganzoo info`` uses it.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import sys
import urllib.error
import urllib.request
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ganzoo._version import __version__
from ganzoo.io.atomic import atomic_path
from ganzoo.errors import UnknownNameError, WeightsError
from ganzoo.io.home import ganzoo_home, offline
from ganzoo.plugin.registry import list_command, suggest
from ganzoo.plugin.specs import WeightsSpec

if TYPE_CHECKING:
    from ganzoo.plugin.registry import Registry

CHUNK = 1 << 20
TIMEOUT_S = 60


def cache_dir() -> Path:
    """``$GANZOO_HOME/weights``: where downloaded pretrained weights live."""
    return ganzoo_home() / "weights"


def cached_path(spec: WeightsSpec) -> Path:
    """Where ``spec``'s file is (or would be) cached; the hash prefix keeps new weights of an old name apart."""
    return cache_dir() / f"{spec.name}-{spec.sha256[:8]}.safetensors"


def package_file(reference: str) -> Any | None:
    """The file a ``"package:relative/path"`` reference names (an importlib.resources
    Traversable), or None when the package is not installed or lacks the file."""
    package, _, relative = reference.partition(":")
    try:
        found = resources.files(package)
        for part in relative.replace("\\", "/").split("/"):
            found = found / part
        return found if found.is_file() else None
    except (ImportError, OSError, TypeError, ValueError):
        return None


def where(spec: WeightsSpec) -> str:
    """Where ``spec`` resolves now, without hashing: ``cache``, ``package``, ``url`` or ``missing``."""
    cached = cached_path(spec)
    if cached.is_file() and cached.stat().st_size == spec.size:
        return "cache"
    if spec.file and package_file(spec.file) is not None:
        return "package"
    return "url" if spec.url else "missing"


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path, spec: WeightsSpec) -> str | None:
    """Why ``path`` is not ``spec``'s file (size first, then sha256), or None when it is."""
    size = path.stat().st_size
    if size != spec.size:
        return f"{size} bytes instead of {spec.size}"
    digest = sha256_of(path)
    if digest != spec.sha256:
        return f"sha256 {digest} instead of {spec.sha256}"
    return None


def format_size(size: int) -> str:
    """``123456`` -> ``"123.5 kB"`` (decimal units, like download tools)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


# ---------------------------------------------------------------- resolution
def resolve_weights(name_or_path: str | os.PathLike, *, progress: bool | None = None, registry: Registry | None = None) -> Path:
    """A local weights file for a path or a pretrained name.

    An existing path (a file, or a run folder, returned as is) wins. Otherwise a registered
    pretrained name resolves to, in order: the verified cache file, the verified file its
    package ships, or a download of its URL into the cache (``progress``: None shows a bar
    when stderr is a terminal, True always, False never).
    """
    text = os.fspath(name_or_path)
    path = Path(text).expanduser()
    if path.exists():
        return path
    if registry is None:
        from ganzoo.plugin.discovery import get_registry

        registry = get_registry()
    if text in registry.weights:
        return fetch(registry.pretrained(text), progress=progress)
    if _looks_like_path(text):
        raise WeightsError(f"weights file {text!r} does not exist")
    raise UnknownNameError(_unknown_message(text, registry))


def _looks_like_path(text: str) -> bool:
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return any(s in text for s in separators) or text.lower().endswith(".safetensors")


def _unknown_message(text: str, registry: Registry) -> str:
    listing = f"`{list_command(registry.weights.kind)}` shows them all"
    if text in registry.models:
        own = [s.name for s in registry.weights if s.model == text]
        if own:
            return f"{text!r} is a model, not weights; its pretrained weights: {', '.join(map(repr, own))} ({listing})"
        return (f"{text!r} is a model, not weights, and no pretrained weights of it are registered; "
                f"`ganzoo run {text}` trains some ({listing})")
    return f"no weights file or pretrained weights called {text!r}{suggest(text, sorted(registry.weights.specs))}; {listing}"


def fetch(spec: WeightsSpec, *, progress: bool | None = None) -> Path:
    """The verified local file of ``spec``: cache, then package, then download (see :func:`resolve_weights`)."""
    target = cached_path(spec)
    if target.is_file():
        problem = verify(target, spec)
        if problem is None:
            return target
        print(f"ganzoo: warning: the cached {spec.name} weights {target} are corrupt ({problem}); "
              "deleted, fetching them again", file=sys.stderr, flush=True)
        target.unlink(missing_ok=True)
    shipped = package_file(spec.file) if spec.file else None
    if shipped is not None:
        if isinstance(shipped, Path):
            problem = verify(shipped, spec)
            if problem is not None:
                raise WeightsError(
                    f"{shipped}, the file of pretrained weights {spec.name!r}, does not match its registration "
                    f"({problem}); reinstall {_provider(spec)}"
                )
            return shipped
        with shipped.open("rb") as fh:  # a package inside a zip: copy it out into the cache
            return _store(fh.read, spec, target, spec.file, lambda n: None)
    if not spec.url:
        raise WeightsError(f"pretrained weights {spec.name!r}: {spec.file!r} is not installed and no URL is registered; "
                           f"reinstall {_provider(spec)}")
    if offline():
        raise WeightsError(f"pretrained weights {spec.name!r} are not cached and GANZOO_OFFLINE is set, so they are not "
                           f"downloaded from {spec.url}; unset GANZOO_OFFLINE, or put the file at {target}")
    return _download(spec, target, progress)


def _provider(spec: WeightsSpec) -> str:
    return f"the distribution {spec.source.distribution!r}" if spec.source else f"the package {spec.file.partition(':')[0]!r}"


# ---------------------------------------------------------------- download
def _download(spec: WeightsSpec, target: Path, progress: bool | None) -> Path:
    request = urllib.request.Request(spec.url, headers={"User-Agent": f"ganzoo/{__version__}"})
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        raise WeightsError(f"cannot download pretrained weights {spec.name!r} from {spec.url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise WeightsError(f"cannot download pretrained weights {spec.name!r} from {spec.url}: {exc.reason}") from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise WeightsError(f"cannot download pretrained weights {spec.name!r} from {spec.url}: {exc}") from None
    with response, _progress(spec, progress) as advance:
        return _store(_network_reader(response, spec), spec, target, spec.url, advance)


def _network_reader(response: Any, spec: WeightsSpec) -> Callable[[int], bytes]:
    """``read(n)`` over the response: a body cut short ends the stream (the size check then
    reports it); any other network failure is one WeightsError naming the URL."""
    ended = False

    def read(n: int) -> bytes:
        nonlocal ended
        if ended:
            return b""
        try:
            return response.read(n)
        except http.client.IncompleteRead as exc:
            ended = True
            return exc.partial
        except (OSError, http.client.HTTPException) as exc:
            raise WeightsError(f"downloading pretrained weights {spec.name!r} from {spec.url} failed: {exc}; "
                               "nothing was kept, try again") from None

    return read


def _store(read: Callable[[int], bytes], spec: WeightsSpec, target: Path, origin: str, advance: Callable[[int], None]) -> Path:
    """Stream ``read`` into a temporary file beside ``target``, hashing as it goes; rename it
    to ``target`` only when size and sha256 match (otherwise the temporary file is deleted)."""
    try:
        with atomic_path(target) as tmp:
            digest, got = hashlib.sha256(), 0
            with open(tmp, "wb") as out:
                while chunk := read(CHUNK):
                    got += len(chunk)
                    if got > spec.size:
                        raise WeightsError(f"the download of pretrained weights {spec.name!r} from {origin} is larger than "
                                           f"the registered {spec.size} bytes; the file was deleted")
                    digest.update(chunk)
                    out.write(chunk)
                    advance(len(chunk))
            if got != spec.size:
                raise WeightsError(f"truncated download of pretrained weights {spec.name!r} from {origin}: got {got} of "
                                   f"{spec.size} bytes; the file was deleted, try again")
            if digest.hexdigest() != spec.sha256:
                raise WeightsError(f"sha256 mismatch for pretrained weights {spec.name!r} from {origin}: expected "
                                   f"{spec.sha256}, got {digest.hexdigest()}; the file was deleted")
    except OSError as exc:  # reading errors are WeightsErrors already: this is the cache folder
        raise WeightsError(f"cannot write {target}: {exc.strerror or exc}; set GANZOO_HOME to a writable folder") from None
    return target


@contextlib.contextmanager
def _progress(spec: WeightsSpec, progress: bool | None) -> Iterator[Callable[[int], None]]:
    """A rich download bar on stderr (a terminal, or ``progress=True``), else one plain line."""
    if not (sys.stderr.isatty() if progress is None else progress):
        print(f"ganzoo: downloading pretrained weights {spec.name} ({format_size(spec.size)}) from {spec.url}",
              file=sys.stderr, flush=True)
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    columns = (TextColumn("downloading {task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(spec.name, total=spec.size)
        yield lambda n: bar.advance(task, n)
