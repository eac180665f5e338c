"""Pretrained weights by name: from the cache, from the package that ships them, or downloaded.

``ganzoo.load("dcgan.digits")`` ends here. A name always means the same bytes: every file is
checked against the sha256 and size its :class:`~ganzoo.plugin.specs.WeightsSpec` registered, and a
download is streamed into a temporary file beside the cache file and renamed into place only
once it verified, so nothing half-written ever sits under the final name. Nothing downloads
under ``GANZOO_OFFLINE=1``. Torch-free, because ``ganzoo info`` uses it.

Every way a download can fail (an HTTP status, a redirect loop or a redirect to another
scheme, a refused connection, a host that does not resolve, a server that stops answering, a
body shorter or longer than announced, a wrong hash) is one :class:`WeightsError` line naming the
URL, and leaves nothing in the cache. ``GANZOO_DOWNLOAD_TIMEOUT`` (seconds, default
:data:`TIMEOUT_S`) is how long the server may stay silent, not a limit on the whole download,
which may rightly take long on a slow line.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import math
import os
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ganzoo._version import __version__
from ganzoo.io import hub
from ganzoo.io.atomic import atomic_path
from ganzoo.errors import UnknownNameError, WeightsError
from ganzoo.io.home import ganzoo_home, offline
from ganzoo.plugin.registry import list_command, suggest
from ganzoo.plugin.specs import WeightsSpec

if TYPE_CHECKING:
    from ganzoo.plugin.registry import Registry

CHUNK = 1 << 20
#: Seconds a server may stay silent (connecting, answering, or between two pieces of the body).
TIMEOUT_S = 60.0
TIMEOUT_VARIABLE = "GANZOO_DOWNLOAD_TIMEOUT"
#: Schemes a redirect may lead to (urllib alone would follow ``ftp://`` too).
REDIRECT_SCHEMES = ("http", "https")


def download_timeout() -> float:
    """``$GANZOO_DOWNLOAD_TIMEOUT`` in seconds (a number above 0), else :data:`TIMEOUT_S`."""
    text = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not text:
        return TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise WeightsError(f"{TIMEOUT_VARIABLE} must be a number of seconds above 0, such as 30 or 0.5 (got {text!r}); "
                           f"unset it for the default of {TIMEOUT_S:g} s")
    return value


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

    An ``hf://OWNER/REPO[/FILE][@REVISION]`` address is fetched through the Hugging Face Hub's
    cache (:mod:`ganzoo.io.hub`). An existing path (a file, or a run folder, returned as is) wins
    over a name. Otherwise a registered
    pretrained name resolves to, in order: the verified cache file, the verified file its
    package ships, or a download of its URL into the cache (``progress``: None shows a bar
    when stderr is a terminal, True always, False never).
    """
    text = os.fspath(name_or_path)
    if hub.is_hub_url(text):
        return hub.download(hub.parse(text), progress=progress)
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
    if hub.is_hub_url(spec.url):  # the Hub's own cache, offline switches and errors
        return _from_hub(spec, progress)
    if offline():
        raise WeightsError(f"pretrained weights {spec.name!r} are not cached and GANZOO_OFFLINE is set, so they are not "
                           f"downloaded from {spec.url}; unset GANZOO_OFFLINE, or put the file at {target}")
    return _download(spec, target, progress)


def _from_hub(spec: WeightsSpec, progress: bool | None) -> Path:
    """The Hub file an ``hf://`` URL names, checked against the registered size and sha256
    like any download (a branch that moved holds another file: register a revision)."""
    path = hub.download(hub.parse(spec.url), progress=progress)
    problem = verify(path, spec)
    if problem is not None:
        raise WeightsError(f"{spec.url}, the file of pretrained weights {spec.name!r}, does not match its registration "
                           f"({problem}); the repository changed: register a revision (@COMMIT) or the new hash")
    return path


def _provider(spec: WeightsSpec) -> str:
    return f"the distribution {spec.source.distribution!r}" if spec.source else f"the package {spec.file.partition(':')[0]!r}"


# ---------------------------------------------------------------- download
class _Redirects(urllib.request.HTTPRedirectHandler):
    """urllib's redirects, refusing any scheme but http and https (urllib follows ``ftp://``)."""

    def http_error_302(self, req: Any, fp: Any, code: int, msg: str, headers: Any) -> Any:
        location = headers.get("location") or headers.get("uri")
        if location:
            target = urllib.parse.urljoin(req.full_url, location)
            if urllib.parse.urlsplit(target).scheme.lower() not in REDIRECT_SCHEMES:
                raise urllib.error.URLError(f"HTTP {code} redirects to {target}, and only http and https redirects are followed")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _download(spec: WeightsSpec, target: Path, progress: bool | None) -> Path:
    timeout = download_timeout()
    request = urllib.request.Request(spec.url, headers={"User-Agent": f"ganzoo/{__version__}"})
    try:
        response = urllib.request.build_opener(_Redirects).open(request, timeout=timeout)
    except (OSError, http.client.HTTPException, ValueError) as exc:  # URLError and HTTPError are OSErrors
        raise WeightsError(f"cannot download pretrained weights {spec.name!r} from {spec.url}: {_why(exc, timeout, spec.url)}") from None
    with response:
        _check_announced_size(response, spec)
        with _progress(spec, progress) as advance:
            return _store(_network_reader(response, spec, timeout), spec, target, spec.url, advance)


def _why(exc: BaseException, timeout: float, url: str) -> str:
    """Why a request failed, on one line (urllib's redirect-loop message spans three)."""
    if isinstance(exc, urllib.error.HTTPError):
        if "infinite loop" in str(exc.reason):
            return f"too many redirects, or a redirect loop (the last was HTTP {exc.code})"
        return _one_line(f"HTTP {exc.code} {exc.reason}")
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return f"the server did not answer within {timeout:g} s ({TIMEOUT_VARIABLE} sets how long to wait)"
    if isinstance(reason, socket.gaierror):
        host = urllib.parse.urlsplit(url).hostname
        return _one_line(f"cannot find the host {host!r} ({reason.strerror or reason}); check the URL and the network")
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused (nothing listens at that address)"
    if isinstance(reason, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(reason, http.client.HTTPException):
        return f"the server's answer is not valid HTTP ({type(reason).__name__}: {_one_line(str(reason))})"
    if isinstance(reason, OSError):
        return _one_line(reason.strerror or str(reason) or type(reason).__name__)
    return _one_line(str(reason) or type(reason).__name__)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _check_announced_size(response: Any, spec: WeightsSpec) -> None:
    """A ``Content-Length`` other than the registered size is another file: refuse it before reading."""
    announced = response.headers.get("Content-Length") if getattr(response, "headers", None) else None
    if announced is None or not announced.strip().isdigit() or int(announced) == spec.size:
        return
    raise WeightsError(f"{spec.url} announces {int(announced)} bytes, but pretrained weights {spec.name!r} are registered "
                       f"with {spec.size}: the server holds another file; nothing was downloaded")


def _network_reader(response: Any, spec: WeightsSpec, timeout: float) -> Callable[[int], bytes]:
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
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise WeightsError(f"downloading pretrained weights {spec.name!r} from {spec.url} failed: "
                               f"{_why(exc, timeout, spec.url)}; nothing was kept, try again") from None

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
