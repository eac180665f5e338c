"""Verified downloads: one file, its mirrors, its exact size and hash.

Pretrained weights (:mod:`ganzoo.io.pretrained`) and the datasets that ``--download`` fetches
come through :func:`download`. A :class:`RemoteFile` always means the same bytes: the body is
streamed into a temporary file beside the target, hashed as it comes, refused as soon as it
grows past the stated size, and renamed into place only once size and hash match, so nothing
half-written ever sits under the final name. Nothing downloads under ``GANZOO_OFFLINE=1``.
Torch-free, because the listing commands use it.

Every way a download can fail (an HTTP status, a redirect loop or a redirect to another
scheme, a refused connection, a host that does not resolve, a server that stops answering, a
body shorter or longer than stated, a wrong hash) is one line naming the URL, of the error class
the caller chose, and leaves nothing at the target. A mirror that fails is followed by the next;
when all fail, the line is the last one's failure and says how many were tried.
``GANZOO_DOWNLOAD_TIMEOUT`` (seconds, default :data:`TIMEOUT_S`) is how long the server may stay
silent, not a limit on the whole download, which may rightly take long on a slow line.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from ganzoo._version import __version__
from ganzoo.errors import GanzooError, WeightsError
from ganzoo.io.atomic import atomic_path
from ganzoo.io.home import offline

CHUNK = 1 << 20
#: Seconds a server may stay silent (connecting, answering, or between two pieces of the body).
TIMEOUT_S = 60.0
TIMEOUT_VARIABLE = "GANZOO_DOWNLOAD_TIMEOUT"
#: Schemes a redirect may lead to (urllib alone would follow ``ftp://`` too).
REDIRECT_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class RemoteFile:
    """One file to download: what messages call it, where it is, and what it must be."""

    #: How messages name it, e.g. ``"fashion-mnist train-images-idx3-ubyte.gz"``.
    name: str
    #: Mirrors, tried in order.
    urls: tuple[str, ...]
    #: The exact size in bytes.
    size: int
    sha256: str | None = None
    #: The publisher's checksum where only MD5 is published (MNIST, Fashion-MNIST).
    md5: str | None = None
    #: What it is, said before the name (``"pretrained weights"`` -> ``pretrained weights 'NAME'``);
    #: empty: the name alone.
    kind: str = ""
    #: Whether ``kind`` is plural (``pretrained weights ... are``, ``a file ... is``).
    plural: bool = False
    #: Who stated the size and hash: ``"published"`` (by the publisher) or ``"registered"`` (by a plugin).
    stated: str = "published"

    def __post_init__(self) -> None:
        if self.size < 0:
            raise ValueError(f"RemoteFile {self.name!r} has a negative size")
        if self.sha256 is None and self.md5 is None:
            raise ValueError(f"RemoteFile {self.name!r} has neither a sha256 nor an md5 to check it against")

    @property
    def called(self) -> str:
        """How a sentence names it: ``pretrained weights 'dcgan.digits'``, or the bare name."""
        return f"{self.kind} {self.name!r}" if self.kind else self.name

    @property
    def shown(self) -> str:
        """How the download line names it, unquoted: ``pretrained weights dcgan.digits``."""
        return f"{self.kind} {self.name}" if self.kind else self.name

    @property
    def verb(self) -> str:
        return "are" if self.plural else "is"


class _MirrorFailed(Exception):
    """This mirror failed (the message is the one line, naming its URL); the next may do."""


def download(remote: RemoteFile, target: Path, *, progress: bool | None = None,
             error: type[GanzooError] = WeightsError) -> Path:
    """``target``, holding ``remote``'s verified bytes.

    A ``target`` that is already ``remote`` is returned without touching the network (one that
    is not is deleted, with a warning, and fetched again). Otherwise each URL is tried in order
    (``progress``: None shows a rich bar on stderr when it is a terminal, True always, False
    never; without a bar one plain line names the URL). Every failure is one ``error`` line
    naming the URL, and leaves nothing at ``target``; the parent folder is created.
    """
    target = Path(target)
    if target.is_file():
        try:
            problem = verify(target, remote)
        except OSError as exc:
            raise error(f"cannot read {target}: {exc.strerror or exc}") from None
        if problem is None:
            return target
        print(f"ganzoo: warning: {target} is not {remote.called} ({problem}); deleted, fetching it again",
              file=sys.stderr, flush=True)
        target.unlink(missing_ok=True)
    if not remote.urls:
        raise error(f"{remote.called} {remote.verb} not at {target} and no URL to download {'them' if remote.plural else 'it'} "
                    "from is known")
    if offline():
        raise error(f"{remote.called} {remote.verb} not at {target} and GANZOO_OFFLINE is set, so "
                    f"{'they are' if remote.plural else 'it is'} not downloaded from {remote.urls[0]}; "
                    f"unset GANZOO_OFFLINE, or put the file at {target}")
    timeout = download_timeout(error)
    count = len(remote.urls)
    for number, url in enumerate(remote.urls, 1):
        try:
            return _download_from(url, remote, target, progress, timeout, error)
        except _MirrorFailed as failed:
            if number == count:
                more = f" ({count} mirrors tried, all failed; this was the last)" if count > 1 else ""
                raise error(f"{failed}{more}") from None
            print(f"ganzoo: warning: {failed}; trying mirror {number + 1} of {count}", file=sys.stderr, flush=True)
    raise AssertionError("unreachable")


def download_timeout(error: type[GanzooError] = WeightsError) -> float:
    """``$GANZOO_DOWNLOAD_TIMEOUT`` in seconds (a number above 0), else :data:`TIMEOUT_S`."""
    text = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not text:
        return TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise error(f"{TIMEOUT_VARIABLE} must be a number of seconds above 0, such as 30 or 0.5 (got {text!r}); "
                    f"unset it for the default of {TIMEOUT_S:g} s")
    return value


# ---------------------------------------------------------------- checking files
def sha256_of(path: str | os.PathLike) -> str:
    return _hash_file(path, _Hashes(sha256=True, md5=False)).hexdigests()[0]  # type: ignore[return-value]


def _hash_file(path: str | os.PathLike, hashes: _Hashes) -> _Hashes:
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            hashes.update(chunk)
    return hashes


class _Hashes:
    """The sha256 and/or MD5 of a stream, fed in pieces."""

    def __init__(self, sha256: bool, md5: bool) -> None:
        self.sha256 = hashlib.sha256() if sha256 else None
        self.md5 = hashlib.md5(usedforsecurity=False) if md5 else None  # the publisher's checksum, not security

    @classmethod
    def of(cls, remote: RemoteFile) -> _Hashes:
        return cls(remote.sha256 is not None, remote.md5 is not None)

    def update(self, chunk: bytes) -> None:
        for digest in (self.sha256, self.md5):
            if digest is not None:
                digest.update(chunk)

    def hexdigests(self) -> tuple[str | None, str | None]:
        return tuple(None if d is None else d.hexdigest() for d in (self.sha256, self.md5))  # type: ignore[return-value]

    def mismatch(self, remote: RemoteFile) -> tuple[str, str, str] | None:
        """``(algorithm, expected, got)`` for the first hash that differs (sha256 first), else None."""
        sha256, md5 = self.hexdigests()
        if remote.sha256 is not None and sha256 != remote.sha256.lower():
            return "sha256", remote.sha256, sha256  # type: ignore[return-value]
        if remote.md5 is not None and md5 != remote.md5.lower():
            return "md5", remote.md5, md5  # type: ignore[return-value]
        return None


def verify(path: str | os.PathLike, remote: RemoteFile) -> str | None:
    """Why ``path`` is not ``remote``'s file (size first, then its hashes), or None when it is."""
    size = os.stat(path).st_size
    if size != remote.size:
        return f"{size} bytes instead of {remote.size}"
    wrong = _hash_file(path, _Hashes.of(remote)).mismatch(remote)
    return None if wrong is None else f"{wrong[0]} {wrong[2]} instead of {wrong[1]}"


def format_size(size: int) -> str:
    """``123456`` -> ``"123.5 kB"`` (decimal units, like download tools)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


# ---------------------------------------------------------------- one mirror
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


def _download_from(url: str, remote: RemoteFile, target: Path, progress: bool | None, timeout: float,
                   error: type[GanzooError]) -> Path:
    """``remote`` from ``url`` into ``target``: :class:`_MirrorFailed` when this mirror does not
    give it, ``error`` when the target cannot be written."""
    request = urllib.request.Request(url, headers={"User-Agent": f"ganzoo/{__version__}"})
    try:
        response = urllib.request.build_opener(_Redirects).open(request, timeout=timeout)
    except (OSError, http.client.HTTPException, ValueError) as exc:  # URLError and HTTPError are OSErrors
        raise _MirrorFailed(f"cannot download {remote.called} from {url}: {_why(exc, timeout, url)}") from None
    with response:
        _check_announced_size(response, remote, url)
        with _progress(remote, url, progress) as advance:
            return _store(_network_reader(response, remote, url, timeout), remote, target, url, advance, error)


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


def _check_announced_size(response: Any, remote: RemoteFile, url: str) -> None:
    """A ``Content-Length`` other than the stated size is another file: refuse it before reading."""
    announced = response.headers.get("Content-Length") if getattr(response, "headers", None) else None
    if announced is None or not announced.strip().isdigit() or int(announced) == remote.size:
        return
    raise _MirrorFailed(f"{url} announces {int(announced)} bytes, but {remote.called} {remote.verb} {remote.stated} "
                        f"with {remote.size}: the server holds another file; nothing was downloaded")


def _network_reader(response: Any, remote: RemoteFile, url: str, timeout: float) -> Callable[[int], bytes]:
    """``read(n)`` over the response: a body cut short ends the stream (the size check then
    reports it); any other network failure fails this mirror, naming the URL."""
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
            raise _MirrorFailed(f"downloading {remote.called} from {url} failed: "
                                f"{_why(exc, timeout, url)}; nothing was kept, try again") from None

    return read


def store(read: Callable[[int], bytes], remote: RemoteFile, target: Path, origin: str,
          advance: Callable[[int], None] = lambda n: None, *, error: type[GanzooError] = WeightsError) -> Path:
    """Stream ``read`` (``read(n)`` -> up to ``n`` bytes, ``b""`` at the end) into a temporary
    file beside ``target``, hashing as it goes; rename it to ``target`` only when size and hash
    match ``remote`` (otherwise it is deleted and ``error`` says why, naming ``origin``)."""
    try:
        return _store(read, remote, target, origin, advance, error)
    except _MirrorFailed as failed:
        raise error(str(failed)) from None


def _store(read: Callable[[int], bytes], remote: RemoteFile, target: Path, origin: str,
           advance: Callable[[int], None], error: type[GanzooError]) -> Path:
    try:
        with atomic_path(target) as tmp:
            hashes, got = _Hashes.of(remote), 0
            with open(tmp, "wb") as out:
                while chunk := read(CHUNK):
                    got += len(chunk)
                    if got > remote.size:
                        raise _MirrorFailed(f"the download of {remote.called} from {origin} is larger than "
                                            f"the {remote.stated} {remote.size} bytes; the file was deleted")
                    hashes.update(chunk)
                    out.write(chunk)
                    advance(len(chunk))
            if got != remote.size:
                raise _MirrorFailed(f"truncated download of {remote.called} from {origin}: got {got} of "
                                    f"{remote.size} bytes; the file was deleted, try again")
            wrong = hashes.mismatch(remote)
            if wrong is not None:
                algorithm, expected, digest = wrong
                raise _MirrorFailed(f"{algorithm} mismatch for {remote.called} from {origin}: expected "
                                    f"{expected}, got {digest}; the file was deleted")
    except OSError as exc:  # reading errors are _MirrorFailed already: this is the target's folder
        raise error(f"cannot write {target}: {exc.strerror or exc}; set GANZOO_HOME to a writable folder") from None
    return target


@contextlib.contextmanager
def _progress(remote: RemoteFile, url: str, progress: bool | None) -> Iterator[Callable[[int], None]]:
    """A rich download bar on stderr (a terminal, or ``progress=True``), else one plain line."""
    if not (sys.stderr.isatty() if progress is None else progress):
        print(f"ganzoo: downloading {remote.shown} ({format_size(remote.size)}) from {url}", file=sys.stderr, flush=True)
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    columns = (TextColumn("downloading {task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(remote.name, total=remote.size)
        yield lambda n: bar.advance(task, n)
